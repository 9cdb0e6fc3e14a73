/**
 * One service whose keys hold the wrong kind of value (written by hand or by a foreign tool sharing
 * the namespace) must not blind the overview commands to every other service. The registry's
 * services() already skips such garbage; `ls` and the dashboard name the service they cannot read
 * in a warning and show the others.
 */
import { createRegistry, type Registry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';
import { runCliInProcess } from '../src/test-support/run-cli-in-process.js';
import { makeServiceUnreadable } from '../src/test-support/unreadable-service.js';

let redis: RedisServerHandle;
let registry: Registry;

beforeAll(async () => {
  redis = await startRedis();
  registry = createRegistry(redis.url);
  await registry.register({ id: 'alpha-1', service: 'alpha', host: '127.0.0.1', ports: { grpc: 1 } });
  await registry.register({ id: 'beta-1', service: 'beta', host: '127.0.0.1', ports: { grpc: 2 } });
  await makeServiceUnreadable(redis.url, 'beta');
}, 120_000);

afterAll(async () => {
  await registry?.close();
  await redis?.stop();
});

const run = (argv: string[], until?: (stdout: string) => boolean) =>
  runCliInProcess(argv, { SWITCHYARD_REGISTRY_URL: redis.url }, until);

/** Runs `switchyard dashboard` in-process, reads `/api/services`, then stops it as Ctrl-C does. */
async function dashboardServices(): Promise<{ code: number; services: unknown; stderr: string }> {
  const controller = new AbortController();
  const stdout = new PassThrough().setEncoding('utf8');
  const stderr = new PassThrough().setEncoding('utf8');
  let err = '';
  stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  const started = new Promise<string>((resolve) => {
    stdout.on('data', (chunk: string) => resolve((JSON.parse(chunk) as { url: string }).url));
  });
  const running = runCli(['dashboard', '--port', '0', '--json'], {
    io: { stdout, stderr, stdin: Readable.from([]), env: { SWITCHYARD_REGISTRY_URL: redis.url } },
    signal: controller.signal,
  });
  const url = await Promise.race([started, running.then(() => '')]);
  // Past one service poll (1 s), which tries the corrupt service again.
  await new Promise((resolve) => setTimeout(resolve, 1_300));
  const services = url ? await (await fetch(new URL('api/services', url))).json() : undefined;
  controller.abort();
  return { code: await running, services, stderr: err };
}

describe('a registry with one corrupt service', { timeout: 60_000 }, () => {
  it('ls lists the healthy services (exit 0) and names the corrupt one in a warning', async () => {
    // Before: exit 1, "registry unavailable: …: list failed: WRONGTYPE …", nothing listed.
    const result = await run(['ls']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^alpha\s+1\s+1\s+0/m);
    expect(result.stdout).not.toContain('beta');
    expect(result.stderr).toMatch(/^switchyard ls: warning: cannot read service beta, left out: .*WRONGTYPE/);
  });

  it('ls --json prints valid JSON with the healthy services, and the corrupt one under "unreadable"', async () => {
    // Before: exit 1 and no JSON at all.
    const result = await run(['ls', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      namespace: 'switchyard',
      services: [{ service: 'alpha', instances: 1, up: 1, draining: 0, versions: [] }],
      unreadable: [{ service: 'beta', error: expect.stringMatching(/WRONGTYPE/) }],
    });
  });

  it('dashboard starts, serves the healthy services and warns of the corrupt one', async () => {
    // Before: the dashboard did not start (exit 1): one service's failed watch failed the whole start.
    const result = await dashboardServices();
    expect(result.code, result.stderr).toBe(0);
    expect(result.services).toMatchObject({ registryError: null, services: [{ service: 'alpha' }] });
    expect(result.stderr).toMatch(
      /^switchyard dashboard: warning: service beta: left out until it can be watched: .*WRONGTYPE/,
    );
    // Retried at every poll, but told once.
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a command on the corrupt service fails saying its data cannot be read, not that the registry is unavailable', async () => {
    // Before: "switchyard ls: registry unavailable: …: list failed: WRONGTYPE …" while Redis answered
    // every command: an operator went looking for an outage instead of the key.
    for (const argv of [
      ['ls', 'beta'],
      ['route', 'get', 'beta'],
      ['watch', 'beta'],
    ]) {
      const result = await run(argv);
      const command = argv[0] as string;
      expect({ argv, code: result.code }).toEqual({ argv, code: 1 });
      expect(result.stderr, argv.join(' ')).toMatch(
        new RegExp(
          `^switchyard ${command}: cannot read the registry's data \\(a key of the wrong type.*WRONGTYPE.*\n$`,
        ),
      );
      expect(result.stderr).not.toMatch(/unavailable/);
    }
    // Which key, and how to repair it.
    const result = await run(['ls', 'beta']);
    expect(result.stderr).toContain(
      "switchyard:{beta}:route holds a list, where the registry keeps a string (written by hand or by another tool sharing the namespace?); clear the route to replace it: switchyard route clear beta (or redis-cli SET 'switchyard:{beta}:route' '')",
    );
  });

  it('route clear repairs a route key of the wrong type, as the failures above advise', async () => {
    await registry.register({ id: 'gamma-1', service: 'gamma', host: '127.0.0.1', ports: { grpc: 3 } });
    await makeServiceUnreadable(redis.url, 'gamma');
    // Before: exit 1, "cannot read the registry's data …": the registry's clear read the key first and
    // met WRONGTYPE too, so the operator's repair tool could not repair it (redis-cli only).
    const cleared = await run(['route', 'clear', 'gamma']);
    expect({ code: cleared.code, stderr: cleared.stderr }).toEqual({
      code: 0,
      stderr:
        'switchyard route: warning: replaced switchyard:{gamma}:route, which held no route rule (a key of the wrong type)\n',
    });
    expect(cleared.stdout).toBe('route of gamma: none (every version by the balancer)\n');
    const listed = await run(['ls', 'gamma', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ service: 'gamma', route: null, instances: [{ id: 'gamma-1' }] });
  });
});
