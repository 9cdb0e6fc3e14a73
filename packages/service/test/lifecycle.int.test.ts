/**
 * A service's life next to others in one process, and what it leaves behind: signals stop every
 * service, tracing is shared, and neither a failed start nor a crash leaks a connection.
 */
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Disposable, silentLogger } from '@switchyard/core';
import { loadService } from '@switchyard/grpc';
import { MemoryRegistry, RedisRegistry } from '@switchyard/registry';
import { startService } from '@switchyard/service';
import { currentMetrics } from '@switchyard/tracing';
import { describe, expect, it } from 'vitest';
import { throwawayRedis } from './throwaway-redis.js';

const redis = throwawayRedis();
const protosDir = fileURLToPath(new URL('../../../protos', import.meta.url));
const EchoService = loadService('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', {
  includeDirs: [protosDir],
});
const quiet = { handleSignals: false, drainDelayMs: 0, logger: silentLogger } as const;

/** A Redis registry whose subscription to its operation events throws when let go of (a cleanup step that fails). */
class StubbornRegistry extends RedisRegistry {
  override onOperation(listener: Parameters<RedisRegistry['onOperation']>[0]): Disposable {
    const subscription = super.onOperation(listener);
    return {
      dispose: () => {
        subscription.dispose();
        throw new Error('will not let go');
      },
    };
  }
}

/** Connections the test Redis has open right now (CLIENT LIST over a raw socket, which is one of them). */
function redisClients(): Promise<number> {
  const { hostname, port } = new URL(redis.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write('CLIENT LIST\r\n'));
    let reply = '';
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      const header = /^\$(\d+)\r\n/.exec(reply);
      if (header && reply.length >= header[0].length + Number(header[1])) {
        socket.end();
        resolve(reply.split('\n').filter((line) => line.startsWith('id=')).length - 1);
      }
    });
    socket.on('error', reject);
  });
}

async function settledClients(expected: number): Promise<void> {
  await expect.poll(redisClients, { timeout: 5_000 }).toBe(expected);
}

/**
 * Runs fixtures/two-services.ts in a child process, sends it SIGTERM once both services serve, and
 * resolves with what it printed and its exit code (SIGKILLed after 20 s, so a hang fails the test).
 */
/** Runs a fixture, sends it SIGTERM once it prints `trigger`, and returns its output and how it ended. */
async function sigtermWhen(
  fixtureName: string,
  trigger: string,
  env: Record<string, string> = {},
): Promise<{ output: string; code: number | null; signal: NodeJS.Signals | null }> {
  const fixture = fileURLToPath(new URL(`./fixtures/${fixtureName}`, import.meta.url));
  const child = spawn(process.execPath, ['--conditions=@switchyard/source', '--import', 'tsx', fixture], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes(trigger) && !output.includes('SENT')) {
      output += 'SENT\n';
      child.kill('SIGTERM');
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const ended = await exited;
  clearTimeout(timer);
  return { output, ...ended };
}

/**
 * Runs fixtures/fails-after-start.ts against the test Redis (SIGTERM once it prints `trigger`, if
 * given): its exit code, stderr and stdout.
 */
async function failAfterStart(
  env: Record<string, string>,
  trigger?: string,
): Promise<{ code: number | null; stderr: string; output: string }> {
  const fixture = fileURLToPath(new URL('./fixtures/fails-after-start.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=@switchyard/source', '--import', 'tsx', fixture], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SWITCHYARD_REGISTRY_URL: redis.url, ...env },
  });
  let output = '';
  let stderr = '';
  let sent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (trigger !== undefined && !sent && output.includes(trigger)) {
      sent = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  return { code, stderr, output };
}

const sigtermTwoServices = (env: Record<string, string>) => sigtermWhen('two-services.ts', 'ready\n', env);

