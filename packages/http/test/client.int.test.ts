import { Readable } from 'node:stream';
import { type CallOutcome, createDiscovery, type Discovery } from '@switchyard/discovery';
import { HttpCallError } from '@switchyard/http';
import { circuitBreaker, compose, retry, timeout } from '@switchyard/resilience';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback, readBody } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

/** A server that fails its first `failures` requests with `status` (and headers), then answers 200. */
async function flaky(failures: number, status: number, headers: Record<string, string> = {}) {
  const hits: { method: string; at: number; body: string }[] = [];
  await loopback.serve('flaky', async (request, response) => {
    hits.push({ method: request.method ?? '', at: Date.now(), body: await readBody(request) });
    if (hits.length <= failures) json(response, status, { error: 'try later' }, headers);
    else json(response, 200, { ok: true, hit: hits.length });
  });
  return hits;
}

describe('HTTP client over loopback', () => {
  it('calls through discovery, spreads requests over instances, and speaks JSON', async () => {
    for (const id of ['a', 'b']) {
      await loopback.serve(id, async (request, response) => {
        const body = request.method === 'POST' ? JSON.parse(await readBody(request)) : undefined;
        json(response, 200, { servedBy: id, url: request.url, accept: request.headers.accept, body });
      });
    }
    const web = await loopback.client();
    const servedBy = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const reply = await web.getJson<{ servedBy: string; url: string; accept: string }>('/products', {
        query: { tag: ['a', 'b'], page: 2 },
      });
      servedBy.add(reply.servedBy);
      expect(reply.url).toBe('/products?tag=a&tag=b&page=2');
      expect(reply.accept).toBe('application/json');
    }
    expect([...servedBy].sort()).toEqual(['a', 'b']);
    const posted = await web.postJson<{ body: unknown }>('/orders', { sku: 'sku-1', quantity: 2 });
    expect(posted.body).toEqual({ sku: 'sku-1', quantity: 2 });
    expect(web.openPools).toBe(2);
  });

  it('with policy: false, enforces the deadline on a request still waiting for a connection', async () => {
    await loopback.serve('a', async (request, response) => {
      if (request.url === '/slow') await new Promise((resolve) => setTimeout(resolve, 2_000));
      json(response, 200, { ok: true });
    });
    const web = await loopback.client('web', { policy: false, poolOptions: { connections: 1 } });
    const slow = web.getJson('/slow', { deadlineMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Queued behind /slow on the only connection: undici cannot cancel it yet, but its deadline holds.
    for (const call of [
      () => web.getJson('/x', { deadlineMs: 200 }),
      () => web.request({ path: '/x', deadlineMs: 200 }),
    ]) {
      const started = Date.now();
      await expect(call()).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    await expect(slow).resolves.toEqual({ ok: true });
    // A deadline beyond what a Node timer holds (~24.8 days) is not taken for one already passed.
    await expect(web.getJson('/x', { deadlineMs: 30 * 86_400_000 })).resolves.toEqual({ ok: true });
  });

  it('sends both values of a header given twice in different cases', async () => {
    await loopback.serve('a', (request, response) => json(response, 200, { tag: request.headers['x-tag'] }));
    const web = await loopback.client();
    expect(await web.getJson('/x', { headers: { 'X-Tag': 'a', 'x-tag': 'b' } })).toEqual({ tag: 'a, b' });
    expect(await web.getJson('/x', { headers: { 'X-Tag': ['a', 'b'], 'x-tag': 'c' } })).toEqual({ tag: 'a, b, c' });
  });

  it('sends headers named like Object.prototype members as they are', async () => {
    await loopback.serve('a', (request, response) =>
      json(response, 200, { constructor: request.headers.constructor, toString: request.headers.tostring }),
    );
    const web = await loopback.client();
    // `in` found the prototype's members: the value went out joined with a function's text, or failed.
    expect(await web.getJson('/x', { headers: { constructor: 'c1', toString: 't1' } })).toEqual({
      constructor: 'c1',
      toString: 't1',
    });
  });

  it('fails over on connection refused, for GET and (nothing was sent) POST, and ejects the dead instance', async () => {
    await loopback.registerDead('dead');
    await loopback.serve('live', (_request, response) => json(response, 200, { servedBy: 'live' }));
    const discovery = await loopback.discover();
    const ejected: string[] = [];
    discovery.onEjection(({ id }) => ejected.push(id));
    const web = await loopback.client('web', { discovery });
    for (let i = 0; i < 5; i++) {
      expect(await web.getJson('/x')).toEqual({ servedBy: 'live' });
      expect(await web.postJson('/x', { i })).toEqual({ servedBy: 'live' });
    }
    expect(ejected).toEqual(['dead']);
    expect(discovery.instances().map((instance) => instance.id)).toEqual(['live']);
  });

  it('never sends a POST again after an attempt that may have run, whatever the policy asks', async () => {
    let hits = 0;
    await loopback.serve('slow', async (request, response) => {
      hits++;
      await readBody(request);
      if (request.url === '/busy') return json(response, 503, { error: 'busy' });
      setTimeout(() => json(response, 200, { ok: true }), 300);
    });
    // A per-attempt timeout labels its expiry retryable; a retryOn of one's own says yes to anything.
    const everything = retry({ retryOn: () => true, backoff: { initialMs: 1, maxMs: 2 } });
    let retries = 0;
    everything.onRetry(() => retries++);
    const web = await loopback.client('web', { policy: compose(everything, timeout({ ms: 50 })) });
    // retryOn asks for another attempt; the client refused further attempts as the first may have
    // run, so retry() gives up at once (no backoff wait, no budget token), saying why.
    const timedOut = await web.postJson('/orders', { sku: 1 }).catch((caught: unknown) => caught);
    expect(timedOut).toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      message: expect.stringContaining('not sent again'),
    });
    expect(hits).toBe(1);
    hits = 0;
    const answered = await web.postJson('/busy', { sku: 1 }).catch((caught: unknown) => caught);
    expect(answered).toMatchObject({ code: 'UNAVAILABLE', status: 503, retryable: false });
    // Before: the error made for the refusal dropped the request from its message ('HTTP 503 …').
    expect((answered as Error).message).toMatch(/^web POST \/busy: HTTP 503 UNAVAILABLE/);
    expect(hits).toBe(1);
    // Before: a retry each, waited for and then refused by the client (RETRY_EXHAUSTED).
    expect(retries).toBe(0);
    // Marked idempotent, it is tried again.
    hits = 0;
    await web.postJson('/busy', { sku: 1 }, { headers: { 'idempotency-key': 'k1' } }).catch(() => undefined);
    expect(hits).toBeGreaterThan(1);
  });

  it('sends a POST to another instance when a per-attempt timeout cut it while it waited for a connection', async () => {
    // `a`'s one connection is kept busy by /hold: a POST to it queues.
    const { posts, discovery, keyToA: key } = await loopback.serveHoldingPair();
    const web = await oneConnectionClient(discovery);
    const held = await web.request({ method: 'GET', path: '/hold', key });
    // Queued behind /hold on `a`, never sent: its timeout leaves it free to go to `b`. It was
    // refused as "may have run" (not sent again), though `a` never saw it.
    await expect(web.postJson('/orders', { sku: 1 }, { key })).resolves.toEqual({ servedBy: 'b' });
    expect(posts).toEqual(['b']);
    expect(await held.body.text()).toBe('a');
  });

  it('sends a request() POST (streamed response) to another instance when a per-attempt timeout cut it while it waited for a connection', async () => {
    const { posts, discovery, keyToA: key } = await loopback.serveHoldingPair();
    const web = await oneConnectionClient(discovery);
    const held = await web.request({ method: 'GET', path: '/hold', key });
    // As postJson above: queued behind /hold on `a`, never sent. request() refused it as "may have
    // run" (not sent again), though `a` never saw it.
    const response = await web.request({ method: 'POST', path: '/orders', body: '{"sku":1}', key });
    expect(await response.body.json()).toEqual({ servedBy: 'b' });
    expect(posts).toEqual(['b']);
    expect(await held.body.text()).toBe('a');
  });

  it('does not retry a POST unless it is marked idempotent (server hits counted)', async () => {
    const hits = await flaky(1, 503);
    const web = await loopback.client();
    const error = await web.postJson('/orders', { sku: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HttpCallError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', status: 503, retryable: false });
    expect(hits).toHaveLength(1);

    hits.length = 0;
    await loopback.cleanup();
    loopback = new Loopback();
    const again = await flaky(1, 503);
    const web2 = await loopback.client();
    await expect(
      web2.postJson('/orders', { sku: 1 }, { headers: { 'Idempotency-Key': 'order-1' } }),
    ).resolves.toMatchObject({ ok: true, hit: 2 });
    expect(again).toHaveLength(2);
    expect(again[1]?.body).toBe(again[0]?.body); // the same body, sent again
    await expect(
      web2.request({ method: 'PATCH', path: '/orders/1', body: 'x', idempotent: true }),
    ).resolves.toMatchObject({
      status: 200,
    });
    expect(again).toHaveLength(3);
  });

  it('retries idempotent methods on 502/503/504 (up to maxAttempts), but not an explicit idempotent: false', async () => {
    const hits: string[] = [];
    await loopback.serve('a', (request, response) => {
      hits.push(request.method ?? '');
      json(response, Number(request.url?.slice(1)), { error: 'failing' });
    });
    const web = await loopback.client();
    for (const status of [502, 503, 504]) {
      hits.length = 0;
      await expect(web.request({ method: 'DELETE', path: `/${status}` })).rejects.toMatchObject({
        code: 'RETRY_EXHAUSTED',
      });
      expect(hits).toEqual(['DELETE', 'DELETE', 'DELETE']);
    }
    hits.length = 0;
    await expect(web.request({ path: '/503', idempotent: false })).rejects.toMatchObject({ status: 503 });
    await expect(web.request({ path: '/500' })).rejects.toMatchObject({ code: 'INTERNAL', status: 500 });
    expect(hits).toHaveLength(2);
  });

  it('honours Retry-After on 503 within the deadline', async () => {
    const hits = await flaky(1, 503, { 'retry-after': '1' });
    const web = await loopback.client();
    const started = Date.now();
    await expect(web.getJson('/x', { deadlineMs: 3_000 })).resolves.toMatchObject({ ok: true });
    expect(hits).toHaveLength(2);
    const waited = (hits[1]?.at ?? 0) - (hits[0]?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('fails a call waiting to retry as closed when the client closes, without trying again', async () => {
    const hits = await flaky(1, 503, { 'retry-after': '1' });
    const web = await loopback.client();
    const pending = web.getJson('/x', { deadlineMs: 3_000 }).catch((caught: unknown) => caught);
    await expect.poll(() => hits.length).toBe(1);
    await web.close();
    expect(await pending).toMatchObject({
      code: 'UNAVAILABLE',
      retryable: false,
      client: expect.stringMatching(/^HTTP client of /),
      message: expect.stringMatching(/is closed/),
    });
    expect(hits).toHaveLength(1);
  });

  it('honours an HTTP-date Retry-After on 429', async () => {
    const retryAfter = new Date(Date.now() + 1_000).toUTCString();
    const hits = await flaky(1, 429, { 'retry-after': retryAfter });
    const web = await loopback.client();
    await expect(web.getJson('/x', { deadlineMs: 4_000 })).resolves.toMatchObject({ ok: true });
    expect(hits).toHaveLength(2);
    // HTTP dates have whole seconds: the retry is due at that date (less than 1 s away), or at once
    // if it passed before the first answer. Measured from the date, not bounded by 1,100 ms after
    // the first hit: when the date fell just after that hit, that left ~100 ms for a timer firing
    // late and the retry's own round trip on a loaded machine. 2 ms: a timer fires up to a
    // millisecond early by Date.now(); 300 ms: lateness, still far from a date misread by a second.
    const due = Math.max(Date.parse(retryAfter), hits[0]?.at ?? 0);
    expect(hits[1]?.at ?? 0).toBeGreaterThanOrEqual(Date.parse(retryAfter) - 2);
    expect((hits[1]?.at ?? 0) - due).toBeLessThanOrEqual(300);
  });

  it('fails fast when Retry-After is beyond the deadline, instead of sleeping past it', async () => {
    const hits = await flaky(1, 503, { 'retry-after': '5' });
    const web = await loopback.client();
    const started = Date.now();
    const error = (await web.getJson('/x', { deadlineMs: 1_000 }).catch((caught: unknown) => caught)) as Error;
    expect(Date.now() - started).toBeLessThan(500);
    expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(error.cause).toBeInstanceOf(HttpCallError);
    expect(error.cause).toMatchObject({ status: 503, retryAfterMs: 5_000 });
    expect(hits).toHaveLength(1);
  });

  it('rejects error statuses with HttpCallError keeping status, headers and a bounded body; or resolves them on request', async () => {
    await loopback.serve('a', (request, response) => {
      if (request.url === '/big') return json(response, 500, { blob: 'x'.repeat(100_000) });
      if (request.url === '/busy') return json(response, 503, { error: 'busy' });
      if (request.url === '/big-busy') return json(response, 503, { blob: 'y'.repeat(100_000) });
      if (request.url === '/big-invalid') return json(response, 422, { blob: 'z'.repeat(100_000) });
      json(response, 404, { error: 'no such product' }, { 'x-trace': 't1' });
    });
    const web = await loopback.client('web', { maxErrorBodyBytes: 1_024 });
    const notFound = (await web.getJson('/products/nope').catch((caught: unknown) => caught)) as HttpCallError;
    expect(notFound).toBeInstanceOf(HttpCallError);
    expect(notFound).toMatchObject({ code: 'NOT_FOUND', status: 404, retryable: false, bodyTruncated: false });
    expect(notFound.headers['x-trace']).toBe('t1');
    expect(notFound.json()).toEqual({ error: 'no such product' });
    expect(notFound.message).toContain('web GET /products/nope: HTTP 404 NOT_FOUND');

    const big = (await web
      .request({ path: '/big', idempotent: false })
      .catch((caught: unknown) => caught)) as HttpCallError;
    expect(big).toMatchObject({ code: 'INTERNAL', status: 500, bodyTruncated: true });
    expect(big.body).toHaveLength(1_024);

    const response = await web.request({ path: '/products/nope', throwOnStatus: false });
    expect(response.status).toBe(404);
    expect(await response.body.json()).toEqual({ error: 'no such product' });

    // Retried (GET, 503), and when retries run out the last response is handed back whole.
    const busy = await web.request({ path: '/busy', throwOnStatus: false });
    expect(busy.status).toBe(503);
    expect(await busy.body.json()).toEqual({ error: 'busy' });

    // A response handed back is whole, however large: maxErrorBodyBytes bounds only what an error keeps.
    const bigBusy = await web.request({ path: '/big-busy', throwOnStatus: false });
    expect(bigBusy.status).toBe(503);
    expect(((await bigBusy.body.json()) as { blob: string }).blob).toHaveLength(100_000);
    const lenient = await loopback.client('web', { maxErrorBodyBytes: 1_024, throwOnStatus: false });
    expect((await lenient.getJson<{ blob: string }>('/big-invalid')).blob).toHaveLength(100_000);
  });

  it('never sends a stream body twice, even when told the request is idempotent', async () => {
    const hits = await flaky(5, 503);
    const everything = retry({ retryOn: () => true, backoff: { initialMs: 1, maxMs: 2 } });
    for (const policy of [undefined, everything]) {
      hits.length = 0;
      const web = await loopback.client('web', policy ? { policy } : {});
      const error = await web
        .request({ method: 'PUT', path: '/upload', body: Readable.from(['chunk-1,', 'chunk-2']) })
        .catch((caught: unknown) => caught);
      // The default policy stops at once (not retryable); a retry-everything policy's later attempts
      // fail without a request (RETRY_EXHAUSTED). Either way the server saw the body once.
      expect(error).toMatchObject({ code: policy ? 'RETRY_EXHAUSTED' : 'UNAVAILABLE' });
      expect(hits).toHaveLength(1);
      expect(hits[0]?.body).toBe('chunk-1,chunk-2');
    }
  });

  it('fails a stream body over on connection refused (nothing was read of it), whole, with backpressure', async () => {
    await loopback.registerDead('dead');
    await loopback.serve('live', async (request, response) => {
      const body = await readBody(request);
      json(response, 200, { servedBy: 'live', length: body.length, head: body.slice(0, 8), tail: body.slice(-8) });
    });
    const web = await loopback.client('web', { discovery: await loopback.discover() });
    // Round-robin: of two PUTs, one is first sent to the dead instance.
    for (let i = 0; i < 2; i++) {
      const chunks = Array.from({ length: 64 }, (_, index) => `${String(index).padStart(4, '0')}${'x'.repeat(16_380)}`);
      const body = Readable.from(chunks);
      const reply = await web.request({ method: 'PUT', path: '/upload', body });
      expect(await reply.body.json()).toEqual({
        servedBy: 'live',
        length: 64 * 16_384,
        head: '0000xxxx',
        tail: 'xxxxxxxx',
      });
      expect(body.destroyed).toBe(true); // read to its end
    }
  });

  it('releases a stream body it never sent: no instances, or a request it refused', async () => {
    const web = await loopback.client('nobody-serves-this');
    const unsent = new Readable({ read() {} });
    await expect(web.request({ method: 'PUT', path: '/upload', body: unsent, deadlineMs: 300 })).rejects.toMatchObject({
      code: 'NO_INSTANCES',
    });
    expect(unsent.destroyed).toBe(true); // a file stream would have kept its descriptor
    const refused = new Readable({ read() {} });
    await expect(web.request({ method: 'PUT', path: 'relative', body: refused })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(refused.destroyed).toBe(true);
    // A client already closed never sends it either.
    await web.close();
    const late = new Readable({ read() {} });
    await expect(web.request({ method: 'PUT', path: '/upload', body: late })).rejects.toMatchObject({
      message: expect.stringMatching(/is closed/),
    });
    expect(late.destroyed).toBe(true);
  });

  it('blames a content-length that does not match the body on the request, not on the instance', async () => {
    let hits = 0;
    await loopback.serve('a', async (request, response) => {
      hits++;
      json(response, 200, { body: await readBody(request) });
    });
    const discovery = await loopback.discover('web');
    const web = await loopback.client('web', { discovery });
    for (let i = 0; i < 6; i++) {
      await expect(
        web.request({ method: 'PUT', path: '/x', headers: { 'content-length': '3' }, body: 'abcdefgh' }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    expect(hits).toBe(0);
    // Counted as the instance's failures, six of these ejected a healthy instance.
    expect((await web.getJson<{ body: string }>('/y')).body).toBe('');
  });

  it('blames a request body stream that fails on the caller, not on the instance or the breaker', async () => {
    await loopback.serve('a', async (request, response) => {
      const body = await readBody(request).catch(() => undefined);
      if (body !== undefined) json(response, 200, { body });
    });
    const real = await loopback.discover('web');
    const outcomes: { ok: boolean }[] = [];
    // Records what each attempt told discovery about the instance.
    const discovery = Object.assign(Object.create(real), {
      pick: (args?: { key?: string }) => {
        const lease = real.pick(args);
        const done = (outcome: CallOutcome): void => {
          outcomes.push(outcome);
          lease.done(outcome);
        };
        return { instance: lease.instance, done };
      },
    });
    const policy = circuitBreaker({ minimumCalls: 3, failureRateThreshold: 0.5 });
    const web = await loopback.client('web', { discovery, policy });
    for (let i = 0; i < 3; i++) {
      // The caller's own source fails mid-upload (a file read error, a generator that throws).
      const source = async function* () {
        yield 'chunk-1,';
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('disk read failed');
      };
      const error = await web.request({ method: 'PUT', path: '/upload', body: source() }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'CANCELLED',
        message: expect.stringMatching(/request body.*disk read failed/),
      });
      expect((error as { cause?: Error }).cause?.message).toBe('disk read failed');
    }
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, true]);
    // Counted as failures of the service (UNKNOWN), they opened the breaker: CIRCUIT_OPEN here.
    expect((await web.getJson<{ body: string }>('/y')).body).toBe('');
  });

  it('stops waiting for the first registry snapshot when the caller aborts (CANCELLED at once)', async () => {
    // A registry that never answers the watch: discovery never gets its first snapshot.
    const silent = Object.assign(Object.create(loopback.registry), { watch: () => new Promise(() => {}) });
    const waiting = createDiscovery({ registry: silent, service: 'web' });
    loopback.onCleanup(() => waiting.close());
    const web = await loopback.client('web', { discovery: waiting });
    const controller = new AbortController();
    const started = Date.now();
    const pending = web.getJson('/', { deadlineMs: 5_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(Date.now() - started).toBeLessThan(1_000); // it waited out the whole deadline
  });

  it('fails a call still waiting for the first registry snapshot as closed when the client closes', async () => {
    // close() promises that what still waits fails with ClientClosedError; a call waiting for
    // discovery's first snapshot (the registry unreachable since the start) waited out its whole
    // deadline after close(), then failed NO_INSTANCES "no snapshot from the registry".
    const silent = Object.assign(Object.create(loopback.registry), { watch: () => new Promise(() => {}) });
    const waiting = createDiscovery({ registry: silent, service: 'web' });
    loopback.onCleanup(() => waiting.close());
    const web = await loopback.client('web', { discovery: waiting });
    const body = new Readable({ read() {} });
    const started = Date.now();
    const pending = [
      web.getJson('/', { deadlineMs: 5_000 }).catch((caught: unknown) => caught),
      web.request({ method: 'PUT', path: '/', body, deadlineMs: 5_000 }).catch((caught: unknown) => caught),
    ];
    setTimeout(() => void web.close(), 50);
    for (const error of await Promise.all(pending)) {
      expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/is closed/) });
    }
    expect(Date.now() - started).toBeLessThan(1_000); // it waited out the whole deadline
    expect(body.destroyed).toBe(true); // never sent: released
  });

  it('streams response bodies, sends the remaining deadline in a header, and cancels on the signal', async () => {
    await loopback.serve('a', async (request, response) => {
      if (request.url === '/stream') {
        response.writeHead(200, { 'content-type': 'text/plain' });
        for (let i = 0; i < 3; i++) {
          response.write(`part-${i};`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return response.end();
      }
      if (request.url === '/slow') await new Promise((resolve) => setTimeout(resolve, 2_000));
      json(response, 200, { deadlineHeader: request.headers['x-switchyard-deadline-ms'] });
    });
    const web = await loopback.client();
    const streamed = await web.request({ path: '/stream' });
    let text = '';
    for await (const chunk of streamed.body) text += chunk;
    expect(text).toBe('part-0;part-1;part-2;');

    const { deadlineHeader } = await web.getJson<{ deadlineHeader: string }>('/', { deadlineMs: 500 });
    expect(Number(deadlineHeader)).toBeLessThanOrEqual(500);
    expect(Number(deadlineHeader)).toBeGreaterThan(400);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(web.getJson('/slow', { signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    const started = Date.now();
    await expect(web.getJson('/slow', { deadlineMs: 100 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('fails reading a streamed body with CANCELLED when the caller aborts mid-body', async () => {
    await loopback.serve('a', async (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first;');
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      response.end('late');
    });
    const web = await loopback.client();
    const controller = new AbortController();
    const reply = await web.request({ path: '/stream', signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    // Was undici's AbortError (UND_ERR_ABORTED): the caller's reason was lost.
    await expect(reply.body.text()).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('closes an instance pool a grace period after the instance leaves discovery', async () => {
    const { registration } = await loopback.serve('a', (_request, response) => json(response, 200, { servedBy: 'a' }));
    await loopback.serve('b', (_request, response) => json(response, 200, { servedBy: 'b' }));
    const web = await loopback.client('web', { closePoolsAfterMs: 20 });
    for (let i = 0; i < 4; i++) await web.getJson('/');
    expect(web.openPools).toBe(2);
    await registration.deregister();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(web.openPools).toBe(1);
    expect(await web.getJson('/')).toEqual({ servedBy: 'b' });
  });

  it('resolves every close() only once the pools have closed (a second close() shares the first)', async () => {
    const { finishBody } = await streamingInstance('a');
    const web = await loopback.client();
    const reply = await web.request({ path: '/stream' });
    const first = web.close();
    const second = web.close();
    // The body is still arriving: its pool cannot have closed, so neither close() may have resolved.
    expect(await settledYet(first)).toBe(false);
    expect(await settledYet(second)).toBe(false);
    finishBody();
    expect(await reply.body.text()).toBe('first;last');
    await Promise.all([first, second]);
  });

  it('waits in close() for a pool whose grace period already ended and is still closing', async () => {
    const { registration, finishBody } = await streamingInstance('a');
    const web = await loopback.client('web', { closePoolsAfterMs: 0 });
    const reply = await web.request({ path: '/stream' });
    await registration.deregister();
    await expect.poll(() => web.openPools).toBe(0); // its pool is closing, waiting for the body
    const closed = web.close();
    expect(await settledYet(closed)).toBe(false);
    finishBody();
    expect(await reply.body.text()).toBe('first;last');
    await closed;
  });
});

/** An instance whose `/stream` sends `first;` at once and `last` when told to. */
async function streamingInstance(id: string) {
  let finishBody: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finishBody = resolve;
  });
  const served = await loopback.serve(id, async (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.write('first;');
    await finished;
    response.end('last');
  });
  loopback.onCleanup(() => finishBody()); // never leave a response open at cleanup
  return { ...served, finishBody };
}

/** Whether `promise` has settled, once every callback already queued has run. */
async function settledYet(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

/**
 * A client of `discovery` with one connection per instance and a 100 ms per-attempt timeout under
 * quick retries: a request queued behind a held one is cut before it is sent (see serveHoldingPair).
 */
function oneConnectionClient(discovery: Discovery) {
  return loopback.client('web', {
    discovery,
    poolOptions: { connections: 1 },
    policy: compose(retry({ backoff: { initialMs: 1, maxMs: 2 } }), timeout({ ms: 100 })),
  });
}
