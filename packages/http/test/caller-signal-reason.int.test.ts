/**
 * A caller's signal that aborts because time ran out (`AbortSignal.timeout()`, whose reason is a
 * `TimeoutError`, or a signal aborted with a DEADLINE_EXCEEDED reason, as a server handler's
 * `context.signal` is at its deadline) fails the call with DEADLINE_EXCEEDED, as @switchyard/core's
 * toCancelled and the resilience policies read it; any other abort is CANCELLED.
 */
import { DeadlineExceededError } from '@switchyard/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

async function serveSlow(): Promise<void> {
  await loopback.serve('a', (request, response) => {
    if (request.url === '/stream') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first;'); // and the rest much later
      setTimeout(() => response.end('last'), 2_000).unref();
      return;
    }
    setTimeout(() => json(response, 200, {}), 2_000).unref();
  });
}

describe("a caller's signal aborted because time ran out", () => {
  it('fails the call with DEADLINE_EXCEEDED without a policy too (it was CANCELLED)', async () => {
    await serveSlow();
    const web = await loopback.client('web', { policy: false });
    await expect(web.getJson('/slow', { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    await expect(web.request({ path: '/slow', signal: AbortSignal.timeout(50) })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new DeadlineExceededError()), 50);
    await expect(web.getJson('/slow', { signal: controller.signal })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    // A plain abort stays CANCELLED.
    const plain = new AbortController();
    setTimeout(() => plain.abort(), 50);
    await expect(web.getJson('/slow', { signal: plain.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('fails reading a streamed body with DEADLINE_EXCEEDED, whatever the policy', async () => {
    await serveSlow();
    for (const options of [{}, { policy: false as const }]) {
      const web = await loopback.client('web', options);
      const reply = await web.request({ path: '/stream', signal: AbortSignal.timeout(100) });
      await expect(reply.body.text()).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    }
  });
});
