/**
 * A hedge starts its second attempt on a timer, whatever the request: one that may not be sent
 * twice (not idempotent) must not be hedged, while an idempotent one still is.
 */
import { Readable } from 'node:stream';
import { hedge, retryBudget } from '@switchyard/resilience';
import { attemptsSideBySide, cutThenNextAttempt } from '@switchyard/resilience/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback, readBody } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

describe('hedging', () => {
  it('sends a request that is not idempotent once, and hedges an idempotent one', async () => {
    const hits: string[] = [];
    // Two instances, each answering after 150 ms: a hedge 20 ms in would reach the other.
    for (const id of ['a', 'b']) {
      await loopback.serve(id, async (request, response) => {
        hits.push(`${request.method} ${request.url} ${await readBody(request)}`);
        await new Promise((resolve) => setTimeout(resolve, 150));
        json(response, 200, { servedBy: id });
      });
    }
    const web = await loopback.client('web', { policy: hedge({ delayMs: 20, budget: false }) });

    // Was: both instances got each of these (4 hits), so an order was placed twice.
    await web.postJson('/orders', { sku: 1 });
    const charged = await web.request({ method: 'GET', path: '/charge', idempotent: false });
    await charged.body.dump();
    expect(hits.sort()).toEqual(['GET /charge ', 'POST /orders {"sku":1}']);

    // The control: a GET is hedged, so both instances see it.
    hits.length = 0;
    await web.getJson('/products');
    await expect.poll(() => hits.length, { timeout: 1_000 }).toBe(2);
    expect(hits).toEqual(['GET /products ', 'GET /products ']);
  });

  it('starts no hedge, and takes no budget token, for a request it may not send twice', async () => {
    for (const id of ['a', 'b']) {
      await loopback.serve(id, async (request, response) => {
        await readBody(request);
        await new Promise((resolve) => setTimeout(resolve, 100));
        json(response, 200, { servedBy: id });
      });
    }
    let acquired = 0;
    const policy = hedge({ delayMs: 10, budget: { ...retryBudget(), tryAcquireRetry: () => ++acquired > 0 } });
    const hedges: number[] = [];
    policy.onHedge((event) => hedges.push(event.attempt));
    const web = await loopback.client('web', { policy });
    // Was: a hedge started 10 ms in, took a token and counted as a hedge, and was refused at once.
    await web.postJson('/orders', { sku: 1 });
    const streamed = await web.request({ method: 'PUT', path: '/upload', body: Readable.from(['a', 'b']) });
    await streamed.body.dump();
    expect({ hedges, acquired }).toEqual({ hedges: [], acquired: 0 });
  });

  it("sends a POST once under a policy of one's own that starts a second attempt after the first succeeded", async () => {
    const hits: string[] = [];
    for (const id of ['a', 'b']) {
      await loopback.serve(id, async (request, response) => {
        hits.push(`${id} ${request.method}`);
        await readBody(request);
        json(response, 200, { servedBy: id });
      });
    }
    // Not hedge(): a second attempt 50 ms after the first, whatever became of it.
    const sideBySide = attemptsSideBySide(50);
    const web = await loopback.client('web', { policy: sideBySide });
    await web.postJson('/orders', { sku: 1 });
    await new Promise((resolve) => setTimeout(resolve, 150)); // the second attempt's time has come
    expect(hits.filter((hit) => hit.endsWith('POST'))).toHaveLength(1); // was 2: the order placed twice
  });

  it("lets a policy of one's own start the next attempt at once after cutting one still waiting for a connection", async () => {
    const { posts, discovery, keyToA: key } = await loopback.serveHoldingPair();
    // Cuts its first attempt after 100 ms and starts the second in the same breath.
    const cutThenNext = cutThenNextAttempt(100);
    const web = await loopback.client('web', { discovery, policy: cutThenNext, poolOptions: { connections: 1 } });
    // `a`'s one connection is busy with /hold (its body still coming): the POST queues there.
    const held = await web.request({ method: 'GET', path: '/hold', key });
    // Was CANCELLED "not hedged: … first attempt is still out", though it was never sent.
    await expect(web.postJson('/orders', { sku: 1 }, { key })).resolves.toEqual({ servedBy: 'b' });
    expect(posts).toEqual(['b']);
    expect(await held.body.text()).toBe('a');
  });
});
