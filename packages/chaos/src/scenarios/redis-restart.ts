/**
 * Chaos 2: Redis is SIGKILLed and restarted (empty: no persistence) in the middle of the load.
 * Expected: no failed call (discovery serves its last view while Redis is away, and its view never
 * becomes empty while the registry refills), and every registration is back within 2 s of Redis
 * answering again (heartbeats find their entry gone and write it back in full).
 */
import { createRegistry } from '@switchyard/registry';
import { describe, expect, it } from 'vitest';
import { echoClient, watchRegistryEvents } from '../harness/echo-client.js';
import { startEchoReplicas } from '../harness/echo-fleet.js';
import { report, shares, startLoad, summarize, viewFigures } from '../harness/load.js';
import { sleep } from '../harness/processes.js';
import { useScenarioRedis } from '../harness/scenario-redis.js';
import { waitUntil } from '../harness/wait.js';

const OUTAGE_MS = 1_500;

/** Registers the scenario's tests (called by chaos.int.test.ts). */
export function redisRestart(): void {
  describe('chaos 2: Redis killed and restarted mid-load', () => {
    const scenario = useScenarioRedis();

    it('fails no call, and every registration is back within 2 s of Redis returning', async () => {
      const replicas = await startEchoReplicas(scenario.redis.url, 3);
      const ids = replicas.map((replica) => replica.instanceId as string);
      const registry = scenario.closeAfter(createRegistry(scenario.redis.url));
      const echo = scenario.closeAfter(echoClient(registry));
      const { client, discovery } = echo;
      await discovery.ready({ timeoutMs: 10_000 });
      await waitUntil(() => discovery.instances().length === 3, { timeoutMs: 10_000, what: '3 echo instances' });
      // What a watcher hears from the registry about the live instances (e.g. 'down/expired').
      const events = await watchRegistryEvents(registry, 'echo', ids);
      const viewSizes: { at: number; size: number }[] = [];
      discovery.onChange((view) => viewSizes.push({ at: Date.now(), size: view.length }));

      const load = startLoad({
        concurrency: 4,
        pauseMs: 5,
        maxDurationMs: 30_000,
        call: async (worker, sequence) =>
          (await client.say({ message: `${worker}-${sequence}`, delayMs: 2 }, { deadlineMs: 2_000 })).servedBy,
      });
      await sleep(2_000);

      const killAt = Date.now();
      await scenario.redis.kill();
      await sleep(OUTAGE_MS);
      await scenario.redis.restart();
      const backAt = Date.now();
      // A fresh registry client measures: its first connection is immediate (the test's own long-lived
      // clients are in reconnect backoff like everyone else's).
      const probe = scenario.closeAfter(createRegistry(scenario.redis.url));
      const allBackAt = await waitUntil(
        async () => {
          const listed = new Set((await probe!.list('echo')).map((instance) => instance.id));
          return ids.every((id) => listed.has(id));
        },
        { timeoutMs: 15_000, intervalMs: 25, what: 'every registration to be back' },
      );
      await waitUntil(() => !discovery.stale, { timeoutMs: 5_000, what: 'discovery to be fresh again' });
      const freshAt = Date.now();
      await sleep(3_000);
      const records = await load.stop();
      await events.stop();
      const endAt = Date.now();

      const summary = summarize(records);
      const duringOutage = records.filter((record) => record.start >= killAt && record.start < backAt);
      const figures = {
        requests: summary.requests,
        failed: summary.failed,
        recoverMs: allBackAt - backAt,
        ...events.figures(),
        outageMs: backAt - killAt,
        requestsDuringOutage: duringOutage.length,
        discoveryFreshAfterMs: freshAt - backAt,
        ...viewFigures(viewSizes, 3, killAt, endAt),
        retries: echo.retries.length,
        sharesDuringOutage: shares(duringOutage),
        p50Ms: summary.p50Ms,
        p99Ms: summary.p99Ms,
        redisVia: scenario.redis.via,
      };
      report('2-redis-restart', figures);

      expect.soft(summary.failures).toEqual([]);
      expect.soft(summary.failed).toBe(0);
      expect.soft(duringOutage.length).toBeGreaterThan(50);
      // While the registry refills, the live instances never all leave the client's view.
      expect.soft(figures.emptyViewMs, 'time the client had no instance at all').toBe(0);
      expect.soft(figures.recoverMs).toBeLessThanOrEqual(2_000);
    }, 90_000);
  });
}
