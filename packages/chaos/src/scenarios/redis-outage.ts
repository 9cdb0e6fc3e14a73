/**
 * Chaos 3: Redis unreachable for a long time, under load.
 *
 * - 3a, killed: Redis is SIGKILLed, kept down for CHAOS_OUTAGE_MS (default 30 s, ten TTLs), then
 *   restarted empty. Connections are refused for the whole outage.
 * - 3b, hung: Redis is SIGSTOPped for 10 s (more than three TTLs), then resumed. The TCP
 *   connections stay open and every command times out — a stalled Redis (a VM pause, a long fork).
 *   Its data survives, but every lease runs out on Redis' clock meanwhile.
 *
 * Expected in both: calls keep flowing to every last known instance (discovery marks its view
 * stale — `discovery.stale`, as its README promises — and keeps it), no call fails, and the
 * client's view of the three live instances never becomes empty — not during the outage and not
 * while the registry heals after it (an empty view means NO_INSTANCES for every call).
 */
import { createRegistry } from '@switchyard/registry';
import { describe, expect, it } from 'vitest';
import { echoClient, watchRegistryEvents } from '../harness/echo-client.js';
import { startEchoReplicas } from '../harness/echo-fleet.js';
import { report, shares, startLoad, summarize, viewFigures } from '../harness/load.js';
import { sleep } from '../harness/processes.js';
import { useScenarioRedis } from '../harness/scenario-redis.js';
import { waitUntil } from '../harness/wait.js';

const OUTAGE_MS = Number(process.env.CHAOS_OUTAGE_MS || 30_000);
if (!Number.isInteger(OUTAGE_MS) || OUTAGE_MS < 1_000 || OUTAGE_MS > 600_000) {
  throw new Error(`CHAOS_OUTAGE_MS must be an integer from 1000 to 600000 (ms), got ${process.env.CHAOS_OUTAGE_MS}`);
}
const HANG_MS = 10_000;
const TTL_MS = 3_000;

