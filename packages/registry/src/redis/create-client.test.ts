import { describe, expect, it } from 'vitest';
import { READONLY_RECONNECT_MAX_GAP_MS, readonlyReconnects } from './create-client.js';

const readonly = new Error("READONLY You can't write against a read only replica.");

describe('readonlyReconnects', () => {
  it('reconnects at once on the first READONLY, then at most once per gap that doubles up to 16 s', () => {
    let now = 0;
    const decide = readonlyReconnects(() => now);
    const reconnectsAt: number[] = [];
    // READONLY every 100 ms for a minute (a URL that names a replica).
    for (now = 0; now <= 60_000; now += 100) if (decide(readonly) === 1) reconnectsAt.push(now);
    expect(reconnectsAt.slice(0, 6)).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000]);
    expect(reconnectsAt.length).toBeLessThanOrEqual(8);
    const gaps = reconnectsAt.slice(1).map((at, index) => at - (reconnectsAt[index] as number));
    expect(Math.max(...gaps)).toBe(READONLY_RECONNECT_MAX_GAP_MS);
  });

  it('starts again at once for a READONLY long after the last one (a later failover)', () => {
    let now = 0;
    const decide = readonlyReconnects(() => now);
    for (now = 0; now <= 20_000; now += 100) decide(readonly);
    now += 2 * READONLY_RECONNECT_MAX_GAP_MS + 1;
    expect(decide(readonly)).toBe(1);
    now += 500;
    expect(decide(readonly)).toBe(false);
    now += 500;
    expect(decide(readonly)).toBe(1);
  });

  it('leaves other errors alone', () => {
    const decide = readonlyReconnects(() => 0);
    expect(decide(new Error('OOM command not allowed'))).toBe(false);
    expect(decide(new Error('LOADING Redis is loading the dataset in memory'))).toBe(false);
  });
});
