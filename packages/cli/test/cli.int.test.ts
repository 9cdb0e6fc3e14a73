/**
 * The `switchyard` command against a real Redis and real gRPC servers (the echo service from
 * protos/, with the standard health service), each command run as a child process so its exit
 * code, stdout and stderr are the real ones.
 */
import { join } from 'node:path';
import { createDiscovery } from '@switchyard/discovery';
import { createRegistry, type Registry } from '@switchyard/registry';
import { type RedisServerHandle, startRedis } from '@switchyard/testing';
import { initTracing, type Tracing } from '@switchyard/tracing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EchoInstance, echoProto, protosDir, startEcho } from './fixtures/echo-fleet.js';
import { type CliResult, exited, inBatches, LineReader, runCliProcess, spawnCli } from './fixtures/run-cli-process.js';

let redis: RedisServerHandle;
let registry: Registry;
let tracing: Tracing;
const instances: EchoInstance[] = [];
const UNREACHABLE = 'redis://127.0.0.1:1';

/** Runs the CLI against the test Redis. */
function cli(args: readonly string[], options: { input?: string; env?: Record<string, string | undefined> } = {}) {
  return runCliProcess(args, { ...options, env: { SWITCHYARD_REGISTRY_URL: redis.url, ...options.env } });
}

/** A failure is exactly one line on stderr, and no stack trace anywhere. */
function expectOneLine(result: CliResult, pattern: RegExp): void {
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^switchyard( [a-z]+)?: /);
  expect(lines[0]).toMatch(pattern);
  expect(`${result.stdout}${result.stderr}`).not.toMatch(/\n\s+at |Error: |node:internal/);
}

async function echo(options: Parameters<typeof startEcho>[1]): Promise<EchoInstance> {
  const instance = await startEcho(registry, options);
  instances.push(instance);
  return instance;
}

beforeAll(async () => {
  redis = await startRedis();
  registry = createRegistry(redis.url);
  // The servers in this process trace too, so a test can see the trace id arrive on the server.
  tracing = initTracing({ serviceName: 'cli-test-servers', exporter: 'memory' });
  await echo({ id: 'echo-a', version: '1.0.0', zone: 'eu-1a' });
  await echo({ id: 'echo-b', version: '1.1.0', zone: 'eu-1b', weight: 50 });
  await echo({ id: 'catalog-1', service: 'catalog', version: '2.0.0' });
}, 120_000);

afterAll(async () => {
  for (const instance of instances) await instance.stop();
  await registry?.close();
  await tracing?.shutdown();
  await redis?.stop();
});

