import { type ServiceInstance, SwitchyardError, validateInstance } from '@switchyard/core';
import { RedisRegistry, type Registration, type RegistryEvent, serviceKeys, servicesKey } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError, runs, show } from './support/arbitraries.js';
import { serverNowMs } from './support/exercise-registry.js';
import { recordingLogger } from './support/recording-logger.js';
import { settle, trackUnhandledRejections } from './support/unhandled.js';
import { waitFor } from './support/wait.js';

const NAMESPACE = 'fz';
const unhandled = trackUnhandledRejections();
const logger = recordingLogger();
let redis: RedisServerHandle;
let admin: Redis;
let registry: RedisRegistry;
let serviceCounter = 0;

beforeAll(async () => {
  redis = await startRedis({ via: process.env.SWITCHYARD_TESTING_VIA === 'container' ? 'container' : 'binary' });
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  registry = new RedisRegistry({
    url: redis.url,
    namespace: NAMESPACE,
    logger,
    sweepIntervalMs: 50,
    resyncIntervalMs: 100,
    heartbeatIntervalMs: 1_000,
  });
});
afterAll(async () => {
  await registry?.close();
  admin?.disconnect();
  await redis?.stop();
  await settle(50);
  unhandled.stop();
  expect(unhandled.reasons.map(describeError)).toEqual([]);
});

/** The watcher's view, rebuilt from the events it receives; every instance it is handed is checked. */
class View {
  readonly instances = new Map<string, ServiceInstance>();
  readonly problems: string[] = [];
  constructor(private readonly service: string) {}
  readonly listener = (event: RegistryEvent): void => {
    const check = (instance: ServiceInstance): void => {
      try {
        validateInstance(instance);
        if (instance.service !== this.service) this.problems.push(`foreign instance ${show(instance)}`);
      } catch (error) {
        this.problems.push(`invalid instance ${show(instance)}: ${describeError(error)}`);
      }
    };
    if (event.type === 'snapshot') {
      this.instances.clear();
      for (const instance of event.instances) {
        check(instance);
        this.instances.set(instance.id, instance);
      }
    } else if (event.type === 'up' || event.type === 'update') {
      check(event.instance);
      this.instances.set(event.instance.id, event.instance);
    } else if (event.type === 'down') this.instances.delete(event.id);
  };
  ids(): string[] {
    return [...this.instances.keys()].sort();
  }
}

const validInstance = (service: string, id: string) => ({
  id,
  service,
  host: '10.0.0.9',
  ports: { grpc: 50_051 },
  weight: 100,
  metadata: {},
  status: 'up',
});

/** A garbage value for an `instances` hash field: text, JSON of any shape, near-valid instances, mismatches, big values. */
const instanceValue = (service: string, id: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.json({ maxDepth: 3 }),
    fc.constantFrom(
      '',
      'null',
      '{}',
      '[]',
      '{"id":',
      'NaN',
      '1e999',
      '"x"',
      '\u0000',
      '{"__proto__":{"polluted":true}}',
    ),
    fc
      .tuple(
        fc.constantFrom('id', 'service', 'host', 'ports', 'weight', 'metadata', 'status', 'version', 'zone', 'extra'),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map(([field, value]) => JSON.stringify({ ...validInstance(service, id), [field]: value })),
    fc.constantFrom(
      JSON.stringify(validInstance(service, `${id}-other`)),
      JSON.stringify(validInstance('other-service', id)),
      JSON.stringify({ ...validInstance(service, id), host: 'http://evil.example/' }),
      JSON.stringify({ ...validInstance(service, id), ports: { grpc: 0 } }),
      JSON.stringify({ ...validInstance(service, id), metadata: { k: 'v'.repeat(5_000) } }),
    ),
    fc.constant('x'.repeat(70_000)),
    fc.constant(`${'['.repeat(5_000)}${']'.repeat(5_000)}`),
  );

const score = fc.oneof(
  fc.integer({ min: -120_000, max: 120_000 }).map((offset) => ({ offset })),
  fc.constantFrom('+inf', '-inf', 0, -1, 1e300, -1e300),
);
const memberName = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', ':', '{x}', 'a|1', '*'),
);

