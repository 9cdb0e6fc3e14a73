import { parse as legacyParse } from 'node:url';
import { SwitchyardError } from '@switchyard/core';
import { createRegistry, MemoryRegistry, parseRedisUrl, type Registry } from '@switchyard/registry';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anyValue,
  describeError,
  edgyString,
  expectInvalidArgument,
  instanceLike,
  runs,
  serviceName,
  show,
  version,
} from './support/arbitraries.js';
import { freePort } from './support/free-port.js';
import { deepText, recordingLogger } from './support/recording-logger.js';
import { settle, trackUnhandledRejections } from './support/unhandled.js';

let closedPort: number;
const unhandled = trackUnhandledRejections();
beforeAll(async () => {
  closedPort = await freePort();
});
afterAll(async () => {
  await settle(50);
  unhandled.stop();
  expect(unhandled.reasons.map(describeError)).toEqual([]);
});

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '']);

/** True when constructing a registry for `url` can only ever dial loopback (fuzzing must not reach the network). */
function dialsLoopbackOnly(url: string): boolean {
  let target: ReturnType<typeof parseRedisUrl>;
  try {
    target = parseRedisUrl(url);
  } catch {
    return true; // rejected before any client exists
  }
  if (target.kind !== 'standalone') {
    const nodes = target.kind === 'sentinel' ? target.sentinels : target.nodes;
    return nodes.every((node) => LOOPBACK.has(node.host));
  }
  try {
    const whatwg = new URL(url).hostname;
    const legacy = legacyParse(url).hostname ?? '';
    return LOOPBACK.has(whatwg) && LOOPBACK.has(legacy);
  } catch {
    return false;
  }
}

const schemes = fc.constantFrom(
  'redis',
  'rediss',
  'redis-sentinel',
  'redis-cluster',
  'memory',
  'REDIS',
  'redis+tls',
  'http',
  '',
  'redis:',
  ' redis',
);
const userinfo = fc.oneof(
  fc.constant(''),
  fc.constantFrom('user@', 'user:pass@', ':pass@', '@', ':@', 'user:p%40ss@', 'u:%ZZ@', 'u:%@', 'a:b:c@'),
  fc.string({ maxLength: 12 }).map((s) => `${s}@`),
);
const hosts = (port: () => number) =>
  fc.oneof(
    fc.constantFrom(
      '127.0.0.1',
      'localhost',
      '[::1]',
      '127.0.0.1:0',
      '127.0.0.1:65536',
      '127.0.0.1:-1',
      '127.0.0.1:1e3',
      '',
    ),
    fc.constant(null).map(() => `127.0.0.1:${port()}`),
    fc.constant(null).map(() => `127.0.0.1:${port()},localhost:${port()}`),
    fc.constant(null).map(() => `127.0.0.1:${port()},,`),
    edgyString,
  );
const paths = fc.constantFrom(
  '',
  '/',
  '/0',
  '/15',
  '/99999999999',
  '/abc',
  '/-1',
  '/mymaster',
  '/my%20master',
  '/%ZZ',
  '//',
);
const queries = fc.oneof(
  fc.constantFrom('', '?db=0', '?db=-1', '?db=1.5', '?db=', '?tls=true', '?sentinelPassword=x', '?db=0&db=1', '#frag'),
  fc.string({ maxLength: 12 }).map((s) => `?${s}`),
);

