/**
 * `switchyard canary get|clear`: the operator's view and repair of a service's canary record (where
 * its canary release stands, kept in the registry by the canary controller), against a real Redis.
 * A record whose owner's hold still runs is a controller at work: clearing it needs --force. The
 * dashboard shows the record beside the route.
 */
import { createCanaryController, createDiscovery, type Discovery } from '@switchyard/discovery';
import { type CanaryRecordInput, createRegistry, type Registry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDashboard } from '../src/index.js';
import { runCliInProcess } from '../src/test-support/run-cli-in-process.js';

let redis: RedisServerHandle;
let registry: Registry;
let raw: Redis;

const record = (patch: Partial<CanaryRecordInput> = {}): CanaryRecordInput => ({
  canary: '1.5.0',
  stable: '1.4.0',
  percent: 25,
  state: 'running',
  reason: '',
  owner: 'deploy-job-7',
  leaseMs: 60_000,
  ...patch,
});

beforeAll(async () => {
  redis = await startRedis();
  registry = createRegistry(redis.url);
  raw = new Redis(redis.url);
  for (const [id, version] of [
    ['catalog-1', '1.4.0'],
    ['catalog-2', '1.5.0'],
  ] as const) {
    await registry.register({ id, service: 'catalog', version, host: '127.0.0.1', ports: { grpc: 1 } });
  }
}, 120_000);

beforeEach(async () => {
  await registry.setCanary?.('catalog', undefined);
  await registry.setRoute('catalog', undefined);
});

afterAll(async () => {
  raw?.disconnect();
  await registry?.close();
  await redis?.stop();
});

const run = (argv: string[]) => runCliInProcess(argv, { SWITCHYARD_REGISTRY_URL: redis.url });

