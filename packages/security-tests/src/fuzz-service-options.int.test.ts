import { silentLogger, SwitchyardError } from '@switchyard/core';
import { createRegistry, MemoryRegistry, type Registry } from '@switchyard/registry';
import { type RunningService, startService } from '@switchyard/service';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server } from 'node:net';
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
import { EchoService, echoImplementation } from './support/echo.js';
import { settle, trackUncaughtExceptions, trackUnhandledRejections } from './support/unhandled.js';
import { waitFor } from './support/wait.js';
import { withEnv } from './support/with-env.js';

const unhandled = trackUnhandledRejections();
let uncaught: ReturnType<typeof trackUncaughtExceptions>;
let redis: RedisServerHandle;
/** The test's own view of the registry (its connections are part of the baseline). */
let checker: Registry;

beforeAll(async () => {
  uncaught = trackUncaughtExceptions();
  Server.prototype.listen = function countedListen(this: Server, ...args: unknown[]) {
    listens++;
    return (originalListen as (...args: unknown[]) => Server).apply(this, args);
  } as typeof Server.prototype.listen;
  redis = await startRedis({ via: 'binary' });
  checker = createRegistry(redis.url, { logger: silentLogger });
  await checker.services();
});
afterAll(async () => {
  Server.prototype.listen = originalListen;
  await checker?.close();
  await redis?.stop();
  await settle(50);
  unhandled.stop();
  uncaught.stop();
  expect(unhandled.reasons.map(describeError)).toEqual([]);
  expect(uncaught.errors.map(describeError)).toEqual([]);
});

/**
 * What holds the process open that a service could leave behind: listening servers (a port),
 * connections (Redis, a server's), and signal listeners.
 */
function footprint(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPServerWrap' || kind === 'TCPSocketWrap' || kind === 'UDPWrap' || kind === 'PipeWrap') {
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) counts[signal] = process.listenerCount(signal);
  return counts;
}

/** Calls of net.Server#listen (node:http, gRPC's http2 and the metrics endpoint all go through it). */
let listens = 0;
const originalListen = Server.prototype.listen;
/** Settings whose refusal may come from a listen() that failed: the only ones known only by trying. */
const LISTEN_FIELDS = [
  'http.port',
  'http.host',
  'grpc.port',
  'grpc.host',
  'metrics.port',
  'SWITCHYARD_METRICS_PORT',
  'SWITCHYARD_LISTEN_HOST',
];

/** Every service name the property used: none may stay registered. */
const namesUsed = new Set<string>();
let counter = 0;

const echoServices = fc
  .constant(null)
  .map(() => [{ definition: EchoService, implementation: echoImplementation('fuzz') }]);
