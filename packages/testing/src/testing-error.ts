/** Stable codes carried by {@link SwitchyardTestingError}. */
export type TestingErrorCode =
  /** An option is out of range or contradicts another. */
  | 'INVALID_ARGUMENT'
  /** The requested path (Docker engine, `redis-server` binary, `REDIS_URL`) is not there. */
  | 'NOT_AVAILABLE'
  /** A process or container was started but never became ready, or exited early. */
  | 'START_FAILED'
  /**
   * The free port chosen for a server was taken by another process before the server bound it
   * (its bind failed, or another Redis answered there). `startRedis`, `startRedisSentinel` and
   * `startRedisCluster` retry on other ports (3 attempts in all), so it only surfaces when every attempt lost.
   */
  | 'PORT_TAKEN'
  /** A bounded wait (readiness, failover agreement, cluster state, shutdown) ran out. */
  | 'TIMEOUT'
  /** The handle cannot do this, e.g. `kill()` on a Redis given by `REDIS_URL`. */
  | 'UNSUPPORTED_OPERATION';

const marker = Symbol.for('switchyard.testing.error');

/**
 * The one error class thrown by `@switchyard/testing`. Messages name what failed (which node, which port,
 * which path) and end with the process or container output when there is any.
 */
export class SwitchyardTestingError extends Error {
  /** `code`: what went wrong, stable across releases (see {@link TestingErrorCode}). */
  constructor(
    readonly code: TestingErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    Object.defineProperty(this, marker, { value: true });
  }

  /** True for any `SwitchyardTestingError`, even one from another copy of this package. */
  static isInstance(error: unknown): error is SwitchyardTestingError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
