/**
 * A request body stream of a call that failed before undici wrote it: undici destroys a body it
 * was writing when the request fails, but not one still waiting for its connection (refused, or
 * a request aborted while queued for a busy connection). Left open, a file stream kept its
 * descriptor for good.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

describe('a stream body the call never got to write', () => {
  it('is destroyed when the connection is refused, with or without a policy', async () => {
    await loopback.registerDead('dead');
    for (const options of [{}, { policy: false as const }]) {
      const web = await loopback.client('web', options);
      const body = new Readable({ read() {} });
      // Nothing of it was read: under a policy it is tried on every attempt, as any request is.
      await expect(web.request({ method: 'PUT', path: '/upload', body, deadlineMs: 2_000 })).rejects.toMatchObject({
        code: 'policy' in options ? 'UNAVAILABLE' : 'RETRY_EXHAUSTED',
      });
      expect(body.destroyed).toBe(true);
    }
  });

  it('is destroyed when the call runs out of time queued behind a busy connection', async () => {
    let finish: (() => void) | undefined;
    await loopback.serve('a', (_request, response) => {
      // The first request holds the pool's only connection until the test lets it go.
      finish ??= () => json(response, 200, {});
    });
    const web = await loopback.client('web', { poolOptions: { connections: 1 }, policy: false });
    const first = web.request({ path: '/hold', deadlineMs: 5_000 });
    first.catch(() => undefined); // awaited below; a failed assertion must not leave it unhandled
    await expect.poll(() => finish !== undefined).toBe(true);
    const body = new Readable({ read() {} });
    await expect(web.request({ method: 'PUT', path: '/upload', body, deadlineMs: 100 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    expect(body.destroyed).toBe(true);
    finish?.();
    await (await first).body.dump();
  });
});
