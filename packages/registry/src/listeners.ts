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
    // One entry per add, even for a function added before: keyed by the function itself, a second
    // watch with the same listener shared the first one's entry, and stopping either one removed
    // both (the last listener gone, the registry closed the watch under the other caller).
    const entry = (...args: A): void => listener(...args);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  emit(...args: A): void {
    for (const listener of this.listeners) ListenerSet.call(this.logger, this.what, listener, args);
  }

  /**
   * Calls one listener, logging (not propagating) what it throws, and what the promise it returns
   * rejects with: an async function is a listener too (the `void` return type takes it), and its
   * rejection was left unhandled, which ends a Node process by default.
   */
  static call<A extends unknown[]>(logger: Logger, what: string, listener: (...args: A) => void, args: A): void {
    try {
      const result: unknown = listener(...args);
      if (isThenable(result)) {
        result.then(undefined, (error: unknown) => logger.error({ err: error }, `${what} listener threw; ignored`));
      }
    } catch (error) {
      logger.error({ err: error }, `${what} listener threw; ignored`);
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