/** A change message: text, JSON, or message-shaped objects with garbage fields. */
const messageValue = (service: string, gid: string) =>
  fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.json({ maxDepth: 3 }),
    fc.constantFrom(
      '',
      '{',
      'null',
      '[]',
      '{"rev":"1"}',
      '{"rev":1e400,"type":"up"}',
      '{"rev":-5,"type":"down","id":"x"}',
    ),
    fc
      .record(
        {
          rev: fc.oneof(
            fc.integer({ min: -2, max: 1_000_000 }),
            fc.constant(Number.MAX_SAFE_INTEGER),
            fc.jsonValue({ maxDepth: 1 }),
          ),
          type: fc.oneof(
            fc.constantFrom('up', 'update', 'down', 'route', 'snapshot', 'stale'),
            fc.jsonValue({ maxDepth: 1 }),
          ),
          instance: fc.oneof(
            fc.jsonValue({ maxDepth: 2 }),
            fc.constant(validInstance(service, gid)),
            fc.constant({ ...validInstance(service, gid), host: 7 }),
          ),
          id: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(gid, 'valid-a'), fc.jsonValue({ maxDepth: 1 })),
          reason: fc.jsonValue({ maxDepth: 1 }),
          rule: fc.oneof(
            fc.jsonValue({ maxDepth: 2 }),
            fc.constant({ splits: { '9.9.9': 100 } }),
            fc.constant('{"splits":'),
          ),
        },
        { requiredKeys: [] },
      )
      .map((message) => JSON.stringify(message)),
  );

type Operation =
  | { kind: 'instance'; id: string; value: string; indexed: boolean }
  | { kind: 'lease'; member: string; score: { offset: number } | string | number }
  | { kind: 'gens'; id: string; value: string }
  | { kind: 'route'; value: string }
  | { kind: 'message'; value: string }
  | { kind: 'service-name'; value: string };

const plan = (service: string): fc.Arbitrary<Operation[]> =>
  fc.array(
    fc.integer({ min: 0, max: 999 }).chain((n): fc.Arbitrary<Operation> => {
      const gid = `junk-${n}`;
      return fc.oneof(
        {
          arbitrary: fc.record({
            kind: fc.constant('instance' as const),
            id: fc.oneof(fc.constant(gid), memberName),
            value: instanceValue(service, gid),
            indexed: fc.boolean(),
          }),
          weight: 4,
        },
        {
          arbitrary: fc.record({
            kind: fc.constant('lease' as const),
            member: fc.oneof(fc.constant(gid), memberName),
            score,
          }),
          weight: 2,
        },
        fc.record({
          kind: fc.constant('gens' as const),
          id: fc.oneof(fc.constant(gid), memberName),
          value: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', '-1', '1e9', 'x:y')),
        }),
        fc.record({
          kind: fc.constant('route' as const),
          value: fc.oneof(
            fc.string({ maxLength: 30 }),
            fc.json({ maxDepth: 3 }),
            fc.constantFrom('{"splits":{"1.0.0":50}}', '{"splits":{"9.9.9":100}}', '{"splits":{}}'),
          ),
        }),
        {
          arbitrary: fc.record({ kind: fc.constant('message' as const), value: messageValue(service, gid) }),
          weight: 3,
        },
        fc.record({
          kind: fc.constant('service-name' as const),
          value: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', 'UPPER', 'a b', '{x}', 'x'.repeat(100))),
        }),
      );
    }),
    { minLength: 1, maxLength: 8 },
  );

const VALID_IDS = ['valid-a', 'valid-b'];
const isValidId = (id: string) => VALID_IDS.includes(id);

