/**
 * `switchyard dashboard` in a real headless browser: Debian's chromium driven by playwright-core,
 * against a real Redis and real gRPC servers. The page must show a registered instance within a
 * second of its registration and drop it within a second of its deregistration.
 *
 * Chromium is a system package (`apt-get install -y chromium`, which .ci/run does); without it this
 * suite FAILS with that instruction instead of skipping, so a missing browser is never a green run.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceInstance } from '@switchyard/core';
import { startDashboard } from '@switchyard/cli';
import { createRegistry, type Registry, type RegistryListener } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EchoInstance, startEcho } from './fixtures/echo-fleet.js';
import { exited, LineReader, spawnCli } from './fixtures/run-cli-process.js';

const CHROMIUM = process.env.SWITCHYARD_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const outputDir = fileURLToPath(new URL('../test-output/', import.meta.url));

let redis: RedisServerHandle;
let registry: Registry;
let dashboardProcess: ReturnType<typeof spawnCli> | undefined;
let dashboardUrl: string;
let userDataDir: string | undefined;
let browser: BrowserContext | undefined;
let page: Page;
const instances: EchoInstance[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Debian's chromium is not installed at ${CHROMIUM}: the dashboard test needs a real browser. ` +
        'Install it with `apt-get install -y chromium` (.ci/run does), or point SWITCHYARD_CHROMIUM at one.',
    );
  }
  mkdirSync(outputDir, { recursive: true });
  redis = await startRedis();
  registry = createRegistry(redis.url);
  instances.push(await startEcho(registry, { id: 'known-1', service: 'known', version: '1.0.0', zone: 'eu-1a' }));

  dashboardProcess = spawnCli(['dashboard', '--port', '0', '--json'], { SWITCHYARD_REGISTRY_URL: redis.url });
  const stdout = new LineReader(dashboardProcess.stdout);
  let stderr = '';
  dashboardProcess.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const started = await stdout
    .waitFor((line) => line.startsWith('{'), 60_000)
    .catch((error: Error) => {
      throw new Error(`switchyard dashboard did not start: ${error.message}\n${stderr}`);
    });
  dashboardUrl = (JSON.parse(started) as { url: string }).url;
  expect(dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

  userDataDir = mkdtempSync(join(tmpdir(), 'switchyard-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 720 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  if (dashboardProcess) {
    dashboardProcess.kill('SIGTERM');
    await exited(dashboardProcess);
  }
  for (const instance of instances) await instance.stop();
  await registry?.close();
  await redis?.stop();
});

/** The row of an instance on the page. */
const row = (id: string) => page.locator(`tr[data-instance-id="${id}"]`);

