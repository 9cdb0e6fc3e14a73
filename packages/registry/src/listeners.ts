import type { Logger } from '@switchyard/core';

/**
 * A set of listeners where one throwing listener can neither break the others nor the registry:
 * its error is logged and dispatch goes on.
 */
export class ListenerSet<A extends unknown[]> {
  private readonly listeners = new Set<(...args: A) => void>();

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  get size(): number {
    return this.listeners.size;
  }

  add(listener: (...args: A) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(...args: A): void {
    for (const listener of this.listeners) ListenerSet.call(this.logger, this.what, listener, args);
  }

  /** Calls one listener, logging (not propagating) what it throws. */
  static call<A extends unknown[]>(logger: Logger, what: string, listener: (...args: A) => void, args: A): void {
    try {
      listener(...args);
    } catch (error) {
      logger.error({ err: error }, `${what} listener threw; ignored`);
    }
  }
}