/** Applies one garbage write straight to Redis. Never touches the valid entries' own fields. */
async function apply(service: string, operation: Operation, now: number): Promise<void> {
  const keys = serviceKeys(NAMESPACE, service);
  const resolveScore = (value: { offset: number } | string | number): string | number =>
    typeof value === 'object' ? now + value.offset : value;
  switch (operation.kind) {
    case 'instance':
      if (isValidId(operation.id)) return;
      await admin.hset(keys.instances, operation.id, operation.value);
      if (operation.indexed) await admin.zadd(keys.leases, now + 60_000, operation.id);
      return;
    case 'lease':
      if (isValidId(operation.member)) return;
      await admin.zadd(keys.leases, resolveScore(operation.score), operation.member);
      return;
    case 'gens':
      if (isValidId(operation.id)) return;
      await admin.hset(keys.scriptKeys[1], operation.id, operation.value);
      return;
    case 'route':
      await admin.set(`${NAMESPACE}:{${service}}:route`, operation.value);
      return;
    case 'message':
      await admin.publish(keys.channel, operation.value);
      return;
    case 'service-name':
      await admin.sadd(servicesKey(NAMESPACE), operation.value);
      return;
  }
}

/** Whether the registry should list this stored value for this id (the decode rules, restated). */
function decodesAsValid(service: string, id: string, raw: string): boolean {
  try {
    const instance = validateInstance(JSON.parse(raw), 'entry');
    return instance.id === id && instance.service === service;
  } catch {
    return false;
  }
}

describe('raw registry contents: garbage values beside valid entries', () => {
  it('list, services and watch never throw, never hide the valid entries, and warn about listed garbage', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => {
          const service = `g${++serviceCounter}`;
          return fc.tuple(fc.constant(service), plan(service));
        }),
        async ([service, operations]) => {
          const registrations: Registration[] = [];
          for (const id of VALID_IDS)
            registrations.push(await registry.register(validInstance(service, id) as never, { ttlMs: 30_000 }));
          const valid = registrations.map((registration) => registration.instance);
          const longLived = new View(service);
          const stopLongLived = await registry.watch(service, longLived.listener);
          try {
            const now = await serverNowMs(admin);
            for (const operation of operations) await apply(service, operation, now);

            // list(): resolves, holds both valid entries unchanged, only valid instances.
            const listed = await registry.list(service);
            for (const instance of valid) expect(listed).toContainEqual(instance);
            for (const instance of listed) {
              expect(() => validateInstance(instance)).not.toThrow();
              expect(instance.service).toBe(service);
            }
            // services(): resolves and names this service.
            expect(await registry.services()).toContain(service);
            // A new watch starts from a snapshot holding the valid entries.
            const fresh = new View(service);
            const stopFresh = await registry.watch(service, fresh.listener);
            await stopFresh();
            for (const id of VALID_IDS) expect(fresh.ids()).toContain(id);
            // The long-lived watch converges on what list() says, whatever was published meanwhile.
            await waitFor(
              async () => {
                const expected = (await registry.list(service)).map((instance) => instance.id).sort();
                return (
                  JSON.stringify(longLived.ids()) === JSON.stringify(expected) &&
                  VALID_IDS.every((id) => longLived.instances.has(id))
                );
              },
              { timeoutMs: 3_000, what: `the watch of ${service} to converge` },
            );
            expect([...longLived.problems, ...fresh.problems]).toEqual([]);

            // Listed garbage (indexed, not decodable for its key) was warned about.
            for (const operation of operations) {
              if (operation.kind !== 'instance' || !operation.indexed || isValidId(operation.id)) continue;
              const stored = await admin.hget(serviceKeys(NAMESPACE, service).instances, operation.id);
              if (stored === null || decodesAsValid(service, operation.id, stored)) continue;
              const inLease = (await admin.zscore(serviceKeys(NAMESPACE, service).leases, operation.id)) !== null;
              if (!inLease) continue;
              const warned = logger.records.some(
                (record) =>
                  record.level === 'warn' && record.fields.service === service && record.fields.id === operation.id,
              );
              expect(
                warned,
                `no warning for the corrupt entry ${show(operation.id)} = ${show(stored.slice(0, 80))}`,
              ).toBe(true);
            }
          } finally {
            await stopLongLived();
            for (const registration of registrations) await registration.deregister().catch(() => undefined);
          }
        },
      ),
      runs(60),
    );
    expect(logger.records.filter((record) => record.level === 'error')).toEqual([]);
  });
});

