import { describe, expect, it } from 'vitest';
import { percentile, shares, summarize, viewFigures } from './load.js';

describe('chaos figures', () => {
  it('percentile is nearest-rank', () => {
    expect(percentile([], 99)).toBe(0);
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(
      percentile(
        [...Array(100).keys()].map((index) => index + 1),
        99,
      ),
    ).toBe(99);
  });

  it('viewFigures measures how long the view was empty or short', () => {
    const timeline = [
      { at: 0, size: 3 },
      { at: 100, size: 2 },
      { at: 150, size: 0 },
      { at: 170, size: 3 },
      { at: 500, size: 3 },
    ];
    expect(viewFigures(timeline, 3, 50, 1_000)).toEqual({ smallestView: 0, emptyViewMs: 20, shrunkViewMs: 70 });
    expect(viewFigures(timeline, 3, 200, 1_000)).toEqual({ smallestView: 3, emptyViewMs: 0, shrunkViewMs: 0 });
    // A view already short when the window starts counts from the start.
    expect(viewFigures(timeline, 3, 160, 1_000)).toEqual({ smallestView: 0, emptyViewMs: 10, shrunkViewMs: 10 });
  });

  it('summarize and shares count calls and successful shares', () => {
    const records = [
      { start: 0, end: 1, ok: true, latencyMs: 1, servedBy: 'a' },
      { start: 0, end: 1, ok: true, latencyMs: 2, servedBy: 'b' },
      { start: 0, end: 1, ok: true, latencyMs: 3, servedBy: 'a' },
      { start: 0, end: 1, ok: false, latencyMs: 4, code: 'UNAVAILABLE', message: 'down' },
    ];
    expect(summarize(records)).toMatchObject({ requests: 4, failed: 1, failures: ['UNAVAILABLE: down'] });
    expect(shares(records)).toEqual({ a: 0.6667, b: 0.3333 });
  });
});
