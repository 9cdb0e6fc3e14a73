import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { SwitchyardError } from '@switchyard/core';
import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { createHttpClient, type HttpClient, HttpCallError, httpHandler } from '@switchyard/http';
import { MemoryRegistry } from '@switchyard/registry';
import { circuitBreaker, compose, retry } from '@switchyard/resilience';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anyValue,
  describeError,
  edgyString,
  expectInvalidArgument,
  mostly,
  optional,
  runs,
  show,
  someOf,
  strip,
} from './support/arbitraries.js';
import { settle, trackUncaughtExceptions, trackUnhandledRejections } from './support/unhandled.js';

/**
 * Codes a call may fail with for a reason that is not the caller's input: the network, the
 * deadline, the caller's signal, discovery, the policy. UNKNOWN (an error nobody classified) and
 * INTERNAL are not among them.
 */
const TRANSPORT_CODES = [
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'CANCELLED',
  'NO_INSTANCES',
  'CIRCUIT_OPEN',
  'RETRY_EXHAUSTED',
  'RETRY_BUDGET_EXHAUSTED',
  'BULKHEAD_FULL',
  // A response over the client's own size limits (poolOptions maxResponseSize, maxHeaderSize).
  'RESOURCE_EXHAUSTED',
];
/** How long past its own deadline a call may take to settle on a loaded machine. */
const SLACK_MS = 2_000;
/** The shared client's default deadline (calls that give none). */
const DEFAULT_DEADLINE_MS = 3_000;

const unhandled = trackUnhandledRejections();
let uncaught: ReturnType<typeof trackUncaughtExceptions>;
let server: Server;
let registry: MemoryRegistry;
let discovery: Discovery;
let client: HttpClient;

