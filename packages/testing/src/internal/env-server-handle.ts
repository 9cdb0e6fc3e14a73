import type { RedisServerHandle } from '../redis-server-handle.js';
import { SwitchyardTestingError } from '../testing-error.js';
import { redisCommand } from './redis-command.js';

/** A {@link RedisServerHandle} for the Redis named by `REDIS_URL`: usable, but not ours to stop or break. */
export class EnvServerHandle implements RedisServerHandle {
  readonly via = 'env';
  readonly host: string;
  readonly port: number;
  private readonly parsed: URL;

  constructor(readonly url: string) {
    try {
      this.parsed = new URL(url);
    } catch (error) {
      throw new SwitchyardTestingError('INVALID_ARGUMENT', `REDIS_URL is not a URL: ${JSON.stringify(url)}`, {
        cause: error,
      });
    }
    if (this.parsed.protocol !== 'redis:' && this.parsed.protocol !== 'rediss:') {
      throw new SwitchyardTestingError(
        'INVALID_ARGUMENT',
        `REDIS_URL must start with redis:// or rediss:// (got ${this.parsed.protocol}//)`,
      );
    }
    this.host = this.parsed.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(this.parsed.port || 6379);
  }

  /** URL without credentials, for logs. */
  get redactedUrl(): string {
    return `${this.parsed.protocol}//${this.parsed.host}${this.parsed.pathname === '/' ? '' : this.parsed.pathname}`;
  }

  /** Checks that the server answers PING, so a wrong REDIS_URL fails at startup rather than in every test. */
  async verify(timeoutMs: number): Promise<void> {
    try {
      await redisCommand(
        {
          host: this.host,
          port: this.port,
          username: decodeURIComponent(this.parsed.username) || undefined,
          password: this.parsed.password === '' ? undefined : decodeURIComponent(this.parsed.password),
          tls: this.parsed.protocol === 'rediss:',
          timeoutMs,
        },
        ['PING'],
      );
    } catch (error) {
      throw new SwitchyardTestingError(
        'NOT_AVAILABLE',
        `REDIS_URL ${this.redactedUrl} does not answer PING: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Nothing to do: this package did not start that server. */
  async stop(): Promise<void> {}

  kill(): Promise<void> {
    return this.unsupported('kill');
  }

  restart(): Promise<void> {
    return this.unsupported('restart');
  }

  pause(): Promise<void> {
    return this.unsupported('pause');
  }

  resume(): Promise<void> {
    return this.unsupported('resume');
  }

  toString(): string {
    return `RedisServerHandle(env ${this.redactedUrl})`;
  }

  private async unsupported(operation: string): Promise<never> {
    throw new SwitchyardTestingError(
      'UNSUPPORTED_OPERATION',
      `${operation}() is not supported for the Redis given by REDIS_URL (${this.redactedUrl}): ` +
        `@switchyard/testing did not start it. Pass { via: 'binary' } or { via: 'container' } to tests that ` +
        `break Redis on purpose.`,
    );
  }
}