describe('switchyard ls', { timeout: 180_000 }, () => {
  it('lists services with instance counts, as a table and as JSON', async () => {
    const [table, json] = await Promise.all([cli(['ls']), cli(['ls', '--json'])]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^SERVICE\s+INSTANCES\s+UP\s+DRAINING\s+VERSIONS$/m);
    expect(table.stdout).toMatch(/^catalog\s+1\s+1\s+0\s+2\.0\.0$/m);
    expect(table.stdout).toMatch(/^echo\s+2\s+2\s+0\s+1\.0\.0,1\.1\.0$/m);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { namespace: string; services: { service: string; instances: number }[] };
    expect(parsed.namespace).toBe('switchyard');
    expect(parsed.services).toEqual(
      expect.arrayContaining([
        { service: 'catalog', instances: 1, up: 1, draining: 0, versions: ['2.0.0'] },
        { service: 'echo', instances: 2, up: 2, draining: 0, versions: ['1.0.0', '1.1.0'] },
      ]),
    );
  });

  it('lists the instances of a service with status, zone, weight, version, address, age, last heartbeat and lease expiry', async () => {
    const [table, json] = await Promise.all([cli(['ls', 'echo']), cli(['ls', 'echo', '--json'])]);
    expect(table.code, table.stderr).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+STATUS\s+ZONE\s+WEIGHT\s+VERSION\s+ADDRESS\s+AGE\s+HEARTBEAT\s+EXPIRES IN$/);
    const portA = instances[0]?.port;
    expect(rows[0]).toMatch(
      new RegExp(
        `^echo-a\\s+up\\s+eu-1a\\s+100\\s+1\\.0\\.0\\s+127\\.0\\.0\\.1:${portA}/grpc\\s+\\d+(ms|s)\\s+\\d+(ms|s) ago\\s+\\d+(ms|s)$`,
      ),
    );
    expect(rows[1]).toMatch(/^echo-b\s+up\s+eu-1b\s+50\s+1\.1\.0\s/);
    const parsed = JSON.parse(json.stdout) as {
      service: string;
      route: unknown;
      instances: {
        id: string;
        ageMs: number;
        expiresInMs: number;
        lastHeartbeatAgoMs: number;
        ports: { grpc: number };
      }[];
    };
    expect(parsed.service).toBe('echo');
    expect(parsed.route).toBeNull();
    expect(parsed.instances.map((instance) => instance.id)).toEqual(['echo-a', 'echo-b']);
    for (const instance of parsed.instances) {
      expect(instance.ageMs).toBeGreaterThanOrEqual(0);
      expect(instance.ageMs).toBeLessThan(120_000);
      // Default TTL 10 s: the lease always has something left, never more than the TTL.
      expect(instance.expiresInMs).toBeGreaterThan(0);
      expect(instance.expiresInMs).toBeLessThanOrEqual(10_000);
      // Heartbeats every TTL/3 (~3.3 s): the last one is at most that long ago (plus scheduling), and
      // heartbeat + expiry add up to the TTL (both read from the same key at nearly the same time).
      expect(instance.lastHeartbeatAgoMs).toBeGreaterThanOrEqual(0);
      expect(instance.lastHeartbeatAgoMs).toBeLessThan(5_000);
      expect(Math.abs(instance.lastHeartbeatAgoMs + instance.expiresInMs - 10_000)).toBeLessThan(50);
    }
  });

  it('fails with one line for an unknown service (exit 1) and a bad service name (exit 2)', async () => {
    const [unknown, invalid] = await Promise.all([cli(['ls', 'nope']), cli(['ls', 'Not_A_Name'])]);
    expect(unknown.code).toBe(1);
    expectOneLine(unknown, /unknown service "nope".*live services: catalog, echo/);
    expect(invalid.code).toBe(2);
    expectOneLine(invalid, /service: must be a DNS label/);
  });
});

