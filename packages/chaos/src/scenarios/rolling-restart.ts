/**
 * Chaos 6 (and issue #7's rolling-restart acceptance): a rolling restart of every service of the
 * shopping-guide system — catalog ×2, search, recommendation, orders, gateway, each its own process
 * on a real Redis registry — under continuous shopper traffic through the gateway.
 *
 * For each replica in turn: start a replacement, wait until it is registered, SIGTERM the old one
 * (which marks itself draining, waits the drain delay, deregisters, finishes its calls in flight
 * and exits 0). The shoppers reach the gateway through discovery with NO retries of their own
 * (`policy: false`), so any request the system drops is counted.
 * Expected: zero failed requests; every old process exits 0 after draining; the registry ends up
 * listing exactly the replacements.
 */
import { createDiscovery } from '@switchyard/discovery';
import { createHttpClient } from '@switchyard/http';
import { createRegistry } from '@switchyard/registry';
import { describe, expect, it } from 'vitest';
import { report, round, startLoad, summarize } from '../harness/load.js';
import { type Exit, type ServiceProcess, sleep } from '../harness/processes.js';
import { useScenarioRedis } from '../harness/scenario-redis.js';
import { SHOP_SERVICES, type ShopService, shopperStep, startShopService } from '../harness/shop-fleet.js';
import { waitUntil } from '../harness/wait.js';

const REPLICAS: Record<ShopService, number> = { catalog: 2, search: 1, recommendation: 1, orders: 1, gateway: 1 };

interface Replacement {
  service: ShopService;
  oldId: string;
  newId: string;
  startMs: number;
  drainMs: number;
  exit: Exit | 'timeout';
  requestsDuringDrain: number;
  /** Whether the registry still listed the old instance (any status) once its process had exited. */
  listedAfterExit: boolean;
}

