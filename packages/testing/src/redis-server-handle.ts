import type { RedisVia } from './via.js';

/**
 * A running standalone Redis for a test suite, with levers to break it. Always on 127.0.0.1 (or wherever
 * `REDIS_URL` points), never with persistence: whatever is stopped or killed comes back empty.
 */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:PORT`, with `:password@` when a password was set; `REDIS_URL` as given for `via: 'env'`. */
  readonly url: string;
  /** `127.0.0.1` (or `REDIS_URL`'s host). */
  readonly host: string;
  /** The port it listens on (kept across `restart()`). */
  readonly port: number;
  /** Where this Redis came from. Only `container` and `binary` support kill/restart/pause/resume. */
  readonly via: RedisVia;
  /** Graceful shutdown (SIGTERM, SIGKILL after 5 s); removes the temp dir or container. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL (docker: forced remove): abrupt, open connections are reset. Idempotent. */
  kill(): Promise<void>;
  /** Starts again on the same port after stop()/kill() (stop + start if running), with empty data. */
  restart(): Promise<void>;
  /** SIGSTOP (docker pause): Redis stops answering, its TCP connections stay open. */
  pause(): Promise<void>;
  /** Undoes pause(): SIGCONT (docker unpause). */
  resume(): Promise<void>;
}
