import { describe, expect, it } from 'vitest';
import { freshTraceparents } from './fresh-traceparents.js';

// W3C trace context, version 00: lower-case hex, neither id all zeros.
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-01$/;

describe('freshTraceparents', () => {
  it('gives a valid traceparent that was never given before, call after call', () => {
    const next = freshTraceparents();
    const seen = new Set<string>();
    const invalid: string[] = [];
    // 70,000 values: past 0xffff, so the counter's hex runs into a fifth digit.
    for (let i = 0; i < 70_000; i++) {
      const value = next();
      if (!TRACEPARENT.test(value)) invalid.push(value);
      seen.add(value);
    }
    expect(invalid).toEqual([]);
    expect(seen.size).toBe(70_000);
  });

  it('starts a new span id for every value (what a propagating tracer sends)', () => {
    const next = freshTraceparents();
    const spanIds = [next(), next(), next()].map((value) => value.split('-')[2]);
    expect(new Set(spanIds).size).toBe(3);
  });
});
