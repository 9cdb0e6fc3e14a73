import { describe, expect, it } from 'vitest';
import { READONLY_RECONNECT_GAP_MS, readonlyReconnects } from './create-client.js';

const readonly = new Error("READONLY You can't write against a read only replica.");

describe('readonlyReconnects', () => {
  it('reconnects at once on the first READONLY, then at most once a second, however long it goes on', () => {
    let now = 0;
    const decide = readonlyReconnects(() => now);
    const reconnectsAt: number[] = [];
    // READONLY every 100 ms for a minute (a URL that names a replica, or a DNS name not yet moved).
    for (now = 0; now <= 60_000; now += 100) if (decide(readonly) === 1) reconnectsAt.push(now);
    expect(reconnectsAt.slice(0, 4)).toEqual([0, 1_000, 2_000, 3_000]);
    // About ten times fewer than one per READONLY, and the gap never grows: a name that moves late
    // is found within a second (a gap that doubled to 16 s kept healthy leases from their heartbeats).
    expect(reconnectsAt).toHaveLength(61);
    const gaps = reconnectsAt.slice(1).map((at, index) => at - (reconnectsAt[index] as number));
    expect(Math.max(...gaps)).toBe(READONLY_RECONNECT_GAP_MS);
  });

  it('starts again at once for a READONLY after a quiet spell (a later failover)', () => {
    let now = 0;
    const decide = readonlyReconnects(() => now);
    expect(decide(readonly)).toBe(1);
    now += 10 * READONLY_RECONNECT_GAP_MS;
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
