import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { trackBPercent, trackOf } from './track.js';

const request = (headers: Record<string, string> = {}) => ({ headers }) as unknown as IncomingMessage;

describe('trackOf', () => {
  it('takes a valid header, ignores a malformed one, and buckets users deterministically', () => {
    expect(trackOf(request({ 'x-switchyard-track': 'b' }), undefined, {})).toBe('b');
    expect(trackOf(request({ 'x-switchyard-track': 'b;evil=1' }), undefined, {})).toBeUndefined();
    expect(trackOf(request(), 'user-1', {})).toBeUndefined();
    const env = { GATEWAY_TRACK_B_PERCENT: '30' };
    const arms = Array.from({ length: 2_000 }, (_, i) => trackOf(request(), `user-${i}`, env));
    expect(trackOf(request(), 'user-7', env)).toBe(trackOf(request(), 'user-7', env));
    const share = arms.filter((arm) => arm === 'b').length / arms.length;
    expect(share).toBeGreaterThan(0.26);
    expect(share).toBeLessThan(0.34);
  });

  it('refuses a GATEWAY_TRACK_B_PERCENT that is no number from 0 to 100, naming it', () => {
    expect(trackBPercent({})).toBe(0);
    expect(trackBPercent({ GATEWAY_TRACK_B_PERCENT: '' })).toBe(0);
    expect(trackBPercent({ GATEWAY_TRACK_B_PERCENT: '12.5' })).toBe(12.5);
    for (const value of ['30%', 'abc', ' ', '-5', '101']) {
      expect(() => trackBPercent({ GATEWAY_TRACK_B_PERCENT: value })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'GATEWAY_TRACK_B_PERCENT' }),
      );
    }
  });
});