describe('services in one process', () => {
  it('SIGTERM stops every service of the process before it exits', async () => {
    const { output, code } = await sigtermTwoServices({});
    // One handler per service exited with the first one done: `slow` never ran its onStop.
    expect(output).toContain('fast stopped');
    expect(output).toContain('slow stopped');
    expect(code).toBe(0);
  }, 30_000);

  it('exits 1 on SIGTERM when a stop step failed, after every service has stopped', async () => {
    const { output, code } = await sigtermTwoServices({ FAIL_ON_STOP: 'fast' });
    expect(output).toContain('fast stopped');
    expect(output).toContain('slow stopped');
    // A failed step is logged and the others still run, but the exit code says so (it was 0).
    expect(code).toBe(1);
  }, 30_000);

  it('abandons an onStop that never settles once the shutdown grace has passed, with a warning naming it, and exits 1', async () => {
    const sent = performance.now();
    const { output, code, signal } = await sigtermWhen('hung-on-stop.ts', 'ready\n');
    const tookMs = performance.now() - sent;
    // It had no limit: the stop never finished, and the process waited for SIGKILL (here after 20 s).
    expect({ code, signal }).toEqual({ code: 1, signal: null });
    expect(output).toContain('onStop began\n');
    expect(output).toContain(
      'log: stopping: onStop failed: onStop did not settle within 1000 ms (shutdownGraceMs); stopping went on without it\n',
    );
    // The grace (1 s) from when onStop began, plus the child's own start and the rest of its stop.
    expect(tookMs).toBeLessThan(10_000);
    // One that holds nothing: the process ran out of work mid-stop and exited 0, the steps after
    // onStop (telemetry, the registry) never run and nothing said so.
    const idle = await sigtermWhen('hung-on-stop.ts', 'ready\n', { HOLD: '0' });
    expect({ code: idle.code, signal: idle.signal }).toEqual({ code: 1, signal: null });
    expect(idle.output).toContain('log: stopping: onStop failed: onStop did not settle within 1000 ms');
  }, 40_000);

  it('a SIGTERM during the start stops the service once started, instead of killing the process', async () => {
    const { output, code, signal } = await sigtermWhen('slow-registration.ts', 'registered\n');
    // Killed by Node's default action: no stop ran, and the entry stayed registered for a dead port.
    expect({ code, signal, stopped: output.includes('stopped') }).toEqual({ code: 0, signal: null, stopped: true });
  }, 30_000);

  it('logs a second signal during the start, and exits 1 on a third saying why (both were silent)', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/slow-registration.ts', import.meta.url));
    const run = (signals: number) =>
      new Promise<{ output: string; code: number | null }>((resolve) => {
        const child = spawn(process.execPath, ['--conditions=@switchyard/source', '--import', 'tsx', fixture], {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, LOG: '1' },
        });
        let output = '';
        let sent = false;
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (sent || !output.includes('registered\n')) return;
          sent = true;
          // Within the second the start still waits after registering.
          for (let i = 0; i < signals; i++) setTimeout(() => child.kill('SIGTERM'), i * 50);
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ output, code });
        });
      });
    // With only a start under way there was no service to log with: nothing said a signal had come.
    const twice = await run(2);
    expect(twice.output).toContain('log: received signal while starting; stopping once started\n');
    expect(twice.output).toContain('log: already stopping gracefully (a third signal exits at once)\n');
    expect(twice.output).toContain('stopped; listed 0\n');
    expect(twice.code).toBe(0);
    const thrice = await run(3);
    expect(thrice.output).toContain('log: third signal while stopping: exiting now\n');
    expect(thrice.code).toBe(1);
  }, 60_000);

  it('a second service with default tracing shares the first one’s (one provider per process)', async () => {
    const registry = new MemoryRegistry();
    const first = await startService({ name: 'first', registry, http: { port: 0, host: '127.0.0.1' }, ...quiet });
    const second = await startService({ name: 'second', registry, http: { port: 0, host: '127.0.0.1' }, ...quiet });
    expect(second.tracing).toBe(first.tracing);
    await first.stop();
    await second.stop();
    await registry.close();
  });
});