describe('switchyard dashboard', { timeout: 120_000 }, () => {
  it('shows a registered instance within 1 s and removes it within 1 s of deregistration', async () => {
    await page.goto(dashboardUrl);
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    await row('known-1').waitFor({ timeout: 5_000 });

    // A brand-new service: its first instance must appear within a second.
    const fresh = await startEcho(registry, { id: 'fresh-1', service: 'fresh', version: '2.1.0', zone: 'eu-1b' });
    instances.push(fresh);
    const registeredAt = performance.now();
    await row('fresh-1').waitFor({ state: 'visible', timeout: 1_000 });
    const shownAfterMs = performance.now() - registeredAt;
    // …and a second instance of a service already on the page.
    const second = await startEcho(registry, { id: 'known-2', service: 'known', version: '1.1.0', weight: 30 });
    instances.push(second);
    const secondAt = performance.now();
    await row('known-2').waitFor({ state: 'visible', timeout: 1_000 });
    const secondShownAfterMs = performance.now() - secondAt;

    const cells = await row('fresh-1').locator('td').allTextContents();
    expect(cells.slice(0, 6)).toEqual(['fresh-1', 'up', 'eu-1b', '100', '2.1.0', `127.0.0.1:${fresh.port}/grpc`]);
    expect(cells[6]).toMatch(/^\d+(ms|s)$/); // age
    expect(cells[7]).toMatch(/^\d+(ms|s) ago$/); // heartbeat
    expect(cells[8]).toMatch(/^\d+(ms|s)$/); // expires in

    // Draining is visible at a glance: a marked row and a badge in the service header.
    await second.registration.update({ status: 'draining' });
    await page.locator('tr[data-instance-id="known-2"][data-status="draining"]').waitFor({ timeout: 1_000 });
    expect(await row('known-2').locator('td').nth(1).textContent()).toBe('DRAINING');
    await page.locator('[data-service="known"] .pill-draining', { hasText: '1 draining' }).waitFor({ timeout: 1_000 });
    await registry.setRoute('known', { splits: { '1.0.0': 90, '1.1.0': 10 } });
    await page.locator('[data-service="known"] .pill-route', { hasText: 'route 1.0.0=90% 1.1.0=10%' }).waitFor({
      timeout: 1_000,
    });
    // The canary record is not pushed: it shows within a lease refresh (2 s).
    await registry.setCanary?.('known', {
      canary: '1.1.0',
      stable: '1.0.0',
      percent: 10,
      state: 'running',
      owner: 'deploy-job-7',
      leaseMs: 60_000,
    });
    const canary = page.locator('[data-service="known"] .pill-canary[data-canary="running"]');
    await canary.waitFor({ timeout: 5_000 });
    expect(await canary.textContent()).toBe('canary 1.1.0 vs 1.0.0 10% running');
    expect(await canary.getAttribute('title')).toMatch(
      /^owner deploy-job-7 \(holds it \d+s more\), updated \S+Z, revision 1$/,
    );
    await page.screenshot({ path: join(outputDir, 'dashboard.png'), fullPage: true });

    await fresh.registration.deregister();
    const deregisteredAt = performance.now();
    await row('fresh-1').waitFor({ state: 'detached', timeout: 1_000 });
    const removedAfterMs = performance.now() - deregisteredAt;

    expect(shownAfterMs).toBeLessThan(1_000);
    expect(secondShownAfterMs).toBeLessThan(1_000);
    expect(removedAfterMs).toBeLessThan(1_000);
  });

  it('serves the same state as JSON and refuses foreign Host headers', async () => {
    const all = (await (await fetch(new URL('api/services', dashboardUrl))).json()) as {
      registryError: string | null;
      services: { service: string; stale: boolean; instances: { id: string; ageMs: number | null }[] }[];
    };
    expect(all.registryError).toBeNull();
    const known = all.services.find((view) => view.service === 'known');
    expect(known?.stale).toBe(false);
    expect(known?.instances.map((instance) => instance.id)).toEqual(['known-1', 'known-2']);
    expect(known?.instances[0]?.ageMs).toBeGreaterThanOrEqual(0);

    const one = await fetch(new URL('api/services/known', dashboardUrl));
    expect(one.status).toBe(200);
    expect(((await one.json()) as { service: string }).service).toBe('known');
    expect((await fetch(new URL('api/services/nope', dashboardUrl))).status).toBe(404);
    expect((await fetch(new URL('api/services', dashboardUrl), { method: 'POST' })).status).toBe(405);

    const page = await fetch(dashboardUrl);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'nonce-/);
    expect(await statusWithHost(new URL('api/services', dashboardUrl), 'attacker.example')).toBe(403);
    expect(await statusWithHost(new URL('api/services', dashboardUrl), 'localhost')).toBe(200);
  });

  it('renders untrusted registry data as text, never as HTML', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1">';
    const evil: ServiceInstance = {
      id: hostile,
      service: 'evil',
      host: '<script>window.__pwned=2</script>',
      ports: { '<b>grpc</b>': 1 },
      zone: '"><svg onload="window.__pwned=3">',
      version: '</td><td>',
      weight: 1,
      metadata: {},
      status: 'up',
    };
    // A registry that hands out what no validation would let in: what a page sees from garbage.
    const fake: Registry = {
      ...fakeRegistry('evil', evil),
      getCanary: async () => ({
        canary: '<b>1.5.0</b>',
        stable: '</td>',
        percent: 5,
        state: 'rolled-back',
        reason: '<img src=x onerror="window.__pwned=5">',
        owner: '"><svg onload="window.__pwned=6">',
        ownerLeaseMs: 0,
        updatedAt: 0,
        revision: 1,
      }),
    };
    const dashboard = await startDashboard({ registry: fake, port: 0, title: '<script>window.__pwned=4</script>' });
    try {
      const evilPage = await browser!.newPage();
      await evilPage.goto(dashboard.url);
      const evilRow = evilPage.locator('tr[data-instance-id]');
      await evilRow.waitFor({ timeout: 10_000 });
      expect(await evilRow.getAttribute('data-instance-id')).toBe(hostile);
      const cells = await evilRow.locator('td').allTextContents();
      expect(cells[0]).toBe(hostile);
      expect(cells[2]).toBe(evil.zone);
      expect(cells[4]).toBe('</td><td>');
      expect(cells[5]).toBe('<script>window.__pwned=2</script>:1/<b>grpc</b>');
      expect(await evilPage.locator('#registry').textContent()).toBe('<script>window.__pwned=4</script>');
      const canary = evilPage.locator('.pill-canary');
      expect(await canary.textContent()).toBe(
        'canary <b>1.5.0</b> vs </td> 5% rolled-back (<img src=x onerror="window.__pwned=5">)',
      );
      expect(await canary.getAttribute('title')).toContain('owner "><svg onload="window.__pwned=6">');
      expect(await evilPage.locator('img, svg, b, table script').count()).toBe(0);
      expect(await evilPage.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
      await evilPage.close();
    } finally {
      await dashboard.close();
    }
  });

  it.skipIf(process.env.REDIS_URL !== undefined)(
    'marks services stale while Redis is down and fresh again when it returns',
    async () => {
      await page.goto(dashboardUrl);
      await row('known-1').waitFor({ timeout: 5_000 });
      await redis.kill();
      await page.locator('[data-service="known"].stale .pill-stale', { hasText: 'STALE' }).waitFor({ timeout: 5_000 });
      await page.locator('#banner', { hasText: 'Registry unreachable' }).waitFor({ timeout: 5_000 });
      // The last known view stays on the page while the registry is away.
      expect(await row('known-1').count()).toBe(1);
      await page.screenshot({ path: join(outputDir, 'dashboard-stale.png'), fullPage: true });
      await redis.restart();
      // Registrations write themselves back into the empty Redis; the watch resyncs with a snapshot.
      await page.locator('[data-service="known"]:not(.stale)').waitFor({ timeout: 20_000 });
      await row('known-1').waitFor({ timeout: 20_000 });
      await page.locator('#banner').waitFor({ state: 'hidden', timeout: 20_000 });
    },
  );
});

function statusWithHost(url: URL, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

function fakeRegistry(service: string, instance: ServiceInstance): Registry {
  return {
    register: () => Promise.reject(new Error('read-only fake')),
    list: async (name) => (name === service ? [instance] : []),
    services: async () => [service],
    watch: async (_name, listener: RegistryListener) => {
      listener({ type: 'snapshot', instances: [instance] });
      return async () => undefined;
    },
    setRoute: () => Promise.reject(new Error('read-only fake')),
    getRoute: async () => undefined,
    close: async () => undefined,
  };
}
