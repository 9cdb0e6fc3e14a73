/** What to run on one loopback port: a redis-server, or a Sentinel with its config file. */
export interface RedisNodeSpec {
  /** For messages and container labels: "redis", "master", "replica 1", "sentinel 2", "cluster node 3". */
  label: string;
  kind: 'server' | 'sentinel';
  port: number;
  /** Arguments after the command (and after the config file, for a sentinel). `--dir` is added by the node. */
  args: string[];
  /** Sentinel only: contents of the (writable) config file passed as first argument. */
  config?: string;
  /** Used by the readiness PING. */
  password?: string;
  /** Bound on "started and answering PING". */
  startupTimeoutMs: number;
}

/** One Redis process or container on 127.0.0.1, started and restartable on the same port. */
export interface RedisNode {
  readonly spec: RedisNodeSpec;
  /** "redis-server pid 1234" or "container 0123abcd (redis:7)", for messages. */
  describe(): string;
  /** True between a successful `start()` and the next `stop()` / `kill()`. */
  readonly running: boolean;
  /** Starts (again) on `spec.port` and resolves once it answers PING; rejects with its output otherwise. */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM, SIGKILL after a grace period); removes temp files/containers. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL; removes temp files/containers. Idempotent. */
  kill(): Promise<void>;
  /** SIGSTOP / docker pause. */
  pause(): Promise<void>;
  /** SIGCONT / docker unpause. */
  resume(): Promise<void>;
}

/** Runs async operations one after another (so concurrent stop()/restart() calls do not interleave). */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.tail.then(operation, operation);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
