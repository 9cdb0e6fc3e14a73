/**
 * Chaos 8: a frozen instance. One of three echo replicas (gRPC and HTTP) is SIGSTOPped under
 * continuous load from clients with the SDK's defaults and a 1 s deadline. Unlike a SIGKILL, its
 * TCP connections stay open: the kernel still accepts and ACKs, the process never answers (a long
 * GC pause, a stuck event loop, a VM paused by its hypervisor, a black-holed path). Two freezes:
 *
 * - short (2 s: longer than the deadline, shorter than the 3 s TTL): the instance never leaves the
 *   registry; its calls in flight time out; once resumed it must take traffic again soon;
 * - long (past the TTL): the registry expires it, discovery drops it; once resumed it heartbeats
 *   back in, and calls flow to it again over its old connections with no error.
 *
 * Expected, per freeze, from the default clients (2 gRPC + 2 HTTP callers): they lose at most the
 * calls that were on it when it froze plus the one or two picked in the first moments (before
 * p2c-ewma sees them pile up: it counts calls in flight), stop sending to it within ~1 s (measured:
 * tens of ms), and fail nothing after it resumed; it takes calls again, on both transports (short:
 * once its timeout penalty is stale, ~10 s after its last timeout; long: at once). A fifth caller
 * uses the documented recipe for losing nothing, a per-attempt timeout inside the retry, and must
 * not fail at all. Every process stopped here is resumed in a `finally`.
 */
import type { Discovery, Lease } from '@switchyard/discovery';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient } from '@switchyard/grpc';
import { createHttpClient } from '@switchyard/http';
import { createRegistry } from '@switchyard/registry';
import { describe, expect, it } from 'vitest';
import { circuitBreaker, compose, retry, timeout } from '@switchyard/resilience';
import { echoClient } from '../harness/echo-client.js';
import { EchoService } from '../harness/echo-definition.js';
import { startEchoReplicas } from '../harness/echo-fleet.js';
import { type CallRecord, percentile, report, round, startLoad, summarize } from '../harness/load.js';
import { type ServiceProcess, sleep } from '../harness/processes.js';
import { useScenarioRedis } from '../harness/scenario-redis.js';
import { waitUntil } from '../harness/wait.js';

const TTL_MS = 3_000;
const DEADLINE_MS = 1_000;
const SHORT_FREEZE_MS = 2_000;
/** The recipe client's per-attempt timeout. */
const ATTEMPT_TIMEOUT_MS = 250;

/** One lease of the watched instance: when it was picked and when its call ended. */
interface VictimLease {
  transport: string;
  pickedAt: number;
  doneAt?: number;
  ok?: boolean;
}

/**
 * Records every lease `discovery` hands out for the instances in `watched` (the clients call
 * `discovery.pick` per attempt): when each victim was picked, and when and how the call ended.
 */
function tracePicks(discovery: Discovery, transport: string, watched: Map<string, VictimLease[]>): void {
  const pick = discovery.pick.bind(discovery);
  discovery.pick = (args?: Parameters<Discovery['pick']>[0]): Lease => {
    const lease = pick(args);
    const leases = watched.get(lease.instance.id);
    if (leases === undefined) return lease;
    const entry: VictimLease = { transport, pickedAt: Date.now() };
    leases.push(entry);
    const done = lease.done.bind(lease);
    lease.done = (outcome) => {
      entry.doneAt ??= Date.now();
      entry.ok ??= outcome.ok;
      done(outcome);
    };
    return lease;
  };
}

/**
 * Freezes `proc` (SIGSTOP) while `body` runs; it is always resumed (SIGCONT) afterwards, whatever
 * happens. Resolves with when it was frozen and resumed.
 */
async function whileFrozen(
  proc: ServiceProcess,
  body: () => Promise<unknown>,
): Promise<{ frozenAt: number; resumedAt: number }> {
  const frozenAt = Date.now();
  proc.kill('SIGSTOP');
  try {
    await body();
  } finally {
    proc.kill('SIGCONT');
  }
  return { frozenAt, resumedAt: Date.now() };
}