/** Reads a request body (bounded: the property's bodies are small). */
async function drain(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  uncaught = trackUncaughtExceptions();
  server = createServer(
    httpHandler(async (request, response) => {
      const bytes = await drain(request);
      // Header names as received (Node's parsed headers object drops one named `__proto__`).
      const headers = request.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
      // The body as UTF-8 (what a string body reads as) and as base64 (bytes).
      const text = JSON.stringify({
        method: request.method,
        url: request.url,
        headers,
        bodyLength: bytes.length,
        body: bytes.toString('utf8'),
        bytes: bytes.toString('base64'),
      });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      response.end(request.method === 'HEAD' ? undefined : text);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  registry = new MemoryRegistry();
  await registry.register({ id: 'web-1', service: 'web', host: '127.0.0.1', ports: { http: port } });
  discovery = createDiscovery({ registry, service: 'web' });
  await discovery.ready();
  client = createHttpClient({ discovery, tracing: false, defaultDeadlineMs: DEFAULT_DEADLINE_MS });
});
afterAll(async () => {
  await client?.close();
  await discovery?.close();
  await registry?.close();
  await new Promise<void>((resolve) => {
    server?.close(() => resolve());
    server?.closeAllConnections();
  });
  await settle(50);
  unhandled.stop();
  uncaught.stop();
  expect(unhandled.reasons.map(describeError)).toEqual([]);
  expect(uncaught.errors.map(describeError)).toEqual([]);
});

/** `promise`, or a rejection saying it was still pending after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`HUNG: ${what} still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** The answer of a good call: the client is still usable. */
async function expectUsable(http: HttpClient, context: string): Promise<void> {
  const reply = await within(
    http.getJson<{ url: string }>('/still-ok', { deadlineMs: 2_000 }),
    2_000 + SLACK_MS,
    `good call after ${context}`,
  ).catch((error: unknown) => {
    throw new Error(`the client is not usable after ${context}: ${describeError(error)}`);
  });
  expect(reply.url).toBe('/still-ok');
}

/**
 * What a call may fail with: INVALID_ARGUMENT naming a field, an HttpCallError (the server's own
 * answer: Node refuses some methods and targets with 400), or a transport code.
 */
function expectAcceptableFailure(error: unknown, context: string): void {
  expect(SwitchyardError.isInstance(error), `not a SwitchyardError (${context}): ${describeError(error)}`).toBe(true);
  if (error instanceof HttpCallError) return;
  const code = (error as SwitchyardError).code;
  if (code === 'INVALID_ARGUMENT') {
    expectInvalidArgument(error, context);
    return;
  }
  expect(TRANSPORT_CODES, `${context}: ${describeError(error)}`).toContain(code);
}

// ---------------------------------------------------------------------------------------------
// Request inputs
// ---------------------------------------------------------------------------------------------

const methodLike = mostly(
  fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'get', 'post'),
  fc.constantFrom('get', 'post', 'TRACE', 'CONNECT', 'PRI', 'FOO', 'M-SEARCH', '!', 'G ET', 'GET\r\n', '', 'ÄÖ'),
  fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/),
  edgyString,
  anyValue,
);
const pathLike = mostly(
  fc.stringMatching(/^\/[a-z0-9/._~%-]{0,20}$/),
  fc.constantFrom(
    '/',
    '//evil.example/x',
    'http://evil.example/',
    '*',
    '/a b',
    '/a#b',
    '/a?b=1',
    '/%',
    '/%zz',
    '/é',
    '/\u0000',
    '/a\r\nx-injected: 1',
    `/${'a'.repeat(20_000)}`,
    '',
    'relative',
  ),
  edgyString,
  anyValue,
);
const queryValue = mostly(
  fc.oneof(
    fc.string({ maxLength: 10 }),
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(undefined),
    fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.boolean()), { maxLength: 3 }),
  ),
  fc.constantFrom(null, Number.NaN, Number.POSITIVE_INFINITY, -0, 10n),
  fc.constant(null).map(() => Symbol('q')),
  anyValue,
);
const queryLike = mostly(
  fc.dictionary(
    fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 4 }), edgyString),
    queryValue,
    {
      maxKeys: 3,
    },
  ),
  fc.constant(null).map(() => new Map([['tag', 'a']])),
  fc.constant(null).map(() => new URLSearchParams({ tag: 'a' })),
  anyValue,
);
const headerName = mostly(
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/),
  fc.constantFrom(
    'X-Mixed-Case',
    'content-length',
    'content-type',
    'host',
    'transfer-encoding',
    'Connection',
    'expect',
    'te',
    'upgrade',
    'keep-alive',
    'idempotency-key',
    'x-switchyard-deadline-ms',
    'traceparent',
    'baggage',
    'bad name',
    'x:y',
    'x\r\ny',
    'x\u0000',
    'ä',
    '',
    '__proto__',
    'constructor',
    'toString',
  ),
  edgyString,
);
const headerValue = mostly(
  fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 })),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('a\r\nx-injected: 1', 'a\nb', 'a\rb', 'a\u0000b', 'é', '€', '\t', ' ', '', 'ÿ', '\u0100'),
  fc.integer(),
  fc.double(),
  fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constantFrom('a\r\nb', '€')), { maxLength: 3 }),
  fc.constant(undefined),
  anyValue,
);
const headersLike = mostly(
  fc.dictionary(headerName as fc.Arbitrary<string>, headerValue, { maxKeys: 3 }),
  fc.constant(null).map(() => new Map([['x-tag', 'a']])),
  fc.constant(null).map(() => new Headers({ 'x-tag': 'a' })),
  anyValue,
);
/** Bodies of every kind, each made fresh for its run (streams are single-use). */
const bodyLike = mostly(
  fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.uint8Array({ maxLength: 20 }),
    fc.constant(null),
    fc.constant(null).map(() => Readable.from(['a', 'b'])),
  ),
  fc.constant(null).map(() => new ArrayBuffer(4)),
  fc.constant(null).map(() => new Int16Array(2)),
  fc.constant(null).map(() => new DataView(new ArrayBuffer(2))),
  fc.constant(null).map(() => Readable.from(['a', 'b'])),
  fc.constant(null).map(() => Readable.from([Buffer.from('x')], { objectMode: false })),
  fc.constant(null).map(() => Readable.from([1, 2])),
  fc.constant(null).map(() => Readable.from([{}])),
  fc.constant(null).map(
    () =>
      new Readable({
        read() {
          this.destroy(new Error('source failed'));
        },
      }),
  ),
  fc.constant(null).map(() =>
    (async function* () {
      yield 'a';
      yield Buffer.from('b');
    })(),
  ),
  fc.constant(null).map(() =>
    (async function* () {
      yield 'a';
      throw new Error('generator failed');
    })(),
  ),
  fc.constant(null).map(() =>
    (async function* () {
      yield 42;
    })(),
  ),
  fc.constant(null).map(() => new Blob(['x'])),
  fc.constant(null),
  fc.constant(undefined),
  anyValue,
);
const deadlineMsLike = mostly(
  fc.integer({ min: 0, max: 2_000 }),
  fc.integer({ min: 2 ** 31, max: 10 ** 12 }),
  fc.constantFrom(-1, 0, 0.5, 1e20, Number.MAX_VALUE, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.double(),
  anyValue,
);
const deadlineLike = mostly(
  fc.integer({ min: 100, max: 2_000 }).map((ms) => Date.now() + ms),
  fc.constant(null).map(() => Date.now() - 1),
  fc.constantFrom(
    0,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_VALUE,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ),
  fc.constant(null).map(() => new Date(Date.now() + 1_000)),
  anyValue,
);
const signalLike = mostly(
  fc.constant(null).map(() => new AbortController().signal),
  fc.constant(null).map(() => AbortSignal.abort()),
  fc.constant(null).map(() => AbortSignal.timeout(5)),
  fc.constant({ aborted: false, addEventListener: () => undefined, removeEventListener: () => undefined }),
  anyValue,
);
/** What request() takes; anything else must be refused, not ignored. */
const REQUEST_KEYS = [
  'method',
  'path',
  'query',
  'headers',
  'body',
  'deadlineMs',
  'deadline',
  'signal',
  'key',
  'idempotent',
  'throwOnStatus',
];
const JSON_OPTION_KEYS = REQUEST_KEYS.filter((key) => !['method', 'path', 'body'].includes(key));

/** A call that succeeded with an option it does not know ignored it silently. */
function expectNoUnknownKeys(input: unknown, known: string[], context: string): void {
  if (typeof input !== 'object' || input === null) return;
  const unknown = Object.keys(input).filter((key) => !known.includes(key));
  expect(unknown, `${context} succeeded, ignoring options it does not know`).toEqual([]);
}

const requestOptions = {
  query: optional(queryLike),
  headers: optional(headersLike),
  deadlineMs: optional(deadlineMsLike),
  deadline: optional(deadlineLike),
  signal: optional(signalLike),
  key: optional(mostly(fc.string({ maxLength: 8 }), anyValue)),
  idempotent: optional(mostly(fc.boolean(), anyValue)),
  throwOnStatus: optional(mostly(fc.boolean(), anyValue)),
};
const requestLike = fc.oneof(
  {
    arbitrary: fc
      .record({ method: optional(methodLike), path: pathLike, body: optional(bodyLike) })
      .map(strip)
      .chain((request) =>
        fc
          .record(requestOptions)
          .chain((options) => someOf(strip(options), 3).map((some) => ({ ...request, ...some }))),
      ),
    weight: 10,
  },
  fc
    .tuple(fc.string({ maxLength: 8 }), anyValue)
    .map(([key, value]) => ({ path: '/x', [key]: value }) as Record<string, unknown>),
  anyValue,
);
const jsonOptionsLike = fc.oneof(
  { arbitrary: fc.record(requestOptions).chain((options) => someOf(strip(options), 3)), weight: 8 },
  fc.record({ method: methodLike }),
  fc.record({ body: bodyLike }),
  fc.constant(undefined),
  anyValue,
);

/**
 * The time `request` may take to settle: its own deadline (the earliest of `deadlineMs` and
 * `deadline`, as the client documents), else the client's default, plus slack. Far deadlines
 * count as none: the server answers at once, so a call still pending seconds later hangs.
 */
function allowedMs(request: unknown): number {
  const { deadlineMs, deadline } = (typeof request === 'object' && request !== null ? request : {}) as {
    deadlineMs?: unknown;
    deadline?: unknown;
  };
  const limits = [DEFAULT_DEADLINE_MS];
  if (typeof deadlineMs === 'number' && deadlineMs >= 0) limits.push(deadlineMs);
  if (typeof deadline === 'number' && !Number.isNaN(deadline)) limits.push(deadline - Date.now());
  return Math.max(0, Math.min(...limits)) + SLACK_MS;
}

/** Consumes a response (an unread body holds its connection, and close() waits for it). */
async function consume(response: { body: { dump(): Promise<void> } }): Promise<void> {
  await response.body.dump();
}

/** The header names and query names a request gave (with a value to send), from any kind of object. */
function given(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: [string, unknown][] =
    value instanceof Map || value instanceof Headers || value instanceof URLSearchParams
      ? [...(value as Map<string, unknown>).entries()]
      : Object.keys(value).map((key) => [key, (value as Record<string, unknown>)[key]]);
  return entries
    .filter(([, item]) => item !== undefined && !(Array.isArray(item) && item.length === 0))
    .map(([key]) => key);
}

/** A request that succeeded delivered every header and query parameter it gave: nothing dropped silently. */
async function expectDelivered(request: unknown, response: { status: number; body: { json(): Promise<unknown> } }) {
  const { headers, query } = request as { headers?: unknown; query?: unknown };
  if (response.status !== 200 || (request as { method?: string }).method?.toUpperCase() === 'HEAD') {
    await (response.body as unknown as { dump(): Promise<void> }).dump();
    return;
  }
  const echo = (await response.body.json()) as {
    url: string;
    headers: string[];
    bodyLength: number;
    body: string;
    bytes: string;
  };
  // A string or bytes body arrives as given.
  const sent = (request as { body?: unknown }).body;
  if (typeof sent === 'string') expect(echo.body, `the body of ${show(request)} arrived altered`).toBe(sent);
  if (sent instanceof Uint8Array) {
    expect(echo.bytes, `the body of ${show(request)} arrived altered`).toBe(Buffer.from(sent).toString('base64'));
  }
  // undici frames the body itself: a caller's content-length goes out only when it is the body's
  // (on a GET without a body it is left out), so what is checked is that it was not wrong.
  const contentLength = given(headers).find((name) => name.toLowerCase() === 'content-length');
  if (contentLength !== undefined) {
    const value = (headers as Record<string, unknown>)[contentLength];
    expect(String(value), `${show(request)} was sent with another content-length`).toBe(String(echo.bodyLength));
  }
  for (const name of given(headers).filter((name) => name.toLowerCase() !== 'content-length')) {
    expect(echo.headers, `header ${show(name)} of ${show(request)} was not sent`).toContain(name.toLowerCase());
  }
  const received = new URLSearchParams(echo.url.split('?').slice(1).join('&'));
  for (const name of given(query)) {
    expect(received.has(name), `query ${show(name)} of ${show(request)} was not sent (${echo.url})`).toBe(true);
    // Each value as given, not altered on the way (URLSearchParams turns a lone surrogate into U+FFFD).
    const value = (query as Record<string, unknown>)[name];
    for (const item of Array.isArray(value) ? value : [value]) {
      expect(received.getAll(name), `query ${show(name)} of ${show(request)} arrived altered (${echo.url})`).toContain(
        String(item),
      );
    }
  }
}

/** Runs one call: it must return a promise (never throw) that settles in time as the property says. */
async function checkCall(
  what: string,
  allowed: number,
  call: () => Promise<unknown>,
  onValue?: (v: unknown) => Promise<void>,
) {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch (error) {
    throw new Error(`${what} threw synchronously: ${describeError(error)}`);
  }
  expect(typeof (promise as Promise<unknown>)?.then, `${what} returned no promise`).toBe('function');
  let value: unknown;
  try {
    value = await within(promise, allowed, what);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('HUNG:')) throw error;
    expectAcceptableFailure(error, what);
    return;
  }
  await onValue?.(value);
}

