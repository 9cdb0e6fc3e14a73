import { afterEach, describe, expect, it } from 'vitest';
import { GcPauses } from './gc-pauses.js';

let pauses: GcPauses | undefined;
afterEach(() => pauses?.stop());

describe('GcPauses', () => {
  it('counts the pause of a collection that just ended', async () => {
    pauses = new GcPauses();
    const before = await pauses.totalPauseMs();
    // Enough short-lived garbage (kept in a ring, so it cannot be optimised away) to fill the
    // young generation several times over.
    const ring: unknown[] = new Array(1_024);
    for (let i = 0; i < 2_000_000; i++) ring[i % 1_024] = { i, padding: [i, i, i, i] };
    expect(ring).toHaveLength(1_024);
    const after = await pauses.totalPauseMs();
    expect(after).toBeGreaterThan(before);
  });

  it('counts nothing once stopped, however much is collected after', async () => {
    pauses = new GcPauses();
    pauses.stop();
    const stoppedAt = await pauses.totalPauseMs();
    const ring: unknown[] = new Array(1_024);
    for (let i = 0; i < 2_000_000; i++) ring[i % 1_024] = { i, padding: [i, i, i, i] };
    expect(ring).toHaveLength(1_024);
    expect(await pauses.totalPauseMs()).toBe(stoppedAt);
  });
});
