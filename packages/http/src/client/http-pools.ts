import { ClientClosedError, ClockBoundTimeout, type ServiceInstance, SwitchyardError } from '@switchyard/core';
import { Pool } from 'undici';

interface Entry {
  /** Where the pool connects: a registration under the same id with another address gets a new pool. */
  readonly host: string;
  readonly port: number;
  readonly pool: Pool;
  /** The instance's service, for the error of a pool destroyed after its grace period. */
  readonly service: string;
  /**
   * The close after the grace period, once the instance left. Bound to its clock: one a test suite's
   * fake clock dropped is not taken as pending (the pool stayed open until the client closed).
   */
  readonly closing: ClockBoundTimeout;
}

/** `scheme://host:port`, with IPv6 literals bracketed. */
export function originOf(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/**
 * One undici `Pool` per instance, created on first use and closed a grace period after the
 * instance leaves the healthy view (requests in flight on a draining instance finish; a briefly
 * ejected instance keeps its warm connections). An instance re-registered under the same id at
 * another address (a pod restarted with a new IP, a process on a new port) gets a new pool; the
 * old one closes after the same grace period.
 *
 * Closing is bounded: a pool is closed gracefully (undici waits for every request, a response body
 * included), and whatever is still running `closeGraceMs` later is destroyed, as the gRPC server's
 * `shutdown(graceMs)` cancels the calls left after its grace. A streamed body nobody read or
 * destroyed used to keep its pool, its socket and `client.close()` waiting for good.
 */
export class HttpPools {
  private readonly entries = new Map<string, Entry>();
  /** Pools replaced by a re-registration at another address, closing after the grace period. */
  private readonly retiring = new Set<Entry>();
  /** Pools closing now (their grace period ended): closeAll() waits for them too. */
  private readonly closing = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly scheme: string,
    private readonly portName: string,
    private readonly poolOptions: Pool.Options | undefined,
    private readonly closeAfterMs: number,
    /** How long a closing pool waits for its requests before destroying them (`Infinity`: as long as they take). */
    private readonly closeGraceMs: number,
  ) {}

  /**
   * The pool of `instance`, or undefined when it has no port of that name (registered for another
   * transport: the caller picks past it, see pickWithPort). Checked only when no pool matches, so a
   * call to a known instance pays nothing for it. @throws ClientClosedError when the client is closed.
   */
  poolFor(instance: ServiceInstance): Pool | undefined {
    const entry = this.entries.get(instance.id);
    if (entry !== undefined && entry.host === instance.host && entry.port === instance.ports[this.portName]) {
      return entry.pool;
    }
    if (entry !== undefined) this.retire(instance.id, entry);
    // Its own port only: `ports.constructor` (a port name as good as any) is Object's, and undici
    // failed every call on the origin made of it with a raw TypeError.
    const port = Object.hasOwn(instance.ports, this.portName) ? instance.ports[this.portName] : undefined;
    if (this.closed) throw new ClientClosedError(`HTTP client of ${instance.service}`);
    if (port === undefined) return undefined;
    const pool = new Pool(originOf(this.scheme, instance.host, port), this.poolOptions);
    this.entries.set(instance.id, {
      host: instance.host,
      port,
      pool,
      service: instance.service,
      closing: new ClockBoundTimeout(),
    });
    return pool;
  }

  /** Keeps the pools of `liveIds`; schedules the others to close after the grace period. */
  retain(liveIds: ReadonlySet<string>): void {
    for (const [id, entry] of this.entries) {
      if (liveIds.has(id)) entry.closing.cancel();
      // Not pending: never armed, or armed under a clock since gone (see Entry.closing).
      else if (!entry.closing.pending) {
        entry.closing.arm(() => {
          if (this.entries.get(id) === entry) this.close(id);
        }, this.closeAfterMs);
      }
    }
    for (const entry of this.retiring) {
      if (!entry.closing.pending) entry.closing.arm(() => this.closeRetired(entry), this.closeAfterMs);
    }
  }

  /** Instances with an open pool. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Closes every pool (each waits up to `closeGraceMs` for its requests in flight, then destroys
   * them), and resolves once all of them have closed, those whose grace period had already ended
   * included.
   */
  async closeAll(): Promise<void> {
    this.closed = true;
    const retiring = [...this.retiring];
    this.retiring.clear();
    const reason = (entry: Entry): Error => {
      const error = new ClientClosedError(`HTTP client of ${entry.service}`);
      error.message += `: ${this.stillRunning('close()')}`;
      return error;
    };
    // Pools already closing because their instance left keep their own (earlier) deadline.
    for (const id of [...this.entries.keys()]) this.close(id, reason);
    for (const entry of retiring) this.track(this.closeEntry(entry, reason));
    await Promise.all(this.closing);
  }

  /** The instance moved: requests in flight on the old address may finish, new ones go to the new pool. */
  private retire(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.retiring.add(entry);
    entry.closing.arm(() => this.closeRetired(entry), this.closeAfterMs);
  }

  private closeRetired(entry: Entry): void {
    if (!this.retiring.delete(entry)) return;
    this.track(this.closeEntry(entry, (retired) => this.leftError(retired, 'was re-registered at another address')));
  }

  private close(id: string, reason?: (entry: Entry) => Error): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.track(this.closeEntry(entry, reason ?? ((left) => this.leftError(left, 'left the healthy view'))));
  }

  /**
   * Closes the pool gracefully; after `closeGraceMs` destroys what is still running with
   * `reason(entry)` (a request waiting for its response fails with it, a body being streamed errors
   * with it). Never rejects.
   */
  private async closeEntry(entry: Entry, reason: (entry: Entry) => Error): Promise<void> {
    entry.closing.cancel();
    const closed = entry.pool.close().then(
      () => true,
      () => true,
    );
    if (this.closeGraceMs === Number.POSITIVE_INFINITY) {
      await closed;
      return;
    }
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<false>((resolve) => {
      graceTimer = setTimeout(() => resolve(false), this.closeGraceMs);
      // An instance's pool closing in the background must not keep the process alive (a socket in
      // use does anyway, and then the timer runs).
      graceTimer.unref();
    });
    const closedInTime = await Promise.race([closed, graceOver]);
    clearTimeout(graceTimer);
    if (closedInTime) return;
    // A body its caller never read is destroyed with this error too, and keeps it rather than
    // emitting it to no listener (see translateBodyErrors).
    await entry.pool.destroy(reason(entry)).catch(() => undefined);
  }

  /** The error of a pool destroyed `closeGraceMs` after its instance left or moved. */
  private leftError(entry: Entry, why: string): SwitchyardError {
    return new SwitchyardError(
      'UNAVAILABLE',
      `${entry.service} instance ${originOf(this.scheme, entry.host, entry.port)} ${why}: ${this.stillRunning('its pool began closing')}`,
      { retryable: false },
    );
  }

  private stillRunning(since: string): string {
    return `a request still running ${this.closeGraceMs} ms (closeGraceMs) after ${since} was cut (a response body nobody read or dump()ed?)`;
  }

  /** Keeps `closing` until it settles (closeEntry never rejects). */
  private track(closing: Promise<void>): void {
    this.closing.add(closing);
    void closing.then(() => this.closing.delete(closing));
  }
}