describe('HTTP client requests with arbitrary input', () => {
  it('request(): a response, INVALID_ARGUMENT naming a field, or a transport failure, in time; the client stays usable', async () => {
    await fc.assert(
      fc.asyncProperty(requestLike, async (request) => {
        const what = `request(${show(request)})`;
        await checkCall(
          what,
          allowedMs(request),
          () => client.request(request as never),
          async (response) => {
            await expectDelivered(request, response as never);
            expectNoUnknownKeys(request, REQUEST_KEYS, what);
          },
        );
        await expectUsable(client, what);
      }),
      runs(250, [
        // A headers object that is not a plain object (fetch's Headers, a Map) lost every header.
        [{ path: '/x', headers: new Headers({ 'x-tag': 'a' }) }],
        [{ path: '/x', query: new Map([['tag', 'a']]) }],
        // Half an emoji (a string cut with slice()): URLSearchParams, and UTF-8 for a body, sent U+FFFD in its place.
        [{ path: '/x', query: { q: '😀'.slice(0, 1) } }],
        [{ method: 'POST', path: '/x', body: `a${'😀'.slice(0, 1)}` }],
        [{ path: '/x', headers: { ['__proto__']: 'a' } }],
        [{ path: '/x', headers: JSON.parse('{"__proto__":"a","x-b":"1"}') }],
        // undici put its own content-length in place of the caller's, without a word.
        [{ method: 'POST', path: '/x', headers: { 'content-length': '5' } }],
        [{ path: '/x', headers: { 'content-length': '5' } }],
        [{ method: 'POST', path: '/x', headers: { 'content-length': '1.5' }, body: 'a' }],
        [{ method: 'POST', path: '/x', body: Readable.from([{}]) }],
        [{ path: '/x', deadlineMs: Number.MAX_VALUE }],
      ] as [unknown][]),
    );
  });

  it('getJson()/postJson(): a value, INVALID_ARGUMENT naming a field, or a transport failure, in time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('get', 'post'),
        pathLike,
        fc.oneof(fc.jsonValue(), anyValue),
        jsonOptionsLike,
        async (helper, path, value, options) => {
          const what =
            helper === 'get'
              ? `getJson(${show(path)}, ${show(options)})`
              : `postJson(${show(path)}, ${show(value)}, ${show(options)})`;
          await checkCall(
            what,
            allowedMs(options),
            () =>
              helper === 'get'
                ? client.getJson(path as string, options as never)
                : client.postJson(path as string, value, options as never),
            async () => expectNoUnknownKeys(options, JSON_OPTION_KEYS, what),
          );
          await expectUsable(client, what);
        },
      ),
      runs(150, [
        // JSON.parse makes an own `__proto__` key: Object.assign took it for the request's
        // prototype, so an unknown option was ignored, or its properties became options unchecked.
        ['get', '/x', null, JSON.parse('{"__proto__":{"timeoutMs":5}}')],
        ['get', '/x', null, JSON.parse('{"__proto__":{"query":{"a":"1"}}}')],
      ] as [string, unknown, unknown, unknown][]),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Client options
// ---------------------------------------------------------------------------------------------

/** A timeout-like number: mostly sensible, sometimes at or past the edges, sometimes not a number. */
const smallNumber = mostly(
  fc.integer({ min: 1, max: 5_000 }),
  fc.integer({ min: -2, max: 0 }),
  fc.double(),
  fc.constantFrom(0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, 1e20),
  anyValue,
);
const poolOptionsLike = mostly(
  fc
    .record({
      connections: optional(mostly(fc.integer({ min: 1, max: 4 }), smallNumber, fc.constant(null))),
      pipelining: optional(smallNumber),
      keepAliveTimeout: optional(smallNumber),
      keepAliveMaxTimeout: optional(smallNumber),
      keepAliveTimeoutThreshold: optional(smallNumber),
      headersTimeout: optional(smallNumber),
      bodyTimeout: optional(smallNumber),
      connectTimeout: optional(smallNumber),
      maxHeaderSize: optional(smallNumber),
      maxResponseSize: optional(mostly(fc.constant(-1), smallNumber)),
      maxRequestsPerClient: optional(smallNumber),
      strictContentLength: optional(mostly(fc.boolean(), anyValue)),
      allowH2: optional(mostly(fc.boolean(), anyValue)),
      autoSelectFamily: optional(mostly(fc.boolean(), anyValue)),
      localAddress: optional(
        mostly(fc.constant('127.0.0.1'), fc.constantFrom('10.255.255.1', 'nope', '::1'), anyValue),
      ),
      socketPath: optional(fc.oneof(fc.constantFrom('/nonexistent/socket'), anyValue)),
      connect: optional(
        mostly(
          fc.record({ timeout: optional(smallNumber), rejectUnauthorized: optional(fc.boolean()) }).map(strip),
          // A custom connector that fails as a refused connection, and one that never answers.
          fc.constant((_options: unknown, callback: (error: Error | null) => void) =>
            callback(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })),
          ),
          fc.constant(() => undefined),
          anyValue,
        ),
      ),
      factory: optional(
        fc.oneof(
          fc.constant(() => ({})),
          fc.constant(() => undefined),
          anyValue,
        ),
      ),
      interceptors: optional(anyValue),
    })
    .map(strip)
    // A few pool options at a time: with all of them, nearly every run had one that undici refuses.
    .chain((all) => someOf(all, 3)),
  fc.tuple(fc.string({ maxLength: 10 }), anyValue).map(([key, value]) => ({ [key]: value })),
  anyValue,
);
const clientOptions = fc
  .record({
    policy: optional(
      mostly(
        fc.constantFrom(false, undefined),
        fc.constant(null).map(() => compose(retry({ maxAttempts: 2 }), circuitBreaker())),
        fc.constant({ execute: 'no' }),
        anyValue,
      ),
    ),
    tracing: optional(mostly(fc.boolean(), anyValue)),
    port: optional(
      mostly(fc.constant('http'), fc.constantFrom('grpc', 'constructor', 'toString'), edgyString, anyValue),
    ),
    scheme: optional(mostly(fc.constant('http'), fc.constantFrom('https', 'HTTP', 'ftp'), anyValue)),
    poolOptions: optional(poolOptionsLike),
    defaultDeadlineMs: optional(smallNumber),
    deadlineHeader: optional(
      mostly(
        fc.constantFrom('x-deadline', 'X-Deadline-Ms', 'x-switchyard-deadline-ms'),
        fc.constantFrom(
          'content-length',
          'Host',
          'traceparent',
          'x deadline',
          'x:y',
          '',
          'x\r\n',
          '__proto__',
          'constructor',
        ),
        edgyString,
        anyValue,
      ),
    ),
    throwOnStatus: optional(mostly(fc.boolean(), anyValue)),
    retryableStatuses: optional(
      mostly(
        fc.array(fc.integer({ min: 400, max: 599 }), { maxLength: 4 }),
        fc.array(fc.oneof(fc.integer({ min: 100, max: 700 }), anyValue), { maxLength: 4 }),
        anyValue,
      ),
    ),
    maxErrorBodyBytes: optional(smallNumber),
    closePoolsAfterMs: optional(smallNumber),
  })
  .map(strip)
  // A few options at a time, each mostly valid: most clients are made, with one or two odd settings.
  .chain((all) => someOf(all, 4))
  .chain((options) =>
    fc.oneof(
      { arbitrary: fc.constant(options as Record<string, unknown>), weight: 6 },
      fc.tuple(fc.string({ maxLength: 10 }), anyValue).map(([key, value]) => ({ ...options, [key]: value })),
    ),
  );