describe('createRegistry(url) over arbitrary strings', () => {
  it('returns a registry that closes cleanly, or throws INVALID_ARGUMENT; never another error, never an unhandled rejection', async () => {
    const structured = fc
      .tuple(
        schemes,
        userinfo,
        hosts(() => closedPort),
        paths,
        queries,
      )
      .map(([scheme, user, host, path, query]) => `${scheme}://${user}${host}${path}${query}`);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { arbitrary: structured, weight: 4 },
          fc.string({ maxLength: 40 }),
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.webUrl({
            withQueryParameters: true,
            withFragments: true,
            authoritySettings: { withUserInfo: true, withPort: true },
          }),
          anyValue,
        ),
        fc.oneof(
          fc.constant(undefined),
          fc.constant({}),
          fc.record({ namespace: fc.oneof(edgyString, fc.constant('ns')) }),
        ),
        async (url, options) => {
          if (typeof url === 'string' && !dialsLoopbackOnly(url)) {
            // Could dial elsewhere: check the pure parser only.
            try {
              parseRedisUrl(url);
            } catch (error) {
              expectInvalidArgument(error, `parseRedisUrl(${JSON.stringify(url)})`);
            }
            return;
          }
          let registry: Registry;
          try {
            registry = createRegistry(url as string, options as never);
          } catch (error) {
            expectInvalidArgument(error, `createRegistry(${show(url)})`);
            return;
          }
          expect(typeof registry.list).toBe('function');
          await registry.close();
        },
      ),
      runs(300, [
        ['redis://user:%ZZ@127.0.0.1:1', undefined],
        ['redis-sentinel://127.0.0.1:1/%ZZ', undefined],
      ] as [unknown, unknown][]),
    );
  });

  it('a password in the URL (encoded or not, with URL delimiters in it) never appears in an error or in registry.toString()', async () => {
    // Distinctive fragments joined by delimiters, so a partial leak is caught too.
    const fragment = fc.stringMatching(/^Q[a-z0-9]{7,9}$/);
    const delimiter = fc.constantFrom('@', '/', ':', '?', '#', '&', '=', '!', '$', ' ', '\\', '+', ',', ';');
    const password = fc
      .tuple(fragment, fc.array(fc.tuple(delimiter, fragment), { maxLength: 3 }))
      .map(([first, rest]) => ({
        text: first + rest.map(([d, f]) => d + f).join(''),
        fragments: [first, ...rest.map(([, f]) => f)],
      }));
    const logger = recordingLogger();
    await fc.assert(
      fc.asyncProperty(
        password,
        fc.constantFrom('redis', 'rediss', 'redis-sentinel', 'redis-cluster'),
        fc.constantFrom('raw', 'encoded'),
        fc.constantFrom('user:', ':'),
        async ({ text, fragments }, scheme, how, user) => {
          const secret = how === 'raw' ? text : encodeURIComponent(text);
          const path = scheme === 'redis-sentinel' ? '/mymaster' : '';
          const url = `${scheme}://${user}${secret}@127.0.0.1:${closedPort}${path}`;
          const seen: string[] = [];
          if (!dialsLoopbackOnly(url)) {
            try {
              parseRedisUrl(url);
            } catch (error) {
              seen.push(deepText(error));
            }
          } else {
            try {
              const registry = createRegistry(url, { logger, connectTimeoutMs: 50 });
              seen.push(String(registry));
              await registry.close();
            } catch (error) {
              seen.push(deepText(error));
            }
          }
          const visible = `${seen.join('\n')}\n${logger.text()}`;
          for (const part of fragments) {
            expect(
              visible.includes(part),
              `password fragment of ${JSON.stringify(text)} visible in:\n${visible.slice(0, 600)}`,
            ).toBe(false);
          }
        },
      ),
      runs(300, [
        [{ text: 'Qpart0001@Qpart0002', fragments: ['Qpart0001', 'Qpart0002'] }, 'redis', 'raw', 'user:'],
        [{ text: 'Qpart0003/Qpart0004', fragments: ['Qpart0003', 'Qpart0004'] }, 'redis', 'raw', 'user:'],
      ] as [{ text: string; fragments: string[] }, string, string, string][]),
    );
  });
});

describe('MemoryRegistry over arbitrary input', () => {
  it('register(anything, anything) resolves for a valid instance or rejects INVALID_ARGUMENT, writing nothing', async () => {
    const registry = new MemoryRegistry();
    const registerOptions = fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 4 },
      fc.record({ ttlMs: fc.oneof(fc.integer({ min: 500, max: 86_400_000 }), fc.integer(), fc.double(), anyValue) }),
      anyValue,
    );
    await fc.assert(
      fc.asyncProperty(instanceLike, registerOptions, async (input, options) => {
        const before = await registry.services();
        let registration: Awaited<ReturnType<Registry['register']>>;
        try {
          registration = await registry.register(input as never, options as never);
        } catch (error) {
          expectInvalidArgument(error, 'MemoryRegistry.register');
          expect(await registry.services()).toEqual(before);
          return;
        }
        expect((await registry.list(registration.instance.service)).map((i) => i.id)).toContain(
          registration.instance.id,
        );
        await registration.deregister();
      }),
      runs(300),
    );
    expect(await registry.services()).toEqual([]);
    await registry.close();
  });

  it('list / watch / setRoute with arbitrary arguments resolve or reject INVALID_ARGUMENT', async () => {
    const registry = new MemoryRegistry();
    await registry.register({ id: 'r-1', service: 'routed', version: '1.0.0', host: '127.0.0.1', ports: { grpc: 1 } });
    const name = fc.oneof(serviceName, fc.constant('routed'), edgyString, anyValue);
    const rule = fc.oneof(
      fc.constant(undefined),
      fc.constant({ splits: { '1.0.0': 100 } }),
      fc.record({
        splits: fc.dictionary(fc.oneof(version, edgyString), fc.oneof(fc.integer(), anyValue), { maxKeys: 4 }),
      }),
      anyValue,
    );
    await fc.assert(
      fc.asyncProperty(name, rule, anyValue, async (service, route, listener) => {
        const attempts: Promise<unknown>[] = [
          registry.list(service as string),
          registry.setRoute(service as string, route as never),
          registry.getRoute(service as string),
          registry.watch(service as string, listener as never).then((stop) => stop()),
        ];
        for (const outcome of await Promise.allSettled(attempts)) {
          if (outcome.status === 'rejected') expectInvalidArgument(outcome.reason, show(service));
        }
        await registry.setRoute('routed', undefined).catch(() => undefined);
      }),
      runs(200),
    );
    await registry.close();
  });

  it('a closed registry rejects with REGISTRY_UNAVAILABLE, not a crash', async () => {
    const registry = new MemoryRegistry();
    await registry.close();
    const error = await registry.list('catalog').catch((caught: unknown) => caught);
    expect(SwitchyardError.hasCode(error, 'REGISTRY_UNAVAILABLE')).toBe(true);
  });
});
