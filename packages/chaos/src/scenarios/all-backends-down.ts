/**
 * Chaos 5: every backend down. All three echo replicas start failing every call with UNAVAILABLE
 * (they stay registered, so nothing but the client's own policy protects them), then recover.
 * Expected: the client's circuit breaker opens; attempts stay ≤ 1.2 × requests (the retry budget),
 * counted both by the client (requests + retries) and by the servers (calls received); failed calls
 * are fast once the breaker is open (p99 well under the deadline); and calls succeed again within
 * the breaker's open time after the backends return.
 */
import { createRegistry } from '@switchyard/registry';
import { describe, expect, it } from 'vitest';
import { echoClient } from '../harness/echo-client.js';
import { startEchoReplicas } from '../harness/echo-fleet.js';
import { percentile, report, round, startLoad, summarize } from '../harness/load.js';
import { sleep } from '../harness/processes.js';
import { useScenarioRedis } from '../harness/scenario-redis.js';
import { waitUntil } from '../harness/wait.js';

const DEADLINE_MS = 1_000;
const OPEN_MS = 2_000;
const UNAVAILABLE = 14;

/** Registers the scenario's tests (called by chaos.int.test.ts). */
export function allBackendsDown(): void {
  describe('chaos 5: every backend down', () => {
    const scenario = useScenarioRedis();

    it('opens the breaker, keeps attempts ≤ 1.2 × requests, fails fast, and recovers within the open time', async () => {
      const replicas = await startEchoReplicas(scenario.redis.url, 3);
      const registry = scenario.closeAfter(createRegistry(scenario.redis.url));
      // The policy a user would write (the architecture's example, with a shorter open time).
      const echo = scenario.closeAfter(
        echoClient(registry, {
          retry: { maxAttempts: 3, backoff: { initialMs: 25, maxMs: 1_000 } }, // default budget: 20 %, 10/s floor, 10 s
          breaker: { failureRateThreshold: 0.5, minimumCalls: 20, window: { windowMs: 10_000 }, openMs: OPEN_MS },
        }),
      );
      const { client, discovery, breaker } = echo;
      await discovery.ready({ timeoutMs: 10_000 });
      await waitUntil(() => discovery.instances().length === 3, { timeoutMs: 10_000, what: '3 echo instances' });
      const serverCalls = async (): Promise<number> => {
        const stats = await Promise.all(replicas.map((replica) => replica.control('stats')));
        return stats.reduce((sum, entry) => sum + Number(entry.calls), 0);
      };
      const callsBefore = await serverCalls();
      const retriesBefore = echo.retries.length;

      const load = startLoad({
        concurrency: 4,
        pauseMs: 10,
        maxDurationMs: 60_000,
        call: async (worker, sequence) =>
          (await client.say({ message: `${worker}-${sequence}` }, { deadlineMs: DEADLINE_MS })).servedBy,
      });
      await sleep(2_000);

      const downAt = Date.now();
      await Promise.all(replicas.map((replica) => replica.control(`fail ${UNAVAILABLE}`)));
      const openedAt = await waitUntil(() => breaker.state() === 'open', {
        timeoutMs: 10_000,
        intervalMs: 5,
        what: 'the breaker to open',
      });
      await sleep(5_000); // the outage goes on: the breaker cycles open → half-open → open

      await Promise.all(replicas.map((replica) => replica.control('fail 0')));
      const backAt = Date.now();
      const firstSuccessAt = await waitUntil(() => load.records.some((record) => record.ok && record.start >= backAt), {
        timeoutMs: OPEN_MS + 5_000,
        intervalMs: 5,
        what: 'a successful call after the backends returned',
      });
      const closedAt = await waitUntil(() => breaker.state() === 'closed', {
        timeoutMs: OPEN_MS + 5_000,
        intervalMs: 5,
        what: 'the breaker to close',
      });
      await sleep(1_000);
      const records = await load.stop();
      const callsAfter = await serverCalls();

      const summary = summarize(records);
      const requests = records.length;
      const retries = echo.retries.length - retriesBefore;
      const physicalAttempts = callsAfter - callsBefore;
      const failedOpen = records.filter((record) => !record.ok && record.start >= openedAt && record.start < backAt);
      const failedOpenP99 = percentile(
        failedOpen.map((record) => record.latencyMs),
        99,
      );
      const lateFailures = records.filter((record) => !record.ok && record.start >= closedAt);
      const opens = echo.breakerChanges.filter((change) => change.to === 'open').length;
      const figures = {
        requests,
        failed: summary.failed,
        recoverMs: firstSuccessAt - backAt,
        openMs: OPEN_MS,
        breakerOpenedAfterMs: openedAt - downAt,
        breakerClosedAfterMs: closedAt - backAt,
        breakerOpens: opens,
        retries,
        attemptsPerRequest: round((requests + retries) / requests, 3),
        serverAttempts: physicalAttempts,
        serverAttemptsPerRequest: round(physicalAttempts / requests, 3),
        failedWhileOpen: failedOpen.length,
        failedWhileOpenP50Ms: round(
          percentile(
            failedOpen.map((record) => record.latencyMs),
            50,
          ),
        ),
        failedWhileOpenP99Ms: round(failedOpenP99),
        deadlineMs: DEADLINE_MS,
        failureCodes: [...new Set(records.filter((record) => !record.ok).map((record) => record.code))],
        failedAfterClose: lateFailures.length,
      };
      report('5-all-backends-down', figures);

      expect.soft(opens).toBeGreaterThanOrEqual(1);
      expect.soft(requests).toBeGreaterThan(500);
      expect.soft(requests + retries).toBeLessThanOrEqual(1.2 * requests);
      expect.soft(physicalAttempts).toBeLessThanOrEqual(1.2 * requests);
      expect.soft(failedOpen.length).toBeGreaterThan(50);
      expect.soft(failedOpenP99).toBeLessThan(DEADLINE_MS / 10);
      expect.soft(figures.recoverMs).toBeLessThanOrEqual(OPEN_MS);
      expect.soft(lateFailures).toEqual([]);
    }, 90_000);
  });
}
