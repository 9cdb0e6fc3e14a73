import { type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, status as Status } from '@grpc/grpc-js';
import type { ServingStatus } from './health-definition.js';

/** The health entry for liveness probes: SERVING for as long as the process runs. */
export const LIVENESS = 'liveness';

/** How much of an unknown service name a NOT_FOUND from `Check` repeats (see describeServiceName). */
const NAME_SHOWN_CHARS = 200;

/**
 * An unknown service name as `Check`'s NOT_FOUND names it: quoted, its first
 * {@link NAME_SHOWN_CHARS} characters, and its length when longer. Any client may ask about any
 * name, and the request message may carry megabytes: repeated in full, a name over what Node's
 * HTTP/2 decodes in one header (64 KiB, see header-size.ts) went back in `grpc-message`, and the
 * asking client's HTTP/2 refused the trailers: its call hung until its deadline, and the other calls
 * on the connection with it. Quoted by JSON, so a control character or a quote in the name shows;
 * at most ~2 KiB on the wire, even when grpc-js percent-encodes non-ASCII.
 */
function describeServiceName(name: string): string {
  if (name.length <= NAME_SHOWN_CHARS) return JSON.stringify(name);
  return `${JSON.stringify(name.slice(0, NAME_SHOWN_CHARS))}… (${name.length} characters)`;
}

/**
 * The state behind grpc.health.v1: one status per service name, `''` meaning the whole server.
 * `Check` answers NOT_FOUND for an unknown service (as the protocol says); `Watch` sends the
 * current status at once and every change after it (SERVICE_UNKNOWN for unknown names); `List`
 * returns them all.
 */
export class HealthStatus {
  /** What is reported: what was set, or NOT_SERVING while draining. */
  private readonly statuses = new Map<string, ServingStatus>();
  /**
   * What the server and the application set, kept through a drain: resume() reports it again. It
   * used to report SERVING everywhere, so a NOT_SERVING a dependency watchdog had set (before the
   * drain or during it) was lost, and a server whose database was down went back into rotation
   * until the watchdog's next change, which one that reports changes only never sent.
   */
  private readonly desired = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<(status: ServingStatus) => void>>();
  private readonly streams = new Set<ServerWritableStream<{ service: string }, unknown>>();
  private draining = false;
  /** Set by closeWatchers(): a Watch that reaches its handler afterwards is answered and ended at once. */
  private watchersClosed = false;

  set(service: string, status: ServingStatus): void {
    this.desired.set(service, status);
    // Draining wins over what the application sets meanwhile (a dependency watchdog reporting
    // SERVING every few seconds put a draining server back into rotation), until resume().
    this.report(service, this.draining && service !== LIVENESS ? 'NOT_SERVING' : status);
  }

  /**
   * Reports NOT_SERVING for every known service (and the server), whatever is set, until
   * {@link resume} — except `liveness`, which answers "is the process alive" and stays SERVING
   * until it exits, so a liveness probe never restarts a pod that is only draining.
   */
  drain(): void {
    this.draining = true;
    for (const service of this.desired.keys()) if (service !== LIVENESS) this.report(service, 'NOT_SERVING');
  }

  /** Ends a drain: every service (and the server) reports what was last set for it again. */
  resume(): void {
    this.draining = false;
    for (const [service, status] of this.desired) this.report(service, status);
  }

  private report(service: string, status: ServingStatus): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const watcher of this.watchers.get(service) ?? []) watcher(status);
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
          callback({
            code: Status.NOT_FOUND,
            details: `unknown service ${describeServiceName(call.request.service ?? '')}`,
          });
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
        // A Watch whose request arrived after shutdown began (its HEADERS before, its message after:
        // separate reads over a network, or a compressed request decoded later) was kept open, and
        // the graceful shutdown waited for it until the grace ran out, or for good with Infinity.
        if (this.watchersClosed) {
          call.end();
          return;
        }
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
    this.watchersClosed = true;
    for (const stream of this.streams) stream.end();
    this.streams.clear();
    this.watchers.clear();
  }
}
