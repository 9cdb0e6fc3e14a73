/**
 * A canary release outlives its controller: the registry keeps a canary record per service, so a
 * controller restarted mid-rollout resumes at its step, one restarted after a rollback does not put
 * the failed canary back, and a second controller of the service does not run a release over the
 * first's. On both backends (a MemoryStore shared by several clients stands for one Redis).
 */
import { randomBytes } from 'node:crypto';
import {
  type CanaryController,
  type CanaryOptions,
  createCanaryController,
  createDiscovery,
  type Discovery,
} from '@switchyard/discovery';
import { InvalidArgumentError } from '@switchyard/core';
import { MemoryRegistry, MemoryStore, RedisRegistry, type Registry } from '@switchyard/registry';
import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import { redisPerFile } from './fixtures/redis-per-file.js';

const file = redisPerFile();
const { cleanups } = file;

/** A backend: a function that opens one more client of the same registry (one per "process"). */
const backends: [string, () => () => Registry][] = [
  [
    'memory',
    () => {
      const store = new MemoryStore();
      return () => {
        const registry = new MemoryRegistry({ store });
        cleanups.push(() => registry.close());
        return registry;
      };
    },
  ],
  [
    'redis',
    () => {
      const namespace = `cr${randomBytes(4).toString('hex')}`;
      return () => {
        const registry = new RedisRegistry({ url: file.redis.url, namespace });
        cleanups.push(() => registry.close());
        return registry;
      };
    },
  ],
];

async function fleet(open: () => Registry): Promise<{ registry: Registry; discovery: Discovery }> {
  const registry = open();
  for (const [id, version] of [
    ['stable-1', '1.4.0'],
    ['stable-2', '1.4.0'],
    ['canary-1', '1.5.0'],
    ['other-1', '1.6.0'],
  ] as const) {
    await registry.register({ id, service: 'catalog', version, host: '127.0.0.1', ports: { grpc: 1 } });
  }
  const discovery = createDiscovery({ registry, service: 'catalog', outlierDetection: false });
  cleanups.push(() => discovery.close());
  await discovery.ready();
  return { registry, discovery };
}

/** `calls` calls through discovery; the canary versions fail `canaryErrorRate` of theirs. */
function send(discovery: Discovery, calls: number, canaryErrorRate = 0): void {
  for (let i = 0; i < calls; i++) {
    const lease = discovery.pick();
    const ok = lease.instance.version === '1.4.0' || Math.random() >= canaryErrorRate;
    lease.done({ ok, latencyMs: 5 });
  }
}

/** A controller on its own registry client (its own process), judged by hand. */
function controllerOn(
  registry: Registry,
  discovery: Discovery,
  options: Partial<CanaryOptions> = {},
): CanaryController {
  const controller = createCanaryController({
    registry,
    discovery,
    stable: '1.4.0',
    canary: '1.5.0',
    minCalls: 10,
    windowMs: 3_600_000,
    ...options,
  });
  cleanups.push(() => controller.stop({ timeoutMs: 500 }).catch(() => undefined));
  return controller;
}

/** Promotes `controller` with healthy traffic until its canary is at `percent`. */
async function promoteTo(controller: CanaryController, discovery: Discovery, percent: number): Promise<void> {
  for (let i = 0; i < 5 && controller.percent < percent; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    send(discovery, 2_000);
    await controller.evaluate();
  }
  expect(controller.percent).toBe(percent);
}

