/**
 * Chaos 4: Sentinel failover. The registry runs on a master + replica watched by three sentinels;
 * the master is SIGKILLed while a client writes and reads the registry continuously and calls the
 * registered echo replicas.
 * Expected: registry operations resume within the failover time + 2 s (failover time: from the kill
 * until a sentinel reports the new master), every registration survives, and no gRPC call fails
 * (discovery keeps its view meanwhile).
 */
import { createRegistry, type Registration, type Registry } from '@switchyard/registry';
import { type RedisSentinelHandle, startRedisSentinel } from '@switchyard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EchoClient, echoClient } from '../harness/echo-client.js';
import { startEchoReplicas } from '../harness/echo-fleet.js';
import { type CallRecord, report, startLoad, summarize } from '../harness/load.js';
import { killAll, sleep } from '../harness/processes.js';
import { topologyVia } from '../harness/redis-via.js';
import { waitUntil } from '../harness/wait.js';

/**
 * Calls that must succeed between the kill and the new master (two workers call about every 15 ms,
 * and a failover takes seconds): far fewer means calls stalled rather than went on.
 */
const MIN_CALLS_DURING_FAILOVER = 20;

/** Registers the scenario's tests (called by chaos.int.test.ts). */
export function sentinelFailover(): void {
  describe('chaos 4: Sentinel failover', () => {
    let sentinel: RedisSentinelHandle;
    let registry: Registry | undefined;
    let ops: Registry | undefined;
    let probe: Registry | undefined;
    let echo: EchoClient | undefined;

    beforeAll(async () => {
      sentinel = await startRedisSentinel({ via: topologyVia() });
    }, 90_000);
    afterEach(async () => {
      await killAll();
      await echo?.close();
      for (const client of [registry, ops, probe]) await client?.close();
    }, 30_000);
    afterAll(async () => {
      await sentinel?.stop();
    }, 30_000);

    it('resumes registry operations within failover time + 2 s, and fails no call', async () => {
      const replicas = await startEchoReplicas(sentinel.url, 2);
      registry = createRegistry(sentinel.url);
      echo = echoClient(registry);
      const { client, discovery } = echo;
      await discovery.ready({ timeoutMs: 10_000 });
      await waitUntil(() => discovery.instances().length === 2, { timeoutMs: 10_000, what: '2 echo instances' });

      // Registry operations under load: one writer/reader updating its own registration and listing.
      ops = createRegistry(sentinel.url);
      const registration: Registration = await ops.register(
        { service: 'chaos-probe', host: '127.0.0.1', ports: { http: 9 } },
        { ttlMs: 3_000 },
      );
      const opsRecords: CallRecord[] = [];
      let opsStopped = false;
      const opsLoop = (async () => {
        const until = Date.now() + 60_000;
        for (let sequence = 0; !opsStopped && Date.now() < until; sequence++) {
          const start = Date.now();
          try {
            await registration.update({ metadata: { sequence: String(sequence) } });
            const listed = await ops!.list('echo');
            if (listed.length !== 2) throw new Error(`listed ${listed.length} echo instances`);
            opsRecords.push({ start, end: Date.now(), ok: true, latencyMs: Date.now() - start });
          } catch (error) {
            const { code, message } = error as { code?: string; message?: string };
            opsRecords.push({ start, end: Date.now(), ok: false, latencyMs: Date.now() - start, code, message });
          }
          await sleep(50);
        }
      })();

      const load = startLoad({
        concurrency: 2,
        pauseMs: 10,
        maxDurationMs: 60_000,
        call: async (worker, sequence) =>
          (await client.say({ message: `${worker}-${sequence}`, delayMs: 2 }, { deadlineMs: 2_000 })).servedBy,
      });
      await sleep(2_000);

      const oldMaster = await sentinel.master();
      const killAt = Date.now();
      await sentinel.killMaster();
      const failoverAt = await waitUntil(async () => (await sentinel.master()).port !== oldMaster.port, {
        timeoutMs: 30_000,
        intervalMs: 50,
        what: 'a sentinel to report a new master',
      });
      const failoverMs = failoverAt - killAt;
      // Registry operations have resumed when, from some point on, every one of them succeeds.
      const resumedAfterKill = (): number | undefined => {
        const after = opsRecords.filter((record) => record.start >= killAt);
        const lastFailure = after.findLastIndex((record) => !record.ok);
        const streak = after.slice(lastFailure + 1);
        return streak.length >= 5 ? (streak[0] as CallRecord).end - killAt : undefined;
      };
      await waitUntil(() => resumedAfterKill() !== undefined, {
        timeoutMs: failoverMs + 10_000,
        intervalMs: 50,
        what: 'registry operations to resume',
      });
      await sleep(3_000);
      opsStopped = true;
      await opsLoop;
      const records = await load.stop();

      probe = createRegistry(sentinel.url);
      const listedAfter = (await probe.list('echo')).map((instance) => instance.id).sort();
      const probeListed = (await probe.list('chaos-probe')).map((instance) => instance.id);
      const summary = summarize(records);
      const opsAfterKill = opsRecords.filter((record) => record.start >= killAt);
      const resumeMs = resumedAfterKill() as number;
      // Calls that succeeded while Redis had no master: evidence that calls went on (failed: 0 alone
      // would also pass if every call had stalled through the failover).
      const servedDuringFailover = records.filter(
        (record) => record.ok && record.start >= killAt && record.end <= failoverAt,
      ).length;
      const figures = {
        requests: summary.requests,
        failed: summary.failed,
        servedDuringFailover,
        recoverMs: resumeMs,
        failoverMs,
        resumeAfterFailoverMs: resumeMs - failoverMs,
        registryOps: opsRecords.length,
        registryOpsFailed: opsRecords.filter((record) => !record.ok).length,
        registryOpsFailedAfterResume: opsAfterKill.filter((record) => !record.ok && record.start > killAt + resumeMs)
          .length,
        firstOpFailures: [...new Set(opsAfterKill.filter((record) => !record.ok).map((record) => record.code))],
        registrationsAfterFailover: listedAfter.length + probeListed.length,
        p50Ms: summary.p50Ms,
        p99Ms: summary.p99Ms,
        redisVia: sentinel.via,
      };
      report('4-sentinel-failover', figures);

      expect.soft(resumeMs).toBeLessThanOrEqual(failoverMs + 2_000);
      expect.soft(listedAfter).toEqual(replicas.map((replica) => replica.instanceId as string).sort());
      expect.soft(probeListed).toEqual([registration.instance.id]);
      expect.soft(summary.failures).toEqual([]);
      expect.soft(summary.failed).toBe(0);
      expect.soft(servedDuringFailover).toBeGreaterThanOrEqual(MIN_CALLS_DURING_FAILOVER);
      await registration.deregister();
    }, 120_000);
  });
}