const hostLike = mostly(
  fc.constant('127.0.0.1'),
  fc.constantFrom('localhost', '::1', '0.0.0.0', '[::1]', '10.255.255.1', 'nonexistent.invalid', 'a b', '', 'http://x'),
  edgyString,
  anyValue,
);
const portLike = mostly(fc.constant(0), fc.constantFrom(-1, 65_536, 0.5, Number.NaN, '0', 1), anyValue);
/** Each option: mostly a good value, sometimes an odd one. */
const optionValues = {
  name: mostly(fc.constant('NAME'), fc.constantFrom('Bad_Name', '-x', 'a'.repeat(64), ''), edgyString, anyValue),
  registry: mostly(
    fc.constant('REDIS'),
    fc.constant(undefined),
    fc.constantFrom('redis://127.0.0.1:1', 'redis://', 'http://x', 'redis://%zz', 'memory://', ''),
    fc.constant(null).map(() => new MemoryRegistry()),
    fc.constantFrom(42, {}, { register: 'no' }, null),
  ),
  http: mostly(
    fc.record({ port: portLike, host: optional(hostLike) }).map(strip),
    fc.record({
      handler: fc.oneof(
        fc.constant(() => undefined),
        anyValue,
      ),
    }),
    fc.record({ hostname: fc.constant('127.0.0.1') }),
    anyValue,
  ),
  grpc: mostly(
    fc.record({ services: echoServices, port: portLike, host: optional(hostLike) }).map(strip),
    fc.record({ services: fc.oneof(fc.constant([]), anyValue), port: fc.constant(0) }),
    fc.record({ services: echoServices, reflection: anyValue, port: fc.constant(0) }),
    anyValue,
  ),
  version: mostly(fc.constantFrom('1.0.0', 'v2'), edgyString, anyValue),
  zone: mostly(fc.constantFrom('eu-1a', 'z'), fc.constantFrom(0, 1, ['eu-1a'], true), edgyString, anyValue),
  metadata: mostly(
    fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9._/-]{0,10}$/), fc.string({ maxLength: 10 }), { maxKeys: 3 }),
    fc.constant(null).map(() => new Map([['track', 'b']])),
    fc.constant(null).map(() => new Date()),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 4 }), anyValue), { maxKeys: 3 }),
    fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ minLength: 600, maxLength: 700 }), {
      minKeys: 8,
      maxKeys: 9,
    }),
    anyValue,
  ),
  advertiseHost: hostLike,
  ttlMs: mostly(fc.integer({ min: 500, max: 60_000 }), fc.constantFrom(0, 499, 1e12, 0.5), anyValue),
  drainDelayMs: mostly(fc.constant(0), fc.constantFrom(-1, 1e9, 0.5), anyValue),
  shutdownGraceMs: mostly(fc.integer({ min: 0, max: 200 }), fc.constantFrom(-1, 1e9), anyValue),
  handleSignals: mostly(fc.constant(false), fc.constant(true), anyValue),
  ready: mostly(fc.boolean(), anyValue),
  onStop: mostly(
    fc.constant(() => undefined),
    anyValue,
  ),
  logger: mostly(fc.constant(silentLogger), fc.constant({ warn() {}, error() {} }), anyValue),
  tracing: mostly(
    fc.constant(false),
    fc.constant({ exporter: 'memory' }),
    fc.constant({ exporter: 'memory', sampleRatio: 2 }),
    fc.constant({ exporter: 'nope' }),
    anyValue,
  ),
  metrics: mostly(fc.constant(false), fc.constant({ port: 0 }), fc.constantFrom(9100, true, { port: -1 }), anyValue),
};
/** A service that starts (memory-cheap: no tracing, no drain delay, no signal handlers). */
const BASE = {
  name: 'NAME',
  registry: 'REDIS',
  http: { port: 0, host: '127.0.0.1' },
  drainDelayMs: 0,
  handleSignals: false,
  logger: silentLogger,
  tracing: false,
};
/** The base with one to three options replaced (or removed), sometimes with an unknown option. */
const serviceOptions = fc
  .record(optionValues)
  .chain((values) => someOf(values as Record<string, unknown>, 3))
  .map((changes) => strip({ ...BASE, ...changes }))
  .chain((options) =>
    fc.oneof(
      { arbitrary: fc.constant(options as Record<string, unknown>), weight: 12 },
      fc.tuple(fc.string({ maxLength: 8 }), anyValue).map(([key, value]) => ({ ...options, [key]: value })),
    ),
  );

const envText = (valid: fc.Arbitrary<string>) =>
  mostly(
    valid,
    valid.map((value) => ` ${value} `),
    fc.constantFrom('', ' ', 'x y', '%', '-1'),
    fc.string({ maxLength: 10 }),
  );
