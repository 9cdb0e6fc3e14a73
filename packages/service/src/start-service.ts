import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import { type ServiceDefinition, setLogger as setGrpcLogger } from '@grpc/grpc-js';
import { consoleLogger, InvalidArgumentError, type Logger, sleep } from '@switchyard/core';
import { createDiscovery, type Discovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, type GrpcServer } from '@switchyard/grpc';
import { createRegistry, RedisRegistry, type Registration, type Registry } from '@switchyard/registry';
import { initMetrics, initTracing, type Metrics, switchyardInstruments, type Tracing } from '@switchyard/tracing';
import { advertiseHost } from './advertise-host.js';
import { createHealthState, httpHandler } from '@switchyard/http';
import type { RunningService, ServiceClientOptions } from './running-service.js';
import { resolveServiceConfig } from './service-config.js';
import { tlsFromEnv } from './tls-from-env.js';
import type { ServiceOptions } from './service-options.js';

/**
 * Starts a Switchyard service: tracing, the gRPC and/or HTTP servers, then registration with the
 * ports actually bound; on SIGTERM/SIGINT or `stop()` it drains (see {@link RunningService.stop}).
 * Anything that fails during start is cleaned up before the error is thrown.
 *
 * @example
 * ```ts
 * const service = await startService({ name: 'catalog', version: '1.4.0', grpc: { port: 50051, services: [{ definition: CatalogService, implementation }] } });
 * const recommendation = service.grpcClient(RecommendationService, 'recommendation');
 * ```
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const config = resolveServiceConfig(options);
  const tls = tlsFromEnv();
  if (!options.grpc && !options.http)
    throw new InvalidArgumentError('grpc', 'a service needs grpc or http options (or both)');
  const logger = options.logger ?? consoleLogger({ name: config.name });
  routeGrpcLogs(logger);
  const ownsRegistry = typeof config.registry === 'string';
  const registry: Registry =
    typeof config.registry === 'string' ? createRegistry(config.registry, { logger }) : config.registry;
  // The instance id is chosen here, so telemetry (service.instance.id) and the registry agree.
  const instanceId = `${config.name}-${randomBytes(6).toString('hex')}`;
  const tracing: Tracing | undefined =
    options.tracing === false
      ? undefined
      : initTracing({
          serviceName: config.name,
          ...(config.version ? { serviceVersion: config.version } : {}),
          ...options.tracing,
          resourceAttributes: { 'service.instance.id': instanceId, ...options.tracing?.resourceAttributes },
        });
  const readiness = createHealthState({ ready: false });
  let metrics: Metrics | undefined;
  let grpcServer: GrpcServer | undefined;
  let httpServer: HttpServer | undefined;
  let grpcPort: number | undefined;
  let httpPort: number | undefined;
  let registration: Registration;
  try {
    // On when asked for, or when the deployment sets SWITCHYARD_METRICS_PORT (deploy/ uses 9464).
    const metricsWanted =
      options.metrics !== false && (options.metrics !== undefined || Boolean(process.env.SWITCHYARD_METRICS_PORT));
    if (metricsWanted) {
      const port = options.metrics ? options.metrics.port : undefined;
      metrics = await initMetrics({
        serviceName: config.name,
        ...(port !== undefined ? { port } : {}),
        host: config.listenHost,
        resourceAttributes: { 'service.instance.id': instanceId },
      });
      observeRegistry(registry);
    }
    if (options.grpc) {
      grpcServer = createGrpcServer({
        services: options.grpc.services,
        logger,
        ...(options.grpc.reflection !== undefined ? { reflection: options.grpc.reflection } : {}),
        ...(options.grpc.credentials
          ? { credentials: options.grpc.credentials }
          : tls
            ? { credentials: tls.server }
            : {}),
      });
      // Not ready yet: NOT_SERVING for the server and every service before the port opens, so
      // no health check (a readiness probe, a health-checking client) passes during the warm-up.
      if (options.ready === false) grpcServer.drain();
      grpcPort = await grpcServer.listen(options.grpc.port ?? 50051, options.grpc.host ?? config.listenHost);
    }
    if (options.http) {
      const handler = options.http.handler ?? ((_request, response) => response.writeHead(404).end('not found'));
      // Requests run with their caller's deadline and trace (so outgoing calls inherit both),
      // get server spans, and /healthz and /readyz follow this service's readiness and draining.
      const server = createServer(
        httpHandler((request, response) => handler(request, response), { health: readiness, logger }),
      );
      httpServer = server;
      httpPort = await listenHttp(server, options.http.port ?? 8080, options.http.host ?? config.listenHost);
    }
    const ports: Record<string, number> = {};
    if (grpcPort !== undefined) ports.grpc = grpcPort;
    if (httpPort !== undefined) ports.http = httpPort;
    registration = await registry.register(
      {
        id: instanceId,
        service: config.name,
        host: advertiseHost(config.advertiseHost, options.grpc?.host ?? options.http?.host ?? config.listenHost),
        ports,
        ...(config.version ? { version: config.version } : {}),
        ...(config.zone ? { zone: config.zone } : {}),
        metadata: config.metadata,
        ...(options.ready === false ? { status: 'draining' as const } : {}),
      },
      config.ttlMs === undefined ? undefined : { ttlMs: config.ttlMs },
    );
  } catch (error) {
    await grpcServer?.shutdown(0);
    httpServer?.close();
    await tracing?.shutdown();
    await metrics?.shutdown();
    if (ownsRegistry) await registry.close();
    throw error;
  }
  let ready = options.ready !== false;
  if (ready) readiness.setReady(true);
  registration.onStateChange((state, error) => {
    if (state === 'lost')
      logger.error({ err: error }, 'switchyard service: registration lost; this instance no longer receives traffic');
  });
  logger.info({ id: registration.instance.id, grpcPort, httpPort, zone: config.zone }, `${config.name} started`);

  const discoveries: Discovery[] = [];
  const clients: { close(): Promise<void> }[] = [];
  let stopping: Promise<void> | undefined;
  let draining = false;

  const discover = (
    service: string,
    discoveryOptions: Omit<Partial<Parameters<typeof createDiscovery>[0]>, 'registry' | 'service'> = {},
  ): Discovery => {
    const discovery = createDiscovery({
      registry,
      service,
      logger,
      ...(config.zone ? { zone: config.zone } : {}),
      ...discoveryOptions,
    });
    discoveries.push(discovery);
    return discovery;
  };

  const stop = (): Promise<void> => {
    // Once stopped, a signal is no longer ours to handle (and a process that starts and stops
    // services one after another, as tests do, does not pile up listeners).
    stopping ??= drainAndStop().finally(() => removeSignalHandlers?.());
    return stopping;
  };

  const drainAndStop = async (): Promise<void> => {
    draining = true;
    logger.info(
      { drainDelayMs: config.drainDelayMs, shutdownGraceMs: config.shutdownGraceMs },
      `${config.name} draining`,
    );
    readiness.drain();
    grpcServer?.drain();
    await registration
      .update({ status: 'draining' })
      .catch((error: unknown) => logger.warn({ err: error }, 'could not mark draining in the registry'));
    await sleep(config.drainDelayMs);
    await registration
      .deregister()
      .catch((error: unknown) => logger.warn({ err: error }, 'could not deregister; the entry expires by its TTL'));
    await Promise.all([
      grpcServer?.shutdown(config.shutdownGraceMs),
      httpServer ? closeHttp(httpServer, config.shutdownGraceMs) : undefined,
    ]);
    await Promise.resolve(options.onStop?.()).catch((error: unknown) => logger.warn({ err: error }, 'onStop failed'));
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(discoveries.map((discovery) => discovery.close()));
    await tracing?.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'could not flush telemetry'));
    await metrics?.shutdown();
    if (ownsRegistry) await registry.close();
    logger.info({}, `${config.name} stopped`);
  };

  const removeSignalHandlers = options.handleSignals === false ? undefined : installSignalHandlers(stop, logger);

  return {
    name: config.name,
    get instance() {
      return registration.instance;
    },
    registration,
    registry,
    grpcPort,
    httpPort,
    metricsPort: metrics?.port,
    tracing,
    get draining() {
      return draining;
    },
    get ready() {
      return ready;
    },
    async markReady() {
      if (ready || draining) return;
      ready = true;
      readiness.setReady(true);
      grpcServer?.resume();
      await registration.update({ status: 'up' });
      logger.info({}, `${config.name} ready`);
    },
    grpcClient<D extends ServiceDefinition>(definition: D, service: string, clientOptions: ServiceClientOptions = {}) {
      const { balancer, filter, zone, outlierDetection, subset, slowStart, latencyDecayMs, balancers, ...grpcOptions } =
        clientOptions;
      const discovery = discover(service, {
        ...(balancer ? { balancer } : {}),
        ...(filter ? { filter } : {}),
        ...(zone ? { zone } : {}),
        ...(outlierDetection !== undefined ? { outlierDetection } : {}),
        ...(subset ? { subset } : {}),
        ...(slowStart ? { slowStart } : {}),
        ...(latencyDecayMs ? { latencyDecayMs } : {}),
        ...(balancers ? { balancers } : {}),
      });
      const client = createGrpcClient({
        definition,
        discovery,
        ...(tls
          ? { credentials: tls.client, channelOptions: { ...tls.channelOptions, ...grpcOptions.channelOptions } }
          : {}),
        ...grpcOptions,
      });
      clients.push(client);
      return client;
    },
    discover,
    stop,
    async crash() {
      draining = true;
      stopping ??= Promise.resolve();
      removeSignalHandlers?.();
      // Heartbeats stop with the "process": the entry stays listed until its lease expires.
      registration.abandon();
      await Promise.all([grpcServer?.shutdown(0), httpServer ? closeHttp(httpServer, 0) : undefined]);
    },
  };
}

/** Counts the registry's operations and times its heartbeats (Redis registries report them). */
function observeRegistry(registry: Registry): void {
  if (!(registry instanceof RedisRegistry)) return;
  registry.onOperation(({ operation, ok, durationMs }) => {
    const instruments = switchyardInstruments();
    instruments.registryOperations.add(1, { operation, outcome: ok ? 'ok' : 'error' });
    if (operation === 'heartbeat') instruments.heartbeatDuration.record(durationMs);
  });
}

