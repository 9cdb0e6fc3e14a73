/**
 * `pnpm demo`: the shopping-guide system, for real. Starts a Redis (through @switchyard/testing,
 * or uses SWITCHYARD_REGISTRY_URL), runs every service as its own process — catalog ×3,
 * recommendation ×2, search, orders ×2, gateway — drives virtual shoppers through the gateway for a
 * bounded time, SIGKILLs one catalog replica halfway, and prints: requests, failures, latency
 * percentiles, each catalog replica's traffic share before and after the kill, and one order's
 * trace as a tree (spans exported by every process to a receiver in this one). Exits non-zero if
 * any request failed, the killed replica still served after its death, or the spans cannot show
 * either way (see killProblems).
 */
import { createRegistry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { type FleetProcess, startProcess, stopAll } from './fleet.js';
import { startInProcess } from './in-process.js';
import { startOtlpReceiver } from './otlp-receiver.js';
import { catalogShares, killProblems, requestTable, traceTree } from './report.js';
import { type RequestRecord, runShoppers } from './workload.js';

const DURATION_MS = Number(process.env.DEMO_DURATION_MS ?? 20_000);
const SHOPPERS = Number(process.env.DEMO_SHOPPERS ?? 8);
const REPLICAS: [string, number][] = [
  ['catalog', 3],
  ['search', 1],
  ['recommendation', 2],
  ['orders', 2],
  ['gateway', 1],
];
const started = Date.now();
const log = (message: string): void =>
  console.log(`${((Date.now() - started) / 1_000).toFixed(1).padStart(6)}s  ${message}`);

let redis: RedisServerHandle | undefined;
if (!process.env.SWITCHYARD_REGISTRY_URL && process.env.DEMO_IN_PROCESS !== '1') {
  try {
    redis = await startRedis();
  } catch (error) {
    log(`no Redis could be started (${(error as Error).message.split('\n')[0]})`);
  }
}
if (!process.env.SWITCHYARD_REGISTRY_URL && !redis) {
  await runInProcess();
}
const registryUrl = process.env.SWITCHYARD_REGISTRY_URL ?? (redis?.url as string);
log(`registry ${registryUrl} (${redis ? `Redis via ${redis.via}` : 'SWITCHYARD_REGISTRY_URL'})`);
const receiver = await startOtlpReceiver();
const registry = createRegistry(registryUrl);
const processes: FleetProcess[] = [];
const failures: string[] = [];

try {
  const env = {
    SWITCHYARD_REGISTRY_URL: registryUrl,
    SWITCHYARD_LISTEN_HOST: '127.0.0.1',
    SWITCHYARD_ADVERTISE_HOST: '127.0.0.1',
    SWITCHYARD_DRAIN_DELAY_MS: '1000',
    SWITCHYARD_SHUTDOWN_GRACE_MS: '3000',
    SWITCHYARD_TTL_MS: '3000',
    GRPC_PORT: '0',
    HTTP_PORT: '0',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '300',
  };
  for (const [service, replicas] of REPLICAS) {
    for (let index = 0; index < replicas; index++) {
      processes.push(
        startProcess(
          service,
          index,
          env,
          (line) => line.includes('"level":"error"') && log(`${service}#${index}: ${line}`),
        ),
      );
    }
  }
  log(`started ${processes.length} processes; waiting for them to register and be ready`);
  const waitUntil = Date.now() + 60_000;
  for (;;) {
    // Ready = `up`, not just listed: search registers as draining until its first index is built.
    const counts = await Promise.all(
      REPLICAS.map(
        async ([service]) => (await registry.list(service)).filter((instance) => instance.status === 'up').length,
      ),
    );
    if (REPLICAS.every(([, replicas], index) => (counts[index] as number) >= replicas)) break;
    const dead = processes.find((p) => p.child.exitCode !== null);
    if (dead) {
      // Its own words first: a crash before the logger is up is a plain stack trace on stderr.
      const output = dead.recentLines.length > 0 ? `; its last output:\n${dead.recentLines.join('\n')}` : '';
      throw new Error(`${dead.service}#${dead.index} exited with ${dead.child.exitCode} during start${output}`);
    }
    if (Date.now() > waitUntil)
      throw new Error(`services were not registered and ready within 60 s: ${counts.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const [gateway] = await registry.list('gateway');
  const catalog = await registry.list('catalog');
  const instanceByPort = new Map(catalog.map((instance) => [instance.ports.grpc as number, instance.id]));
  const gatewayUrl = `http://${gateway?.host}:${gateway?.ports.http}`;
  log(
    `all registered: ${REPLICAS.map(([service, replicas]) => `${service}×${replicas}`).join(', ')}; gateway at ${gatewayUrl}`,
  );

  // Kill one catalog replica halfway through the workload.
  const victimInstance = catalog[0];
  const victimProcess = processes.find((p) => p.instanceId === victimInstance?.id);
  if (!victimProcess) throw new Error(`no process announced catalog instance ${victimInstance?.id}`);
  let killAt = Number.POSITIVE_INFINITY;
  const records: RequestRecord[] = [];
  const killer = setTimeout(() => {
    killAt = Date.now();
    victimProcess.child.kill('SIGKILL');
    log(`SIGKILL catalog ${victimInstance?.id} (pid ${victimProcess.child.pid})`);
  }, DURATION_MS / 2);
  log(`${SHOPPERS} shoppers for ${DURATION_MS / 1_000} s`);
  await runShoppers({ gatewayUrl, shoppers: SHOPPERS, durationMs: DURATION_MS, records });
  clearTimeout(killer);
  log('workload done; stopping the fleet gracefully');
  await new Promise((resolve) => setTimeout(resolve, 800)); // let the last spans export
  await stopAll(processes, 15_000);

  const failed = records.filter((record) => !record.ok);
  const killedPort = victimInstance?.ports.grpc as number;
  console.log('\nRequests through the gateway');
  console.log(requestTable(records));
  console.log(`\nCatalog traffic (successful calls per replica) before and after the SIGKILL of ${victimInstance?.id}`);
  console.log(catalogShares(receiver.spans, instanceByPort, killAt));
  const orderTrace = receiver.spans.find(
    (span) => span.name === 'shop.orders.v1.OrdersService/PlaceOrder' && span.kind === 2,
  )?.traceId;
  if (orderTrace) {
    console.log('\nOne order, as a trace');
    console.log(traceTree(receiver.spans, orderTrace));
  }
  console.log(`\n${records.length} requests, ${failed.length} failed; ${receiver.spans.length} spans received`);
  for (const record of failed.slice(0, 5)) console.log(`  failed: ${record.route} ${record.status} ${record.error}`);
  if (failed.length > 0) failures.push(`${failed.length} requests failed`);
  failures.push(...killProblems(receiver.spans, killedPort, killAt));
} catch (error) {
  failures.push((error as Error).message);
} finally {
  await stopAll(processes, 5_000);
  await registry.close();
  await receiver.close();
  await redis?.stop();
}
if (failures.length > 0) {
  console.error(`\ndemo FAILED: ${failures.join('; ')}`);
  process.exit(1);
}
console.log('\ndemo passed: no failed request across the SIGKILL, and the killed replica dropped out of the traffic');
process.exit(0);

/**
 * No Redis anywhere: every service in this process on the in-memory registry. Says so, runs the
 * same workload and report, with a simulated crash instead of a SIGKILL.
 */
async function runInProcess(): Promise<never> {
  log(
    'IN-PROCESS MODE: every service runs in this one process on the in-memory registry (memory://shopping-guide); the kill is a simulated crash',
  );
  const fleet = await startInProcess(REPLICAS);
  const problems: string[] = [];
  try {
    const gateway = fleet.services.find((service) => service.name === 'gateway');
    const catalogs = fleet.services.filter((service) => service.name === 'catalog');
    const gatewayUrl = `http://127.0.0.1:${gateway?.httpPort}`;
    const instanceByPort = new Map(catalogs.map((service) => [service.grpcPort as number, service.instance.id]));
    const victim = catalogs[0];
    let killAt = Number.POSITIVE_INFINITY;
    const records: RequestRecord[] = [];
    const killer = setTimeout(() => {
      killAt = Date.now();
      void victim?.crash();
      log(`CRASH catalog ${victim?.instance.id}`);
    }, DURATION_MS / 2);
    log(`${SHOPPERS} shoppers for ${DURATION_MS / 1_000} s`);
    await runShoppers({ gatewayUrl, shoppers: SHOPPERS, durationMs: DURATION_MS, records });
    clearTimeout(killer);
    const spans = fleet.spans();
    const failed = records.filter((record) => !record.ok);
    console.log('\nRequests through the gateway');
    console.log(requestTable(records));
    console.log(`\nCatalog traffic before and after the crash of ${victim?.instance.id}`);
    console.log(catalogShares(spans, instanceByPort, killAt));
    const orderTrace = spans.find(
      (span) => span.name === 'shop.orders.v1.OrdersService/PlaceOrder' && span.kind === 2,
    )?.traceId;
    if (orderTrace) {
      console.log('\nOne order, as a trace');
      console.log(traceTree(spans, orderTrace));
    }
    console.log(`\n${records.length} requests, ${failed.length} failed (in-process mode)`);
    if (failed.length > 0) problems.push(`${failed.length} requests failed`);
    problems.push(...killProblems(spans, victim?.grpcPort as number, killAt));
  } catch (error) {
    problems.push((error as Error).message);
  } finally {
    await fleet.stop();
  }
  if (problems.length > 0) {
    console.error(`\ndemo FAILED: ${problems.join('; ')}`);
    process.exit(1);
  }
  console.log('\ndemo passed (in-process mode)');
  process.exit(0);
}