const KEY_KINDS = ['instances', 'gens', 'leases', 'tombstones', 'rev', 'route', 'services'] as const;
const TYPES = ['string', 'hash', 'list', 'set', 'zset', 'non-integer string'] as const;
const NATURAL: Record<(typeof KEY_KINDS)[number], (typeof TYPES)[number]> = {
  instances: 'hash',
  gens: 'hash',
  leases: 'zset',
  tombstones: 'zset',
  rev: 'string',
  route: 'string',
  services: 'set',
};

async function writeWrongType(key: string, type: (typeof TYPES)[number]): Promise<void> {
  await admin.del(key);
  if (type === 'string') await admin.set(key, 'not-what-you-expect');
  else if (type === 'non-integer string') await admin.set(key, '12abc');
  else if (type === 'hash') await admin.hset(key, 'field', 'value');
  else if (type === 'list') await admin.rpush(key, 'a', 'b');
  else if (type === 'set') await admin.sadd(key, 'member');
  else await admin.zadd(key, 1, 'member');
}

describe('raw registry contents: keys of the wrong TYPE', () => {
  it('reads of the broken service reject only with DATA_LOSS naming the key (WRONGTYPE; REGISTRY_UNAVAILABLE for a rev that is not an integer); other services, services() and registering are unaffected', async () => {
    const stable = await registry.register(validInstance('stable', 'stable-1') as never, { ttlMs: 30_000 });
    await waitFor(async () => (await registry.services()).includes('stable'), {
      what: 'the stable service to be indexed',
    });
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...KEY_KINDS),
          fc.constantFrom(...TYPES),
          fc.boolean(),
          async (kind, type, withEntry) => {
            fc.pre(NATURAL[kind] !== type && (type !== 'non-integer string' || kind === 'rev'));
            const service = `t${++serviceCounter}`;
            const keys = serviceKeys(NAMESPACE, service);
            const key =
              kind === 'services'
                ? servicesKey(NAMESPACE)
                : kind === 'route'
                  ? `${NAMESPACE}:{${service}}:route`
                  : (keys.scriptKeys[['instances', 'gens', 'leases', 'tombstones', 'rev'].indexOf(kind)] as string);
            const registration = withEntry
              ? await registry.register(validInstance(service, 'v-1') as never, { ttlMs: 30_000 })
              : undefined;
            if (!withEntry) await admin.sadd(servicesKey(NAMESPACE), service);
            await writeWrongType(key, type);
            const context = `${kind} as ${type}${withEntry ? ' (service has an entry)' : ''}`;
            try {
              // A key of the wrong type is the registry's data gone bad, not Redis gone: DATA_LOSS,
              // naming the key. A rev that is not an integer is still refused by Redis's own error.
              const expectedCode = type === 'non-integer string' ? 'REGISTRY_UNAVAILABLE' : 'DATA_LOSS';
              const expectUnavailableOrOk = async (what: string, run: () => Promise<unknown>): Promise<void> => {
                try {
                  await run();
                } catch (error) {
                  expect(
                    SwitchyardError.hasCode(error, expectedCode),
                    `${what} with ${context}: ${describeError(error)}`,
                  ).toBe(true);
                  expect((error as Error).message).toMatch(/WRONGTYPE|not an integer|wrong kind/i);
                  if (expectedCode === 'DATA_LOSS') expect((error as Error).message, what).toContain(key);
                }
              };
              await expectUnavailableOrOk('list', () => registry.list(service));
              await expectUnavailableOrOk('watch', async () => (await registry.watch(service, () => undefined))());
              await expectUnavailableOrOk('getRoute', () => registry.getRoute(service));
              // Other services are unaffected.
              expect(
                (await registry.list('stable')).map((instance) => instance.id),
                context,
              ).toEqual(['stable-1']);
              // services() still names the healthy service (a broken index key is the one exception).
              if (kind === 'services') await expectUnavailableOrOk('services', () => registry.services());
              else {
                const names = await registry.services().catch((error: unknown) => {
                  throw new Error(`services() failed because ${service}'s ${context}: ${describeError(error)}`);
                });
                expect(names, context).toContain('stable');
              }
              // Registering elsewhere still works.
              const other = await registry.register(validInstance(`${service}-ok`, 'ok-1') as never);
              expect((await registry.list(`${service}-ok`)).map((instance) => instance.id)).toEqual(['ok-1']);
              await other.deregister();
            } finally {
              await registration?.deregister().catch(() => undefined);
              if (kind === 'services') {
                await admin.del(key);
                await admin.sadd(key, 'stable');
              } else {
                await admin.del(key);
                await admin.srem(servicesKey(NAMESPACE), service);
              }
            }
          },
        ),
        runs(40, [
          ['rev', 'non-integer string', true],
          ['leases', 'string', false],
        ] as [(typeof KEY_KINDS)[number], (typeof TYPES)[number], boolean][]),
      );
    } finally {
      await stable.deregister();
    }
  });
});

