/**
 * The canary record (getCanary / setCanary): where a service's canary release stands, kept in the
 * registry so that it outlives its controller. Both backends behave the same: conditional writes by
 * revision, the registry's clock for the owner's lease, the record kept apart from instances and rule.
 */
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CanaryRecordInput, MemoryRegistry, MemoryStore, RedisRegistry, type Registry } from './index.js';

let redis: RedisServerHandle;
const opened: Registry[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((each) => each.close().catch(() => undefined)));
});
afterAll(async () => {
  await redis?.stop();
});

const record = (patch: Partial<CanaryRecordInput> = {}): CanaryRecordInput => ({
  canary: '1.5.0',
  stable: '1.4.0',
  percent: 25,
  state: 'running',
  owner: 'controller-a',
  leaseMs: 10_000,
  ...patch,
});

const backends: [string, () => () => Registry][] = [
  [
    'memory',
    () => {
      const store = new MemoryStore();
      return () => {
        const created = new MemoryRegistry({ store });
        opened.push(created);
        return created;
      };
    },
  ],
  [
    'redis',
    () => {
      const namespace = `cr${randomBytes(5).toString('hex')}`;
      return () => {
        const created = new RedisRegistry({ url: redis.url, namespace });
        opened.push(created);
        return created;
      };
    },
  ],
];

describe.each(backends)('canary record (%s)', (_name, backend) => {
  it('is written with a revision and read back by another client (a restarted controller)', async () => {
    const client = backend();
    const first = client();
    expect(await first.getCanary?.('catalog')).toBeUndefined();
    const written = await first.setCanary?.('catalog', record(), { expected: null });
    expect(written).toMatchObject({ canary: '1.5.0', stable: '1.4.0', percent: 25, state: 'running', reason: '' });
    expect(written?.revision).toBe(1);
    expect(written?.ownerLeaseMs).toBeGreaterThan(9_000);
    const read = await client().getCanary?.('catalog');
    expect(read).toMatchObject({ canary: '1.5.0', percent: 25, owner: 'controller-a', revision: 1 });
    expect(read?.updatedAt).toBe(written?.updatedAt);
  });

  it('writes conditionally: FAILED_PRECONDITION, nothing written, when the revision is not the one expected', async () => {
    const registry = backend()();
    await registry.setCanary?.('catalog', record(), { expected: null });
    await expect(registry.setCanary?.('catalog', record({ owner: 'b' }), { expected: null })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringMatching(/revision 1, not the no record expected/),
    });
    await expect(registry.setCanary?.('catalog', record({ owner: 'b' }), { expected: 7 })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
    expect((await registry.getCanary?.('catalog'))?.owner).toBe('controller-a');
    const next = await registry.setCanary?.('catalog', record({ percent: 50, state: 'rolled-back', reason: 'bad' }), {
      expected: 1,
    });
    expect(next).toMatchObject({ percent: 50, state: 'rolled-back', reason: 'bad', revision: 2 });
  });

  it("runs the owner's lease on the registry's clock: released (0) and expired read as 0", async () => {
    const registry = backend()();
    await registry.setCanary?.('catalog', record({ leaseMs: 150 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const expired = await registry.getCanary?.('catalog');
    expect(expired).toMatchObject({ ownerLeaseMs: 0, state: 'running', percent: 25 }); // the record stays
    const released = await registry.setCanary?.('catalog', record({ leaseMs: 0 }));
    expect(released?.ownerLeaseMs).toBe(0);
  });

  it('is kept apart from the instances and the rule, and cleared only by hand', async () => {
    const registry = backend()();
    const registration = await registry.register({
      id: 'c1',
      service: 'catalog',
      version: '1.5.0',
      host: '127.0.0.1',
      ports: { grpc: 1 },
    });
    await registry.setRoute('catalog', { splits: { '1.5.0': 100 } });
    await registry.setCanary?.('catalog', record({ state: 'rolled-back', percent: 0, reason: 'error rate' }));
    await registry.setRoute('catalog', undefined);
    await registration.deregister();
    expect(await registry.getCanary?.('catalog')).toMatchObject({ state: 'rolled-back', reason: 'error rate' });
    expect(await registry.setCanary?.('catalog', undefined, { expected: 1 })).toBeUndefined();
    expect(await registry.getCanary?.('catalog')).toBeUndefined();
  });

  it('refuses a malformed record with INVALID_ARGUMENT naming the field, writing nothing', async () => {
    const registry = backend()();
    await expect(registry.setCanary?.('catalog', record({ percent: 101 }))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/record\.percent/),
    });
    await expect(
      registry.setCanary?.('catalog', record({ state: 'paused' as CanaryRecordInput['state'] })),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/record\.state/) });
    await expect(registry.setCanary?.('catalog', record(), { expected: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/options\.expected/),
    });
    expect(await registry.getCanary?.('catalog')).toBeUndefined();
  });
});