/** Registers the scenario's tests (called by chaos.int.test.ts). */
export function rollingRestart(): void {
  describe('chaos 6: rolling restart of every shopping-guide service', () => {
    const scenario = useScenarioRedis();

    it('serves every shopper request while each replica is replaced in turn', async () => {
      const registry = scenario.closeAfter(createRegistry(scenario.redis.url));
      const fleet = new Map<ShopService, ServiceProcess[]>();
      for (const service of SHOP_SERVICES) {
        fleet.set(
          service,
          Array.from({ length: REPLICAS[service] }, () => startShopService(service, scenario.redis.url)),
        );
      }
      await Promise.all([...fleet.values()].flat().map((proc) => proc.started(60_000)));
      // Ready means listed AND `up`: search registers as draining until its first index is built,
      // and a rolling restart (like Kubernetes') must not take traffic away from a replica before
      // its successor can serve it — nor start load before every service can serve it.
      const listed = async (service: ShopService): Promise<string[]> =>
        (await registry!.list(service))
          .filter((instance) => instance.status === 'up')
          .map((instance) => instance.id)
          .sort();
      // Every entry, draining ones too: an old process that exited without deregistering stays
      // listed as draining until its TTL, and `listed` would not show it.
      const listedAnyStatus = async (service: ShopService): Promise<string[]> =>
        (await registry!.list(service)).map((instance) => instance.id).sort();
      for (const service of SHOP_SERVICES) {
        await waitUntil(async () => (await listed(service)).length === REPLICAS[service], {
          timeoutMs: 10_000,
          what: `${service} to be registered and ready`,
        });
      }

      const gateways = scenario.closeAfter(createDiscovery({ registry, service: 'gateway', balancer: 'round-robin' }));
      await gateways.ready({ timeoutMs: 10_000 });
      const client = scenario.closeAfter(createHttpClient({ discovery: gateways, policy: false, tracing: false }));
      const load = startLoad({
        concurrency: 3,
        pauseMs: 20,
        maxDurationMs: 150_000,
        call: (shopper, step) => shopperStep(client, shopper, step),
      });
      await sleep(2_000);

      const rollStartedAt = Date.now();
      const replacements: Replacement[] = [];
      const timeline: { at: number; what: string }[] = [];
      const everyProc = [...fleet.values()].flat();
      for (const service of SHOP_SERVICES) {
        const current = fleet.get(service) as ServiceProcess[];
        const next: ServiceProcess[] = [];
        for (const old of current) {
          const startAt = Date.now();
          const replacement = startShopService(service, scenario.redis.url);
          everyProc.push(replacement);
          const newId = await replacement.started(60_000);
          await waitUntil(async () => (await listed(service)).includes(newId), {
            timeoutMs: 10_000,
            what: `${newId} registered and ready`,
          });
          const termAt = Date.now();
          timeline.push({ at: startAt, what: `start ${service} replacement` });
          timeline.push({ at: termAt, what: `SIGTERM ${old.instanceId}` });
          old.kill('SIGTERM');
          const exit = await Promise.race([old.exited, sleep(20_000).then(() => 'timeout' as const)]);
          const exitAt = Date.now();
          timeline.push({ at: exitAt, what: `exited ${old.instanceId}` });
          // It deregistered before exiting (not left to expire after its TTL).
          const listedAfterExit = (await listedAnyStatus(service)).includes(old.instanceId as string);
          replacements.push({
            service,
            oldId: old.instanceId as string,
            newId,
            startMs: termAt - startAt,
            drainMs: exitAt - termAt,
            exit,
            requestsDuringDrain: load.records.filter((record) => record.start >= termAt && record.start < exitAt)
              .length,
            listedAfterExit,
          });
          next.push(replacement);
        }
        fleet.set(service, next);
      }
      const rollEndedAt = Date.now();
      await sleep(2_000);
      const records = await load.stop();

      const summary = summarize(records);
      const duringRoll = records.filter((record) => record.start >= rollStartedAt && record.start < rollEndedAt);
      const byRoute: Record<string, number> = {};
      for (const record of duringRoll)
        if (record.servedBy) byRoute[record.servedBy] = (byRoute[record.servedBy] ?? 0) + 1;
      const finalIds = Object.fromEntries(
        await Promise.all(SHOP_SERVICES.map(async (service) => [service, await listedAnyStatus(service)] as const)),
      );
      const figures = {
        requests: summary.requests,
        failed: summary.failed,
        recoverMs: null, // nothing breaks: see startMsMax / drainMsMax
        replicasReplaced: replacements.length,
        rollMs: rollEndedAt - rollStartedAt,
        requestsDuringRoll: duringRoll.length,
        requestsDuringRollByRoute: byRoute,
        startMsMax: Math.max(...replacements.map((entry) => entry.startMs)),
        drainMsMax: Math.max(...replacements.map((entry) => entry.drainMs)),
        drainMsMean: round(replacements.reduce((sum, entry) => sum + entry.drainMs, 0) / replacements.length),
        oldExitCodes: replacements.map((entry) => (entry.exit === 'timeout' ? 'timeout' : entry.exit.code)),
        oldListedAfterExit: replacements.filter((entry) => entry.listedAfterExit).map((entry) => entry.oldId),
        p50Ms: summary.p50Ms,
        p99Ms: summary.p99Ms,
      };
      report('6-rolling-restart', figures);
      if (summary.failed > 0) {
        // Where the failures fell in the roll, and what the processes logged above info.
        const at = (time: number): string => `+${time - rollStartedAt}ms`;
        console.log(timeline.map((entry) => `${at(entry.at)} ${entry.what}`).join('\n'));
        for (const record of records.filter((entry) => !entry.ok).slice(0, 10)) {
          console.log(`${at(record.start)}..${at(record.end)} FAILED ${record.message}`);
        }
        for (const proc of everyProc) {
          const lines = proc.tail.filter((line) => !line.includes('"level":"info"'));
          if (lines.length > 0) console.log(`${proc.label} (${proc.instanceId}):\n  ${lines.slice(-5).join('\n  ')}`);
        }
      }

      expect.soft(summary.failures).toEqual([]);
      expect.soft(summary.failed).toBe(0);
      expect.soft(replacements).toHaveLength(6);
      expect.soft(duringRoll.length).toBeGreaterThan(100);
      for (const entry of replacements) {
        expect.soft(entry.exit, `${entry.oldId} exit`).toEqual({ code: 0, signal: null });
        expect.soft(entry.requestsDuringDrain, `traffic while ${entry.oldId} drained`).toBeGreaterThan(0);
        expect.soft(entry.listedAfterExit, `${entry.oldId} still registered after it exited`).toBe(false);
      }
      for (const service of SHOP_SERVICES) {
        expect
          .soft(finalIds[service], `${service} in the registry`)
          .toEqual((fleet.get(service) as ServiceProcess[]).map((proc) => proc.instanceId as string).sort());
      }
    }, 240_000);
  });
}
