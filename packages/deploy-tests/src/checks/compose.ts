/**
 * The Compose file against the contract and against itself: every service of services.json
 * is built from its Dockerfile with the repository as context, runs the contract's image,
 * user and health check, gets the shared environment, waits for its dependencies to be
 * healthy and has time to drain; `depends_on` names only defined services, and relative
 * bind mounts exist.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { ComposeFile, ComposeService } from '../compose-file.js';
import type { Contract } from '../contract.js';
import { checkMetricsEnvironment } from './contract.js';
import { MIN_SHUTDOWN_MARGIN_MS, onStopMs, telemetryFlushMs } from './drain-timing.js';

/** `30s`, `1m30s`, `500ms` → ms; `undefined` when it does not parse. */
export function parseComposeDuration(duration: string | undefined): number | undefined {
  if (!duration || !/^([0-9.]+(h|m|s|ms|us))+$/.test(duration)) return undefined;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001 };
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/([0-9.]+)(h|ms|m|s|us)/g)) total += Number(amount) * units[unit!]!;
  return total;
}

/** A service's environment as a map, whichever of the two Compose forms it uses. */
export function composeEnvironment(service: ComposeService): Map<string, string> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return new Map(environment.map((entry) => [entry.split('=')[0]!, entry.slice(entry.indexOf('=') + 1)]));
  }
  return new Map(Object.entries(environment).map(([key, value]) => [key, String(value ?? '')]));
}

function dependencies(service: ComposeService): Map<string, string> {
  const dependsOn = service.depends_on ?? [];
  if (Array.isArray(dependsOn)) return new Map(dependsOn.map((name) => [name, 'service_started']));
  return new Map(Object.entries(dependsOn).map(([name, options]) => [name, options.condition ?? 'service_started']));
}