const ENV_VARIABLES = {
  SWITCHYARD_REGISTRY_URL: mostly(fc.constant('REDIS'), fc.constantFrom('redis://', 'nope', 'redis://:x@127.0.0.1:1')),
  SWITCHYARD_REGISTRY_PASSWORD: envText(fc.constantFrom('secret', 'p@ss/word')),
  SWITCHYARD_REGISTRY_USERNAME: envText(fc.constantFrom('default', 'user')),
  SWITCHYARD_VERSION: envText(fc.constantFrom('3.0.0', 'v1')),
  SWITCHYARD_ZONE: envText(fc.constantFrom('us-1', 'z')),
  SWITCHYARD_ADVERTISE_HOST: envText(fc.constantFrom('127.0.0.1', 'svc.local', 'nonexistent.invalid')),
  POD_IP: envText(fc.constantFrom('127.0.0.1', '10.0.0.9')),
  SWITCHYARD_LISTEN_HOST: envText(
    fc.constantFrom('127.0.0.1', '::1', 'nonexistent.invalid', '10.255.255.1', '0.0.0.0'),
  ),
  SWITCHYARD_TTL_MS: envText(fc.constantFrom('1000', '1e4', '0x400', '100')),
  SWITCHYARD_DRAIN_DELAY_MS: envText(fc.constantFrom('0', '10')),
  SWITCHYARD_SHUTDOWN_GRACE_MS: envText(fc.constantFrom('0', '50')),
  SWITCHYARD_METRICS_PORT: envText(fc.constantFrom('0', '65536', 'abc')),
  SWITCHYARD_TLS_CA: envText(fc.constantFrom('/nonexistent/ca.pem', '/etc/hostname')),
  SWITCHYARD_TLS_SERVER_NAME: envText(fc.constantFrom('svc.local')),
};
const environment = fc.record(ENV_VARIABLES).chain((all) => someOf(all as Record<string, string>, 3));

/** Fills in the run's service name and Redis URL. */
function resolve(options: unknown, env: Record<string, string>, name: string): [unknown, Record<string, string>] {
  const fill = (value: unknown) => (value === 'REDIS' ? redis.url : value === 'NAME' ? name : value);
  const resolvedEnv = Object.fromEntries(Object.entries(env).map(([key, value]) => [key, fill(value) as string]));
  if (typeof options !== 'object' || options === null) return [options, resolvedEnv];
  const resolvedOptions = Object.fromEntries(Object.entries(options).map(([key, value]) => [key, fill(value)]));
  return [resolvedOptions, resolvedEnv];
}

