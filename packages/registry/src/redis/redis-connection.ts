import { EventEmitter, type Logger, RegistryUnavailableError, SwitchyardError } from '@switchyard/core';

/** One registry command as observed for metrics: which operation, whether it worked, how long it took. */
export interface RegistryOperation {
  readonly operation: string;
  readonly ok: boolean;
  readonly durationMs: number;
}
import type { RedisClient } from './create-client.js';

/**
 * One ioredis client plus the rules that make the registry fail fast: before the first connection
 * a call waits up to `connectTimeoutMs`; once a working connection is lost, calls fail at once with
 * `REGISTRY_UNAVAILABLE` until it is back. Listeners learn about losses and recoveries, which is
 * how registrations re-announce themselves and watches resynchronise without user action.
 */
export class RedisConnection {
  private everReady = false;
  private down = false;
  private closed = false;
  private readonly readyWaiters = new Set<() => void>();
  private readonly lostListeners = new Set<(error: RegistryUnavailableError) => void>();
  private readonly restoredListeners = new Set<() => void>();
  private readonly operations = new EventEmitter<RegistryOperation>();
  /** The last connection error, described without secrets (for "could not connect" messages). */
  private lastError: string | undefined;
  /** Commands time out on an open socket: Redis is hung (SIGSTOP, overload). Cleared by a reply. */
  private hung = false;
  /** Every command's outcome and duration (timed only while someone listens). */
  readonly onOperation = this.operations.event;

  constructor(
    readonly client: RedisClient,
    private readonly label: string,
    private readonly connectTimeoutMs: number,
    private readonly logger: Logger,
  ) {
    client.on('ready', () => this.onReady());
    client.on('close', () => this.onLost('connection closed'));
    client.on('end', () => this.onLost('connection ended'));
    // ioredis also emits 'error' for every failed reconnect attempt; without a listener Node would
    // treat it as an unhandled error event. Only the message is kept and logged: ioredis errors
    // carry the command's arguments, and for AUTH those hold the password.
    client.on('error', (error: Error) => {
      this.lastError = describeRedisError(error);
      this.logger.debug({ registry: label, error: this.lastError }, 'redis connection error');
    });
    client.connect().catch(() => this.onLost('initial connect failed'));
  }

  get isReady(): boolean {
    return this.client.status === 'ready';
  }

  onConnectionLost(listener: (error: RegistryUnavailableError) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  onConnectionRestored(listener: () => void): () => void {
    this.restoredListeners.add(listener);
    return () => this.restoredListeners.delete(listener);
  }

  /** Runs one command (or script), mapping every transport failure to `REGISTRY_UNAVAILABLE`. */
  async call<T>(operation: string, run: (client: RedisClient) => Promise<T>): Promise<T> {
    const observed = this.operations.size > 0;
    const started = observed ? performance.now() : 0;
    try {
      await this.whenReady(operation);
      const result = await run(this.client);
      if (observed) this.operations.emit({ operation, ok: true, durationMs: performance.now() - started });
      if (this.hung) this.onUnhung();
      return result;
    } catch (error) {
      if (observed) this.operations.emit({ operation, ok: false, durationMs: performance.now() - started });
      if (commandTimedOut(error)) this.onHung();
      throw this.mapError(operation, error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeWaiters();
    try {
      // QUIT waits (up to a second) for Redis to answer the commands still in flight; a hung Redis
      // answers none in time, and stop() with a paused Redis took that second longer. Whatever
      // was sent is delivered either way: disconnect() ends the socket after it.
      if (this.client.status === 'ready' && !this.hung) await withTimeout(this.client.quit(), 1_000);
    } catch {
      // quit failing is fine: disconnect() below ends the socket either way.
    }
    this.client.disconnect();
  }

  private async whenReady(operation: string): Promise<void> {
    if (this.closed) throw new RegistryUnavailableError(`${this.label}: ${operation}: registry is closed`);
    if (this.client.status === 'ready') return;
    if (this.everReady || this.down) {
      throw new RegistryUnavailableError(
        `${this.label}: ${operation}: not connected (${this.client.status})${this.lastError ? `: ${this.lastError}` : ''}`,
        { notSent: true },
      );
    }
    // First connection still in progress: wait for it, bounded.
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        // A waiter that timed out leaves the set too (it used to stay until a first connection).
        this.readyWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.connectTimeoutMs);
      timer.unref();
      this.readyWaiters.add(done);
    });
    if ((this.client.status as string) !== 'ready' || this.closed) {
      throw new RegistryUnavailableError(
        `${this.label}: ${operation}: could not connect within ${this.connectTimeoutMs} ms (${this.client.status})${this.lastError ? `: ${this.lastError}` : ''}`,
        { notSent: true },
      );
    }
  }