describe('createHttpClient(options) over arbitrary input', () => {
  it('throws INVALID_ARGUMENT at once, or gives a client whose calls settle as they should and that closes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ arbitrary: clientOptions, weight: 10 }, anyValue),
        fc.constantFrom('getJson', 'request', 'postJson'),
        async (options, call) => {
          const withDiscovery =
            typeof options === 'object' && options !== null && !Array.isArray(options)
              ? { discovery, ...(options as Record<string, unknown>) }
              : options;
          let http: HttpClient;
          try {
            http = createHttpClient(withDiscovery as never);
          } catch (error) {
            expectInvalidArgument(error, `createHttpClient(${show(options)})`);
            return;
          }
          const what = `${call}() on createHttpClient(${show(options)})`;
          try {
            // The server answers at once: 1.5 s is plenty unless the options (timeouts) make it fail sooner.
            await checkCall(
              what,
              1_500 + SLACK_MS,
              () =>
                call === 'getJson'
                  ? http.getJson('/x', { deadlineMs: 1_500 })
                  : call === 'postJson'
                    ? http.postJson('/x', { a: 1 }, { deadlineMs: 1_500 })
                    : http.request({ path: '/x', deadlineMs: 1_500 }),
              call === 'request' ? (response) => consume(response as never) : undefined,
            );
          } finally {
            await within(http.close(), 5_000, `close() of ${what}`);
          }
        },
      ),
      runs(150, [
        // A deadline header named like an Object.prototype member was never sent.
        [{ deadlineHeader: '__proto__' }, 'getJson'],
        [{ poolOptions: { factory: () => ({}) } }, 'getJson'],
        [{ poolOptions: { maxResponseSize: 1 } }, 'getJson'],
        [{ poolOptions: { socketPath: '/nonexistent/socket' } }, 'request'],
        // Found with random seeds: an inherited "port" was dialled (a raw TypeError: Invalid URL).
        [{ port: 'toString' }, 'getJson'],
        [{ port: 'constructor' }, 'getJson'],
      ] as [unknown, string][]),
    );
  });
});
