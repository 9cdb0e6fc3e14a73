/**
 * README "Options (`RedisRegistry` / `createRegistry(url, options)`)": every option but `url` is
 * optional, with the default the table gives. Given as `undefined` (an unset configuration value
 * passed on: `namespace: process.env.SWITCHYARD_NAMESPACE`), an option keeps that default in every
 * other Switchyard constructor (createDiscovery, the policies, the HTTP and gRPC clients and servers,
 * startDashboard, initTracing, initMetrics) and in `createRegistry('memory://', …)`, but
 * `createRegistry('redis://…', …)` refused it ("namespace: must be 1-63 characters…",
 * "options.defaultTtlMs: must be an integer from 500 to 86400000, got undefined").
 */
import { createRegistry, type Registry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let redis: RedisServerHandle;
let client: Redis;
const opened: Registry[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});

afterAll(async () => {
  for (const registry of opened) await registry.close();
  client?.disconnect();
  await redis?.stop();
});

const UNSET = {
  namespace: undefined,
  logger: undefined,
  defaultTtlMs: undefined,
  heartbeatIntervalMs: undefined,
  sweepIntervalMs: undefined,
  resyncIntervalMs: undefined,
  commandTimeoutMs: undefined,
  connectTimeoutMs: undefined,
  tombstoneTtlMs: undefined,
  redisOptions: undefined,
} as const;

describe('createRegistry(redis://…) with options given as undefined', () => {
  it('accepts each of them, as createRegistry(memory://…) does', () => {
    const refused: string[] = [];
    for (const [name, value] of Object.entries(UNSET)) {
      opened.push(createRegistry('memory://', { [name]: value }));
      try {
        opened.push(createRegistry(redis.url, { [name]: value }));
      } catch (error) {
        refused.push(`${name}: ${(error as Error).message}`);
      }
    }
    // Was: namespace, logger, defaultTtlMs, sweepIntervalMs, resyncIntervalMs, commandTimeoutMs,
    // connectTimeoutMs and tombstoneTtlMs refused (a spread of the options over the defaults).
    expect(refused).toEqual([]);
  });

  it('keeps the documented defaults: keys under the `switchyard` namespace, a lease of 10_000 ms', async () => {
    const registry = createRegistry(redis.url, UNSET);
    opened.push(registry);
    const registration = await registry.register({ service: 'catalog', host: '10.0.0.7', ports: { grpc: 50051 } });
    expect(await client.sismember('switchyard:services', 'catalog')).toBe(1);
    const [leaseKey] = await client.keys(`switchyard:{catalog}:lease:${registration.instance.id}:*`);
    expect(await client.get(leaseKey as string)).toBe('10000');
    await registration.deregister();
  });
});
