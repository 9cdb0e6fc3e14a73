import { type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, status as Status } from '@grpc/grpc-js';
import type { ServingStatus } from './health-definition.js';

/** The health entry for liveness probes: SERVING for as long as the process runs. */
export const LIVENESS = 'liveness';

/**
 * The state behind grpc.health.v1: one status per service name, `''` meaning the whole server.
 * `Check` answers NOT_FOUND for an unknown service (as the protocol says); `Watch` sends the
 * current status at once and every change after it (SERVICE_UNKNOWN for unknown names); `List`
 * returns them all.
 */
export class HealthStatus {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<(status: ServingStatus) => void>>();
  private readonly streams = new Set<ServerWritableStream<{ service: string }, unknown>>();
  private draining = false;

  set(service: string, status: ServingStatus): void {
    // Draining wins over what the application sets meanwhile (a dependency watchdog reporting
    // SERVING every few seconds put a draining server back into rotation), until resume().
    if (this.draining && service !== LIVENESS) status = 'NOT_SERVING';
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const watcher of this.watchers.get(service) ?? []) watcher(status);
  }

  /**
   * Sets every known service (and the server) to `status`, e.g. NOT_SERVING while draining —
   * except `liveness`, which answers "is the process alive" and stays SERVING until it exits, so a
   * liveness probe never restarts a pod that is only draining.
   */
  setAll(status: ServingStatus): void {
    for (const service of [...this.statuses.keys()]) if (service !== LIVENESS) this.set(service, status);
  }

  /** Reports NOT_SERVING everywhere but `liveness`, whatever is set, until {@link resume}. */
  drain(): void {
    this.draining = true;
    this.setAll('NOT_SERVING');
  }

  /** Ends a drain: every service (and the server) SERVING again. */
  resume(): void {
    this.draining = false;
    this.setAll('SERVING');
  }

  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** grpc-js handlers for the Health service. */
  handlers() {
    return {
      Check: (call: ServerUnaryCall<{ service: string }, unknown>, callback: sendUnaryData<unknown>) => {
        const status = this.statuses.get(call.request.service ?? '');
        if (status === undefined) {
          callback({ code: Status.NOT_FOUND, details: `unknown service "${call.request.service}"` });
          return;
        }
        callback(null, { status });
      },
      List: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        callback(null, {
          statuses: Object.fromEntries([...this.statuses].map(([name, status]) => [name, { status }])),
        });
      },
      Watch: (call: ServerWritableStream<{ service: string }, unknown>) => {
        const service = call.request.service ?? '';
        const send = (status: ServingStatus): void => {
          call.write({ status });
        };
        send(this.statuses.get(service) ?? 'SERVICE_UNKNOWN');
        const set = this.watchers.get(service) ?? new Set();
        this.watchers.set(service, set);
        set.add(send);
        this.streams.add(call);
        const stop = (): void => {
          set.delete(send);
          this.streams.delete(call);
          // Any client may watch any name: an entry kept per name asked about grew for good.
          if (set.size === 0 && this.watchers.get(service) === set) this.watchers.delete(service);
        };
        call.on('cancelled', stop);
        call.on('close', stop);
        call.on('error', stop);
      },
    };
  }

  /** Ends every Watch stream (on shutdown), so a graceful shutdown does not wait for them forever. */
  closeWatchers(): void {
    for (const stream of this.streams) stream.end();
    this.streams.clear();
    this.watchers.clear();
  }
}
