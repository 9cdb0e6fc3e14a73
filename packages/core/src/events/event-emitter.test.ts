import { describe, expect, it } from 'vitest';
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
});
