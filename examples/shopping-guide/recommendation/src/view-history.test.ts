import { describe, expect, it } from 'vitest';
import { ViewHistory } from './index.js';

describe('ViewHistory', () => {
  it('keeps each user’s most recent distinct views, newest first, bounded', () => {
    const history = new ViewHistory({ viewsPerUser: 3 });
    for (const id of ['a', 'b', 'a', 'c', 'd']) history.record('u1', id);
    expect(history.recent('u1')).toEqual(['d', 'c', 'a']);
    expect(history.recent('nobody')).toEqual([]);
  });

  it('forgets the least recently active user first', () => {
    const history = new ViewHistory({ maxUsers: 2 });
    history.record('u1', 'a');
    history.record('u2', 'a');
    history.record('u1', 'b');
    history.record('u3', 'a');
    expect(history.userCount).toBe(2);
    expect(history.recent('u2')).toEqual([]);
    expect(history.recent('u1')).toEqual(['b', 'a']);
  });

  it('counts views forever and trending views with a half-life', () => {
    let now = 0;
    const history = new ViewHistory({ trendingHalfLifeMs: 1_000, now: () => now });
    history.record('u1', 'a');
    history.record('u2', 'a');
    expect(history.trend('a')).toBe(2);
    now = 1_000;
    expect(history.trend('a')).toBeCloseTo(1);
    history.record('u3', 'a');
    now = 2_000;
    expect(history.trend('a')).toBeCloseTo(1);
    expect(history.views('a')).toBe(3);
    expect(history.views('b')).toBe(0);
  });

  it('bounds the products it counts', () => {
    const history = new ViewHistory({ maxProducts: 1 });
    history.record('u1', 'a');
    history.record('u1', 'b');
    expect([history.views('a'), history.views('b')]).toEqual([1, 0]);
    expect(history.recent('u1')).toEqual(['b', 'a']);
  });
});
