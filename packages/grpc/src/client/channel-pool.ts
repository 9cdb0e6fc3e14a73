import { type ChannelCredentials, type ChannelOptions, Client } from '@grpc/grpc-js';
import { ClientClosedError, ClockBoundTimeout, type ServiceInstance } from '@switchyard/core';

/** Channel options every Switchyard channel gets (callers may add more). */
export const DEFAULT_CHANNEL_OPTIONS: Readonly<ChannelOptions> = Object.freeze({
  // Our retry policy retries, on a fresh pick; grpc-js must not retry again underneath it.
  'grpc.enable_retries': 0,
  // A private subchannel per channel: N channels to one instance are N real connections, which is
  // what lifts grpc-js's per-connection ceiling (measured: 2 channels ≈ 1.37× one).
  'grpc.use_local_subchannel_pool': 1,
  // Notice a dead peer under a call within ~25 s instead of the OS's minutes. Only while calls are
  // in flight: grpc-go, Java and C-core servers accept a ping on an idle connection at most every
  // 2 hours by default and drop the connection (GOAWAY too_many_pings) at the third early one. An
  // idle connection to a dead instance is closed by discovery instead, when its lease expires.
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 0,
  // Discovery steers around dead instances; a connection need not wait minutes to retry.
  'grpc.max_reconnect_backoff_ms': 10_000,
  // Channelz bookkeeping costs every call (trackers, timestamps, a closure object per stream) for a
  // debug service Switchyard does not expose; pass 'grpc.enable_channelz': 1 to have it back.
  'grpc.enable_channelz': 0,
});

/** `host:port` for grpc-js, with IPv6 literals bracketed. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

interface Pool {
  /** Where its channels connect: a registration under the same id with another address gets a new pool. */
  readonly host: string;
  readonly port: number;
  readonly clients: Client[];
  next: number;
  /**
   * The close after the grace period, once the instance left. Bound to its clock: one a test suite's
   * fake clock dropped is not taken as pending (the pool stayed open until the client closed).
   */
  readonly closing: ClockBoundTimeout;
}

/**
 * A small pool of grpc-js channels per instance, created on first use and spread round-robin,
 * closed a grace period after the instance leaves the healthy view (so calls in flight on a
 * draining instance can finish, and a briefly ejected instance keeps its warm connections). An
 * instance re-registered under the same id at another address (a pod restarted with a new IP, a
 * process on a new port) gets a new pool; the old one closes after the same grace period.
 */
export class ChannelPools {
  private readonly pools = new Map<string, Pool>();
  /** Pools replaced by a re-registration at another address, closing after the grace period. */
  private readonly retiring = new Set<Pool>();
  private closed = false;

  constructor(
    private readonly portName: string,
    private readonly size: number,
    private readonly credentials: ChannelCredentials,
    private readonly channelOptions: ChannelOptions,
    private readonly closeAfterMs: number,
  ) {}

  /**
   * A channel to `instance` (round-robin over its pool), or undefined when it has no port of this
   * pool's name (registered for another transport: the caller picks past it, see pickWithPort).
   * Checked only when no pool matches, so a call to a known instance pays nothing for it.
   */
  channelFor(instance: ServiceInstance): Client | undefined {
    let pool = this.pools.get(instance.id);
    if (pool === undefined || pool.host !== instance.host || pool.port !== instance.ports[this.portName]) {
      pool = this.open(instance, pool);
      if (pool === undefined) return undefined;
    }
    const client = pool.clients[pool.next] as Client;
    pool.next = pool.next + 1 === pool.clients.length ? 0 : pool.next + 1;
    return client;
  }

