import { switchyardInstruments } from './instruments.js';

/**
 * What {@link countEjections} needs of a discovery. Structural, so that tracing does not depend on
 * `@switchyard/discovery`; a `Discovery` is one.
 */
export interface EjectionSource {
  /** The discovered service's name: the samples' `service.peer.name`. */
  readonly service: string;
  /** Subscribes to the discovery's ejections (listened to without their value). */
  onEjection(listener: () => void): { dispose(): void };
}

interface Counting {
  clients: number;
  subscription: { dispose(): void };
}

/** One subscription per discovery, however many clients share it. */
const counting = new WeakMap<EjectionSource, Counting>();

/**
 * Counts `discovery`'s outlier ejections into `switchyard.discovery.ejections` (attribute
 * `service.peer.name`) while at least one client that called this has not released it. An ejection
 * is the discovery's, not a client's: the clients sharing a discovery (a gRPC and an HTTP client of
 * one service, or two gRPC services of it) count each ejection once between them. Returns the
 * release function; calling it again does nothing.
 */
export function countEjections(discovery: EjectionSource): () => void {
  // A discovery of the caller's own making (a fixed list, a test double) may have no ejections.
  if (typeof discovery.onEjection !== 'function') return () => {};
  let entry = counting.get(discovery);
  if (entry === undefined) {
    const attributes = { 'service.peer.name': discovery.service };
    const subscription = discovery.onEjection(() => switchyardInstruments().ejections.add(1, attributes));
    entry = { clients: 0, subscription };
    counting.set(discovery, entry);
  }
  const counted = entry;
  counted.clients++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    counted.clients--;
    if (counted.clients > 0) return;
    counted.subscription.dispose();
    counting.delete(discovery);
  };
}