  private onReady(): void {
    const recovered = this.everReady && (this.down || this.hung);
    this.everReady = true;
    this.down = false;
    this.hung = false;
    this.wakeWaiters();
    if (recovered) {
      this.logger.info({ registry: this.label }, 'switchyard registry: connection restored');
      for (const listener of this.restoredListeners) listener();
    }
  }

  private onLost(reason: string): void {
    // Before the first connection, a refused or dropped attempt is not "down": calls wait for the
    // first connection up to connectTimeoutMs (their own timers decide), as documented, while
    // ioredis keeps trying. A service that starts just before its Redis must not fail at once.
    if (this.closed || !this.everReady) return;
    const first = !this.down;
    this.down = true;
    this.wakeWaiters();
    if (first && this.everReady) {
      const error = new RegistryUnavailableError(`${this.label}: ${reason}`);
      this.logger.warn(
        { registry: this.label, reason },
        'switchyard registry: connection lost; keeping last known state',
      );
      for (const listener of this.lostListeners) listener(error);
    }
  }

  /** A hung Redis is an outage too: watchers go stale and keep their view, as for a lost socket. */
  private onHung(): void {
    if (this.hung || this.down || this.closed || !this.everReady) return;
    this.hung = true;
    const error = new RegistryUnavailableError(`${this.label}: commands time out (Redis hung?)`);
    this.logger.warn({ registry: this.label }, 'switchyard registry: commands time out; keeping last known state');
    for (const listener of this.lostListeners) listener(error);
  }

  private onUnhung(): void {
    this.hung = false;
    this.logger.info({ registry: this.label }, 'switchyard registry: Redis answers again');
    for (const listener of this.restoredListeners) listener();
  }

  private wakeWaiters(): void {
    for (const wake of this.readyWaiters) wake();
    this.readyWaiters.clear();
  }

  private mapError(operation: string, error: unknown): SwitchyardError {
    if (SwitchyardError.isInstance(error)) return error;
    // The cause is not attached: ioredis errors carry command arguments (an AUTH password, data).
    // ioredis refuses a command on a socket it cannot write (no offline queue) before sending it.
    const notSent = error instanceof Error && /enableOfflineQueue/.test(error.message);
    return new RegistryUnavailableError(`${this.label}: ${operation} failed: ${describeRedisError(error)}`, {
      notSent,
    });
  }
}

/**
 * Whether a command failed by timing out (ioredis's `commandTimeout`: "Command timed out"), raw or
 * as {@link RedisConnection.call} reports it: the command was sent, and may still run once Redis
 * catches up.
 */
export function commandTimedOut(error: unknown): boolean {
  return /timed out/i.test((error as Error | undefined)?.message ?? '');
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Redis's words for a permission problem: NOPERM, NOAUTH, WRONGPASS, or a script refused a command. */
const PERMISSION_DENIED = /NOPERM|NOAUTH|WRONGPASS|can't run this command|no permissions/i;

/**
 * A Redis error as a safe one-line message: permission problems (NOPERM, NOAUTH, WRONGPASS, or a
 * script refused a command) say "permission denied"; command arguments are never included.
 */
export function describeRedisError(error: unknown): string {
  const message = firstLine(error instanceof Error ? error.message : String(error)) || reasonOfEmpty(error);
  return PERMISSION_DENIED.test(message) ? `permission denied: ${message}` : message;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/**
 * The reason an error with no message gives otherwise. Node's connect to a name with more than one
 * address (`localhost`: ::1 and 127.0.0.1, happy eyeballs) fails with an AggregateError whose
 * message is empty: every "could not connect" said nothing of why. Its attempts' messages say it
 * (`connect ECONNREFUSED ::1:6379; connect ECONNREFUSED 127.0.0.1:6379`), else its code does.
 */
function reasonOfEmpty(error: unknown): string {
  const inner = error instanceof AggregateError ? error.errors : [];
  const messages = [
    ...new Set(inner.map((each: unknown) => firstLine(each instanceof Error ? each.message : String(each)))),
  ];
  const reason = messages.filter((each) => each !== '').join('; ');
  if (reason !== '') return reason;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

/** Whether Redis refused a write because it is out of memory (maxmemory with the noeviction policy). */
export function outOfMemory(error: unknown): boolean {
  return /\bOOM command not allowed\b/.test((error as Error | undefined)?.message ?? '');
}

/**
 * Whether a script failed on the data it met (a key of the wrong type, a revision that is not a
 * number), as opposed to the server refusing it. A permission denial inside a script reads
 * "ERR The user executing the script can't run this command", and was taken for garbage:
 * services() then named no service at all, with no error, for a user whose ACL lacked a command.
 */
export function corruptData(error: unknown): boolean {
  const message = (error as Error | undefined)?.message ?? '';
  return /WRONGTYPE|ERR /.test(message) && !PERMISSION_DENIED.test(message);
}
