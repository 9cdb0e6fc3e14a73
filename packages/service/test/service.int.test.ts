import { silentLogger } from '@switchyard/core';
import { spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, healthServiceDefinition, loadService } from '@switchyard/grpc';
import { MemoryRegistry, type RegistryEvent } from '@switchyard/registry';
import { EventLog } from '@switchyard/registry/testing';
import { resolveServiceConfig, startService } from '@switchyard/service';
import { afterEach, describe, expect, it } from 'vitest';

const protosDir = fileURLToPath(new URL('../../../protos', import.meta.url));
const EchoService = loadService('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', {
  includeDirs: [protosDir],
});
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A port that was free a moment ago (for a server whose port must be known before it starts). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function echo(servedBy: string, delayMs = 0) {
  return {
    async say(request: { message: string }) {
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { message: request.message, servedBy, remainingMs: 0, traceId: '' };
    },
  };
}

describe('startService', () => {
  it('registers with the ports it bound, serves, drains in order and deregisters', async () => {
    const registry = new MemoryRegistry();
    const log = new EventLog();
    await registry.watch('echo', log.listener);
    const service = await startService({
      name: 'echo',
      version: '1.2.3',
      registry,
      grpc: { services: [{ definition: EchoService, implementation: echo('one', 150) }], port: 0, host: '127.0.0.1' },
      http: { port: 0, host: '127.0.0.1' },
      zone: 'eu-1a',
      metadata: { track: 'a' },
      tracing: false,
      drainDelayMs: 1_500, // long enough that the /readyz check below lands inside the drain, even on a loaded machine
      shutdownGraceMs: 2_000,
      handleSignals: false,
      logger: silentLogger,
    });
    expect(service.instance).toMatchObject({
      service: 'echo',
      version: '1.2.3',
      zone: 'eu-1a',
      host: '127.0.0.1',
      metadata: { track: 'a' },
    });
    expect(service.instance.ports).toEqual({ grpc: service.grpcPort, http: service.httpPort });
    expect((await fetch(`http://127.0.0.1:${service.httpPort}/readyz`)).status).toBe(200);

    const discovery = createDiscovery({ registry, service: 'echo' });
    const client = createGrpcClient({ definition: EchoService, discovery }) as unknown as {
      say(request: object): Promise<{ servedBy: string }>;
      close(): Promise<void>;
    };
    cleanups.push(async () => {
      await client.close();
      await discovery.close();
    });
    await discovery.ready();
    // A call in flight when stop() begins still completes.
    const inFlight = client.say({ message: 'slow' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stopping = service.stop();
    expect(service.draining).toBe(true);
    expect(service.ready).toBe(false); // takes no new traffic from here on (it read true)
    expect((await fetch(`http://127.0.0.1:${service.httpPort}/readyz`)).status).toBe(503);
    await expect(inFlight).resolves.toMatchObject({ servedBy: 'one' });
    await log.next((event) => event.type === 'update' && event.instance.status === 'draining', 1_000);
    await stopping;
    const types = log.events.map((event: RegistryEvent) => event.type);
    expect(types).toEqual(['snapshot', 'up', 'update', 'down']);
    await expect(fetch(`http://127.0.0.1:${service.httpPort}/healthz`)).rejects.toThrow();
    await registry.close();
  });

  it('keeps a warming-up instance out of traffic until markReady(), and runs onStop during stop', async () => {
    const registry = new MemoryRegistry();
    let stopped = false;
    const service = await startService({
      name: 'warm',
      registry,
      grpc: { services: [{ definition: EchoService, implementation: echo('w') }], port: 0, host: '127.0.0.1' },
      http: { port: 0, host: '127.0.0.1' },
      tracing: false,
      handleSignals: false,
      drainDelayMs: 0,
      logger: silentLogger,
      ready: false,
      onStop: () => {
        stopped = true;
      },
    });
    expect(service.instance.status).toBe('draining');
    expect((await fetch(`http://127.0.0.1:${service.httpPort}/readyz`)).status).toBe(503);
    // gRPC health agrees, for the server and for each service (a per-service probe used to pass).
    const Health = grpc.makeGenericClientConstructor(healthServiceDefinition(), 'Health');
    const health = new Health(
      `127.0.0.1:${service.grpcPort}`,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & Record<string, Function>;
    const check = (name: string) =>
      new Promise<string>((resolve, reject) =>
        health.Check!({ service: name }, (error: Error | null, response: { status: string }) =>
          error ? reject(error) : resolve(response.status),
        ),
      );
    expect(await check('')).toBe('NOT_SERVING');
    expect(await check('switchyard.echo.v1.Echo')).toBe('NOT_SERVING');
    await service.markReady();
    expect((await registry.list('warm'))[0]?.status).toBe('up');
    expect((await fetch(`http://127.0.0.1:${service.httpPort}/readyz`)).status).toBe(200);
    expect(await check('')).toBe('SERVING');
    expect(await check('switchyard.echo.v1.Echo')).toBe('SERVING');
    health.close();
    await service.stop();
    expect(stopped).toBe(true);
    await registry.close();
  });

  it('answers NOT_SERVING on gRPC health until it is registered, as /readyz does', async () => {
    const registry = new MemoryRegistry();
    let letRegister: () => void = () => {};
    const registering = new Promise<void>((resolve) => {
      letRegister = resolve;
    });
    const register = registry.register.bind(registry);
    registry.register = async (...args: Parameters<MemoryRegistry['register']>) => {
      await registering;
      return register(...args);
    };
    const port = await freePort();
    const starting = startService({
      name: 'slow-redis',
      registry,
      grpc: { services: [{ definition: EchoService, implementation: echo('s') }], port, host: '127.0.0.1' },
      tracing: false,
      handleSignals: false,
      drainDelayMs: 0,
      logger: silentLogger,
    });
    const Health = grpc.makeGenericClientConstructor(healthServiceDefinition(), 'Health');
    const health = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client &
      Record<string, Function>;
    const check = (name: string) =>
      new Promise<string>((resolve, reject) =>
        health.Check!(
          { service: name },
          { deadline: Date.now() + 2_000 },
          (error: Error | null, response: { status: string }) => (error ? reject(error) : resolve(response.status)),
        ),
      );
    // The port opens before register() is called; retry until it does (bounded).
    let before: string | undefined;
    for (let tries = 0; before === undefined && tries < 40; tries++) {
      before = await check('').catch(
        () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 50)),
      );
    }
    expect(before).toBe('NOT_SERVING');
    expect(await check('switchyard.echo.v1.Echo')).toBe('NOT_SERVING');
    letRegister();
    const service = await starting;
    expect(await check('')).toBe('SERVING');
    expect(await check('switchyard.echo.v1.Echo')).toBe('SERVING');
    health.close();
    await service.stop();
    await registry.close();
  });

  it('handles SIGTERM and SIGINT while it runs, and lets go of both once stopped or crashed', async () => {
    const registry = new MemoryRegistry();
    const before = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') };
    const options = {
      registry,
      http: { port: 0, host: '127.0.0.1' },
      tracing: false as const,
      drainDelayMs: 0,
      logger: silentLogger,
    };
    const first = await startService({ name: 'signals', ...options });
    const second = await startService({ name: 'signals', ...options });
    // One handler for the process, whatever the number of services in it.
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
    expect(process.listenerCount('SIGINT')).toBe(before.int + 1);
    await first.stop();
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1); // the second still runs
    await second.crash();
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
    expect(process.listenerCount('SIGINT')).toBe(before.int);
    await registry.close();
  });

  it('serves gRPC server reflection when grpc.reflection is on', async () => {
    const registry = new MemoryRegistry();
    const service = await startService({
      name: 'described',
      registry,
      grpc: {
        services: [{ definition: EchoService, implementation: echo('d') }],
        port: 0,
        host: '127.0.0.1',
        reflection: true,
      },
      tracing: false,
      handleSignals: false,
      drainDelayMs: 0,
      logger: silentLogger,
    });
    // ServerReflectionRequest { list_services = 7: "" }, sent and read as raw protobuf bytes.
    const client = new grpc.Client(`127.0.0.1:${service.grpcPort}`, grpc.credentials.createInsecure());
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const call = client.makeBidiStreamRequest(
        '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
      );
      call.on('data', (bytes: Buffer) => {
        resolve(bytes);
        call.end();
      });
      call.on('error', reject);
      call.write(Buffer.from([0x3a, 0x00]));
    });
    client.close();
    expect(reply.toString('latin1')).toContain('switchyard.echo.v1.Echo');
    await service.stop();
    await registry.close();
  });

  it('reads configuration from the environment after options, naming bad settings', () => {
    const env = { SWITCHYARD_REGISTRY_URL: 'memory://', SWITCHYARD_ZONE: 'eu-1b', SWITCHYARD_DRAIN_DELAY_MS: '250' };
    expect(resolveServiceConfig({ name: 'catalog' }, env)).toMatchObject({
      registry: 'memory://',
      zone: 'eu-1b',
      drainDelayMs: 250,
      shutdownGraceMs: 10_000,
    });
    expect(resolveServiceConfig({ name: 'catalog', drainDelayMs: 10 }, env).drainDelayMs).toBe(10);
    // The password from a Secret completes the URL from a ConfigMap (escaped); an explicit one wins.
    const secret = { SWITCHYARD_REGISTRY_URL: 'redis://redis:6379', SWITCHYARD_REGISTRY_PASSWORD: 'p@ss/word' };
    expect(resolveServiceConfig({ name: 'catalog' }, secret).registry).toBe('redis://:p%40ss%2Fword@redis:6379');
    expect(resolveServiceConfig({ name: 'catalog', registry: 'redis://:own@r:6379' }, secret).registry).toBe(
      'redis://:own@r:6379',
    );
    expect(() => resolveServiceConfig({ name: 'catalog' }, {})).toThrow(
      /registry: is required: pass registry or set SWITCHYARD_REGISTRY_URL/,
    );
    expect(() => resolveServiceConfig({ name: 'catalog' }, { ...env, SWITCHYARD_DRAIN_DELAY_MS: 'soon' })).toThrow(
      /SWITCHYARD_DRAIN_DELAY_MS: must be an integer/,
    );
    expect(() => resolveServiceConfig({ name: 'Bad Name' }, env)).toThrow(/name: must be a DNS label/);
    expect(() => resolveServiceConfig({ name: 'catalog', metadata: 'track-b' as never }, env)).toThrow(
      /metadata: must be an object of string values/,
    );
  });

  it('keeps draining through a second SIGTERM, and exits at once on a third', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/signal-drain.ts', import.meta.url));
    const run = (signals: number) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--conditions=@switchyard/source', '--import', 'tsx', fixture], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let sentAt = 0;
        child.stdout.on('data', (chunk: Buffer) => {
          if (!chunk.toString().includes('ready') || sentAt) return;
          sentAt = Date.now();
          for (let i = 0; i < signals; i++) setTimeout(() => child.kill('SIGTERM'), i * 50);
        });
        child.on('error', reject);
        child.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - sentAt }));
      });
    // Two signals: the second is only logged; the service drains (2 s) and exits 0.
    const twice = await run(2);
    expect(twice).toMatchObject({ code: 0, signal: null });
    expect(twice.ms).toBeGreaterThanOrEqual(1_900);
    // A third one means it: out at once, with a failure code. (Half the drain: the margin was 50 ms
    // against a 500 ms drain, which a loaded machine's late timers could eat.)
    const thrice = await run(3);
    expect(thrice).toMatchObject({ code: 1, signal: null });
    expect(thrice.ms).toBeLessThan(1_000);
  });

  it('fails at start with one clear line and a non-zero exit for bad configuration', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/bad-start.ts', import.meta.url));
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--conditions=@switchyard/source', '--import', 'tsx', fixture], {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    const unknownScheme = await run({ SWITCHYARD_REGISTRY_URL: 'consul://x' });
    expect(unknownScheme.code).toBe(1);
    expect(unknownScheme.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknownScheme.stderr).toMatch(
      /^echo: failed to start: INVALID_ARGUMENT: SWITCHYARD_REGISTRY_URL: unknown registry scheme "consul:\/\/"/,
    );

    const invalidName = await run({ SWITCHYARD_REGISTRY_URL: 'memory://', BAD_NAME: 'Not Valid' });
    expect(invalidName.code).toBe(1);
    expect(invalidName.stderr).toMatch(/failed to start: INVALID_ARGUMENT: name: must be a DNS label/);

    const busy = await startService({
      name: 'holder',
      registry: new MemoryRegistry(),
      grpc: { services: [{ definition: EchoService, implementation: echo('x') }], port: 0, host: '127.0.0.1' },
      tracing: false,
      handleSignals: false,
      drainDelayMs: 0,
      logger: silentLogger,
    });
    cleanups.push(() => busy.stop());
    const portInUse = await run({ SWITCHYARD_REGISTRY_URL: 'memory://', GRPC_PORT: String(busy.grpcPort) });
    expect(portInUse.code).toBe(1);
    expect(portInUse.stderr.trim().split('\n')).toHaveLength(1);
    // Named as the service's setting (gRPC's own server called it `port`).
    expect(portInUse.stderr).toMatch(/failed to start: INVALID_ARGUMENT: grpc\.port: cannot listen on 127.0.0.1:\d+/);
  });
});
