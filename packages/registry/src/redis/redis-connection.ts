import { EventEmitter, type Logger, RegistryUnavailableError, SwitchyardError } from '@switchyard/core';
import { RegistryDataError, WRONG_TYPE_SUMMARY, wrongTypeReply } from './data-error.js';

/** One registry command as observed for metrics: which operation, whether it worked, how long it took. */
export interface RegistryOperation {
  /**
   * What was sent: `register`, `update`, `deregister`, `list`, `heartbeat` (the lease's PEXPIRE,
   * exactly one per heartbeat), `heartbeat ownership check`, `heartbeat entry check`,
   * `heartbeat recovery`, `rewrite`… (the README's _Operations reported_ lists them all).
   */
  readonly operation: string;
  /** Whether Redis answered it without an error. */
  readonly ok: boolean;
  /** From sending it to its answer (or failure), in ms. */
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
  /**
   * Why the current connection may not be used: its SELECT of the URL's database was refused (see
   * {@link onSelectRefused}). Cleared when a new connection starts, which selects again.
   */
  private unusable: string | undefined;
  /** The refusal was "DB index is out of range" (the server's database count is then asked for). */
  private outOfRange = false;
  /** Set while the refusal is being described. */
  private describing: Promise<void> | undefined;
  /** The current connection has been through 'ready' (reset when a new one starts). */
  private readySeen = false;
  /** Every command's outcome and duration (timed only while someone listens). */
  readonly onOperation = this.operations.event;

  constructor(
    readonly client: RedisClient,
    private readonly label: string,
    private readonly connectTimeoutMs: number,
    private readonly logger: Logger,
  ) {
    client.on('connect', () => {
      // A new connection: ioredis sends its SELECT again, and the verdict on the last one is void.
      this.unusable = undefined;
      this.outOfRange = false;
      this.readySeen = false;
    });
    client.on('ready', () => this.onReady());
    client.on('close', () => this.onLost('connection closed'));
    client.on('end', () => this.onLost('connection ended'));
    // ioredis also emits 'error' for every failed reconnect attempt; without a listener Node would
    // treat it as an unhandled error event. Only the message is kept and logged: ioredis errors
    // carry the command's arguments, and for AUTH those hold the password.
    client.on('error', (error: Error) => {
      this.lastError = describeRedisError(error);
      this.logger.debug({ registry: label, error: this.lastError }, 'redis connection error');
      // The registry sends no SELECT itself: this is ioredis's, of the URL's database, on connecting.
      if ((error as { command?: { name?: unknown } }).command?.name === 'select') this.onSelectRefused(error);
    });
    client.connect().catch(() => this.onLost('initial connect failed'));
  }

  get isReady(): boolean {
    return this.client.status === 'ready' && this.unusable === undefined;
  }

  onConnectionLost(listener: (error: RegistryUnavailableError) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  onConnectionRestored(listener: () => void): () => void {
    this.restoredListeners.add(listener);
    return () => this.restoredListeners.delete(listener);
  }

  /**
   * Runs one command (or script), mapping every transport failure to `REGISTRY_UNAVAILABLE`, and a
   * key of the wrong type (WRONGTYPE) to `DATA_LOSS` ({@link RegistryDataError}).
   */
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
    if (this.describing) await this.describing;
    if (this.client.status === 'ready') {
      if (this.unusable === undefined) return;
      throw this.unusableError(operation);
    }
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
    if (this.describing) await this.describing;
    if (this.unusable !== undefined && (this.client.status as string) === 'ready' && !this.closed) {
      throw this.unusableError(operation);
    }
    if ((this.client.status as string) !== 'ready' || this.closed) {
      throw new RegistryUnavailableError(
        `${this.label}: ${operation}: could not connect within ${this.connectTimeoutMs} ms (${this.client.status})${this.lastError ? `: ${this.lastError}` : ''}`,
        { notSent: true },
      );
    }
  }

