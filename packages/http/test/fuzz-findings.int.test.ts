/**
 * Inputs found by the security-tests fuzzers (fuzz-http-client, fuzz-http-server) that the client
 * or the server wrappers mishandled: each dropped, altered or misreported something. One test per
 * find, each failing without its fix.
 */
import { Client } from 'undici';
import { createHttpClient, httpHandler, switchyardFastify } from '@switchyard/http';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, Loopback, readBody } from './fixtures/loopback.js';

let loopback: Loopback;
beforeEach(() => {
  loopback = new Loopback();
});
afterEach(() => loopback.cleanup());

/** An instance that echoes what arrived: header names as sent (raw), the URL and the body. */
async function echoServer(): Promise<void> {
  await loopback.serve('a', async (request, response) => {
    const names = request.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
    const body = await readBody(request);
    json(response, 200, { names, url: request.url, body, contentLength: request.headers['content-length'] ?? null });
  });
}

type Echo = { names: string[]; url: string; body: string; contentLength: string | null };

describe('HTTP client: inputs that were dropped or altered without a word', () => {
  it('refuses headers and a query given as a Headers, Map or URLSearchParams (every entry was dropped)', async () => {
    await echoServer();
    const web = await loopback.client();
    for (const headers of [new Headers({ 'x-tag': 'a' }), new Map([['x-tag', 'a']])]) {
      await expect(web.request({ path: '/x', headers: headers as never })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'request.headers',
      });
      await expect(web.getJson('/x', { headers: headers as never })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'request.headers',
      });
    }
    for (const query of [new URLSearchParams({ tag: 'a' }), new Map([['tag', 'a']])]) {
      await expect(web.getJson('/x', { query: query as never })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'request.query',
      });
    }
    // A null-prototype object is a plain one.
    const plain = Object.assign(Object.create(null) as Record<string, string>, { 'x-tag': 'a' });
    expect((await web.getJson<Echo>('/x', { headers: plain })).names).toContain('x-tag');
  });

  it('sends a header named __proto__ (what JSON.parse makes of one), from request() and the JSON helpers', async () => {
    await echoServer();
    const web = await loopback.client();
    const headers = JSON.parse('{"__proto__":"a","x-b":"1"}') as Record<string, string>;
    const response = await web.request({ path: '/x', headers });
    expect(((await response.body.json()) as Echo).names).toEqual(expect.arrayContaining(['__proto__', 'x-b']));
    expect((await web.getJson<Echo>('/x', { headers })).names).toEqual(expect.arrayContaining(['__proto__', 'x-b']));
  });

  it('refuses JSON helper options with an own __proto__ key instead of taking its properties as options', async () => {
    await echoServer();
    const web = await loopback.client();
    // Object.assign made it the request's prototype: `query` was read from it, unchecked, and sent.
    const options = JSON.parse('{"__proto__":{"query":{"a":"1"}}}');
    await expect(web.getJson('/x', options)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.__proto__',
    });
    await expect(web.postJson('/x', {}, JSON.parse('{"__proto__":{"timeoutMs":5}}'))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.__proto__',
    });
  });

  it("refuses a content-length that is not the body's (undici put its own in place: dropped, 0, or 1 for 1.5)", async () => {
    await echoServer();
    const web = await loopback.client();
    for (const [request, rule] of [
      [{ path: '/x', headers: { 'content-length': '5' } }, /no body|has 0/],
      [{ method: 'POST', path: '/x', headers: { 'content-length': '5' } }, /has 0/],
      [{ method: 'POST', path: '/x', headers: { 'content-length': '1.5' }, body: 'a' }, /length in bytes/],
      [{ method: 'POST', path: '/x', headers: { 'content-length': '2' }, body: 'é!' }, /has 3/],
      [{ method: 'POST', path: '/x', headers: { 'content-length': ['1', '1'] }, body: 'a' }, /given once/],
    ] as const) {
      const error = await web.request(request as never).catch((caught: unknown) => caught);
      expect(error, JSON.stringify(request)).toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'request.headers.content-length',
      });
      expect((error as Error).message).toMatch(rule);
    }
    const response = await web.request({ method: 'POST', path: '/x', headers: { 'Content-Length': '3' }, body: 'é!' });
    expect(((await response.body.json()) as Echo).contentLength).toBe('3');
  });

  it('refuses half of a surrogate pair in a query or a string body (U+FFFD was sent in its place)', async () => {
    await echoServer();
    const web = await loopback.client();
    const half = '😀'.slice(0, 1);
    await expect(web.getJson('/x', { query: { q: `a${half}` } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'request.query.q',
    });
    await expect(web.getJson('/x', { query: { [half]: 'a' } })).rejects.toMatchObject({
      field: `request.query.${half}`,
    });
    await expect(web.request({ method: 'POST', path: '/x', body: `a${half}` })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'request.body',
    });
    // Whole pairs go through as they are.
    expect((await web.getJson<Echo>('/x', { query: { q: '😀' } })).url).toBe('/x?q=%F0%9F%98%80');
    const response = await web.request({ method: 'POST', path: '/x', body: 'a😀' });
    expect(((await response.body.json()) as Echo).body).toBe('a😀');
  });
});

