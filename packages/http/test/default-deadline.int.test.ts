import { runInCallScope } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

describe('the client default deadline', () => {
  it('applies only to calls that give no deadline and inherit none', async () => {
    await loopback.serve('a', (request, response) =>
      json(response, 200, { left: Number(request.headers['x-switchyard-deadline-ms']) }),
    );
    const web = await loopback.client('web', { defaultDeadlineMs: 1_000 });
    const left = async (run: () => Promise<{ left: number }>) => (await run()).left;

    // Neither given nor inherited: the default.
    expect(await left(() => web.getJson('/x'))).toBeLessThanOrEqual(1_000);
    // An absolute deadline given: it, not the default (which used to cut it to 1 s).
    expect(await left(() => web.getJson('/x', { deadline: Date.now() + 30_000 }))).toBeGreaterThan(20_000);
    expect(
      await left(() => web.request({ path: '/x', deadline: Date.now() + 30_000 }).then((r) => r.body.json() as never)),
    ).toBeGreaterThan(20_000);
    // Inherited from the request being served (30 s left): what is left, not the default.
    const scope = { deadline: Date.now() + 30_000 };
    expect(await runInCallScope(scope, () => left(() => web.getJson('/x')))).toBeGreaterThan(20_000);
    // ... and never more than what is left, whatever the call asks for.
    expect(
      await runInCallScope(scope, () => left(() => web.getJson('/x', { deadlineMs: 60_000 }))),
    ).toBeLessThanOrEqual(30_000);
    expect(
      await runInCallScope(scope, () => left(() => web.getJson('/x', { deadline: Date.now() + 60_000 }))),
    ).toBeLessThanOrEqual(30_000);
    // An inherited "no deadline" (a caller that sent none) is no deadline given: the default.
    expect(
      await runInCallScope({ deadline: Number.POSITIVE_INFINITY }, () => left(() => web.getJson('/x'))),
    ).toBeLessThanOrEqual(1_000);
  });
});
