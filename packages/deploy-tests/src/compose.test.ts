import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { contract } from './builds.js';
import { checkCompose, parseComposeDuration } from './checks/compose.js';
import { type ComposeFile, composeSchemaProblems, loadComposeFile } from './compose-file.js';
import { deployDir } from './contract.js';

const composeDir = join(deployDir, 'compose');
const composePath = join(composeDir, 'compose.yaml');
const load = (): ComposeFile => loadComposeFile(composePath);

/** `docker-compose` (Debian's package) or `docker compose` (the v2 plugin), whichever answers; neither is required. */
function composeCli(): string[] | undefined {
  for (const command of [['docker-compose'], ['docker', 'compose']]) {
    const result = spawnSync(command[0]!, [...command.slice(1), 'version'], { stdio: 'ignore', timeout: 10_000 });
    if (result.status === 0) return command;
  }
  return undefined;
}

describe('Compose file: schema', () => {
  it('validates against the Compose Specification schema', () => {
    expect(composeSchemaProblems(load())).toEqual([]);
  });

  it('catches a misspelt key and a value of the wrong type', () => {
    const compose = load() as ComposeFile & { services: Record<string, Record<string, unknown>> };
    compose.services.search!.helthcheck = compose.services.search!.healthcheck;
    compose.services.catalog!.restart = ['unless-stopped'];
    expect(composeSchemaProblems(compose)).toEqual([
      'compose/services/catalog/restart: must be string {"type":"string"}',
      'compose/services/search: must NOT have additional properties {"additionalProperty":"helthcheck"}',
    ]);
  });
});

describe('Compose file: project checks', () => {
  it('matches deploy/services.json', () => {
    expect(checkCompose(load(), contract(), composeDir)).toEqual([]);
  });

  it('runs two catalog replicas and publishes only the gateway', () => {
    const compose = load();
    expect(compose.services.catalog!.deploy!.replicas).toBe(2);
    const published = Object.entries(compose.services).filter(([, service]) => service.ports?.length);
    expect(published.map(([name]) => name)).toEqual(['gateway']);
  });

  it('catches a missing service, a wrong Dockerfile and a dependency that does not exist', () => {
    const compose = load();
    delete compose.services.search;
    compose.services.catalog!.build = { context: '../..', dockerfile: 'examples/catalog/Dockerfile' };
    compose.services.orders!.depends_on = {
      redis: { condition: 'service_healthy' },
      inventory: { condition: 'service_started' },
    };
    expect(checkCompose(compose, contract(), composeDir)).toEqual([
      'compose service catalog: dockerfile examples/catalog/Dockerfile, expected examples/shopping-guide/catalog/Dockerfile',
      'compose: service search missing',
      'compose service orders: does not wait for catalog to be healthy',
      'compose service orders: depends_on inventory, which is not defined',
      'compose service gateway: depends_on search, which is not defined',
    ]);
  });

  it('catches the wrong build context, health check, environment and drain time', () => {
    const compose = load();
    compose.services.gateway!.build = { context: '.', dockerfile: 'examples/shopping-guide/gateway/Dockerfile' };
    compose.services.recommendation!.healthcheck = { test: ['CMD', 'node', '/app/health.js'] };
    compose.services.search!.environment = ['OTEL_SERVICE_NAME=search', 'SWITCHYARD_DRAIN_DELAY_MS=5000'];
    compose.services.orders!.stop_grace_period = '10s';
    const problems = checkCompose(compose, contract(), composeDir);
    expect(problems).toContain(`compose service gateway: build context ${composeDir} is not the repository root`);
    expect(problems).toContain(
      'compose service recommendation: healthcheck is ["CMD","node","/app/health.js"], expected ["CMD","node","/app/healthcheck.mjs"]',
    );
    expect(problems).toContain(
      'compose service search: SWITCHYARD_REGISTRY_URL is undefined, expected redis://redis:6379',
    );
    expect(problems).toContain(
      'compose service orders: stop_grace_period 10000 ms < drain 5000 ms + grace 10000 ms + onStop 10000 ms + telemetry flush 10000 ms + margin 5000 ms',
    );
    expect(problems).toContain(
      'compose service search: SWITCHYARD_METRICS_PORT is unset, expected 9464 (its metrics port)',
    );
  });

  it('gives a stop the time onStop and the telemetry flush take after the drain (OTEL_TRACES_EXPORTER=otlp from the shell)', () => {
    // No preStop in Compose, but the same stop() as in Kubernetes: drain delay, grace for calls in
    // flight, onStop (the grace again), then a flush that a collector gone or slow holds for the
    // OTLP timeout (10 s). 30 s SIGKILLed a service whose calls took the grace during its onStop.
    const compose = load();
    compose.services.catalog!.stop_grace_period = '30s';
    expect(checkCompose(compose, contract(), composeDir)).toEqual([
      'compose service catalog: stop_grace_period 30000 ms < drain 5000 ms + grace 10000 ms + onStop 10000 ms + telemetry flush 10000 ms + margin 5000 ms',
    ]);
  });

  it('catches replicas that would clash on a host port and a dependency on a profile-only service', () => {
    const compose = load();
    compose.services.gateway!.deploy = { replicas: 2 };
    compose.services.search!.depends_on = {
      ...(compose.services.search!.depends_on as object),
      'otel-collector': { condition: 'service_started' },
    };
    expect(checkCompose(compose, contract(), composeDir)).toEqual([
      'compose service search: depends on otel-collector, which runs only in a profile',
      'compose service gateway: publishes a fixed host port with several replicas',
    ]);
  });

  it('parses Compose durations', () => {
    expect([parseComposeDuration('30s'), parseComposeDuration('1m30s'), parseComposeDuration('250ms')]).toEqual([
      30_000, 90_000, 250,
    ]);
    expect(parseComposeDuration('30')).toBeUndefined();
  });
});

describe('Compose file: docker-compose config', () => {
  const cli = composeCli();
  const scratch = mkdtempSync(join(tmpdir(), 'deploy-tests-compose-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  // Optional: the schema and project checks above always run; this adds Compose's own parser where installed.
  it.skipIf(!cli)('accepts the file', () => {
    const [command, ...prefix] = cli!;
    execFileSync(command!, [...prefix, '-f', composePath, 'config', '--quiet'], { stdio: 'pipe', timeout: 60_000 });
  });

  it.skipIf(!cli)('rejects a broken copy of it', () => {
    const [command, ...prefix] = cli!;
    const compose = load() as ComposeFile & { services: Record<string, Record<string, unknown>> };
    compose.services.catalog!.restart = ['unless-stopped'];
    writeFileSync(join(scratch, 'compose.yaml'), stringify(compose));
    copyFileSync(join(composeDir, '.env'), join(scratch, '.env'));
    const result = spawnSync(command!, [...prefix, '-f', join(scratch, 'compose.yaml'), 'config', '--quiet'], {
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/restart/);
  });
});
