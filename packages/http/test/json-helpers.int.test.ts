import { HttpCallError } from '@switchyard/http';
import { retry } from '@switchyard/resilience';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback } from './fixtures/loopback.js';

// The JSON helpers read whole responses through undici's dispatch API (buffered-exchange.ts), not
// through a body stream: these pin what that path must still do.
let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('JSON helpers (buffered responses)', () => {
  it('rejects a redirect (undici follows none) instead of resolving it as undefined; 304 stays a success', async () => {
    await loopback.serve('a', (request, response) => {
      if (request.url === '/moved') return response.writeHead(301, { location: '/products/new' }).end();
      response.writeHead(304).end();
    });
    const web = await loopback.client();
    const error = await web.getJson('/moved').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HttpCallError);
    expect((error as HttpCallError).status).toBe(301);
    expect((error as HttpCallError).headers.location).toBe('/products/new');
    expect(await web.getJson('/cached', { headers: { 'if-none-match': '"v1"' } })).toBeUndefined();
  });

  it('rejects a redirect with throwOnStatus off too: that hands back error statuses only', async () => {
    await loopback.serve('a', (request, response) => {
      if (request.url === '/moved') return response.writeHead(301, { location: '/products/new' }).end();
      response.writeHead(302, { location: '/login', 'content-type': 'text/html' }).end('<a href="/login">here</a>');
    });
    const web = await loopback.client('web', { throwOnStatus: false });
    // Was: undefined for the empty 301, and "not valid JSON" (INTERNAL, no status) for the HTML 302.
    for (const [path, status, location] of [
      ['/moved', 301, '/products/new'],
      ['/elsewhere', 302, '/login'],
    ] as const) {
      const error = await web.getJson(path).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HttpCallError);
      expect(error).toMatchObject({ status, headers: { location } });
    }
  });

  it("counts a redirect as the caller's to fix: it does not open the breaker for the service's other calls", async () => {
    await loopback.serve('a', (request, response) => {
      if (request.url === '/moved') return response.writeHead(308, { location: '/products/new' }).end();
      json(response, 200, { ok: true });
    });
    // The default policy: retry() around circuitBreaker() (opens at 50 % failures of 20 calls).
    const web = await loopback.client();
    // A path that moved (one stale link in a caller), asked 30 times by a healthy service.
    const errors: unknown[] = [];
    for (let call = 0; call < 30; call++) errors.push(await web.getJson('/moved').catch((caught: unknown) => caught));
    // Was UNKNOWN, a server failure to the breaker: 20 redirects opened it for every GET of the
    // service, and this call failed (RETRY_EXHAUSTED of CIRCUIT_OPEN) without being sent.
    expect(await web.getJson('/products/sku-1')).toEqual({ ok: true });
    for (const error of errors) expect(error).toMatchObject({ status: 308, code: 'FAILED_PRECONDITION' });
  });

  it("lets the caller's headers replace the helper's, whatever their case", async () => {
    await loopback.serve('a', (request, response) =>
      json(response, 200, {
        contentType: request.headersDistinct['content-type'],
        accept: request.headersDistinct.accept,
      }),
    );
    const web = await loopback.client();
    const seen = await web.postJson(
      '/patch',
      { name: 'chair' },
      { headers: { 'Content-Type': 'application/merge-patch+json', Accept: 'application/problem+json' } },
    );
    // Both went out before, as repeated headers: the server took the helper's application/json.
    expect(seen).toEqual({ contentType: ['application/merge-patch+json'], accept: ['application/problem+json'] });
  });

  it('joins a body sent in many chunks, and resolves an empty body as undefined', async () => {
    const items = Array.from({ length: 2_000 }, (_, index) => ({ sku: `sku-${index}`, name: 'oak chair' }));
    await loopback.serve('a', async (request, response) => {
      if (request.url === '/empty') {
        response.writeHead(204);
        return response.end();
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      const text = JSON.stringify({ items });
      for (let at = 0; at < text.length; at += 4_096) {
        response.write(text.slice(at, at + 4_096));
        if (at % 40_960 === 0) await sleep(1);
      }
      response.end();
    });
    const web = await loopback.client();
    expect(await web.getJson('/many')).toEqual({ items });
    expect(await web.getJson('/empty')).toBeUndefined();
  });

  it('aborts a response whose body is still arriving, on the deadline or the caller signal, and the pool stays usable', async () => {
    await loopback.serve('a', async (request, response) => {
      if (request.url === '/trickle') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"part":');
        await sleep(1_500);
        if (!response.destroyed) response.end('1}');
        return;
      }
      json(response, 200, { ok: true });
    });
    const web = await loopback.client('web', { poolOptions: { connections: 1 } });
    let started = Date.now();
    await expect(web.getJson('/trickle', { deadlineMs: 150 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - started).toBeLessThan(1_000);

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    started = Date.now();
    await expect(web.getJson('/trickle', { signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(Date.now() - started).toBeLessThan(1_000);

    // The one connection was given up, not left holding a half-read body: the next call is served.
    await expect(web.getJson('/ok', { deadlineMs: 1_000 })).resolves.toEqual({ ok: true });
  });

  it('keeps at most maxErrorBodyBytes of an error body, with headers, and still frees the connection', async () => {
    await loopback.serve('a', (request, response) => {
      if (request.url === '/ok') return json(response, 200, { ok: true });
      json(response, 409, { error: 'x'.repeat(200_000) }, { 'x-reason': 'stock' });
    });
    const web = await loopback.client('web', { maxErrorBodyBytes: 100, poolOptions: { connections: 1 } });
    const error = (await web.postJson('/orders', { sku: 'a' }).catch((caught: unknown) => caught)) as HttpCallError;
    expect(error).toBeInstanceOf(HttpCallError);
    expect(error).toMatchObject({ status: 409, code: 'ALREADY_EXISTS', bodyTruncated: true });
    expect(error.body).toHaveLength(100);
    expect(error.headers['x-reason']).toBe('stock');
    await expect(web.getJson('/ok')).resolves.toEqual({ ok: true });
  });

  it('names the status when a reply is not JSON, and resolves error bodies when throwOnStatus is off', async () => {
    await loopback.serve('a', (request, response) => {
      if (request.url === '/html') {
        response.writeHead(200, { 'content-type': 'text/html' });
        return response.end('<html>oops</html>');
      }
      json(response, 404, { error: 'no such product' });
    });
    const web = await loopback.client('web', { throwOnStatus: false });
    await expect(web.getJson('/html')).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('HTTP 200'),
    });
    expect(await web.getJson('/products/nope')).toEqual({ error: 'no such product' });
  });

  it('names the request, the instance and the content-type when a reply is not JSON', async () => {
    // A path the service does not have, answered by a catch-all (a single-page app's index.html, a
    // proxy's error page): the caller read only "response (HTTP 200) is not valid JSON", with no
    // service, path or instance, unlike every other failure of the client.
    const { port } = await loopback.serve('a', (request, response) => {
      if (request.url === '/busy') {
        response.writeHead(503, { 'content-type': 'text/html' });
        return response.end('<html>busy</html>');
      }
      response.writeHead(request.url === '/missing' ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><html>app</html>');
    });
    const web = await loopback.client('web');
    const origin = `http://127.0.0.1:${port}`;
    const success = await web.getJson('/api/products').catch((caught: unknown) => caught);
    expect(success).toMatchObject({ code: 'INTERNAL' });
    expect((success as Error).message).toContain(
      `web GET /api/products: the HTTP 200 response from ${origin} is not valid JSON`,
    );
    expect((success as Error).message).toContain('content-type "text/html; charset=utf-8"');
    expect((success as Error).cause).toBeInstanceOf(SyntaxError);

    const lenient = await loopback.client('web', {
      throwOnStatus: false,
      policy: retry({ backoff: { initialMs: 1 } }),
    });
    const asked = await lenient.postJson('/missing', {}).catch((caught: unknown) => caught);
    expect((asked as Error).message).toContain(
      `web POST /missing: the HTTP 404 response from ${origin} is not valid JSON`,
    );
    // Handed back when retries ran out: the request is named (the instance is the last attempt's).
    const exhausted = await lenient.getJson('/busy').catch((caught: unknown) => caught);
    expect(exhausted).toMatchObject({ code: 'INTERNAL' });
    expect((exhausted as Error).message).toContain('web GET /busy: the HTTP 503 response is not valid JSON');
  });

  it('does not blame an instance for an error status the caller asked to receive, when its body is not JSON', async () => {
    await loopback.serve('a', (_request, response) => {
      response.writeHead(404, { 'content-type': 'text/html' });
      response.end('<html>no such page</html>');
    });
    const discovery = await loopback.discover();
    const outcomes: { ok: boolean }[] = [];
    // The same discovery, with every attempt's reported outcome recorded.
    const watched = new Proxy(discovery, {
      get(target, property) {
        if (property !== 'pick') {
          const value = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return (options?: Parameters<typeof discovery.pick>[0]) => {
          const lease = target.pick(options);
          return {
            ...lease,
            instance: lease.instance,
            done: (outcome: Parameters<typeof lease.done>[0]) => {
              outcomes.push(outcome);
              lease.done(outcome);
            },
          };
        };
      },
    });
    const web = await loopback.client('web', { discovery: watched, throwOnStatus: false });
    await expect(web.getJson('/missing')).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('HTTP 404'),
    });
    expect(outcomes).toEqual([expect.objectContaining({ ok: true })]);
  });

  it('reads JSON that starts with a UTF-8 byte order mark, as undici and fetch do', async () => {
    await loopback.serve('a', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"ok":true}')]));
    });
    const web = await loopback.client('web', { throwOnStatus: false });
    await expect(web.getJson('/bom')).resolves.toEqual({ ok: true });
    expect(await (await web.request({ path: '/bom' })).body.json()).toEqual({ ok: true });
  });

  it('settles an error at maxErrorBodyBytes without waiting for the rest of a large or slow body', async () => {
    await loopback.serve('a', (_request, response) => {
      // 200 KB of error body, then the connection stays open: the body never ends.
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.write('x'.repeat(200_000));
    });
    const web = await loopback.client('web', { maxErrorBodyBytes: 1_024, policy: false });
    const started = Date.now();
    // Was: read to the end (here never), so the call ended DEADLINE_EXCEEDED with no status or body.
    const error = await web.getJson('/broken', { deadlineMs: 3_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HttpCallError);
    expect(error).toMatchObject({ status: 500, bodyTruncated: true });
    expect((error as HttpCallError).body?.length).toBe(1_024);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  // With throwOnStatus off it was the whole body (100 000 characters): the limit was lifted for
  // responses that may be handed back, which a redirect never is.
  it.each([
    ["as any other error's", {}],
    ['with throwOnStatus off too (a redirect is never handed back)', { throwOnStatus: false }],
  ] as const)("keeps a redirect's body within maxErrorBodyBytes, %s", async (_label, options) => {
    await loopback.serve('a', (_request, response) => {
      response.writeHead(302, { location: '/x' });
      response.end('y'.repeat(100_000));
    });
    const web = await loopback.client('web', { maxErrorBodyBytes: 1_024, ...options });
    const error = (await web.getJson('/moved').catch((caught: unknown) => caught)) as HttpCallError;
    expect(error).toBeInstanceOf(HttpCallError);
    expect({ status: error.status, truncated: error.bodyTruncated, length: error.body.length }).toEqual({
      status: 302,
      truncated: true,
      length: 1_024,
    });
  });
});
