/**
 * The deadline header between a real client and a real server: a far deadline (more than the
 * header carries, a day) went out as `String(ms)`, e.g. `1.79e+308` or `1e+21`, which no server
 * reads as a number (ours took it for garbage, others fail to parse it). The header now carries
 * whole milliseconds up to a day, and a longer budget is sent as none, as the server reads it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

const DAY_MS = 86_400_000;

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

describe('the deadline header', () => {
  it('is whole milliseconds up to a day, and absent for a longer budget, which the server reads as none', async () => {
    await loopback.serve('a', (request, response, context) =>
      json(response, 200, {
        header: request.headers['x-switchyard-deadline-ms'] ?? null,
        left: Number.isFinite(context.deadline) ? context.deadline - Date.now() : 'none',
      }),
    );
    const web = await loopback.client('web');
    const seen = (options: { deadlineMs?: number; deadline?: number }) =>
      web.getJson<{ header: string | null; left: number | 'none' }>('/x', options);

    for (const far of [
      { deadlineMs: Number.MAX_VALUE },
      { deadlineMs: 1e21 },
      { deadline: Number.MAX_VALUE },
      { deadlineMs: 2 * DAY_MS },
      { deadlineMs: DAY_MS + 1_000 },
    ]) {
      // It used to go out as 1.7976931348623157e+308, 1e+21, 172800000…
      expect(await seen(far), JSON.stringify(far)).toEqual({ header: null, left: 'none' });
    }
    const day = await seen({ deadlineMs: DAY_MS });
    expect(day.header).toMatch(/^\d{1,9}$/);
    expect(Number(day.header)).toBeLessThanOrEqual(DAY_MS);
    expect(day.left).toBeGreaterThan(DAY_MS - 5_000);
    const near = await seen({ deadlineMs: 5_000 });
    expect(Number(near.header)).toBeLessThanOrEqual(5_000);
    expect(near.left).toBeGreaterThan(0);
  });
});
