/** Something a running service closes at stop() unless its owner closed it first. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * What a running service made for its code (discoveries, clients) and still holds: closed at
 * stop(). Each one leaves the set when its owner closes it first, so a service that makes and
 * closes clients as it runs does not keep every one it ever made until stop() (with each closed
 * client's discovery still watching the registry).
 */
export class HeldClosables<T extends Closable> {
  private readonly held = new Set<T>();

  /**
   * Holds `resource` until stop() or its own close(), whichever comes first. Its close() is
   * wrapped to let go of it; `afterClose` then runs, even if that close failed (a client's
   * discovery, made for it alone, closes with it).
   */
  hold<R extends T>(resource: R, afterClose?: () => Promise<void>): R {
    this.held.add(resource);
    const ownClose = resource.close.bind(resource);
    resource.close = async () => {
      this.held.delete(resource);
      try {
        await ownClose();
      } finally {
        await afterClose?.();
      }
    };
    return resource;
  }

  /** How many are held now. */
  get size(): number {
    return this.held.size;
  }

  /** Every resource held now, let go of: the caller closes them. */
  takeAll(): T[] {
    const all = [...this.held];
    this.held.clear();
    return all;
  }
}