describe.each(backends)('canary release across controller restarts (%s)', (_name, backend) => {
  it('a controller started again mid-rollout resumes at the step reached, not at the first', async () => {
    const open = backend();
    const { registry, discovery } = await fleet(open);
    const first = controllerOn(open(), discovery);
    await first.start();
    await promoteTo(first, discovery, 50);
    await first.stop(); // the pod is rescheduled

    const second = controllerOn(open(), discovery);
    await second.start();
    // It used to write the first step again: the canary dropped from 50 % to 5 % and started over.
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 50, '1.5.0': 50 } });
    expect(second.percent).toBe(50);
    await new Promise((resolve) => setTimeout(resolve, 5));
    send(discovery, 2_000);
    expect(await second.evaluate()).toMatchObject({ action: 'promote', percent: 100 });
  });

  it('a controller started again after a rollback refuses the failed canary, unless told to retry it', async () => {
    const open = backend();
    const { registry, discovery } = await fleet(open);
    const first = controllerOn(open(), discovery);
    await first.start();
    send(discovery, 4_000, 0.5);
    expect(await first.evaluate()).toMatchObject({ action: 'rollback' });
    await first.stop();

    // A retried deploy job runs the same release again: it used to put the failed canary at 5 %.
    const again = controllerOn(open(), discovery);
    await expect(again.start()).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringMatching(/canary 1\.5\.0 was rolled back .*error rate.*retry: true/),
    });
    expect(again.state).toBe('idle');
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 100, '1.5.0': 0 } });

    // An operator decides to try it again.
    const retried = controllerOn(open(), discovery, { retry: true });
    await retried.start();
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 95, '1.5.0': 5 } });
    expect(await registry.getCanary?.('catalog')).toMatchObject({ canary: '1.5.0', state: 'running', percent: 5 });
  });

  it('a second controller of another canary is refused while the first is alive, and takes over once its hold ran out', async () => {
    const open = backend();
    const { registry, discovery } = await fleet(open);
    const firstClient = open();
    const first = controllerOn(firstClient, discovery, { owner: 'deploy-job-a', leaseMs: 600 });
    await first.start();
    await promoteTo(first, discovery, 25);

    const other = controllerOn(open(), discovery, { canary: '1.6.0' });
    // It used to write its own rule over the first's: 1.5.0 dropped to 0 % and was later rolled
    // back for having "no live instance".
    await expect(other.start()).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: expect.stringMatching(/canary 1\.5\.0 .* is being released by deploy-job-a/),
    });
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 75, '1.5.0': 25 } });
    // Its hold is renewed while it runs: still refused well after one lease.
    await new Promise((resolve) => setTimeout(resolve, 900));
    await expect(other.start()).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });

    // The first controller's process dies (its registry client goes, nothing is released).
    await firstClient.close();
    await new Promise((resolve) => setTimeout(resolve, 800));
    await other.start();
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 95, '1.6.0': 5 } });
    expect(await registry.getCanary?.('catalog')).toMatchObject({ canary: '1.6.0', state: 'running' });
  });

  it('a controller that crashed is resumed at once by one started again under the same owner', async () => {
    const open = backend();
    const { registry, discovery } = await fleet(open);
    const firstClient = open();
    const first = controllerOn(firstClient, discovery, { owner: 'catalog-canary', leaseMs: 60_000 });
    await first.start();
    await promoteTo(first, discovery, 25);
    await firstClient.close(); // crashed: its hold would run another minute

    const restarted = controllerOn(open(), discovery, { owner: 'catalog-canary' });
    await restarted.start();
    expect(restarted.percent).toBe(25);
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 75, '1.5.0': 25 } });
  });

  it('a controller that loses its record to another stops judging instead of running two releases', async () => {
    const open = backend();
    const { registry, discovery } = await fleet(open);
    const first = controllerOn(open(), discovery, { leaseMs: 300 });
    await first.start();
    // An operator clears the record to hand the service to another release.
    await registry.setCanary?.('catalog', undefined);
    for (let i = 0; i < 100 && first.state === 'running'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(first.state).toBe('stopped');
    expect(await registry.getCanary?.('catalog')).toBeUndefined(); // nothing written back over the clear
  });
});

describe.each(backends)('a start whose first step the registry refused (%s)', (_name, backend) => {
  it('leaves the record as it found it, so a start tried again is not taken for a resumed release', async () => {
    const open = backend();
    const { registry, discovery } = await fleet(open);
    // 1.7.0 has no instance yet: the registry refuses a rule that routes to it.
    const early = controllerOn(open(), discovery, { canary: '1.7.0' });
    await expect(early.start()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await registry.getCanary?.('catalog')).toBeUndefined();
    await registry.register({
      id: 'late-1',
      service: 'catalog',
      version: '1.7.0',
      host: '127.0.0.1',
      ports: { grpc: 1 },
    });
    for (let i = 0; i < 100 && !discovery.instances().some((each) => each.version === '1.7.0'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const again = controllerOn(open(), discovery, { canary: '1.7.0' });
    await again.start();
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 95, '1.7.0': 5 } });
  });
});