  private onReady(): void {
    this.readySeen = true;
    // The SELECT of the URL's database was refused on this connection: it is on database 0 (or
    // wherever it was), so it stays unusable, and the registry stays down (see onSelectRefused).
    if (this.unusable !== undefined) {
      this.refuseConnection();
      return;
    }
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

  /**
   * Redis refused the SELECT of the database the URL names: `redis://host:6379/99` on a server with
   * the default 16 ("DB index is out of range"), or an ACL without `+select` (NOPERM). ioredis only
   * emits the error and goes on, on database 0, where every key was then read and written beside
   * whatever else lives there. Such a connection is never used: calls fail saying which database
   * and why, registrations go `unavailable`, watchers `stale`. It is judged per connection, since
   * each (re)connect selects again: a reconnect that lands on a server without the database (a DNS
   * name moved to a differently configured one) stops the registry in the same way, and one that
   * lands on a server with it heals it. The SELECT's reply comes before the ready check's, so this is
   * known before 'ready'; with the ready check turned off (and no CLIENT SETINFO) it may come just
   * after, and the connection is refused from then on.
   */
  private onSelectRefused(error: Error): void {
    if (this.unusable !== undefined) return;
    const db = this.selectedDatabase();
    this.unusable = DATABASE_OUT_OF_RANGE.test(error.message)
      ? `database ${db} does not exist`
      : `database ${db} cannot be selected: ${describeRedisError(error)}`;
    this.outOfRange = DATABASE_OUT_OF_RANGE.test(error.message);
    if (this.readySeen) this.refuseConnection();
  }

  /** The connection is up but on the wrong database: the registry is down, saying why. */
  private refuseConnection(): void {
    const describing = this.describeUnusable().finally(() => {
      if (this.describing === describing) this.describing = undefined;
    });
    this.describing = describing;
    void describing.then(() => {
      if (this.unusable === undefined || this.closed) return; // a new connection meanwhile
      const first = !this.down;
      this.down = true;
      this.wakeWaiters();
      this.logger.error(
        { registry: this.label, error: this.unusable },
        `switchyard registry: ${this.unusable}; not using this connection (it would read and write another database)`,
      );
      if (first && this.everReady) {
        const error = new RegistryUnavailableError(`${this.label}: ${this.unusable}`);
        for (const listener of this.lostListeners) listener(error);
      }
    });
  }

  /**
   * For a database out of range, adds how many the server has (best effort: CONFIG may be denied by
   * the ACL, or renamed by a managed Redis).
   */
  private async describeUnusable(): Promise<void> {
    if (!this.outOfRange) return;
    let count: number | undefined;
    try {
      const reply = await withTimeout(this.client.call('CONFIG', 'GET', 'databases') as Promise<unknown>, 1_000);
      const value = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
      if (Number.isInteger(value) && value > 0) count = value;
    } catch {
      // Not allowed or not answered: the message says less.
    }
    if (this.unusable === undefined || !this.outOfRange) return; // a new connection meanwhile
    const db = this.selectedDatabase();
    this.unusable =
      count === undefined
        ? `database ${db} does not exist (the server has fewer; Redis refused SELECT ${db}: DB index is out of range)`
        : `database ${db} does not exist (the server has ${count}: 0-${count - 1})`;
  }

  /** The database ioredis selects on every connection: the URL's path, or a Sentinel URL's `?db=`. */
  private selectedDatabase(): string {
    const db = (this.client as { options?: { db?: unknown } }).options?.db;
    return typeof db === 'number' ? String(db) : '(from the URL)';
  }

  private unusableError(operation: string): RegistryUnavailableError {
    return new RegistryUnavailableError(
      `${this.label}: ${operation}: ${this.unusable}; the registry does not fall back to another database`,
      { notSent: true },
    );
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
    // Redis answered, about its data: a key of the wrong type is corruption, not an outage. Reported
    // as REGISTRY_UNAVAILABLE (retryable), callers waited for Redis to come back, for good.
    if (wrongTypeReply(error)) {
      return new RegistryDataError(
        `${this.label}: ${operation} failed: ${WRONG_TYPE_SUMMARY}: ${describeRedisError(error)}`,
      );
    }
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

/** Redis's reply to a SELECT of a database index it does not have (`databases` in redis.conf, 16 by default). */
const DATABASE_OUT_OF_RANGE = /DB index is out of range/i;

/** Redis's words for a permission problem: NOPERM, NOAUTH, WRONGPASS, or a script refused a command. */
const PERMISSION_DENIED = /NOPERM|NOAUTH|WRONGPASS|can't run this command|no permissions/i;

/**
 * A Redis error as a safe one-line message: permission problems (NOPERM, NOAUTH, WRONGPASS, or a
 * script refused a command) say "permission denied"; command arguments are never included.
 */
export function describeRedisError(error: unknown): string {
  const message = firstLine(error instanceof Error ? error.message : String(error)) || reasonOfEmpty(error);
  // What ioredis rejects a command in flight with when its connection closes (the registry runs it
  // with maxRetriesPerRequest 0): it told a user of an option they never set, not that the
  // connection dropped before Redis answered.
  if (MAX_RETRIES.test(message)) return 'the connection closed before Redis answered';
  return PERMISSION_DENIED.test(message) ? `permission denied: ${message}` : message;
}

/** ioredis's MaxRetriesPerRequestError. */
const MAX_RETRIES = /^Reached the max retries per request limit/;

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