/**
 * grpc-js prints its own errors to stderr; in a service they go to the service's logger instead
 * (at debug: the runtime reports what matters itself, e.g. a port in use, in one line).
 */
function routeGrpcLogs(logger: Logger): void {
  const forward = (...args: unknown[]): void => logger.debug({ grpc: args.map(String).join(' ') }, 'grpc-js');
  setGrpcLogger({ error: forward, info: forward, debug: forward } as unknown as Partial<Console>);
}

function listenHttp(server: HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new InvalidArgumentError('http.port', `cannot listen on ${host}:${port}: ${error.message}`, { cause: error }),
      ),
    );
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
}

function closeHttp(server: HttpServer, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Stops gracefully, then exits, on SIGTERM or SIGINT; returns what removes the two handlers. The
 * handlers stay installed while stopping: with `once`, a second signal (Ctrl-C reaches both a
 * package runner and the service; an impatient operator) found none and got Node's default, an
 * immediate exit that cut the calls in flight and left the registration behind. A repeat is only
 * logged; the third forces the exit, for whoever really means it.
 */
function installSignalHandlers(stop: () => Promise<void>, logger: Logger): () => void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    received++;
    if (received === 3) {
      logger.warn({ signal }, 'third signal while stopping: exiting now');
      process.exit(1);
    }
    if (received > 1) {
      logger.info({ signal }, 'already stopping gracefully (a third signal exits at once)');
      return;
    }
    logger.info({ signal }, 'received signal; stopping gracefully');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'graceful stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}
