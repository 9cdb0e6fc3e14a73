import { NoInstancesError, type ServiceInstance } from '@switchyard/core';
import { Pool } from 'undici';

interface Entry {
  readonly pool: Pool;
  closeTimer: NodeJS.Timeout | undefined;
}

/** `scheme://host:port`, with IPv6 literals bracketed. */
export function originOf(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/**
 * One undici `Pool` per instance, created on first use and closed a grace period after the
 * instance leaves the healthy view (requests in flight on a draining instance finish; a briefly
 * ejected instance keeps its warm connections).
 */
export class HttpPools {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(
    private readonly scheme: string,
    private readonly portName: string,
    private readonly poolOptions: Pool.Options | undefined,
    private readonly closeAfterMs: number,
  ) {}

  /** The pool of `instance`. @throws NoInstancesError when it has no port of that name, or the client is closed. */
  poolFor(instance: ServiceInstance): Pool {
    const entry = this.entries.get(instance.id);
    if (entry) return entry.pool;
    const port = instance.ports[this.portName];
    if (port === undefined || this.closed) {
      throw new NoInstancesError(instance.service, `instance ${instance.id} has no "${this.portName}" port`);
    }
    const pool = new Pool(originOf(this.scheme, instance.host, port), this.poolOptions);
    this.entries.set(instance.id, { pool, closeTimer: undefined });
    return pool;
  }

  /** Keeps the pools of `liveIds`; schedules the others to close after the grace period. */
  retain(liveIds: ReadonlySet<string>): void {
    for (const [id, entry] of this.entries) {
      if (liveIds.has(id)) {
        if (entry.closeTimer) clearTimeout(entry.closeTimer);
        entry.closeTimer = undefined;
      } else if (!entry.closeTimer) {
        entry.closeTimer = setTimeout(() => void this.close(id), this.closeAfterMs);
        entry.closeTimer.unref();
      }
    }
  }

  /** Instances with an open pool. */
  get size(): number {
    return this.entries.size;
  }

  /** Closes every pool (each waits for its requests in flight). */
  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.entries.keys()].map((id) => this.close(id)));
  }

  private async close(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) return;
    if (entry.closeTimer) clearTimeout(entry.closeTimer);
    this.entries.delete(id);
    await entry.pool.close().catch(() => undefined);
  }
}
