/** Something a running service closes at stop() unless its owner closed it first. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * What a running service made for its code (discoveries, clients) and still holds: closed at
 * stop(). Each one leaves the set once its owner has closed it, so a service that makes and
 * closes clients as it runs does not keep every one it ever made until stop() (with each closed
 * client's discovery still watching the registry).
 */
export class HeldClosables<T extends Closable> {
  private readonly held = new Set<T>();

  /**
   * Holds `resource` until stop() or its own close(), whichever comes first. Its close() is
   * wrapped: run once (a second call, stop()'s included, gets the same promise, so stop() waits
   * for a close its owner began and did not await), then `afterClose` (a client's discovery, made
   * for it alone, closes with it), and the resource is let go of once both are done. The close's
   * own failure is the one reported; `afterClose`'s only without it.
   */
  hold<R extends T>(resource: R, afterClose?: () => Promise<void>): R {
    this.held.add(resource);
    const ownClose = resource.close.bind(resource);
    let closing: Promise<void> | undefined;
    const closeAll = async (): Promise<void> => {
      try {
        await runBoth(ownClose, afterClose);
      } finally {
        this.held.delete(resource);
      }
    };
    resource.close = () => {
      closing ??= closeAll();
      return closing;
    };
    return resource;
  }

  /** How many are held now. */
  get size(): number {
    return this.held.size;
  }

  /** Every resource held now, closing ones included: the caller closes them (or waits for their close). */
  takeAll(): T[] {
    const all = [...this.held];
    this.held.clear();
    return all;
  }
}

/** Runs `first`, then `then` whatever `first` did; rethrows `first`'s failure, else `then`'s. */
async function runBoth(first: () => Promise<void>, then: (() => Promise<void>) | undefined): Promise<void> {
  let failure: { error: unknown } | undefined;
  try {
    await first();
  } catch (error) {
    failure = { error };
  }
  try {
    await then?.();
  } catch (error) {
    failure ??= { error };
  }
  if (failure) throw failure.error;
}