  /** Keeps pools of `liveIds`; schedules the others to close after the grace period. */
  retain(liveIds: ReadonlySet<string>): void {
    for (const [id, pool] of this.pools) {
      if (liveIds.has(id)) pool.closing.cancel();
      // Not pending: never armed, or armed under a clock since gone (see Pool.closing).
      else if (!pool.closing.pending) {
        pool.closing.arm(() => {
          if (this.pools.get(id) === pool) this.close(id);
        }, this.closeAfterMs);
      }
    }
    for (const pool of this.retiring) {
      if (!pool.closing.pending) pool.closing.arm(() => this.closeRetired(pool), this.closeAfterMs);
    }
  }

  /** Number of instances with open channels (for tests and metrics). */
  get openPools(): number {
    return this.pools.size;
  }

  closeAll(): void {
    this.closed = true;
    for (const id of [...this.pools.keys()]) this.close(id);
    for (const pool of this.retiring) closePool(pool);
    this.retiring.clear();
  }

  private open(instance: ServiceInstance, stale: Pool | undefined): Pool | undefined {
    if (stale !== undefined) this.retire(instance.id, stale);
    if (this.closed) throw new ClientClosedError(`gRPC client of ${instance.service}`);
    // Own ports only: a port named like an Object method (`constructor`) is not Object's.
    const port = Object.hasOwn(instance.ports, this.portName) ? instance.ports[this.portName] : undefined;
    if (port === undefined) return undefined;
    const address = formatAddress(instance.host, port);
    const clients = Array.from({ length: this.size }, () => new Client(address, this.credentials, this.channelOptions));
    const pool: Pool = {
      host: instance.host,
      port,
      clients,
      next: 0,
      closing: new ClockBoundTimeout(),
    };
    this.pools.set(instance.id, pool);
    return pool;
  }

  /** The instance moved: calls in flight on the old address may finish, new ones go to the new pool. */
  private retire(id: string, pool: Pool): void {
    this.pools.delete(id);
    this.retiring.add(pool);
    pool.closing.arm(() => this.closeRetired(pool), this.closeAfterMs);
  }

  private closeRetired(pool: Pool): void {
    if (!this.retiring.delete(pool)) return;
    closePool(pool);
  }

  private close(id: string): void {
    const pool = this.pools.get(id);
    if (!pool) return;
    this.pools.delete(id);
    closePool(pool);
  }
}

/**
 * The `setImmediate` of the clock this module was loaded under: the real one, unless a fake clock
 * was installed before the first import (see closePool).
 */
const realSetImmediate = setImmediate;

/** Channels a pool closed (see {@link closedByPool}). */
const closedChannels = new WeakSet<Client>();

/**
 * Whether a pool closed `client`: a call still waiting for that channel's connection then failed
 * with grpc-js's UNAVAILABLE "Channel closed before call started" without reaching the instance.
 */
export function closedByPool(client: Client): boolean {
  return closedChannels.has(client);
}

function closePool(pool: Pool): void {
  pool.closing.cancel();
  for (const client of pool.clients) closedChannels.add(client);
  // Closed on the next turn of the event loop, not at once: grpc-js (1.14) resolves a new channel's
  // address in a setImmediate that close() does not cancel, and a channel closed before that ran
  // connects all the same, a connection nothing ever closes (client.close() right after a call, or
  // an instance that left just after its first call with closeChannelsAfterMs: 0). Queued after
  // that callback, close() also tears down what it set up. The pool already left the map: no new
  // call reaches these channels meanwhile.
  const closeClients = (): void => {
    for (const client of pool.clients) client.close(); // a second close() of a channel is harmless
  };
  // On the real clock's turn, so that a test suite's fake clock (vi.useFakeTimers(), which fakes
  // setImmediate) cannot drop it: uninstalled with the close pending, it left the sockets open for
  // good. Not process.nextTick or a microtask: they run before grpc-js's setImmediate. Nor the real
  // turn alone: grpc-js queued the resolution of a channel opened under a fake clock on that
  // clock, and only a close queued after it there tears down the connection it makes. So under
  // another clock than the module's, on that one's turn too.
  realSetImmediate(closeClients);
  if (setImmediate !== realSetImmediate) setImmediate(closeClients);
}