function checkContractService(compose: ComposeFile, contract: Contract, composeDir: string, name: string): string[] {
  const service = compose.services[name];
  if (!service) return [`compose: service ${name} missing`];
  const expected = contract.services[name]!;
  const where = `compose service ${name}`;
  const problems: string[] = [];
  if (service.image !== expected.image) problems.push(`${where}: image ${service.image}, expected ${expected.image}`);
  const build = typeof service.build === 'string' ? { context: service.build } : service.build;
  const context = resolve(composeDir, build?.context ?? '.');
  if (!existsSync(join(context, 'pnpm-workspace.yaml')))
    problems.push(`${where}: build context ${context} is not the repository root`);
  if (build?.dockerfile !== expected.dockerfile)
    problems.push(`${where}: dockerfile ${build?.dockerfile}, expected ${expected.dockerfile}`);
  const packageDir = dirname(join(context, expected.dockerfile));
  if (existsSync(join(packageDir, 'package.json')) && !existsSync(join(context, expected.dockerfile))) {
    problems.push(`${where}: ${relative(context, packageDir)} exists but has no Dockerfile`);
  }
  if (
    JSON.stringify(service.healthcheck?.test) !== JSON.stringify(contract.healthcheck.command) ||
    service.healthcheck?.disable
  ) {
    problems.push(
      `${where}: healthcheck is ${JSON.stringify(service.healthcheck?.test)}, expected ${JSON.stringify(contract.healthcheck.command)}`,
    );
  }
  const environment = composeEnvironment(service);
  if (environment.get('OTEL_SERVICE_NAME') !== name) problems.push(`${where}: OTEL_SERVICE_NAME is not ${name}`);
  problems.push(...checkMetricsEnvironment(where, environment, contract, contract.services[name]!.ports));
  for (const key of ['SWITCHYARD_REGISTRY_URL', 'SWITCHYARD_DRAIN_DELAY_MS', 'SWITCHYARD_SHUTDOWN_GRACE_MS']) {
    if (environment.get(key) !== contract.config[key])
      problems.push(`${where}: ${key} is ${environment.get(key)}, expected ${contract.config[key]}`);
  }
  const registryHost = URL.canParse(environment.get('SWITCHYARD_REGISTRY_URL') ?? '')
    ? new URL(environment.get('SWITCHYARD_REGISTRY_URL')!).hostname
    : '';
  const dependsOn = dependencies(service);
  for (const dependency of [registryHost, ...expected.dependsOn]) {
    if (dependsOn.get(dependency) !== 'service_healthy')
      problems.push(`${where}: does not wait for ${dependency} to be healthy`);
  }
  if (service.user !== `${contract.runAsUser}:${contract.runAsGroup}`) problems.push(`${where}: user ${service.user}`);
  if (service.read_only !== true) problems.push(`${where}: root filesystem is not read_only`);
  if (![service.tmpfs ?? []].flat().includes(contract.writableDir))
    problems.push(`${where}: no tmpfs at ${contract.writableDir}`);
  // The same stop() as in Kubernetes, without a preStop: drain delay, grace for calls in flight,
  // onStop (the grace again), telemetry flush. A variable left to the shell
  // (`OTEL_TRACES_EXPORTER=otlp docker compose …`, as the README shows) counts at its worst: otlp.
  const stopMs = parseComposeDuration(service.stop_grace_period) ?? 10_000;
  const drainMs = Number(contract.config.SWITCHYARD_DRAIN_DELAY_MS);
  const graceMs = Number(contract.config.SWITCHYARD_SHUTDOWN_GRACE_MS);
  const tracingEnvironment = new Map(
    [...environment].map(([key, value]) => [
      key,
      key === 'OTEL_TRACES_EXPORTER' && value.includes('${') ? 'otlp' : value,
    ]),
  );
  const flushMs = telemetryFlushMs(tracingEnvironment);
  if (typeof flushMs === 'string') problems.push(`${where}: ${flushMs}`);
  else {
    const neededMs = drainMs + graceMs + onStopMs(graceMs) + flushMs + MIN_SHUTDOWN_MARGIN_MS;
    if (stopMs < neededMs)
      problems.push(
        `${where}: stop_grace_period ${stopMs} ms < drain ${drainMs} ms + grace ${graceMs} ms + onStop ${onStopMs(graceMs)} ms + telemetry flush ${flushMs} ms + margin ${MIN_SHUTDOWN_MARGIN_MS} ms`,
      );
  }
  if (service.deploy?.replicas === undefined) problems.push(`${where}: deploy.replicas is not set`);
  return problems;
}

/** Problems in a parsed Compose file (at `composeDir`) against the contract. */
export function checkCompose(compose: ComposeFile, contract: Contract, composeDir: string): string[] {
  const problems = Object.keys(contract.services).flatMap((name) =>
    checkContractService(compose, contract, composeDir, name),
  );
  for (const [name, service] of Object.entries(compose.services)) {
    const where = `compose service ${name}`;
    for (const [dependency, condition] of dependencies(service)) {
      const target = compose.services[dependency];
      if (!target) problems.push(`${where}: depends_on ${dependency}, which is not defined`);
      else if (target.profiles?.length && !service.profiles?.length)
        problems.push(`${where}: depends on ${dependency}, which runs only in a profile`);
      else if (condition === 'service_healthy' && !target.healthcheck?.test)
        problems.push(`${where}: waits for ${dependency} to be healthy, but it has no healthcheck`);
    }
    if ((service.deploy?.replicas ?? 1) > 1) {
      if (service.container_name) problems.push(`${where}: container_name with several replicas`);
      if (service.ports?.some((port) => typeof port === 'object' || /:/.test(String(port)))) {
        problems.push(`${where}: publishes a fixed host port with several replicas`);
      }
    }
    for (const volume of service.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0]! : (volume.source ?? '');
      if (source.startsWith('.') && !existsSync(resolve(composeDir, source)))
        problems.push(`${where}: bind mount ${source} does not exist`);
    }
  }
  return problems;
}