/** Registers the scenario's tests (called by chaos.int.test.ts). */
export function frozenInstance(): void {
  describe('chaos 8: a frozen instance (SIGSTOP: connections open, no answers)', () => {
    const scenario = useScenarioRedis();

    it('loses at most the calls in flight on it, stops sending to it within ~1 s, takes it back cleanly', async () => {
      const replicas = await startEchoReplicas(scenario.redis.url, 3, () => ({
        SWITCHYARD_TTL_MS: String(TTL_MS),
        ECHO_HTTP: '1',
      }));
      const registry = scenario.closeAfter(createRegistry(scenario.redis.url));
      // The defaults a user gets: compose(retry(), circuitBreaker()) (echoClient builds exactly that, to count retries).
      const grpc = scenario.closeAfter(echoClient(registry));
      const httpDiscovery = createDiscovery({ registry, service: 'echo' });
      const http = createHttpClient({ discovery: httpDiscovery, tracing: false });
      scenario.closeAfter({
        async close() {
          await http.close();
          await httpDiscovery.close();
        },
      });
      // Not the defaults: the documented recipe for callers that must not lose even the calls in
      // flight, a per-attempt timeout inside the retry (its DEADLINE_EXCEEDED is retryable).
      const recipeDiscovery = createDiscovery({ registry, service: 'echo' });
      const recipeRetry = retry();
      const recipeRetries: number[] = [];
      recipeRetry.onRetry(() => recipeRetries.push(Date.now()));
      const recipeClient = createGrpcClient({
        definition: EchoService,
        discovery: recipeDiscovery,
        policy: compose(recipeRetry, circuitBreaker(), timeout({ ms: ATTEMPT_TIMEOUT_MS })),
        tracing: false,
      });
      scenario.closeAfter({
        async close() {
          await recipeClient.close();
          await recipeDiscovery.close();
        },
      });
      const recipeFailures: CallRecord[] = [];
      const discoveries = [grpc.discovery, httpDiscovery, recipeDiscovery];
      await Promise.all(discoveries.map((discovery) => discovery.ready({ timeoutMs: 10_000 })));
      await waitUntil(() => discoveries.every((discovery) => discovery.instances().length === 3), {
        timeoutMs: 10_000,
        what: "3 echo instances in every client's view",
      });
      const [shortVictim, longVictim] = [replicas[1] as ServiceProcess, replicas[2] as ServiceProcess];
      const watched = new Map<string, VictimLease[]>([
        [shortVictim.instanceId as string, []],
        [longVictim.instanceId as string, []],
      ]);
      tracePicks(grpc.discovery, 'grpc', watched);
      tracePicks(httpDiscovery, 'http', watched);
      const inView = (id: string): boolean =>
        discoveries.every((discovery) => discovery.instances().some((instance) => instance.id === id));
      const outOfView = (id: string): boolean =>
        discoveries.every((discovery) => !discovery.instances().some((instance) => instance.id === id));

      const load = startLoad({
        concurrency: 5,
        pauseMs: 5,
        maxDurationMs: 45_000,
        call: async (worker, sequence) => {
          if (worker === 4) {
            const started = Date.now();
            try {
              const reply = await recipeClient.say({ message: `r-${sequence}` }, { deadlineMs: DEADLINE_MS });
              return `recipe ${reply.servedBy}`;
            } catch (error) {
              const { code, message } = error as { code?: string; message?: string };
              recipeFailures.push({ start: started, end: Date.now(), ok: false, latencyMs: 0, code, message });
              throw error;
            }
          }
          if (worker % 2 === 0) {
            const reply = await grpc.client.say({ message: `${worker}-${sequence}` }, { deadlineMs: DEADLINE_MS });
            return `grpc ${reply.servedBy}`;
          }
          const reply = await http.getJson<{ servedBy: string }>('/echo', { deadlineMs: DEADLINE_MS });
          return `http ${reply.servedBy}`;
        },
      });
      /** After `from`, when each transport first had a call served by `id` (bounded wait). */
      const flowsAgain = async (id: string, from: number): Promise<number> =>
        waitUntil(
          () =>
            ['grpc', 'http'].every((transport) =>
              load.records.some((r) => r.start >= from && r.ok && r.servedBy === `${transport} ${id}`),
            ),
          { timeoutMs: 13_000, intervalMs: 50, what: `calls served by ${id} again on both transports` },
        ).catch(() => Number.NaN);

      try {
        await sleep(1_500); // baseline: every instance takes calls

        // 1. Short freeze: longer than the deadline, shorter than the TTL.
        const shortId = shortVictim.instanceId as string;
        const short = await whileFrozen(shortVictim, () => sleep(SHORT_FREEZE_MS));
        const shortFlowAt = await flowsAgain(shortId, short.resumedAt);
        await sleep(1_000);

        // 2. Long freeze: until every client's discovery dropped it (registry TTL), then half a second more.
        const longId = longVictim.instanceId as string;
        let longDroppedAt = Number.NaN;
        const long = await whileFrozen(longVictim, async () => {
          longDroppedAt = await waitUntil(() => outOfView(longId), {
            timeoutMs: TTL_MS + 6_000,
            intervalMs: 20,
            what: `${longId} to leave every view`,
          }).catch(() => Number.NaN);
          await sleep(500);
        });
        const rejoinAt = await waitUntil(() => inView(longId), {
          timeoutMs: 10_000,
          intervalMs: 20,
          what: `${longId} back in every view`,
        }).catch(() => Number.NaN);
        const longFlowAt = await flowsAgain(longId, long.resumedAt);
        await sleep(1_500);
        const records = await load.stop();

        const retries = grpc.retries;
        const shortFigures = freezeFigures(
          records,
          watched.get(shortId) as VictimLease[],
          shortId,
          short,
          long.frozenAt,
          retries,
          {
            flowAt: shortFlowAt,
          },
        );
        const longFigures = freezeFigures(
          records,
          watched.get(longId) as VictimLease[],
          longId,
          long,
          Number.POSITIVE_INFINITY,
          retries,
          {
            flowAt: longFlowAt,
            droppedAt: longDroppedAt,
            rejoinAt,
          },
        );
        const summary = summarize(records);
        const figures = {
          requests: summary.requests,
          failed: summary.failed,
          p50Ms: summary.p50Ms,
          p99Ms: summary.p99Ms,
          deadlineMs: DEADLINE_MS,
          ttlMs: TTL_MS,
          short: shortFigures,
          long: longFigures,
          recipe: {
            attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
            requests: records.filter((record) => record.servedBy?.startsWith('recipe ')).length + recipeFailures.length,
            failed: recipeFailures.length,
            retries: recipeRetries.length,
          },
        };
        report('8-frozen-instance', figures);

        expect.soft(summary.requests).toBeGreaterThan(500);
        // The pick trace works: it saw each victim picked before its freeze, on both transports.
        // Without it (a client that stopped going through discovery.pick, a trace that recorded
        // nothing), inFlightAtFreeze, pickedWhileFrozen and stopSendingMs all read 0, and their
        // bounds below could not fail.
        for (const [name, id, frozenAt] of [
          ['short', shortId, short.frozenAt],
          ['long', longId, long.frozenAt],
        ] as const) {
          const tracedBefore = (watched.get(id) as VictimLease[]).filter((lease) => lease.pickedAt < frozenAt);
          expect
            .soft(
              ['grpc', 'http'].filter((transport) => !tracedBefore.some((lease) => lease.transport === transport)),
              `${name}: transports on which no pick of it was traced before the freeze`,
            )
            .toEqual([]);
        }
        // The recipe (a per-attempt timeout inside retry()) loses nothing: a stuck attempt is retried elsewhere.
        expect.soft(recipeFailures.map((record) => `${record.code}: ${record.message}`)).toEqual([]);
        // Every failure is a call caught on a frozen instance, timed out at its deadline.
        expect.soft(records.filter((record) => !record.ok && record.code !== 'DEADLINE_EXCEEDED')).toEqual([]);
        for (const [name, freeze] of [
          ['short', shortFigures],
          ['long', longFigures],
        ] as const) {
          // At most the calls on it when it froze, plus those picked before p2c saw them pile up
          // (it counts calls in flight): one or two per client, never more than the 4 callers.
          expect
            .soft(freeze.failedDuring, `${name}: failed`)
            .toBeLessThanOrEqual((freeze.inFlightAtFreeze as number) + (freeze.pickedWhileFrozen as number));
          expect.soft(freeze.pickedWhileFrozen, `${name}: picked while frozen`).toBeLessThanOrEqual(4);
          expect
            .soft(freeze.stopSendingMs, `${name}: last call sent to it after the freeze`)
            .toBeLessThanOrEqual(1_500);
          expect.soft(freeze.failedAfterResume, `${name}: failed after it resumed`).toBe(0);
          expect.soft(freeze.flowAgainMs, `${name}: calls served by it again after it resumed`).not.toBeNull();
        }
        // Short: back within the decay constant (10 s) of its last timeout, not the minute a penalty takes to decay.
        expect.soft(shortFigures.flowAgainMs ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(12_000);
        // Long: the registry expires it within its TTL; it is back and served at once when it resumes.
        expect.soft(longFigures.droppedMs ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(TTL_MS + 1_000);
        expect.soft(longFigures.rejoinMs ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(3_000);
        expect.soft(longFigures.flowAgainMs ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(3_000);
      } finally {
        for (const proc of replicas) proc.kill('SIGCONT');
        await load.stop();
      }
    }, 60_000);
  });
}

/** What one freeze did to the callers (see README.md, "Reading the summary lines"). */
function freezeFigures(
  records: readonly CallRecord[],
  leases: readonly VictimLease[],
  id: string,
  freeze: { frozenAt: number; resumedAt: number },
  /** The end of the period after the freeze that belongs to it (the next freeze, or the end). */
  until: number,
  retries: readonly number[],
  marks: { flowAt: number; droppedAt?: number; rejoinAt?: number },
): Record<string, number | null> {
  const { frozenAt, resumedAt } = freeze;
  const since = (at: number | undefined): number | null =>
    at === undefined || Number.isNaN(at) ? null : at - frozenAt;
  const inFlightAtFreeze = leases.filter(
    (lease) => lease.pickedAt <= frozenAt && (lease.doneAt === undefined || lease.doneAt > frozenAt),
  ).length;
  const pickedWhileFrozen = leases.filter((lease) => lease.pickedAt > frozenAt && lease.pickedAt < resumedAt);
  // Calls the freeze touched: those that ended after it began and started before it ended.
  const during = records.filter((record) => record.end >= frozenAt && record.start < resumedAt);
  const failedDuring = during.filter((record) => !record.ok);
  // Calls made between the resume and the next freeze (the ones in flight when that began are its own).
  const afterResume = records.filter((record) => record.start >= resumedAt && record.end < until);
  const codes: Record<string, number> = {};
  for (const record of failedDuring) codes[record.code ?? '?'] = (codes[record.code ?? '?'] ?? 0) + 1;
  const lastPick = pickedWhileFrozen.at(-1)?.pickedAt;
  const sharesAfterFlow = afterResume.filter((record) => record.start >= marks.flowAt && record.ok);
  return {
    freezeMs: resumedAt - frozenAt,
    inFlightAtFreeze,
    pickedWhileFrozen: pickedWhileFrozen.length,
    // The time from the freeze to the last call sent to it while frozen (0: none after the freeze).
    stopSendingMs: lastPick === undefined ? 0 : lastPick - frozenAt,
    failedDuring: failedDuring.length,
    failedDeadline: codes.DEADLINE_EXCEEDED ?? 0,
    failedOther: failedDuring.length - (codes.DEADLINE_EXCEEDED ?? 0),
    retriesDuring: retries.filter((at) => at >= frozenAt && at < resumedAt + DEADLINE_MS).length,
    callsDuring: during.length,
    p99DuringMs: round(
      percentile(
        during.map((record) => record.latencyMs),
        99,
      ),
    ),
    p99OkDuringMs: round(
      percentile(
        during.filter((record) => record.ok).map((record) => record.latencyMs),
        99,
      ),
    ),
    droppedMs: since(marks.droppedAt),
    rejoinMs: marks.rejoinAt === undefined || Number.isNaN(marks.rejoinAt) ? null : marks.rejoinAt - resumedAt,
    flowAgainMs: Number.isNaN(marks.flowAt) ? null : marks.flowAt - resumedAt,
    callsAfterResume: afterResume.length,
    failedAfterResume: afterResume.filter((record) => !record.ok).length,
    shareAfterFlow: round(
      sharesAfterFlow.filter((record) => record.servedBy?.endsWith(` ${id}`)).length /
        Math.max(1, sharesAfterFlow.length),
      3,
    ),
  };
}