/** A failure is one line on stderr in the CLI's shape. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^switchyard canary: /);
  expect(lines[0]).toMatch(pattern);
}

describe('switchyard canary get', () => {
  it('shows the record (canary, stable, percent, state, reason, owner, hold left, updated at, revision) and the route', async () => {
    await registry.setRoute('catalog', { splits: { '1.4.0': 75, '1.5.0': 25 } });
    const stored = await registry.setCanary?.('catalog', record());
    const [text, json] = await Promise.all([
      run(['canary', 'get', 'catalog']),
      run(['canary', 'get', 'catalog', '--json']),
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/^canary of catalog: 1\.5\.0 against 1\.4\.0, running at 25%$/m);
    expect(text.stdout).toMatch(/^owner: {4}deploy-job-7 \(holds it (\d+s|1m00s) more\)$/m);
    expect(text.stdout).toMatch(/^reason: {3}none$/m);
    expect(text.stdout).toContain(`updated:  ${new Date(stored?.updatedAt ?? 0).toISOString()} (revision 1)\n`);
    expect(text.stdout).toMatch(/^route: {4}1\.4\.0=75% 1\.5\.0=25%$/m);

    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed).toMatchObject({
      service: 'catalog',
      record: {
        canary: '1.5.0',
        stable: '1.4.0',
        percent: 25,
        state: 'running',
        reason: '',
        owner: 'deploy-job-7',
        updatedAt: stored?.updatedAt,
        revision: 1,
      },
      route: { splits: { '1.4.0': 75, '1.5.0': 25 } },
    });
    expect(parsed.record.ownerLeaseMs).toBeGreaterThan(50_000);
    expect(parsed.record.ownerLeaseMs).toBeLessThanOrEqual(60_000);
  });

  it('shows a rolled-back release with its reason and no hold', async () => {
    await registry.setCanary?.(
      'catalog',
      record({ state: 'rolled-back', percent: 0, reason: 'error rate 12% vs 1%', leaseMs: 0 }),
    );
    const text = await run(['canary', 'get', 'catalog']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^canary of catalog: 1\.5\.0 against 1\.4\.0, rolled-back at 0%$/m);
    expect(text.stdout).toMatch(/^reason: {3}error rate 12% vs 1%$/m);
    expect(text.stdout).toMatch(/^owner: {4}deploy-job-7 \(no hold: released or run out\)$/m);
    expect(text.stdout).toMatch(/^route: {4}none$/m);
  });

  it('says there is none for a known service, and fails for an unknown one (exit 1)', async () => {
    const [none, noneJson, unknown] = await Promise.all([
      run(['canary', 'get', 'catalog']),
      run(['canary', 'get', 'catalog', '--json']),
      run(['canary', 'get', 'catalgo']),
    ]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toBe('canary of catalog: none (no release recorded)\n');
    expect(JSON.parse(noneJson.stdout)).toEqual({ service: 'catalog', record: null, route: null });
    expect(unknown.code).toBe(1);
    expectOneLine(unknown.stderr, /unknown service "catalgo": no live instance; live services: catalog/);
  });

  it('escapes registry data (owner, reason) for the terminal', async () => {
    await registry.setCanary?.(
      'catalog',
      record({ owner: 'evil\u001b[2Jowner', reason: 'bad\u009bthing', leaseMs: 0 }),
    );
    const text = await run(['canary', 'get', 'catalog']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toContain('\u001b');
    expect(text.stdout).not.toContain('\u009b');
    expect(text.stdout).toContain('evil\\u{1b}[2Jowner');
    expect(text.stdout).toContain('bad\\u{9b}thing');
  });

  it('shows a stored record the registry cannot read, raw, and clear removes it', async () => {
    await raw.set('switchyard:{catalog}:canary', '{"canary":"1.5.0","state":"paused"}');
    const [text, json] = await Promise.all([
      run(['canary', 'get', 'catalog']),
      run(['canary', 'get', 'catalog', '--json']),
    ]);
    expect(text.code, text.stderr).toBe(0);
    // Shown on stdout; the registry's warning (which names an API call) is not repeated on stderr.
    expect(text.stderr).toBe('');
    expect(text.stdout).toContain(
      'canary of catalog: malformed: {"canary":"1.5.0","state":"paused"} (every controller start is refused ' +
        'while it is there; switchyard canary clear catalog removes it)\n',
    );
    expect(JSON.parse(json.stdout)).toEqual({
      service: 'catalog',
      record: null,
      malformed: '{"canary":"1.5.0","state":"paused"}',
      route: null,
    });
    const cleared = await run(['canary', 'clear', 'catalog']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toContain(
      'removed the malformed canary record of catalog: {"canary":"1.5.0","state":"paused"}',
    );
    expect(await raw.exists('switchyard:{catalog}:canary')).toBe(0);
  });
});

describe('a canary key of the wrong type', () => {
  it('fails get and clear with one line naming the key and its repair (exit 1)', async () => {
    await raw.del('switchyard:{catalog}:canary');
    await raw.rpush('switchyard:{catalog}:canary', 'x');
    try {
      const [get, clear] = await Promise.all([run(['canary', 'get', 'catalog']), run(['canary', 'clear', 'catalog'])]);
      for (const result of [get, clear]) {
        expect(result.code, result.stderr).toBe(1);
        expectOneLine(
          result.stderr,
          /cannot read the registry's data \(a key of the wrong type\): .*redis-cli DEL .*switchyard:\{catalog\}:canary/,
        );
      }
    } finally {
      await raw.del('switchyard:{catalog}:canary');
    }
  });
});

describe('switchyard canary clear', () => {
  it('refuses while the owner’s hold runs (exit 2, naming --force), and --force removes it', async () => {
    await registry.setRoute('catalog', { splits: { '1.4.0': 50, '1.5.0': 50 } });
    await registry.setCanary?.('catalog', record({ percent: 50 }));
    const refused = await run(['canary', 'clear', 'catalog']);
    expect(refused.code).toBe(2);
    expectOneLine(
      refused.stderr,
      /catalog's canary record is held by deploy-job-7 for (\d+s|1m00s) more \(1\.5\.0 against 1\.4\.0, running at 50%\); nothing removed: stop that controller, wait for its hold to run out, or pass --force$/,
    );
    expect(refused.stdout).toBe('');
    expect(await registry.getCanary?.('catalog')).toMatchObject({ owner: 'deploy-job-7', revision: 1 });

    const forced = await run(['canary', 'clear', 'catalog', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toBe(
      'removed the canary record of catalog: 1.5.0 against 1.4.0, running at 50% (owner deploy-job-7, revision 1)\n' +
        'the route is left as it is: 1.4.0=50% 1.5.0=50% (switchyard route set|clear catalog changes it)\n',
    );
    expect(await registry.getCanary?.('catalog')).toBeUndefined();
    // The route is not the record: it stays.
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 50, '1.5.0': 50 } });
  });

  it('--force removes a record its owner keeps renewing (a live controller renews every third of its hold)', async () => {
    // A renewal between the read and the delete made the conditional delete fail ("changed
    // meanwhile", exit 1) about one time in eight with renewals 2 ms apart: --force must not.
    for (let attempt = 0; attempt < 20; attempt++) {
      let held = await registry.setCanary?.('catalog', record());
      let renewing = true;
      const renewer = (async () => {
        while (renewing) {
          try {
            held = await registry.setCanary?.('catalog', record(), { expected: held?.revision ?? null });
          } catch {
            return; // removed: the controller would stop here
          }
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      const forced = await run(['canary', 'clear', 'catalog', '--force']);
      renewing = false;
      await renewer;
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toMatch(
        /^removed the canary record of catalog: 1\.5\.0 against 1\.4\.0, running at 25% \(owner deploy-job-7, revision \d+\)$/m,
      );
      expect(await registry.getCanary?.('catalog')).toBeUndefined();
    }
  });

  it('removes a record nobody holds (a rolled-back release) without --force, printing it; --json too', async () => {
    await registry.setCanary?.('catalog', record({ state: 'rolled-back', percent: 0, reason: 'latency', leaseMs: 0 }));
    const cleared = await run(['canary', 'clear', 'catalog', '--json']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(JSON.parse(cleared.stdout)).toMatchObject({
      service: 'catalog',
      removed: {
        canary: '1.5.0',
        stable: '1.4.0',
        state: 'rolled-back',
        reason: 'latency',
        ownerLeaseMs: 0,
        revision: 1,
      },
      route: null,
    });
    expect(await registry.getCanary?.('catalog')).toBeUndefined();
  });

  it('says there was nothing to clear (exit 0), and fails for an unknown service (exit 1)', async () => {
    const [none, noneJson, unknown] = await Promise.all([
      run(['canary', 'clear', 'catalog']),
      run(['canary', 'clear', 'catalog', '--json']),
      run(['canary', 'clear', 'catalgo', '--force']),
    ]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toBe('canary of catalog: none (nothing to clear)\n');
    expect(JSON.parse(noneJson.stdout)).toEqual({ service: 'catalog', removed: null, route: null });
    expect(unknown.code).toBe(1);
    expectOneLine(unknown.stderr, /unknown service "catalgo"/);
  });

  it('refuses bad usage in one line (exit 2)', async () => {
    const [bare, serviceFirst, getForce, extra] = await Promise.all([
      run(['canary']),
      run(['canary', 'catalog']),
      run(['canary', 'get', 'catalog', '--force']),
      run(['canary', 'clear', 'catalog', 'more']),
    ]);
    for (const result of [bare, serviceFirst, getForce, extra]) expect(result.code, result.stderr).toBe(2);
    expectOneLine(bare.stderr, /missing action \(usage: switchyard canary get <service> \| canary clear <service>/);
    expectOneLine(
      serviceFirst.stderr,
      /unknown canary action "catalog"; expected get or clear \(switchyard canary get catalog\)/,
    );
    expectOneLine(getForce.stderr, /--force is for clear/);
    expectOneLine(extra.stderr, /unexpected argument "more"/);
  });
});

describe('with a real canary controller', () => {
  const controllers: { stop(): Promise<void> }[] = [];
  let discovery: Discovery;

  beforeAll(async () => {
    discovery = createDiscovery({ registry, service: 'catalog', outlierDetection: false });
    await discovery.ready();
  });

  afterAll(async () => {
    for (const controller of controllers) await controller.stop().catch(() => undefined);
    await discovery?.close();
  });

  const controller = (owner: string, options: { retry?: boolean } = {}) => {
    const created = createCanaryController({
      registry,
      discovery,
      stable: '1.4.0',
      canary: '1.5.0',
      steps: [50, 100],
      windowMs: 3_600_000,
      minCalls: 10,
      owner,
      leaseMs: 600,
      ...options,
    });
    controllers.push(created);
    return created;
  };

  /** `calls` calls through discovery, the canary's all failing. */
  const failCanary = (calls: number): void => {
    for (let i = 0; i < calls; i++) {
      const lease = discovery.pick();
      lease.done({ ok: lease.instance.version === '1.4.0', latencyMs: 5 });
    }
  };

  it('clear lets a new release start after a rollback; --force stops a running controller and leaves its route', async () => {
    const first = controller('deploy-a');
    await first.start();
    expect(first.state).toBe('running');
    const refused = await run(['canary', 'clear', 'catalog']);
    expect(refused.code, refused.stderr).toBe(2);
    expectOneLine(refused.stderr, /held by deploy-a for \d+ms more \(1\.5\.0 against 1\.4\.0, running at 50%\)/);

    // --force: the controller finds its record gone at its next renewal (every 200 ms) and stops.
    const forced = await run(['canary', 'clear', 'catalog', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain(
      'removed the canary record of catalog: 1.5.0 against 1.4.0, running at 50% (owner deploy-a',
    );
    for (let i = 0; i < 100 && first.state === 'running'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(first.state).toBe('stopped');
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 50, '1.5.0': 50 } });
    expect(await registry.getCanary?.('catalog')).toBeUndefined();

    // A release rolled back: a new controller is refused until the record is cleared.
    await registry.setRoute('catalog', undefined);
    const second = controller('deploy-b');
    await second.start();
    failCanary(400);
    expect((await second.evaluate()).action).toBe('rollback');
    await second.stop();
    const shown = await run(['canary', 'get', 'catalog']);
    expect(shown.stdout).toMatch(/^canary of catalog: 1\.5\.0 against 1\.4\.0, rolled-back at 0%$/m);
    await expect(controller('deploy-c').start()).rejects.toThrow(/was rolled back/);
    const cleared = await run(['canary', 'clear', 'catalog']);
    expect(cleared.code, cleared.stderr).toBe(0);
    const third = controller('deploy-c');
    await third.start();
    expect(third.state).toBe('running');
    expect(await registry.getCanary?.('catalog')).toMatchObject({ owner: 'deploy-c', state: 'running' });
    await third.stop();
  });
});

describe('the dashboard', () => {
  it('shows the canary record of a service beside its route, and null when there is none', async () => {
    await registry.setCanary?.('catalog', record({ state: 'rolled-back', percent: 0, reason: 'errors', leaseMs: 0 }));
    const dashboard = await startDashboard({ registry, port: 0, leaseRefreshMs: 50, servicesPollMs: 50 });
    try {
      const view = async () =>
        (await (await fetch(new URL('api/services/catalog', dashboard.url))).json()) as { canary: unknown };
      const deadline = Date.now() + 5_000;
      let seen = await view();
      while ((seen.canary ?? null) === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        seen = await view();
      }
      expect(seen.canary).toMatchObject({ canary: '1.5.0', stable: '1.4.0', state: 'rolled-back', reason: 'errors' });
      // The record is not pushed: the dashboard re-reads it with the leases.
      await registry.setCanary?.('catalog', undefined);
      const until = Date.now() + 5_000;
      seen = await view();
      while (seen.canary !== null && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        seen = await view();
      }
      expect(seen.canary).toBeNull();
      const page = await (await fetch(dashboard.url)).text();
      expect(page).toContain('view.canary');
    } finally {
      await dashboard.close();
    }
  });
});
