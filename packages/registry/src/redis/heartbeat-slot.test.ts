import { describe, expect, it } from 'vitest';
import { HEARTBEAT_SLOT_MS, slottedDelay } from './heartbeat-slot.js';

describe('slottedDelay', () => {
  it('moves a heartbeat to the end of its slot, never earlier and by less than one slot', () => {
    for (const now of [0, 1, 19.5, 1_234.567, 987_654.3]) {
      for (const delay of [2_700, 2_999.9, 3_000, 3_300]) {
        const slotted = slottedDelay(delay, now);
        const fires = Math.floor(now) + slotted;
        expect(fires % HEARTBEAT_SLOT_MS).toBe(0);
        expect(fires).toBeGreaterThanOrEqual(Math.floor(now) + delay);
        expect(slotted - delay).toBeLessThan(HEARTBEAT_SLOT_MS);
      }
    }
  });

  it('gives heartbeats scheduled at different moments for nearby times one common expiry', () => {
    const fireTimes = new Set([
      Math.floor(100.2) + slottedDelay(3_005, 100.2),
      Math.floor(107.9) + slottedDelay(2_995, 107.9),
      Math.floor(111) + slottedDelay(2_996.5, 111),
    ]);
    expect([...fireTimes]).toEqual([3_120]);
  });

  it('keeps short delays in shape: the slot is at most a tenth of the delay', () => {
    expect(slottedDelay(50, 3)).toBeLessThan(50 + 5);
    expect(slottedDelay(15, 3.3)).toBe(15);
  });
});
