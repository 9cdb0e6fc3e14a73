/** Start-up and stop races of startService with real servers (memory registry, loopback, free ports). */
import { Agent, get, Server as HttpServer } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { RegistryUnavailableError, silentLogger } from '@switchyard/core';
import { loadService } from '@switchyard/grpc';
import { MemoryRegistry, type Registry } from '@switchyard/registry';
import { describe, expect, it, vi } from 'vitest';
import type { RunningService } from './running-service.js';
import { startService } from './start-service.js';
import { withUpdates } from './test-support/registry-with-updates.js';

const EchoService = loadService('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', {
  includeDirs: [fileURLToPath(new URL('../../../protos', import.meta.url))],
});

/** Any service definition will do: the client is refused before it would be made. */
const HealthLikeDefinition = {};

const quiet = { handleSignals: false, tracing: false, drainDelayMs: 0, logger: silentLogger } as const;

describe('startService: start-up and stop', () => {
  it('starts two services with metrics at the same time (Promise.all), sharing one /metrics endpoint', async () => {
    const registry = new MemoryRegistry();
    // The second used to fail "a MeterProvider is already registered": both called initMetrics
    // while the first was still binding its port.
    const [a, b] = await Promise.all(
      ['left', 'right'].map((name) =>
        startService({ name, registry, http: { port: 0, host: '127.0.0.1' }, metrics: { port: 0 }, ...quiet }),
      ),
    );
    expect(a?.metricsPort).toBeTypeOf('number');
    expect(b?.metricsPort).toBe(a?.metricsPort);
    await a?.stop();
    // Still served until the last holder stops.
    expect((await fetch(`http://127.0.0.1:${b?.metricsPort}/metrics`)).status).toBe(200);
    await b?.stop();
    await expect(fetch(`http://127.0.0.1:${b?.metricsPort}/metrics`)).rejects.toThrow();
    await registry.close();
  });

  it('refuses a second service whose metrics.port differs from the /metrics endpoint the process already serves', async () => {
    const registry = new MemoryRegistry();
    const http = { port: 0, host: '127.0.0.1' };
    const first = await startService({ name: 'first', registry, http, metrics: { port: 0 }, ...quiet });
    try {
      const served = first.metricsPort as number;
      const asked = served === 9100 ? 9101 : 9100;
      // It started, sharing the first one's endpoint, and reported that port as its own: the
      // Prometheus job scraping `asked` (as this service was configured) found nothing there.
      const started = startService({ name: 'second', registry, http, metrics: { port: asked }, ...quiet });
      await expect(started).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'metrics.port',
        message: expect.stringContaining(`port ${served}`),
      });
      // Nothing of it left behind, and a port of 0 (any) or the one served still shares it.
      expect(await registry.list('second')).toEqual([]);
      for (const port of [0, served]) {
        const sharing = await startService({ name: 'second', registry, http, metrics: { port }, ...quiet });
        expect(sharing.metricsPort).toBe(served);
        await sharing.stop();
      }
    } finally {
      await first.stop();
      await registry.close();
    }
  });

  it('refuses a logger without the four log functions before starting anything, leaving no registration', async () => {
    const registry = new MemoryRegistry();
    const before = process.listenerCount('SIGTERM');
    // It used to fail at the "started" line, after registering: the entry stayed listed, the
    // server kept its port, and no stop() could release them.
    await expect(
      startService({
        name: 'nolog',
        registry,
        http: { port: 0, host: '127.0.0.1' },
        ...quiet,
        handleSignals: true,
        logger: { warn() {}, error() {} } as never,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'logger' });
    expect(await registry.list('nolog')).toEqual([]);
    expect(process.listenerCount('SIGTERM')).toBe(before);
    await registry.close();
  });

  it.each([
    ['ready', { ready: 'false' }],
    ['handleSignals', { handleSignals: 'no' }],
  ])('refuses a %s that is not a boolean instead of reading it as true', async (field, options) => {
    const registry = new MemoryRegistry();
    await expect(
      startService({ name: 'flags', registry, http: { port: 0, host: '127.0.0.1' }, ...quiet, ...(options as object) }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field });
    expect(await registry.list('flags')).toEqual([]);
    await registry.close();
  });

  it('keeps serving through a failed accept (out of file descriptors), logging it, instead of dying', async () => {
    // The HTTP server the runtime makes, caught as it listens.
    const servers: HttpServer[] = [];
    const listen = vi.spyOn(HttpServer.prototype, 'listen').mockImplementation(function (
      this: HttpServer,
      ...args: unknown[]
    ) {
      servers.push(this);
      listen.mockRestore();
      return HttpServer.prototype.listen.apply(this, args as never);
    });
    const logged: string[] = [];
    const registry = new MemoryRegistry();
    const service = await startService({
      name: 'fdstorm',
      registry,
      http: { port: 0, host: '127.0.0.1', handler: (_request, response) => response.end('ok') },
      ...quiet,
      logger: { ...silentLogger, error: (_fields: unknown, message?: string) => void logged.push(String(message)) },
    });
    const server = servers[0] as HttpServer;
    // What Node emits when accept() fails with EMFILE. With no listener after listen(), the emit
    // threw: an uncaught exception that ended the process and every call in flight with it.
    const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });
    for (let i = 0; i < 3; i++) expect(() => server.emit('error', emfile)).not.toThrow();
    expect(logged).toEqual(['the HTTP server: could not accept a connection (EMFILE); still serving']);
    expect(await getText(service.httpPort)).toBe('ok');
    await service.stop();
    await registry.close();
  });

  it('stops as soon as an HTTP call in flight on a keep-alive connection is answered, not after the grace', async () => {
    const { registry, service } = await slowWeb('slowweb', { shutdownGraceMs: 8_000 });
    const agent = new Agent({ keepAlive: true });
    const call = () => getText(service.httpPort, agent);
    await call(); // a kept-alive connection, as undici's pools and most HTTP clients keep
    const inFlight = call();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const stopped = service.stop();
    await expect(inFlight).resolves.toBe('done');
    await stopped;
    // The connection used to stay open after its answer (keep-alive), so close() waited for Node's
    // keep-alive timeout (5 s) or the whole grace period.
    expect(Date.now() - started).toBeLessThan(2_500);
    agent.destroy();
    await registry.close();
  });

  it('answers the calls in flight as it stops with `Connection: close`, so no client reuses a connection it closes', async () => {
    const { registry, service } = await slowWeb('closing-web');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const call = () =>
      new Promise<string | undefined>((resolve, reject) => {
        get({ host: '127.0.0.1', port: service.httpPort, path: '/x', agent }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.headers.connection));
        }).on('error', reject);
      });
    try {
      expect(await call()).toBe('keep-alive');
      const inFlight = call();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const stopped = service.stop();
      // It said keep-alive, and then stop() closed the connection as soon as it was idle: a client
      // (a proxy, an undici pool) sending its next call on it just then got a reset, a 502 for a POST.
      expect(await inFlight).toBe('close');
      await stopped;
    } finally {
      agent.destroy();
      await service.stop();
      await registry.close();
    }
  });

  it('keeps idle HTTP connections longer than the proxies in front of it do (Node closed them after 5 s)', async () => {
    const registry = new MemoryRegistry();
    const service = await startService({
      name: 'kept-alive',
      registry,
      http: { port: 0, host: '127.0.0.1', handler: (_request, response) => response.end('ok') },
      ...quiet,
    });
    const agent = new Agent({ keepAlive: true });
    const keepAlive = await new Promise<string | undefined>((resolve, reject) => {
      get({ host: '127.0.0.1', port: service.httpPort, path: '/x', agent }, (response) => {
        response.resume();
        resolve(response.headers['keep-alive'] as string | undefined);
      }).on('error', reject);
    });
    expect(keepAlive).toBe('timeout=65');
    agent.destroy();
    await service.stop();
    await registry.close();
  });

  it("keeps the service's zone and logger for discover() options given as undefined, as grpcClient() does", async () => {
    const registry = new MemoryRegistry();
    const echo = { service: 'echo', ports: { grpc: 1 } };
    await registry.register({ ...echo, id: 'local', host: '127.0.0.1', zone: 'eu-1a' });
    await registry.register({ ...echo, id: 'remote', host: '127.0.0.1', zone: 'eu-1b' });
    await registry.register({ ...echo, id: 'elsewhere', host: '192.0.2.1', zone: 'eu-1a' });
    const warnings: string[] = [];
    const logger = {
      ...silentLogger,
      warn: (_fields: unknown, message?: string) => void warnings.push(String(message)),
    };
    const service = await startService({
      name: 'caller',
      registry,
      http: { port: 0, host: '127.0.0.1' },
      ...quiet,
      zone: 'eu-1a',
      logger,
    });
    // Settings read from a configuration that leaves them unset: `zone: undefined` replaced the
    // service's zone (calls went to every zone), `logger: undefined` its logger (discovery's
    // warnings went nowhere).
    const settings: { zone?: string; logger?: typeof logger } = {};
    const discovery = service.discover('echo', {
      balancer: 'round-robin',
      allowedHosts: ['127.0.0.1'],
      zone: settings.zone,
      logger: settings.logger,
    });
    await discovery.ready();
    const picked = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const lease = discovery.pick();
      picked.add(lease.instance.id);
      lease.done({ ok: true, latencyMs: 1 });
    }
    expect([...picked]).toEqual(['local']);
    expect(warnings).toContain('switchyard discovery: ignored an instance whose host is not in allowedHosts');
    await service.stop();
    await registry.close();
  });

  it('lets go of a client or discovery its owner closes, and closes the discovery made for a closed client', async () => {
    const memory = new MemoryRegistry();
    let openWatches = 0;
    // The memory registry, counting the watches left open (a discovery holds one while open).
    const registry: Registry = {
      ...withUpdates(memory, (patch, real) => real(patch)),
      async watch(service, listener) {
        const unwatch = await memory.watch(service, listener);
        openWatches++;
        let open = true;
        return async () => {
          if (open) openWatches--;
          open = false;
          await unwatch();
        };
      },
    };
    const service = await startService({ name: 'churning', registry, http: { port: 0, host: '127.0.0.1' }, ...quiet });
    const baseline = openWatches;
    const closes: { mock: { calls: unknown[] } }[] = [];
    for (let round = 0; round < 3; round++) {
      const client = service.grpcClient(EchoService, 'echo');
      const discovery = service.discover('echo');
      await discovery.ready();
      await vi.waitFor(() => expect(openWatches).toBe(baseline + 2));
      closes.push(vi.spyOn(discovery, 'close'));
      await client.close();
      // The client's own discovery was closed with it: its watch went (it stayed until stop()).
      await vi.waitFor(() => expect(openWatches).toBe(baseline + 1));
      await discovery.close();
      expect(openWatches).toBe(baseline);
    }
    // Closed by their owner, they were let go of: stop() does not close them again.
    await service.stop();
    for (const close of closes) expect(close).toHaveBeenCalledOnce();
    expect(openWatches).toBe(0);
    await memory.close();
  });

  it('waits at stop() for a discovery close its owner began and did not await', async () => {
    const memory = new MemoryRegistry();
    let openGate: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    // Watches that stop slowly: a discovery's close() waits for its watch to stop.
    const registry: Registry = {
      ...withUpdates(memory, (patch, real) => real(patch)),
      async watch(service, listener) {
        const unwatch = await memory.watch(service, listener);
        watching.add(service);
        return async () => {
          await gate;
          await unwatch();
        };
      },
    };
    const watching = new Set<string>();
    const service = await startService({ name: 'unawaited', registry, http: { port: 0, host: '127.0.0.1' }, ...quiet });
    const discovery = service.discover('elsewhere');
    await discovery.ready();
    await vi.waitFor(() => expect(watching.has('elsewhere')).toBe(true));
    await new Promise((resolve) => setImmediate(resolve)); // its stop function kept by the discovery
    void discovery.close(); // begun, not awaited
    let stopped = false;
    const stopping = service.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // It was true: stop() had let go of the discovery as its close began, and went on (to close
    // the registry) while the watch was still stopping.
    expect(stopped).toBe(false);
    openGate();
    await stopping;
    await memory.close();
  });

  it('closes clients made in onStop, and refuses clients asked for after stop (they were left open)', async () => {
    const registry = new MemoryRegistry();
    let closeOfMadeInOnStop: { mock: { calls: unknown[] } } | undefined;
    const service: RunningService = await startService({
      name: 'closing',
      registry,
      http: { port: 0, host: '127.0.0.1' },
      ...quiet,
      onStop: () => {
        const discovery = service.discover('elsewhere');
        closeOfMadeInOnStop = vi.spyOn(discovery, 'close');
      },
    });
    await service.stop();
    expect(closeOfMadeInOnStop).toHaveBeenCalledOnce();
    expect(() => service.discover('elsewhere')).toThrow(expect.objectContaining({ code: 'UNAVAILABLE' }));
    expect(() => service.grpcClient(HealthLikeDefinition, 'elsewhere')).toThrow(
      expect.objectContaining({
        code: 'UNAVAILABLE',
        message: expect.stringMatching(/service closing \(stopped\) is closed/),
      }),
    );
    await registry.close();
  });

  it('gives onStop the shutdown grace but at least 1 s: a grace of 0 does not cut it, and one that never settles is abandoned', async () => {
    const registry = new MemoryRegistry();
    const warnings: string[] = [];
    const logger = {
      ...silentLogger,
      warn: (fields: unknown, message?: string) =>
        void warnings.push(`${message}: ${(fields as { err?: Error }).err?.message}`),
    };
    let cleanedUp = false;
    const patient = await startService({
      name: 'patient',
      registry,
      http: { port: 0, host: '127.0.0.1' },
      ...quiet,
      logger,
      shutdownGraceMs: 0,
      onStop: async () => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        cleanedUp = true;
      },
    });
    await patient.stop();
    expect({ cleanedUp, warnings }).toEqual({ cleanedUp: true, warnings: [] });
    const hung = await startService({
      name: 'hung',
      registry,
      http: { port: 0, host: '127.0.0.1' },
      ...quiet,
      logger,
      shutdownGraceMs: 0,
      onStop: () => new Promise<void>(() => {}),
    });
    const stopping = performance.now();
    await hung.stop();
    expect(performance.now() - stopping).toBeGreaterThanOrEqual(990);
    expect(performance.now() - stopping).toBeLessThan(3_000);
    expect(warnings).toEqual([
      'stopping: onStop failed: onStop did not settle within 1000 ms (its least; shutdownGraceMs is 0); stopping went on without it',
    ]);
    await registry.close();
  });

  it('reads a blank SWITCHYARD_METRICS_PORT as unset: no metrics (it served them on 9464)', async () => {
    vi.stubEnv('SWITCHYARD_METRICS_PORT', '  ');
    const registry = new MemoryRegistry();
    try {
      const service = await startService({ name: 'blank', registry, http: { port: 0, host: '127.0.0.1' }, ...quiet });
      expect(service.metricsPort).toBeUndefined();
      await service.stop();
    } finally {
      vi.unstubAllEnvs();
      await registry.close();
    }
  });

  it('names metrics.port or SWITCHYARD_METRICS_PORT when the metrics port is in use (it said `port`)', async () => {
    // A port held open here, on the host the service listens on.
    vi.stubEnv('SWITCHYARD_LISTEN_HOST', '127.0.0.1');
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const held = (holder.address() as { port: number }).port;
    const registry = new MemoryRegistry();
    const start = (metrics?: { port: number }) =>
      startService({ name: 'busy-metrics', registry, http: { port: 0 }, ...(metrics ? { metrics } : {}), ...quiet });
    try {
      await expect(start({ port: held })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'metrics.port',
        message: expect.stringMatching(new RegExp(`^metrics\\.port: cannot serve metrics on 127\\.0\\.0\\.1:${held}`)),
      });
      vi.stubEnv('SWITCHYARD_METRICS_PORT', String(held));
      await expect(start()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'SWITCHYARD_METRICS_PORT' });
      expect(await registry.list('busy-metrics')).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
      await new Promise((resolve) => holder.close(resolve));
      await registry.close();
    }
  });

  it('markReady() that fails to reach the registry leaves the service not ready, and a retry makes it ready', async () => {
    const memory = new MemoryRegistry();
    let updatesToFail = 1;
    // The memory registry, except that the first update of a registration fails (a registry blip).
    const registry = withUpdates(memory, async (patch, update) => {
      if (updatesToFail-- > 0) throw new RegistryUnavailableError('registry blip');
      return update(patch);
    });
    const service = await startService({
      name: 'warming',
      registry,
      http: { port: 0, host: '127.0.0.1' },
      ready: false,
      ...quiet,
    });
    const readyz = async () => (await fetch(`http://127.0.0.1:${service.httpPort}/readyz`)).status;
    await expect(service.markReady()).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
    // Still draining in the registry, so not ready: it used to say ready (and /readyz 200) here.
    expect(service.ready).toBe(false);
    expect(await readyz()).toBe(503);
    expect((await memory.list('warming'))[0]?.status).toBe('draining');
    // The retry used to be a no-op, leaving the instance out of traffic for good.
    await service.markReady();
    expect(service.ready).toBe(true);
    expect(await readyz()).toBe(200);
    expect((await memory.list('warming'))[0]?.status).toBe('up');
    await service.stop();
    await memory.close();
  });

  it('stop() still deregisters and closes when the registration throws instead of rejecting', async () => {
    const memory = new MemoryRegistry();
    // A custom registry whose registration throws out of update() (not async) at stop.
    const registry = withUpdates(memory, () => {
      throw new RegistryUnavailableError('registry blip');
    });
    const service = await startService({
      name: 'sync-throw',
      registry,
      http: { port: 0, host: '127.0.0.1' },
      ...quiet,
    });
    // It rejected with 'registry blip', having stopped nothing: still listed, still serving.
    await service.stop();
    expect(await memory.list('sync-throw')).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${service.httpPort}/healthz`)).rejects.toThrow();
    await memory.close();
  });

  it('does not log a crash() as a lost registration', async () => {
    const memory = new MemoryRegistry();
    const errors: string[] = [];
    const service = await startService({
      name: 'crashing-quietly',
      registry: memory,
      http: { port: 0, host: '127.0.0.1' },
      ...quiet,
      logger: { ...silentLogger, error: (_fields: unknown, message?: string) => void errors.push(String(message)) },
    });
    await service.crash();
    await service.stop();
    // crash() lets go of the registration on purpose: it logged 'registration lost' at error.
    expect(errors).toEqual([]);
    await memory.close();
  });

  it('markReady() whose registration update throws instead of rejecting can still be retried', async () => {
    const memory = new MemoryRegistry();
    // The first two updates (markReady's, then its take-back) throw; the retry's works.
    const blips = ['registry blip', 'registry blip again'];
    // A custom registry whose registration throws out of update() (not async) on a blip.
    const registry = withUpdates(memory, (patch, update) => {
      const blip = blips.shift();
      if (blip !== undefined) throw new RegistryUnavailableError(blip);
      return update(patch);
    });
    const service = await startService({
      name: 'warming-sync',
      registry,
      http: { port: 0, host: '127.0.0.1' },
      ready: false,
      ...quiet,
    });
    // The update's own failure, not the take-back's.
    await expect(service.markReady()).rejects.toThrow(/registry blip$/);
    expect(service.ready).toBe(false);
    // The failed update was kept as the shared answer: every retry got the same rejection.
    await service.markReady();
    expect(service.ready).toBe(true);
    expect((await memory.list('warming-sync'))[0]?.status).toBe('up');
    await service.stop();
    await memory.close();
  });

  it('registers the host its gRPC server listens on, not the HTTP server’s (it advertised http.host)', async () => {
    // gRPC on SWITCHYARD_LISTEN_HOST (127.0.0.2: a specific address, so it is what gets
    // advertised; Linux answers on all of 127/8), HTTP kept on 127.0.0.1 (probes from the same
    // machine only): the gRPC port was registered at 127.0.0.1, where nothing listens on it.
    vi.stubEnv('SWITCHYARD_LISTEN_HOST', '127.0.0.2');
    const memory = new MemoryRegistry();
    let service: RunningService | undefined;
    try {
      service = await startService({
        name: 'split-hosts',
        registry: memory,
        grpc: { services: [{ definition: EchoService, implementation: {} }], port: 0 },
        http: { port: 0, host: '127.0.0.1' },
        ...quiet,
      });
      const [instance] = await memory.list('split-hosts');
      expect(instance?.host).toBe('127.0.0.2');
      // And it is where a caller reaches the gRPC port.
      await expect(canConnect(instance?.host as string, service.grpcPort as number)).resolves.toBe(true);
    } finally {
      await service?.stop();
      vi.unstubAllEnvs();
      await memory.close();
    }
  });

  it('listens where an IPv6 POD_IP is dialled (an IPv6 cluster): it registered POD_IP and listened on IPv4 only', async () => {
    // Kubernetes sets POD_IP to an IPv6 address in an IPv6 (or IPv6-first dual-stack) cluster; the
    // servers listened on 0.0.0.0, IPv4 only, so every caller dialling [POD_IP] was refused while
    // the instance was listed up. ::1 stands in for the pod's address here.
    vi.stubEnv('POD_IP', '::1');
    vi.stubEnv('SWITCHYARD_LISTEN_HOST', '');
    const memory = new MemoryRegistry();
    let service: RunningService | undefined;
    try {
      service = await startService({
        name: 'ipv6-pod',
        registry: memory,
        grpc: { services: [{ definition: EchoService, implementation: {} }], port: 0 },
        http: { port: 0 },
        ...quiet,
      });
      const [instance] = await memory.list('ipv6-pod');
      expect(instance?.host).toBe('::1');
      expect(await canConnect('::1', service.grpcPort as number), 'gRPC port at the registered host').toBe(true);
      expect(await canConnect('::1', service.httpPort as number), 'HTTP port at the registered host').toBe(true);
    } finally {
      await service?.stop();
      vi.unstubAllEnvs();
      await memory.close();
    }
  });
});

/** Whether a TCP connection to host:port is accepted. */
/** A service whose HTTP handler answers 'done' after 300 ms, in a registry of its own. */
async function slowWeb(
  name: string,
  options: { shutdownGraceMs?: number } = {},
): Promise<{ registry: MemoryRegistry; service: RunningService }> {
  const registry = new MemoryRegistry();
  const service = await startService({
    name,
    registry,
    http: {
      port: 0,
      host: '127.0.0.1',
      handler: (_request, response) => {
        setTimeout(() => response.end('done'), 300);
      },
    },
    ...options,
    ...quiet,
  });
  return { registry, service };
}

/** GETs /x from 127.0.0.1:`port` (through `agent`, if given) and reads the body as text. */
function getText(port: number | undefined, agent?: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/x', ...(agent ? { agent } : {}) }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