describe('HTTP client: pool options that failed every call, or hung close()', () => {
  it('refuses a negative pipelining (no request ever left the pool queue, and close() waited for them for good)', async () => {
    await echoServer();
    const discovery = await loopback.discover();
    for (const pipelining of [-1, -2e-97, 0.5]) {
      expect(() => createHttpClient({ discovery, poolOptions: { pipelining } })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.poolOptions.pipelining' }),
      );
    }
    const web = await loopback.client('web', { poolOptions: { pipelining: 0 } });
    expect((await web.getJson<Echo>('/x')).url).toBe('/x');
  });

  it('names a pool factory that returns no Dispatcher (it was UNKNOWN "client.on is not a function")', async () => {
    await echoServer();
    const web = await loopback.client('web', { policy: false, poolOptions: { factory: () => ({}) as never } });
    await expect(web.getJson('/x')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.poolOptions.factory',
    });
    // A factory that returns a Client is used.
    const working = await loopback.client('web', {
      poolOptions: { factory: (origin, options) => new Client(origin, options) },
    });
    expect((await working.getJson<Echo>('/x')).url).toBe('/x');
  });

  it('refuses an autoSelectFamily that is no boolean when the client is made (it failed every call as UNKNOWN)', async () => {
    const discovery = await loopback.discover();
    expect(() =>
      createHttpClient({ discovery, poolOptions: { autoSelectFamily: new Boolean(true) as never } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.poolOptions.autoSelectFamily' }));
    expect(() =>
      createHttpClient({ discovery, poolOptions: { autoSelectFamily: true, autoSelectFamilyAttemptTimeout: 0 } }),
    ).toThrow(expect.objectContaining({ field: 'options.poolOptions.autoSelectFamilyAttemptTimeout' }));
  });

  it('reports TLS options Node refuses only when connecting as INVALID_ARGUMENT naming poolOptions, not UNKNOWN', async () => {
    await echoServer();
    const web = await loopback.client('web', {
      policy: false,
      scheme: 'https',
      poolOptions: { connect: { ca: 5 as never } },
    });
    await expect(web.getJson('/x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'options.poolOptions' });
  });
});

describe('HTTP client: failures that were UNKNOWN (and blamed on the instance)', () => {
  it('a response over maxResponseSize or maxHeaderSize is RESOURCE_EXHAUSTED, from the JSON helpers and request()', async () => {
    await loopback.serve('a', (request, response) => {
      if (request.url === '/headers') {
        json(response, 200, {}, { 'x-big': 'y'.repeat(4_000) });
      } else if (request.url === '/chunked') {
        // No content-length: the limit is crossed while the body streams, after request() resolved.
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('x'.repeat(2_000));
      } else {
        json(response, 200, { text: 'x'.repeat(2_000) });
      }
    });
    const web = await loopback.client('web', {
      policy: false,
      poolOptions: { maxResponseSize: 100, maxHeaderSize: 1_000 },
    });
    await expect(web.getJson('/x')).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    await expect(web.getJson('/headers')).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    await expect(web.request({ path: '/headers' })).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    // request() hands the body over once the headers are in: the limit fails reading it.
    for (const path of ['/x', '/chunked']) {
      const response = await web.request({ path });
      await expect(response.body.text()).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    }
  });

  it("responses over the client's own size limits do not open the breaker: other requests still get through", async () => {
    await loopback.serve('a', (request, response) => {
      json(response, 200, { text: request.url === '/big' ? 'x'.repeat(2_000) : 'ok' });
    });
    // The default policy (retry with a budget, and a breaker over the service).
    const web = await loopback.client('web', { poolOptions: { maxResponseSize: 100 } });
    for (let call = 0; call < 30; call++) {
      await expect(web.getJson('/big')).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    }
    // Deterministic per request, as a 4xx is: the dependency is healthy, and /small still works.
    expect(await web.getJson('/small')).toEqual({ text: 'ok' });
  });

  it('a socketPath that does not exist is UNAVAILABLE (nothing reached a server)', async () => {
    await echoServer();
    const web = await loopback.client('web', {
      policy: false,
      poolOptions: { socketPath: '/nonexistent/switchyard.sock' },
    });
    await expect(web.getJson('/x')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it("scheme 'https' against a plaintext server is UNAVAILABLE (a TLS failure)", async () => {
    await echoServer();
    const web = await loopback.client('web', { policy: false, scheme: 'https' });
    await expect(web.getJson('/x')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('deadlineHeader named like an Object member', () => {
  it("is refused by the client and the server (a server read the inherited function as the header: 500 for every request; a client's __proto__ header was never sent)", async () => {
    const discovery = await loopback.discover();
    for (const name of ['constructor', '__proto__', 'Constructor']) {
      expect(() => createHttpClient({ discovery, deadlineHeader: name })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.deadlineHeader' }),
      );
      expect(() => httpHandler(() => {}, { deadlineHeader: name })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.deadlineHeader' }),
      );
    }
  });
});

describe('found with random seeds', () => {
  it("refuses a port name no instance can have, and never dials an inherited one ('constructor')", async () => {
    await echoServer();
    const discovery = await loopback.discover();
    for (const port of ['toString', 'HTTP', '']) {
      expect(() => createHttpClient({ discovery, port })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.port' }),
      );
    }
    // A valid port name, but Object's own: it was dialled as `127.0.0.1:function Object()…`, a raw TypeError.
    const web = await loopback.client('web', { policy: false, port: 'constructor' });
    await expect(web.getJson('/x')).rejects.toMatchObject({ code: 'NO_INSTANCES' });
  });

  it('refuses one path for both probes (readiness was never reported; the Fastify plugin hung 10 s)', async () => {
    const healthPaths = { live: '/health', ready: '/health' };
    expect(() => httpHandler(() => {}, { healthPaths })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.healthPaths.ready' }),
    );
    const app = Fastify();
    loopback.onCleanup(() => app.close());
    const started = Date.now();
    await expect(app.register(switchyardFastify, { healthPaths: { ready: '/healthz' } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'switchyardFastify.healthPaths.ready',
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails the Fastify registration at once when a probe route is taken (it hung until avvio gave up)', async () => {
    const app = Fastify();
    loopback.onCleanup(() => app.close());
    app.get('/healthz', async () => 'mine');
    const started = Date.now();
    await expect(app.register(switchyardFastify, {})).rejects.toMatchObject({ code: 'FST_ERR_DUPLICATED_ROUTE' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