describe('a canary record the registry cannot read (redis, written by hand)', () => {
  it('refuses the start saying so and how to remove it, not as another controller’s claim', async () => {
    const namespace = `cu${randomBytes(4).toString('hex')}`;
    const open = () => {
      const registry = new RedisRegistry({ url: file.redis.url, namespace });
      cleanups.push(() => registry.close());
      return registry;
    };
    const { registry, discovery } = await fleet(open);
    await rawSet(`${namespace}:{catalog}:canary`, '{"canary":"1.5.0","state":"paused"}');
    const controller = controllerOn(open(), discovery);
    const refused = await controller.start().catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'FAILED_PRECONDITION' });
    // Was "another controller claimed the canary record meanwhile", naming nothing to repair.
    expect((refused as Error).message).toMatch(
      /catalog's canary record cannot be read .*switchyard canary clear catalog/,
    );
    expect(await registry.getRoute('catalog')).toBeUndefined(); // nothing written
  });
});

/**
 * SET `key` `value` on the file's Redis in plain RESP, as someone writing by hand would (this
 * package does not depend on a Redis client of its own).
 */
async function rawSet(key: string, value: string): Promise<void> {
  const args = ['SET', key, value];
  const command = `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ host: file.redis.host, port: file.redis.port });
    const timer = setTimeout(() => socket.destroy(new Error('no reply to SET within 5 s')), 5_000);
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (!reply.includes('\r\n')) return;
      clearTimeout(timer);
      socket.end();
      if (reply.startsWith('+OK')) resolve();
      else reject(new Error(`SET answered ${reply.trim()}`));
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(command);
  });
}

describe('the canary record while stop() and slow or refused writes overlap (memory)', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** `registry` whose setRoute waits `delay()` ms first, and refuses what `refuse` says it refuses. */
  const slowed = (
    registry: Registry,
    delay: () => number,
    refuse: (rule: unknown) => boolean = () => false,
  ): Registry => {
    const wrapped = Object.create(registry) as Registry;
    wrapped.setRoute = async (service, rule, options) => {
      const ms = delay();
      if (ms > 0) await sleep(ms);
      if (refuse(rule)) throw new InvalidArgumentError('rule.splits.1.4.0', 'no live instance (simulated)');
      return registry.setRoute(service, rule, options);
    };
    return wrapped;
  };
  const memory = backends[0]?.[1] as () => () => Registry;

  it('keeps holding the record while a rollback waits to be written, so no one resumes the failing canary', async () => {
    const open = memory();
    const { registry, discovery } = await fleet(open);
    const rollingBack = slowed(
      open(),
      () => 0,
      (rule) => (rule as { splits?: Record<string, number> } | undefined)?.splits?.['1.5.0'] === 0,
    );
    const first = controllerOn(rollingBack, discovery, { leaseMs: 300, owner: 'A' });
    await first.start();
    send(discovery, 3_000, 1);
    await first.evaluate().catch(() => undefined); // the rollback is decided, its write refused
    await sleep(400); // past the lease: renewed all along now (it lapsed while the rollback waited)
    expect((await registry.getCanary?.('catalog'))?.ownerLeaseMs).toBeGreaterThan(0);
    const second = controllerOn(open(), discovery, { leaseMs: 300, owner: 'B' });
    await expect(second.start()).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });

  it('lets the record go when stop() gave up on a slow first step before it landed', async () => {
    const open = memory();
    const { registry, discovery } = await fleet(open);
    let delay = 300;
    const controller = controllerOn(
      slowed(open(), () => delay),
      discovery,
      { owner: 'A' },
    );
    const starting = controller.start().catch(() => undefined);
    await sleep(20);
    await controller.stop({ timeoutMs: 50 });
    await starting;
    delay = 0;
    expect(controller.state).toBe('stopped');
    expect(await registry.getCanary?.('catalog')).toMatchObject({ owner: 'A', ownerLeaseMs: 0 }); // was a full lease
    const next = controllerOn(open(), discovery, { owner: 'B' });
    await next.start(); // was refused: "being released by A, whose hold runs 29… ms more"
  });

  it('takes no new hold for a promotion that lands after stop() let the record go', async () => {
    const open = memory();
    const { registry, discovery } = await fleet(open);
    let delay = 0;
    const controller = controllerOn(
      slowed(open(), () => delay),
      discovery,
      { owner: 'A' },
    );
    await controller.start();
    send(discovery, 2_000);
    delay = 300;
    const judging = controller.evaluate().catch(() => undefined);
    await sleep(20);
    await controller.stop({ timeoutMs: 50 });
    await judging;
    await sleep(50);
    delay = 0;
    expect((await registry.getCanary?.('catalog'))?.ownerLeaseMs).toBe(0); // was a fresh 30 s lease
    const next = controllerOn(open(), discovery, { owner: 'B' });
    await next.start();
  });
});
