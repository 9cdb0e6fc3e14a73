import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { RedisRegistry, serviceKeys } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverNowMs } from './support/exercise-registry.js';
import { recordingLogger } from './support/recording-logger.js';
import { waitFor } from './support/wait.js';

const NAMESPACE = 'allow';
const ALLOWED = ['10.0.0.0/8', '*.svc.cluster.local'];
let redis: RedisServerHandle;
let admin: Redis;
let registry: RedisRegistry;

beforeAll(async () => {
  redis = await startRedis({ via: process.env.SWITCHYARD_TESTING_VIA === 'container' ? 'container' : 'binary' });
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  registry = new RedisRegistry({ url: redis.url, namespace: NAMESPACE, sweepIntervalMs: 100, resyncIntervalMs: 200 });
});
afterAll(async () => {
  await registry?.close();
  admin?.disconnect();
  await redis?.stop();
});

const instance = (service: string, id: string, host: string) => ({
  id,
  service,
  host,
  ports: { grpc: 50_051 },
  weight: 100,
  metadata: {},
  status: 'up',
});

/** Writes an entry straight into Redis, as anyone with write access to the registry could: entry, owner generation, live lease, index. */
async function writeRaw(service: string, id: string, host: string, announce: boolean): Promise<void> {
  const keys = serviceKeys(NAMESPACE, service);
  const entry = instance(service, id, host);
  const generation = '1700000000000000';
  const now = await serverNowMs(admin);
  await admin.hset(keys.instances, id, JSON.stringify(entry));
  await admin.hset(keys.scriptKeys[1], id, generation);
  await admin.set(keys.lease(id, generation), generation, 'PX', 60_000);
  await admin.zadd(keys.leases, now + 60_000, id);
  const rev = await admin.incr(keys.rev);
  if (announce) await admin.publish(keys.channel, JSON.stringify({ rev, type: 'up', instance: entry }));
}

async function pickMany(discovery: Discovery, times: number): Promise<Set<string>> {
  const hosts = new Set<string>();
  for (let index = 0; index < times; index++) {
    const lease = discovery.pick({ key: `k${index}` });
    hosts.add(lease.instance.host);
    lease.done({ ok: true, latencyMs: 1 });
  }
  return hosts;
}

describe('allowedHosts against entries written straight into Redis', () => {
  it('a hostile entry beside valid ones (present at start, or pushed later) is never picked, and is warned about', async () => {
    const service = 'catalog';
    await registry.register({ id: 'good-1', service, host: '10.1.2.3', ports: { grpc: 50_051 } });
    await registry.register({ id: 'good-2', service, host: 'catalog-2.svc.cluster.local', ports: { grpc: 50_051 } });
    await writeRaw(service, 'evil-1', '203.0.113.7', false);
    await writeRaw(service, 'evil-2', '169.254.169.254', false);
    // The registry itself lists them: they are valid entries, only not for this client.
    expect((await registry.list(service)).map((entry) => entry.id).sort()).toEqual([
      'evil-1',
      'evil-2',
      'good-1',
      'good-2',
    ]);

    const logger = recordingLogger();
    const discovery = createDiscovery({ registry, service, allowedHosts: ALLOWED, logger, balancer: 'round-robin' });
    try {
      await discovery.ready({ timeoutMs: 3_000 });
      expect(
        discovery
          .instances()
          .map((entry) => entry.id)
          .sort(),
      ).toEqual(['good-1', 'good-2']);
      expect([...(await pickMany(discovery, 100))].sort()).toEqual(['10.1.2.3', 'catalog-2.svc.cluster.local']);

      // Pushed while watching: an `up` message and a direct write picked up by resync.
      await writeRaw(service, 'evil-3', 'evil.svc.cluster.local.attacker.example', true);
      await writeRaw(service, 'evil-4', '10.0.0.1.nip.io', false);
      await waitFor(async () => logger.find('warn', /not in allowedHosts/).length >= 4, {
        what: 'warnings for every hostile entry',
      });
      expect([...(await pickMany(discovery, 100))].sort()).toEqual(['10.1.2.3', 'catalog-2.svc.cluster.local']);

      // A valid entry rewritten by hand to point elsewhere leaves the view instead of redirecting calls.
      const keys = serviceKeys(NAMESPACE, service);
      const hijacked = instance(service, 'good-2', 'attacker.example');
      await admin.hset(keys.instances, 'good-2', JSON.stringify(hijacked));
      const rev = await admin.incr(keys.rev);
      await admin.publish(keys.channel, JSON.stringify({ rev, type: 'update', instance: hijacked }));
      await waitFor(() => discovery.instances().every((entry) => entry.id !== 'good-2'), {
        what: 'the hijacked entry to leave the view',
      });
      expect([...(await pickMany(discovery, 100))]).toEqual(['10.1.2.3']);

      const warned = logger.find('warn', /not in allowedHosts/).map((record) => record.fields.id);
      expect(new Set(warned)).toEqual(new Set(['evil-1', 'evil-2', 'evil-3', 'evil-4', 'good-2']));
    } finally {
      await discovery.close();
    }
  });

  it('without an allow-list the same entries would be used (the control: the hostile entries are live)', async () => {
    const discovery = createDiscovery({ registry, service: 'catalog', balancer: 'round-robin' });
    try {
      await discovery.ready({ timeoutMs: 3_000 });
      expect(await pickMany(discovery, 100)).toContain('203.0.113.7');
    } finally {
      await discovery.close();
    }
  });
});