/** The field a refusal names: one of the options given (or `grpc`/`registry` when missing) or a variable set. */
function expectNamesSetting(error: unknown, options: unknown, env: Record<string, string>, context: string): void {
  expectInvalidArgument(error, context);
  const field = (error as { field: string }).field;
  const [head = '', second] = field.split(/[.[]/);
  const option = given(options)[head];
  // A server's own setting (`http.port`, `grpc.host`, `metrics.port`) must have been given, not
  // stand for a value that came from elsewhere (SWITCHYARD_LISTEN_HOST, say).
  const nestedGiven =
    second === undefined ||
    !['port', 'host'].includes(second) ||
    (typeof option === 'object' && option !== null && Object.hasOwn(option, second));
  const named =
    field === 'options' ||
    field.startsWith('options.') || // an unknown option
    Object.hasOwn(env, field) ||
    (Object.hasOwn(given(options), head) && nestedGiven) ||
    // mTLS needs three files: a refusal names the one missing.
    (field.startsWith('SWITCHYARD_TLS_') && Object.keys(env).some((name) => name.startsWith('SWITCHYARD_TLS_'))) ||
    field === 'grpc' || // neither grpc nor http given
    field === 'registry'; // neither the option nor SWITCHYARD_REGISTRY_URL
  expect(named, `${context}: names ${field}, which is neither an option given nor a variable set`).toBe(true);
  // An address this machine cannot listen on is the host's fault, whatever port was asked for.
  const cause = (error as { cause?: { code?: unknown } }).cause?.code;
  if (cause === 'ENOTFOUND' || cause === 'EADDRNOTAVAIL' || cause === 'EAI_AGAIN') {
    expect(field, `${context}: a host that cannot be listened on, named as ${field}`).toMatch(
      /^(http\.host|grpc\.host|SWITCHYARD_LISTEN_HOST)$/,
    );
  }
}

/** No instance of `name` (or of any name used before) is registered. */
async function expectNothingRegistered(context: string): Promise<void> {
  for (const used of namesUsed) {
    expect(await checker.list(used), `${context}: ${used} is still registered`).toEqual([]);
  }
}

describe('startService over arbitrary options and SWITCHYARD_* variables', () => {
  it('refuses bad input with INVALID_ARGUMENT naming it, leaving nothing behind; a service it starts is registered as asked and stops cleanly', async () => {
    const baseline = footprint();
    await fc.assert(
      fc.asyncProperty(serviceOptions, environment, async (generatedOptions, generatedEnv) => {
        const name = `fuzz-${++counter}`;
        namesUsed.add(name);
        const [options, env] = resolve(generatedOptions, generatedEnv, name);
        const what = `startService(${show(options)}) with ${show(env)}`;
        await withEnv(env, async () => {
          let service: RunningService;
          const listensBefore = listens;
          try {
            service = await startService(options as never);
          } catch (error) {
            // A registry that cannot be reached (a dead port, credentials Redis refuses) is a real
            // failure, not bad input: it is reported as such, and must leave nothing behind either.
            if (!SwitchyardError.hasCode(error, 'REGISTRY_UNAVAILABLE')) {
              expectNamesSetting(error, options, env, what);
              // Bad input is refused before anything starts: only a listen that failed is known by trying.
              const field = (error as { field: string }).field;
              if (!LISTEN_FIELDS.includes(field)) {
                expect(listens - listensBefore, `${what}: refused (${field}) only after a server listened`).toBe(0);
              }
            }
            await settle(20);
            await expectNothingRegistered(what);
            expect(footprint(), `${what}: refused, but left something open`).toEqual(baseline);
            return;
          }
          try {
            const given = options as Record<string, unknown>;
            const instance = service.instance;
            expect(await service.registry.list(instance.service), `${what}: not registered`).toContainEqual(
              expect.objectContaining({ id: instance.id }),
            );
            // What was given is what was registered: nothing dropped on the way.
            if (given.zone !== undefined) expect(instance.zone, `${what}: zone`).toBe(given.zone);
            if (given.version !== undefined) expect(instance.version, `${what}: version`).toBe(given.version);
            if (given.metadata !== undefined) expect(instance.metadata, `${what}: metadata`).toEqual(given.metadata);
            if (given.advertiseHost !== undefined) expect(instance.host, `${what}: host`).toBe(given.advertiseHost);
          } finally {
            await service.stop();
          }
          await settle(20);
          // (Redis is the checker's too; a memory registry went with the service.)
          await waitFor(async () => (await checker.list(service.instance.service)).length === 0, {
            what: `${what}: deregistered after stop()`,
            timeoutMs: 2_000,
          });
          expect(footprint(), `${what}: stopped, but left something open`).toEqual(baseline);
        });
      }),
      runs(60, [
        // A zone that is no string passed the pattern test (String(0) is "0") and was then dropped
        // (falsy) or refused by the registry after the servers had started.
        pinned({ registry: 'REDIS', http: { port: 0, host: '127.0.0.1' }, zone: 0 }),
        pinned({ registry: 'REDIS', http: { port: 0, host: '127.0.0.1' }, zone: ['eu-1a'] }),
        // Metadata the registry refuses: after the servers had started, naming `instance.metadata…`.
        pinned({ registry: 'REDIS', http: { port: 0, host: '127.0.0.1' }, metadata: { track: 1 } }),
        // A Map as metadata was spread into {}: registered without it.
        pinned({ registry: 'REDIS', http: { port: 0, host: '127.0.0.1' }, metadata: new Map([['track', 'b']]) }),
        pinned({ registry: 42, http: { port: 0, host: '127.0.0.1' } }),
        pinned({ registry: 'REDIS', http: { port: 0 } }, { SWITCHYARD_LISTEN_HOST: 'nonexistent.invalid' }),
      ]),
    );
  });
});

/** A pinned example: `startService` options over a quiet base (no tracing, logs or signal handlers), and the environment. */
function pinned(options: Record<string, unknown>, env: Record<string, string> = {}): [unknown, Record<string, string>] {
  return [
    { name: 'NAME', ...options, tracing: false, logger: silentLogger, handleSignals: false, drainDelayMs: 0 },
    env,
  ];
}

function given(options: unknown): Record<string, unknown> {
  return typeof options === 'object' && options !== null ? (options as Record<string, unknown>) : {};
}