describe('canary record written by hand (redis)', () => {
  const namespace = `crh${randomBytes(5).toString('hex')}`;
  const key = `${namespace}:{catalog}:canary`;
  let raw: Redis;
  beforeAll(async () => {
    raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    raw.on('error', () => {});
    await raw.connect();
  });
  afterAll(() => raw?.disconnect());
  afterEach(async () => {
    await raw.del(key);
  });
  const registry = (): RedisRegistry => {
    const created = new RedisRegistry({ url: redis.url, namespace });
    opened.push(created);
    return created;
  };
  /** A record as the registry stores it, at `revision` (JSON text, so a number's digits are exactly these). */
  const storedAt = (revision: string): string => {
    const now = Date.now();
    return `{"canary":"1.5.0","stable":"1.4.0","percent":25,"state":"running","reason":"","owner":"controller-a","leaseUntil":${now + 10_000},"updatedAt":${now},"revision":${revision}}`;
  };

  it('keeps a revision past 14 digits exact, so a conditional write still lets only one writer through', async () => {
    // cjson writes numbers with 14 significant digits: revision 123456789012346 was stored as
    // 1.2345678901235e+14 (read back 123456789012350), and every later write stored that same number
    // again, so two controllers expecting it both wrote.
    await raw.set(key, storedAt('123456789012345'));
    const client = registry();
    expect((await client.getCanary('catalog'))?.revision).toBe(123456789012345);
    const next = await client.setCanary('catalog', record({ percent: 50 }), { expected: 123456789012345 });
    expect(next?.revision).toBe(123456789012346);
    expect((await client.getCanary('catalog'))?.revision).toBe(123456789012346);
    const after = await client.setCanary('catalog', record({ percent: 75 }), { expected: 123456789012346 });
    expect(after?.revision).toBe(123456789012347);
    await expect(
      client.setCanary('catalog', record({ owner: 'b' }), { expected: 123456789012346 }),
    ).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('writes over a record whose revision is no revision (not an integer from 1) afresh, at revision 1', async () => {
    const client = registry();
    for (const revision of ['3.5', '-4', '"7"', '1e300', 'null']) {
      await raw.set(key, storedAt(revision));
      // Read as none (with a warning), and a write expecting none fails until it is cleared.
      expect(await client.getCanary('catalog'), `revision ${revision}`).toBeUndefined();
      await expect(
        client.setCanary('catalog', record(), { expected: null }),
        `revision ${revision}`,
      ).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/cannot be read/) });
      // An unconditional write replaces it with a record that can be read (it used to store revision
      // 4.5 or 1e+300: unreadable again, and setCanary resolved with undefined as if cleared).
      const written = await client.setCanary('catalog', record());
      expect(written?.revision, `revision ${revision}`).toBe(1);
      expect((await client.getCanary('catalog'))?.revision, `revision ${revision}`).toBe(1);
    }
  });

  it('stores the JSON it was given, with only the registry fields added', async () => {
    const client = registry();
    const written = await client.setCanary('catalog', record({ reason: 'see https://status/x: p99 > 1/2 s' }));
    const stored = JSON.parse((await raw.get(key)) as string);
    expect(stored).toEqual({
      canary: '1.5.0',
      stable: '1.4.0',
      percent: 25,
      state: 'running',
      reason: 'see https://status/x: p99 > 1/2 s',
      owner: 'controller-a',
      revision: 1,
      updatedAt: written?.updatedAt,
      leaseUntil: (written?.updatedAt as number) + 10_000,
    });
  });
});
