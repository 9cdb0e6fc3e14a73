import { describe, expect, it } from 'vitest';
import { mulberry32 } from './mulberry32.js';

describe('mulberry32', () => {
  it('replays the same numbers for the same seed, in [0, 1)', () => {
    const first = mulberry32(42);
    const again = mulberry32(42);
    const values = Array.from({ length: 1_000 }, () => first());
    expect(Array.from({ length: 1_000 }, () => again())).toEqual(values);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(new Set(values).size).toBe(1_000);
  });

  it('gives other numbers for another seed', () => {
    expect(mulberry32(1)()).not.toBe(mulberry32(2)());
  });
});