describe('registry operations on Redis with arbitrary arguments', () => {
  it('register / setRoute / evict / list / watch: resolve, or reject INVALID_ARGUMENT with nothing written', async () => {
    const { anyValue, edgyString, expectInvalidArgument, instanceLike, serviceName, version } = await import(
      './support/arbitraries.js'
    );
    const { dumpKeys } = await import('./support/redis-dump.js');
    const inputs = fc.oneof(
      {
        arbitrary: fc.tuple(
          fc.constant('register' as const),
          instanceLike,
          fc.oneof(
            { arbitrary: fc.constant(undefined), weight: 3 },
            fc.record({ ttlMs: fc.oneof(fc.integer(), anyValue) }),
            anyValue,
          ),
        ),
        weight: 4,
      },
      fc.tuple(
        fc.constant('setRoute' as const),
        fc.oneof(serviceName, fc.constant('routed'), edgyString, anyValue),
        fc.oneof(
          fc.constant(undefined),
          fc.record({
            splits: fc.dictionary(fc.oneof(version, edgyString), fc.oneof(fc.integer({ min: 0, max: 100 }), anyValue), {
              maxKeys: 3,
            }),
          }),
          anyValue,
        ),
      ),
      fc.tuple(
        fc.constant('evict' as const),
        fc.oneof(serviceName, edgyString, anyValue),
        fc.oneof(fc.string(), edgyString, anyValue),
      ),
      fc.tuple(fc.constant('list' as const), fc.oneof(serviceName, edgyString, anyValue), fc.constant(undefined)),
      fc.tuple(fc.constant('watch' as const), fc.oneof(serviceName, edgyString, anyValue), anyValue),
    );
    const local = new RedisRegistry({ url: redis.url, namespace: 'fzin', logger });
    const routed = await local.register(
      { id: 'r-1', service: 'routed', version: '1.0.0', host: '127.0.0.1', ports: { grpc: 1 } },
      { ttlMs: 60_000 },
    );
    try {
      await fc.assert(
        fc.asyncProperty(inputs, async ([operation, first, second]) => {
          const before = await dumpKeys(admin, 'fzin:*');
          let accepted: unknown;
          try {
            if (operation === 'register') accepted = await local.register(first as never, second as never);
            else if (operation === 'setRoute') accepted = await local.setRoute(first as string, second as never);
            else if (operation === 'evict') accepted = await local.evict(first as string, second as string);
            else if (operation === 'list') accepted = await local.list(first as string);
            else accepted = await (await local.watch(first as string, second as never))();
          } catch (error) {
            expectInvalidArgument(error, `${operation}(${show(first)}, ${show(second)})`);
            // Only leases move (the routed entry heartbeats): compare everything but scores and TTLs.
            const after = await dumpKeys(admin, 'fzin:*');
            expect(strip(after), `${operation}(${show(first)}) wrote although rejected`).toBe(strip(before));
            return;
          }
          if (operation === 'register') await (accepted as Registration).deregister();
          if (operation === 'setRoute') await local.setRoute('routed', undefined);
        }),
        runs(150),
      );
    } finally {
      await routed.deregister();
      await local.close();
    }
  });
});

/** A key dump without lease scores (they move with every heartbeat). */
function strip(dump: string): string {
  return dump
    .split('\n')
    .map((line) => (line.includes(':leases (zset)') ? line.replace(/"\d+"/g, '"·"') : line))
    .sort()
    .join('\n');
}
