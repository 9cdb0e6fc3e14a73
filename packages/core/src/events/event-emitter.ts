import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { describeValue } from '../validation/assert.js';

/** Something that can be released; returned by every `onX(listener)` subscription. */
export interface Disposable {
  /** Releases the subscription (or resource). Idempotent. */
  dispose(): void;
}

/** A typed event: call it with a listener to subscribe; dispose the result to unsubscribe. */
export type Event<T> = (listener: (value: T) => void) => Disposable;

/**
 * The emitting side of a typed {@link Event}. A listener that throws cannot break the emitter or
 * the other listeners: its error goes to `onListenerError` (default: dropped).
 *
 * @example
 * ```ts
 * class Breaker { private readonly stateChanged = new EventEmitter<State>(); readonly onStateChange = this.stateChanged.event; }
 * const subscription = breaker.onStateChange((state) => log(state));
 * subscription.dispose();
 * ```
 */
export class EventEmitter<T> {
  private listeners: ((value: T) => void)[] = [];

  /** @param onListenerError - told what a listener threw. @default drops it */
  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  /**
   * Subscribe to this event.
   * @throws InvalidArgumentError (field `listener`) when `listener` is not a function.
   */
  readonly event: Event<T> = (listener) => {
    // Refused here: taken as it was, a non-function subscribed without a word and every later emit
    // handed onListenerError a TypeError ("is not a function") that named neither event nor caller.
    if (typeof listener !== 'function') {
      throw new InvalidArgumentError('listener', `must be a function, got ${describeValue(listener)}`);
    }
    // Copy-on-write: emit() iterates a stable array even if a listener unsubscribes mid-emit.
    this.listeners = [...this.listeners, listener];
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        // One copy only: the same function subscribed twice is two subscriptions (filtering every
        // copy out used to end the other one too).
        const index = this.listeners.indexOf(listener);
        if (index >= 0) this.listeners = [...this.listeners.slice(0, index), ...this.listeners.slice(index + 1)];
      },
    };
  };

  /** Number of current listeners (for leak checks). */
  get size(): number {
    return this.listeners.length;
  }

  /**
   * Calls every listener subscribed now, in order of subscription, synchronously. A listener that
   * throws goes to `onListenerError`; the others are still called. Never throws.
   */
  emit(value: T): void {
    const listeners = this.listeners;
    for (let index = 0; index < listeners.length; index++) {
      try {
        (listeners[index] as (value: T) => void)(value);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