describe('bad input and an unreachable registry', { timeout: 180_000 }, () => {
  it('gives one clear line and exit 1 for every command when the registry is unreachable', async () => {
    const env = { SWITCHYARD_REGISTRY_URL: UNREACHABLE };
    const results = await inBatches([
      () => cli(['ls'], { env }),
      () => cli(['ls', 'echo'], { env }),
      () => cli(['watch', 'echo'], { env }),
      () => cli(['health', 'echo'], { env }),
      () => cli(['call', 'echo', 'switchyard.echo.v1.Echo/Say', '{}', '--proto', echoProto, '-I', protosDir], { env }),
      () => cli(['route', 'get', 'echo'], { env }),
      () => cli(['deregister', 'echo-a', '--yes'], { env }),
      () => cli(['dashboard', '--port', '0'], { env }),
    ]);
    for (const result of results) {
      expect(result.code, result.stderr).toBe(1);
      expectOneLine(result, /cannot reach the registry at redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/);
    }
  });

  it('reaches a password-protected registry with SWITCHYARD_REGISTRY_PASSWORD, and names the failure without it', async () => {
    const password = 'cli/pass@word';
    const protectedRedis = await startRedis({ password });
    try {
      const bare = `redis://${protectedRedis.host}:${protectedRedis.port}`;
      const [ok, missing, wrong] = await Promise.all([
        cli(['ls'], { env: { SWITCHYARD_REGISTRY_URL: bare, SWITCHYARD_REGISTRY_PASSWORD: password } }),
        cli(['ls'], { env: { SWITCHYARD_REGISTRY_URL: bare } }),
        cli(['ls', '--registry', bare], { env: { SWITCHYARD_REGISTRY_PASSWORD: 'wrong' } }),
      ]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('no live services');
      expect(ok.stdout).not.toContain(password);
      expect(missing.code).toBe(1);
      expectOneLine(missing, /permission denied: NOAUTH/);
      expect(wrong.code).toBe(1);
      expectOneLine(wrong, /at redis:\/\/:\*\*\*@.*permission denied: WRONGPASS/);
    } finally {
      await protectedRedis.stop();
    }
  });

  it('--registry wins over the environment', async () => {
    const result = await cli(['ls', '--registry', UNREACHABLE]);
    expect(result.code).toBe(1);
    expectOneLine(result, /cannot reach the registry/);
  });

  it('usage errors exit 2 with one line: no registry, unknown command, bad flag, missing argument, bad URL', async () => {
    const results = await inBatches([
      () => cli(['ls'], { env: { SWITCHYARD_REGISTRY_URL: undefined } }),
      () => cli(['frobnicate']),
      () => cli(['ls', '--frobnicate']),
      () => cli(['ls', '--registry']),
      () => cli(['health']),
      () => cli(['ls', '--registry', 'mongodb://x']),
      () => cli(['ls', '--namespace', 'a:b']),
      () => cli(['health', 'echo', '--timeout-ms', 'soon']),
    ]);
    const patterns = [
      /no registry: pass --registry/,
      /unknown command "frobnicate"; commands: ls, watch, health, call, deregister, route, canary, dashboard/,
      /^switchyard ls: unknown option --frobnicate/,
      /--registry needs a value/,
      /missing <service>/,
      /--registry: unknown registry scheme "mongodb:\/\/"/,
      /namespace: must be/,
      /--timeout-ms must be an integer/,
    ];
    results.forEach((result, index) => {
      expect(result.code, result.stderr).toBe(2);
      expectOneLine(result, patterns[index] as RegExp);
    });
  });

  it('prints help with exit 0, and the general help with exit 2 when no command is given', async () => {
    const [help, commandHelp, none] = await Promise.all([cli(['--help']), cli(['call', '--help']), cli([])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Commands:');
    expect(commandHelp.code).toBe(0);
    expect(commandHelp.stdout).toContain('--proto <file>');
    expect(commandHelp.stdout).toContain('Exit codes:');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: switchyard <command>');
  });
});

describe('switchyard health', { timeout: 180_000 }, () => {
  it('exits 0 when every instance is SERVING, with a table and JSON', async () => {
    const [table, json] = await Promise.all([cli(['health', 'echo']), cli(['health', 'echo', '--json'])]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+ADDRESS\s+REGISTRY\s+HEALTH\s+LATENCY\s+DETAIL$/m);
    expect(table.stdout).toMatch(/^echo-a\s+127\.0\.0\.1:\d+\s+up\s+SERVING\s+[\d.]+ms$/m);
    expect(table.stdout).toMatch(/^echo-b\s+127\.0\.0\.1:\d+\s+up\s+SERVING\s+[\d.]+ms$/m);
    expect(table.stderr).toBe('');
    const parsed = JSON.parse(json.stdout) as { healthy: boolean; instances: { health: string; latencyMs: number }[] };
    expect(parsed.healthy).toBe(true);
    expect(parsed.instances.map((instance) => instance.health)).toEqual(['SERVING', 'SERVING']);
    for (const instance of parsed.instances) expect(instance.latencyMs).toBeGreaterThan(0);
  });

  it('exits 1 when an instance drains (NOT_SERVING) or does not answer (UNAVAILABLE)', async () => {
    const draining = await echo({ id: 'h-draining', service: 'health-mixed' });
    await echo({ id: 'h-ok', service: 'health-mixed' });
    const dead = await echo({ id: 'h-dead', service: 'health-mixed' });
    await draining.server.drain();
    await draining.registration.update({ status: 'draining' });
    await dead.server.shutdown(0); // still registered: its port refuses connections
    const [table, json] = await inBatches([
      () => cli(['health', 'health-mixed', '--timeout-ms', '2000']),
      () => cli(['health', 'health-mixed', '--json']),
    ]);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^h-dead\s+127\.0\.0\.1:\d+\s+up\s+UNAVAILABLE\s/m);
    expect(table.stdout).toMatch(/^h-draining\s+127\.0\.0\.1:\d+\s+draining\s+NOT_SERVING\s/m);
    expect(table.stdout).toMatch(/^h-ok\s+127\.0\.0\.1:\d+\s+up\s+SERVING\s/m);
    expectOneLine(table, /2 of 3 instances of health-mixed not SERVING/);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { healthy: boolean; serving: number; total: number };
    expect(parsed).toMatchObject({ healthy: false, serving: 1, total: 3 });
  });

  it('fails with one line for an unknown service', async () => {
    const result = await cli(['health', 'nope']);
    expect(result.code).toBe(1);
    expectOneLine(result, /unknown service "nope"/);
  });
});

describe('switchyard call', { timeout: 180_000 }, () => {
  const say = ['call', 'echo', 'switchyard.echo.v1.Echo/Say'];
  const proto = ['--proto', echoProto, '-I', protosDir];

  it('calls a real gRPC method through discovery and prints the response and a propagated trace id', async () => {
    const result = await cli([...say, '{"message":"hello"}', ...proto]);
    expect(result.code, result.stderr).toBe(0);
    const response = JSON.parse(result.stdout) as { message: string; servedBy: string; traceId: string };
    expect(response.message).toBe('hello');
    expect(['echo-a', 'echo-b']).toContain(response.servedBy);
    const traceLine = /^trace ([0-9a-f]{32}) · 1 attempt: 127\.0\.0\.1:\d+ ok [\d.]+ms$/m.exec(result.stderr);
    expect(traceLine, result.stderr).not.toBeNull();
    // The server's span belongs to the trace the CLI printed: the traceparent crossed the hop.
    expect(response.traceId).toBe(traceLine?.[1]);
  });

  it('--json prints one object with the response, the trace id and the attempts', async () => {
    const result = await cli([...say, '{"message":"json"}', '--proto', join(protosDir, echoProto), '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const parsed = JSON.parse(result.stdout) as {
      response: { message: string; traceId: string };
      traceId: string;
      attempts: { attempt: number; address: string; ok: boolean }[];
    };
    expect(parsed.response.message).toBe('json');
    expect(parsed.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(parsed.response.traceId).toBe(parsed.traceId);
    expect(parsed.attempts).toEqual([expect.objectContaining({ attempt: 1, ok: true })]);
    expect(parsed.attempts[0]?.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('prints every message of a server-streaming method', async () => {
    const result = await cli(['call', 'echo', 'switchyard.echo.v1.Echo.Count', '{"count":3}', ...proto, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.slice(0, 3).map((line) => line.message.message)).toEqual(['0', '1', '2']);
    expect(lines[3]).toMatchObject({ messages: 3, traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });

  it('fails with one line: malformed JSON (2), unknown method (2), bad field (2), unknown service (1), error status (1), deadline (1)', async () => {
    const results = await inBatches([
      () => cli([...say, '{"message":', ...proto]),
      () => cli(['call', 'echo', 'switchyard.echo.v1.Echo/Shout', '{}', ...proto]),
      () => cli([...say, '{"mesage":"typo"}', ...proto]),
      () => cli(['call', 'nope', 'switchyard.echo.v1.Echo/Say', '{}', ...proto]),
      () => cli([...say, '{"failWithCode":5}', ...proto]),
      // The deadline covers the registry lookup too: 200 ms ran out there once on a loaded CI
      // machine (no trace yet, so no trace id in the line). 1 s leaves the lookup room.
      () => cli([...say, '{"delayMs":3000}', ...proto, '--deadline-ms', '1000']),
      () => cli([...say, '{}', '--proto', 'missing/nothing.proto']),
      () => cli([...say, '[1,2]', ...proto]),
    ]);
    const expected: [number, RegExp][] = [
      [2, /the request body is not valid JSON/],
      [2, /switchyard\.echo\.v1\.Echo has no method Shout; methods: Say, Count/],
      [2, /request\.mesage: .*unknown field of EchoRequest/],
      [1, /unknown service "nope"/],
      [1, /Echo\/Say: NOT_FOUND: asked to fail with 5 \(trace [0-9a-f]{32}\)$/],
      [1, /deadline of 1000 ms exceeded \(trace [0-9a-f]{32}\)$/],
      [2, /--proto missing\/nothing\.proto: cannot load/],
      [2, /must be a JSON object, got an array/],
    ];
    results.forEach((result, index) => {
      const [code, pattern] = expected[index] as [number, RegExp];
      expect(result.code, result.stderr).toBe(code);
      expectOneLine(result, pattern);
    });
  });
});

describe('switchyard watch', { timeout: 180_000 }, () => {
  it('streams snapshot, up, update and down lines until SIGTERM, then exits 0', async () => {
    await echo({ id: 'w-1', service: 'watched', version: '1.0.0' });
    const child = spawnCli(['watch', 'watched'], { SWITCHYARD_REGISTRY_URL: redis.url });
    const json = spawnCli(['watch', 'watched', '--json'], { SWITCHYARD_REGISTRY_URL: redis.url });
    try {
      const lines = new LineReader(child.stdout);
      const jsonLines = new LineReader(json.stdout);
      expect(await lines.waitFor((line) => line.includes('snapshot'), 15_000)).toMatch(
        /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}snapshot {2}1 instance: w-1 \(up\)$/,
      );
      await jsonLines.waitFor((line) => line.includes('snapshot'), 15_000);
      const second = await echo({ id: 'w-2', service: 'watched', version: '1.1.0', zone: 'eu-1b' });
      expect(await lines.waitFor((line) => line.includes(' up '))).toMatch(
        /up {8}w-2 up 127\.0\.0\.1:\d+\/grpc weight=100 version=1\.1\.0 zone=eu-1b$/,
      );
      await second.registration.update({ status: 'draining' });
      expect(await lines.waitFor((line) => line.includes(' update '))).toMatch(/update {4}w-2 draining /);
      await second.stop();
      expect(await lines.waitFor((line) => line.includes(' down '))).toMatch(/down {6}w-2 \(deregistered\)$/);
      await jsonLines.waitFor((line) => line.includes('"down"'));
      child.kill('SIGTERM');
      json.kill('SIGINT');
      expect(await exited(child)).toEqual({ code: 0, signal: null });
      expect(await exited(json)).toEqual({ code: 0, signal: null });
      const events = jsonLines.lines.map((line) => JSON.parse(line) as { type: string; service: string });
      expect(events.map((event) => event.type)).toEqual(['snapshot', 'up', 'update', 'down']);
      expect(events.every((event) => event.service === 'watched')).toBe(true);
      expect(events[1]).toMatchObject({ instance: { id: 'w-2', status: 'up' } });
    } finally {
      child.kill('SIGKILL');
      json.kill('SIGKILL');
    }
  });
});

describe('switchyard deregister', { timeout: 180_000 }, () => {
  it('asks for confirmation, evicts on "y" (the owner never writes it back), keeps it on "n"', async () => {
    const victim = await echo({ id: 'd-1', service: 'evictable', ttlMs: 1_500 });
    await echo({ id: 'd-2', service: 'evictable' });
    const declined = await cli(['deregister', 'd-1'], { input: 'n\n' });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toMatch(/Deregister evictable\/d-1 \(127\.0\.0\.1:\d+\/grpc, up\)\? .*\[y\/N\]/);
    expect(declined.stderr.trimEnd().split('\n').at(-1)).toBe('switchyard deregister: not confirmed; nothing changed');
    expect((await registry.list('evictable')).map((instance) => instance.id).sort()).toEqual(['d-1', 'd-2']);

    const confirmed = await cli(['deregister', 'd-1'], { input: 'y\n' });
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(confirmed.stdout).toBe('deregistered evictable/d-1\n');
    expect((await registry.list('evictable')).map((instance) => instance.id)).toEqual(['d-2']);
    // Several heartbeats later (TTL 1.5 s → every 500 ms) it is still gone: the owner lost it for good.
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(victim.registration.state).toBe('lost');
    expect((await registry.list('evictable')).map((instance) => instance.id)).toEqual(['d-2']);
  });

  it('--yes skips the prompt; --json reports it; an unknown id or EOF on stdin fails with one line', async () => {
    await echo({ id: 'd-3', service: 'evictable2' });
    await echo({ id: 'd-4', service: 'evictable2' });
    const [yes, unknown, eof] = await inBatches([
      () => cli(['deregister', 'd-3', '--service', 'evictable2', '--yes', '--json']),
      () => cli(['deregister', 'no-such-id', '--yes']),
      () => cli(['deregister', 'd-4']),
    ]);
    expect(yes.code, yes.stderr).toBe(0);
    expect(JSON.parse(yes.stdout)).toEqual({ service: 'evictable2', id: 'd-3', deregistered: true });
    expect(unknown.code).toBe(1);
    expectOneLine(unknown, /no live instance "no-such-id" in any service/);
    expect(eof.code).toBe(1);
    expect(eof.stderr.trimEnd().split('\n').at(-1)).toMatch(/not confirmed \(stdin ended\); pass --yes/);
    expect((await registry.list('evictable2')).map((instance) => instance.id)).toEqual(['d-4']);
  });
});

describe('switchyard route', { timeout: 180_000 }, () => {
  it('sets, gets and clears a traffic split; refused rules are one line with exit 2', async () => {
    await echo({ id: 'r-1', service: 'routed', version: '1.4.0' });
    await echo({ id: 'r-2', service: 'routed', version: '1.5.0' });
    const set = await cli(['route', 'set', 'routed', '1.4.0=95', '1.5.0=5%']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe('route of routed: 1.4.0=95% 1.5.0=5%\n');
    const [get, ls] = await Promise.all([cli(['route', 'get', 'routed', '--json']), cli(['ls', 'routed'])]);
    expect(JSON.parse(get.stdout)).toEqual({ service: 'routed', rule: { splits: { '1.4.0': 95, '1.5.0': 5 } } });
    expect(ls.stdout).toMatch(/^route: 1\.4\.0=95% 1\.5\.0=5%$/m);

    const refused = await inBatches([
      () => cli(['route', 'set', 'routed', '1.4.0=90', '1.5.0=20']),
      () => cli(['route', 'set', 'routed', '1.4.0=90', '9.9.9=10']),
      () => cli(['route', 'set', 'routed', '1.4.0']),
      () => cli(['route', 'set', 'routed']),
      () => cli(['route', 'move', 'routed']),
      () => cli(['route', 'set', 'nope', '1.0.0=100']),
    ]);
    const patterns = [
      /rule\.splits: weights must sum to 100, got 110/,
      /no live instance of routed runs version 9\.9\.9/,
      /"1\.4\.0" is not <version>=<percent>/,
      /route set needs at least one <version>=<percent>/,
      /unknown route action "move"/,
      /"nope" has no live instance to route/,
    ];
    refused.forEach((result, index) => {
      expect(result.code, result.stderr).toBe(2);
      expectOneLine(result, patterns[index] as RegExp);
    });
    expect(await registry.getRoute('routed')).toEqual({ splits: { '1.4.0': 95, '1.5.0': 5 } });

    const clear = await cli(['route', 'clear', 'routed']);
    expect(clear.code).toBe(0);
    expect(clear.stdout).toBe('route of routed: none (every version by the balancer)\n');
    expect(await registry.getRoute('routed')).toBeUndefined();
    for (const action of ['get', 'clear']) {
      const unknown = await cli(['route', action, 'nope']);
      expect(unknown.code, action).toBe(1);
      expectOneLine(unknown, /unknown service "nope"/);
    }
  });

  it('shows a malformed stored rule as such, and clears it even for a service without a live instance', async () => {
    const raw = new Redis(redis.url);
    try {
      await echo({ id: 'm-1', service: 'misrouted', version: '1.4.0' });
      // Written by hand or by a foreign tool: getRoute() hides both, and clients keep their old rule.
      await raw.set('switchyard:{misrouted}:route', '{"splits":{"1.4.0":150}}');
      await raw.set('switchyard:{ghost-routed}:route', 'not json');
      const [get, json, ghost, ls, lsJson] = await Promise.all([
        cli(['route', 'get', 'misrouted']),
        cli(['route', 'get', 'misrouted', '--json']),
        cli(['route', 'get', 'ghost-routed']),
        cli(['ls', 'misrouted']),
        cli(['ls', 'misrouted', '--json']),
      ]);
      // ls <service> says so too: it printed no route line, and "route": null, as if there were no rule.
      expect(ls.code, ls.stderr).toBe(0);
      expect(ls.stdout).toMatch(/^route: malformed, ignored by clients .*: \{"splits":\{"1\.4\.0":150\}\} /m);
      expect(JSON.parse(lsJson.stdout)).toMatchObject({ route: null, malformedRoute: '{"splits":{"1.4.0":150}}' });
      expect(get.code, get.stderr).toBe(0);
      expect(get.stdout).toBe(
        'route of misrouted: malformed, ignored by clients (they keep the rule they had before): ' +
          '{"splits":{"1.4.0":150}} (switchyard route clear misrouted removes it)\n',
      );
      expect(JSON.parse(json.stdout)).toEqual({
        service: 'misrouted',
        rule: null,
        malformed: '{"splits":{"1.4.0":150}}',
      });
      expect(ghost.code, ghost.stderr).toBe(0);
      expect(ghost.stdout).toMatch(/^route of ghost-routed: malformed, .*: not json /);
      for (const service of ['ghost-routed', 'misrouted']) {
        const clear = await cli(['route', 'clear', service]);
        expect(clear.code, clear.stderr).toBe(0);
        expect(clear.stdout).toBe(`route of ${service}: none (every version by the balancer)\n`);
        // Cleared, not deleted: the empty value tells watchers a rule was cleared, not lost with Redis's data.
        expect(await raw.get(`switchyard:{${service}}:route`), service).toBe('');
      }
      // Gone, and the service without instances is unknown again.
      expect((await cli(['route', 'get', 'ghost-routed'])).code).toBe(1);
    } finally {
      raw.disconnect();
    }
  });

  it('a rule changed with the CLI takes effect in every client within 1 s', async () => {
    const service = 'routed-live';
    await echo({ id: 'rl-stable', service, version: '1.4.0' });
    await echo({ id: 'rl-canary', service, version: '1.5.0' });
    // Three clients, each with its own registry connection, as three caller processes would have.
    const clients = Array.from({ length: 3 }, () => {
      const own = createRegistry(redis.url);
      return { registry: own, discovery: createDiscovery({ registry: own, service }) };
    });
    try {
      await Promise.all(clients.map((client) => client.discovery.ready()));
      const picked = (index: number): string => {
        const lease = (clients[index] as (typeof clients)[number]).discovery.pick();
        lease.done({ ok: true, latencyMs: 1 });
        return lease.instance.id;
      };
      /** Resolves with the time every client first picks `id` (polled every 5 ms, bounded). */
      const allPick = async (id: string): Promise<number[]> => {
        const seenAt: (number | undefined)[] = clients.map(() => undefined);
        for (let round = 0; round < 2_000 && seenAt.includes(undefined); round++) {
          clients.forEach((_, index) => {
            // Three picks in a row: under the old rule, the canary is never picked.
            if (seenAt[index] === undefined && [0, 1, 2].every(() => picked(index) === id)) seenAt[index] = Date.now();
          });
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        expect(seenAt, `every client picks ${id}`).not.toContain(undefined);
        return seenAt as number[];
      };

      expect((await cli(['route', 'set', service, '1.4.0=100', '1.5.0=0'])).code).toBe(0);
      await allPick('rl-stable');

      const child = spawnCli(['route', 'set', service, '1.4.0=0', '1.5.0=100'], { SWITCHYARD_REGISTRY_URL: redis.url });
      const stdout = new LineReader(child.stdout);
      const effective = allPick('rl-canary');
      await stdout.waitFor((line) => line.startsWith('route of routed-live:'), 30_000);
      // The CLI prints after Redis accepted the rule: lag is measured from there.
      const written = Date.now();
      const lags = (await effective).map((at) => Math.max(0, at - written));
      expect((await exited(child)).code).toBe(0);
      console.log(`route change seen by 3 clients ${lags.join(', ')} ms after the CLI wrote it`);
      for (const lag of lags) expect(lag).toBeLessThan(1_000);
    } finally {
      for (const client of clients) {
        await client.discovery.close();
        await client.registry.close();
      }
    }
  });
});
