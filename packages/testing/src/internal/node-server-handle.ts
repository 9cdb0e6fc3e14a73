import type { RedisServerHandle } from '../redis-server-handle.js';
import type { RedisNode } from './redis-node.js';

/** A {@link RedisServerHandle} over one node this package started (binary or container). */
export class NodeServerHandle implements RedisServerHandle {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly url: string;

  constructor(
    private readonly node: RedisNode,
    readonly via: 'container' | 'binary',
    password: string | undefined,
  ) {
    this.port = node.spec.port;
    const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
    this.url = `redis://${auth}127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    return this.node.stop();
  }

  kill(): Promise<void> {
    return this.node.kill();
  }

  async restart(): Promise<void> {
    if (this.node.running) await this.node.stop();
    await this.node.start();
  }

  pause(): Promise<void> {
    return this.node.pause();
  }

  resume(): Promise<void> {
    return this.node.resume();
  }

  toString(): string {
    return `RedisServerHandle(${this.node.describe()})`;
  }
}