/** Registers the scenario's tests (called by chaos.int.test.ts). */
export function redisOutage(): void {
  describe('chaos 3: Redis unreachable for a long time', () => {
    const scenario = useScenarioRedis();

    async function outage(name: string, mode: 'kill' | 'pause', outageMs: number): Promise<void> {
      const server = scenario.redis;
      // A fresh registry namespace per test: the hung Redis keeps the previous test's data.
      const service = `echo-${mode}`;
      const replicas = await startEchoReplicas(server.url, 3, () => ({
        SWITCHYARD_TTL_MS: String(TTL_MS),
        ECHO_SERVICE_NAME: service,
      }));
      const ids = replicas.map((replica) => replica.instanceId as string);
      const registry = scenario.closeAfter(createRegistry(server.url));
      // Round robin: every last known instance must keep getting its share, whatever its latency.
      const echo = scenario.closeAfter(echoClient(registry, { service, balancer: 'round-robin' }));
      const { client, discovery } = echo;
      await discovery.ready({ timeoutMs: 10_000 });
      await waitUntil(() => discovery.instances().length === 3, { timeoutMs: 10_000, what: '3 echo instances' });
      // What a watcher hears from the registry about the live instances (e.g. 'down/expired').
      const events = await watchRegistryEvents(registry, service, ids);
      const viewSizes: { at: number; size: number }[] = [];
      discovery.onChange((view) => viewSizes.push({ at: Date.now(), size: view.length }));
      const staleChanges: { at: number; stale: boolean }[] = [];
      discovery.onStaleChange((stale) => staleChanges.push({ at: Date.now(), stale }));

      // Slower than the short scenarios: this one runs for the outage + ~8 s.
      const load = startLoad({
        concurrency: 2,
        pauseMs: 10,
        maxDurationMs: outageMs + 60_000,
        call: async (worker, sequence) =>
          (await client.say({ message: `${worker}-${sequence}`, delayMs: 2 }, { deadlineMs: 2_000 })).servedBy,
      });
      await sleep(2_000);

      const downAt = Date.now();
      if (mode === 'kill') await server.kill();
      else await server.pause();
      await sleep(outageMs);
      const staleDuringOutage = discovery.stale;
      const viewDuringOutage = discovery.instances().length;
      if (mode === 'kill') await server.restart();
      else await server.resume();
      const backAt = Date.now();
      const probe = scenario.closeAfter(createRegistry(server.url));
      const allBackAt = await waitUntil(
        async () => {
          const listed = new Set((await probe!.list(service)).map((instance) => instance.id));
          return ids.every((id) => listed.has(id));
        },
        { timeoutMs: 15_000, intervalMs: 25, what: 'every registration to be back' },
      );
      await waitUntil(() => !discovery.stale, { timeoutMs: 5_000, what: 'discovery to be fresh again' });
      await sleep(3_000);
      const records = await load.stop();
      await events.stop();
      const endAt = Date.now();

      const summary = summarize(records);
      const duringOutage = records.filter((record) => record.start >= downAt && record.start < backAt);
      const lateOutage = duringOutage.filter((record) => record.start >= backAt - outageMs / 2);
      const staleSince = staleChanges.find((change) => change.stale && change.at >= downAt)?.at;
      const freshAt = staleChanges.find((change) => !change.stale && change.at >= backAt)?.at;
      const view = viewFigures(viewSizes, 3, downAt, endAt);
      const registryEvents = events.figures();
      const figures = {
        requests: summary.requests,
        failed: summary.failed,
        recoverMs: allBackAt - backAt,
        ...registryEvents,
        outageMs: backAt - downAt,
        requestsDuringOutage: duringOutage.length,
        failedDuringOutage: duringOutage.filter((record) => !record.ok).length,
        staleAfterMs: staleSince === undefined ? null : staleSince - downAt,
        freshAfterReturnMs: freshAt === undefined ? null : freshAt - backAt,
        viewDuringOutage,
        ...view,
        sharesSecondHalfOfOutage: shares(lateOutage),
        retries: echo.retries.length,
        p50Ms: summary.p50Ms,
        p99Ms: summary.p99Ms,
        redisVia: server.via,
      };
      report(name, figures);

      expect.soft(summary.failures).toEqual([]);
      expect.soft(summary.failed).toBe(0);
      // Calls flowed to every last known instance until the very end of the outage.
      expect.soft(lateOutage.length).toBeGreaterThan(100);
      expect.soft(Object.keys(shares(lateOutage)).sort()).toEqual([...ids].sort());
      expect.soft(viewDuringOutage).toBe(3);
      // The outage is reported (discovery.stale / onStaleChange), as the discovery README promises.
      expect.soft(staleDuringOutage, 'discovery.stale during the outage').toBe(true);
      // The live instances (they served, and heartbeated, throughout) never all left the client's view.
      expect.soft(view.emptyViewMs, 'time the client had no instance at all').toBe(0);
      expect.soft(view.smallestView, 'smallest client view of the 3 live instances').toBeGreaterThan(0);
      if (mode === 'pause') {
        // A hang keeps Redis' data: the leases that ran out on its clock meanwhile belong to instances
        // that heartbeated throughout, so none is announced down/expired and the view never even
        // shrinks (README, "What the suite found", 2; "never empty" alone let one or two of the
        // three be dropped).
        expect.soft(registryEvents.downExpired, 'live instances announced down/expired').toBe(0);
        expect.soft(view.smallestView, 'smallest client view of the 3 live instances').toBe(3);
      }
    }

    it(
      `3a: Redis killed for ${OUTAGE_MS / 1_000} s — calls keep flowing, no call fails`,
      async () => {
        await outage('3a-redis-outage-killed', 'kill', OUTAGE_MS);
      },
      OUTAGE_MS + 120_000,
    );

    it(
      `3b: Redis hung (SIGSTOP) for ${HANG_MS / 1_000} s — calls keep flowing, no call fails`,
      async () => {
        await outage('3b-redis-outage-hung', 'pause', HANG_MS);
      },
      HANG_MS + 120_000,
    );
  });
}
