/**
 * close() is bounded: pools close gracefully, and what still runs `closeGraceMs` later is
 * destroyed. A streamed body nobody read kept its pool, its socket and `await client.close()`
 * waiting for good (a service's shutdown hung), and so did the pool of an instance that left.
 */
import { ClientClosedError } from '@switchyard/core';
import { createHttpClient } from '@switchyard/http';
import { afterEach, describe, expect, it } from 'vitest';
import { Loopback } from './fixtures/loopback.js';

let loopback: Loopback;

afterEach(async () => {
  await loopback?.cleanup();
});

/** Whether `promise` settles within `ms` (a bound on the wait, not a timing assertion). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** An instance whose `/stream` sends a first chunk and never ends; `/slow` answers after `delayMs`. */
async function serveStreaming(id: string, delayMs = 100) {
  return loopback.serve(id, (request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    if (request.url === '/slow') {
      setTimeout(() => {
        response.write('slow;');
        setTimeout(() => response.end('done'), delayMs);
      }, delayMs);
      return;
    }
    response.write('first;'); // and nothing more: the body never ends
  });
}

describe('client.close() with requests in flight', () => {
  it('destroys an unread streamed body after closeGraceMs: close() resolves and the body errors', async () => {
    loopback = new Loopback();
    await serveStreaming('a');
    const web = await loopback.client('web', { closeGraceMs: 50 });
    const reply = await web.request({ path: '/stream' });
    // Nobody reads the body (no 'error' listener either: the error must not go uncaught).
    expect(await settlesWithin(web.close(), 5_000)).toBe(true);
    // Still unread when it is destroyed (events.once would add an 'error' listener).
    await new Promise((resolve) => reply.body.once('close', resolve));
    expect(reply.body.errored).toBeInstanceOf(ClientClosedError);
    const read = reply.body.text();
    await expect(read).rejects.toBeInstanceOf(ClientClosedError);
    await expect(read).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: /HTTP client of web is closed.*closeGraceMs/,
    });
    expect(web.openPools).toBe(0);
  });

  it('closes at once when every body was read (the grace period is not waited for)', async () => {
    loopback = new Loopback();
    await serveStreaming('a', 10);
    const web = await loopback.client('web', { closeGraceMs: 60_000 });
    const reply = await web.request({ path: '/slow' });
    expect(await reply.body.text()).toBe('slow;done');
    expect(await settlesWithin(web.close(), 5_000)).toBe(true);
  });

  it('lets calls in flight that finish within the grace period finish', async () => {
    loopback = new Loopback();
    await serveStreaming('a', 100);
    const web = await loopback.client('web', { closeGraceMs: 30_000 });
    const call = web.request({ path: '/slow' }).then((reply) => reply.body.text());
    await new Promise((resolve) => setTimeout(resolve, 20)); // sent, waiting for its response
    const closed = web.close();
    expect(await call).toBe('slow;done');
    expect(await settlesWithin(closed, 5_000)).toBe(true);
  });

  it('destroys the pool of an instance that left once its grace period is over', async () => {
    loopback = new Loopback();
    const { registration } = await serveStreaming('a');
    const web = await loopback.client('web', { closePoolsAfterMs: 0, closeGraceMs: 50 });
    const reply = await web.request({ path: '/stream' });
    await registration.deregister();
    const read = reply.body.text();
    await expect(read).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: /^web instance http:\/\/127\.0\.0\.1:\d+ left the healthy view: .*closeGraceMs/,
    });
    // Nothing left for close() to wait for.
    expect(await settlesWithin(web.close(), 5_000)).toBe(true);
  });

  it('refuses a closeGraceMs that is not a whole number of ms (Infinity: wait as long as it takes)', async () => {
    loopback = new Loopback();
    const discovery = await loopback.discover('web');
    expect(() => createHttpClient({ discovery, closeGraceMs: -1 })).toThrow(/options\.closeGraceMs/);
    expect(() => createHttpClient({ discovery, closeGraceMs: 1.5 })).toThrow(/options\.closeGraceMs/);
    await createHttpClient({ discovery, closeGraceMs: Number.POSITIVE_INFINITY }).close();
  });
});