describe('what a service leaves behind', () => {
  it('runService whose start function fails after startService stops that service before exiting 1', async () => {
    // The documented form runService(() => startMyService(), name), where the function fails once
    // the service is up (making a client, reaching a database): the process exited at once, and the
    // instance stayed listed as up, for a port nobody served, until its lease ran out.
    const { code, stderr, output } = await failAfterStart({});
    const registry = new RedisRegistry({ url: redis.url });
    try {
      expect({ code, stderr, output, listed: await registry.list('half-started') }).toEqual({
        code: 1,
        stderr: 'half-started: failed to start: could not connect to the database\n',
        output: 'stopped\n',
        listed: [],
      });
    } finally {
      await registry.close();
    }
  }, 30_000);

  it('runService whose start function fails while a signal stops its service exits 1, not 0', async () => {
    // The signal's stop finished first and exited 0, before runService could exit 1.
    const { code, stderr, output } = await failAfterStart({ AFTER_SIGNAL: '1' }, 'started\n');
    expect({ code, stderr, output }).toEqual({
      code: 1,
      stderr: 'half-started: failed to start: could not connect to the database\n',
      output: 'started\nstopped\n',
    });
  }, 30_000);

  it('a start that fails setting up tracing closes the registry connection it opened', async () => {
    const before = await redisClients();
    await expect(
      startService({
        name: 'bad-tracing',
        registry: redis.url,
        http: { port: 0, host: '127.0.0.1' },
        tracing: { exporter: 'bogus' as never },
        ...quiet,
      }),
    ).rejects.toThrow(/exporter/);
    await settledClients(before);
  });

  it('a start that fails runs every cleanup step when one throws, and rejects with the error that failed it', async () => {
    const before = await redisClients();
    // The HTTP port is in use (held here), after the metrics endpoint started.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const held = (holder.address() as { port: number }).port;
    // A cleanup step that throws: letting go of the registry's operation events.
    const registry = new StubbornRegistry({ url: redis.url, namespace: `cleanup${Date.now()}` });
    const warnings: string[] = [];
    const logger = {
      ...silentLogger,
      warn: (_fields: unknown, message?: string) => void warnings.push(String(message)),
    };
    try {
      await expect(
        startService({
          name: 'half-started',
          registry,
          http: { port: held, host: '127.0.0.1' },
          metrics: { port: 0 },
          tracing: false,
          ...quiet,
          logger,
        }),
        // It used to reject with the cleanup's 'will not let go', the steps after it skipped.
      ).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/^http\.port: cannot listen/),
      });
      // The step after the one that threw ran: the metrics endpoint is stopped.
      expect(currentMetrics()).toBeUndefined();
      expect(warnings).toContainEqual(expect.stringMatching(/stopping observing the registry failed/));
    } finally {
      await currentMetrics()?.shutdown();
      await new Promise((resolve) => holder.close(resolve));
      await registry.close();
    }
    await settledClients(before); // the next test counts connections
  });

  it('stop() runs every release step when letting go of the registry throws', async () => {
    const registry = new StubbornRegistry({ url: redis.url, namespace: `release${Date.now()}` });
    try {
      const service = await startService({
        name: 'stubborn-stop',
        registry,
        http: { port: 0, host: '127.0.0.1' },
        metrics: { port: 0 },
        tracing: false,
        ...quiet,
      });
      // It rejected with 'will not let go', leaving /metrics listening (and the process alive).
      await service.stop();
      expect(currentMetrics()).toBeUndefined();
      await expect(fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).rejects.toThrow();
    } finally {
      await currentMetrics()?.shutdown();
      await registry.close();
    }
  });

  it('stop() after crash() releases the registry connection, without deregistering', async () => {
    const before = await redisClients();
    const service = await startService({
      name: 'crashing',
      registry: redis.url,
      http: { port: 0, host: '127.0.0.1' },
      tracing: false,
      ...quiet,
    });
    expect(await redisClients()).toBeGreaterThan(before);
    await service.crash();
    await service.stop();
    await settledClients(before);
  });

  it('finishes stopping when one step fails: a discovery that cannot close does not keep the registry open', async () => {
    const before = await redisClients();
    const service = await startService({
      name: 'stubborn',
      registry: redis.url,
      http: { port: 0, host: '127.0.0.1' },
      tracing: false,
      ...quiet,
    });
    const discovery = service.discover('elsewhere');
    const close = discovery.close.bind(discovery);
    discovery.close = async () => {
      await close();
      throw new Error('will not close');
    };
    await service.stop();
    await settledClients(before);
  });

  it('stops observing a registry it does not own when metrics are on', async () => {
    const registry = new RedisRegistry({ url: redis.url, namespace: `metrics${Date.now()}` });
    const listeners = () =>
      (registry as unknown as { connection: { operations: { size: number } } }).connection.operations.size;
    const baseline = listeners();
    for (let i = 0; i < 3; i++) {
      const service = await startService({
        name: 'observed',
        registry,
        http: { port: 0, host: '127.0.0.1' },
        metrics: { port: 0 },
        tracing: false,
        ...quiet,
      });
      await service.stop();
    }
    expect(listeners()).toBe(baseline);
    await registry.close();
  });
});

describe('client and port options', () => {
  it('passes every discovery option of grpcClient() to its discovery (allowedHosts, logger)', async () => {
    const registry = new MemoryRegistry();
    const service = await startService({
      name: 'caller',
      registry,
      http: { port: 0, host: '127.0.0.1' },
      tracing: false,
      ...quiet,
    });
    // Threw "options.allowedHosts: unknown option" from createGrpcClient, a discovery left behind.
    const client = service.grpcClient(EchoService, 'echo', { allowedHosts: ['127.0.0.1'], logger: silentLogger });
    expect(client).toBeDefined();
    await service.stop();
    await registry.close();
  });

  it('refuses a port out of range as INVALID_ARGUMENT naming it, before anything starts', async () => {
    const registry = new MemoryRegistry();
    await expect(
      startService({ name: 'bad-port', registry, http: { port: 70_000 }, tracing: false, ...quiet }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^http\.port/) });
    await expect(
      startService({ name: 'bad-port', registry, grpc: { services: [], port: -1 }, tracing: false, ...quiet }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^grpc\.port/) });
    await registry.close();
  });
});
