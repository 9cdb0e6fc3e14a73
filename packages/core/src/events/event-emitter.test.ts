import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { EventEmitter } from './event-emitter.js';

describe('EventEmitter', () => {
  it('disposing one of two subscriptions of the same listener keeps the other', () => {
    const emitter = new EventEmitter<number>();
    const seen: number[] = [];
    const listener = (value: number): void => {
      seen.push(value);
    };
    const first = emitter.event(listener);
    emitter.event(listener);
    first.dispose();
    first.dispose(); // idempotent: must not take the second subscription with it either
    // Both subscriptions used to go: dispose() filtered out every copy of the function.
    expect(emitter.size).toBe(1);
    emitter.emit(7);
    expect(seen).toEqual([7]);
  });

  it('refuses a listener that is not a function when it subscribes, not at every emit', () => {
    // Taken as it was, `discovery.onChange(undefined)` (a handler read from a config by the wrong
    // name) subscribed without a word, and every later emit handed onListenerError a TypeError
    // ("is not a function") that named neither the event nor the subscription.
    const errors: unknown[] = [];
    const emitter = new EventEmitter<number>((error) => errors.push(error));
    for (const bad of [undefined, null, 'log', {}]) {
      expect(() => emitter.event(bad as never)).toThrow(InvalidArgumentError);
    }
    expect(emitter.size).toBe(0);
    emitter.emit(1);
    expect(errors).toEqual([]);
  });
});
