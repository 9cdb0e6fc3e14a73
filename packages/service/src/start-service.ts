import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import { type ServiceDefinition, setLogger as setGrpcLogger } from '@grpc/grpc-js';
import {
  ClientClosedError,
  consoleLogger,
  describeValue,
  InvalidArgumentError,
  type Logger,
  isListenAddressError,
  logAcceptErrors,
  SwitchyardError,
  sleep,
  withDefaults,
} from '@switchyard/core';
import { createDiscovery, DISCOVERY_TUNING_KEYS, type Discovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, type GrpcServer } from '@switchyard/grpc';
import { createRegistry, type Registration, type Registry } from '@switchyard/registry';
import { deregisterAgain } from './deregister-again.js';
import { currentTracing, type Metrics, type Tracing } from '@switchyard/tracing';
import { observeRegistry } from './observe-registry.js';
import { advertiseHost } from './advertise-host.js';
import { type Closable, HeldClosables } from './held-closables.js';
import { createHealthState, type HttpRequestHandler, httpHandler, isConnectApp } from '@switchyard/http';
import type { RunningService, ServiceClientOptions } from './running-service.js';
import { stopOnSignals, stopOnSignalsOnceStarted } from './process-signals.js';
import { resolveServiceConfig } from './service-config.js';
import { acquireMetrics, acquireTracing, releaseMetrics, releaseTracing } from './shared-telemetry.js';
import { type ServiceTls, tlsFromEnv } from './tls-from-env.js';

/** Idle keep-alive connections of the HTTP server stay open this long (see where it is set). */
const HTTP_KEEP_ALIVE_TIMEOUT_MS = 65_000;
import type { ServiceOptions } from './service-options.js';

/**
 * Starts a Switchyard service: tracing, the gRPC and/or HTTP servers, then registration with the
 * ports actually bound; on SIGTERM/SIGINT or `stop()` it drains (see {@link RunningService.stop}).
 * Anything that fails during start is cleaned up before the error is thrown.
 *
 * @throws InvalidArgumentError (a rejection) naming the setting or environment variable: a bad
 * option or variable, neither `grpc` nor `http`, no registry, a port or host that cannot be
 * listened on. REGISTRY_UNAVAILABLE when the registry cannot take the registration.
 * @example
 * ```ts
 * const service = await startService({ name: 'catalog', version: '1.4.0', grpc: { port: 50051, services: [{ definition: CatalogService, implementation }] } });
 * const recommendation = service.grpcClient(RecommendationService, 'recommendation');
 * ```
 */
export function startService(options: ServiceOptions): Promise<RunningService> {
  // Made here, not once the options are checked: a start that fails after a signal is logged by
  // the signal handling (see stopOnSignalsOnceStarted), whatever it failed on.
  const logger = options?.logger ?? consoleLogger(typeof options?.name === 'string' ? { name: options.name } : {});
  const starting = startServiceNow(options, logger);
  // From the very start, not once registered: see stopOnSignalsOnceStarted.
  if (options?.handleSignals !== false) stopOnSignalsOnceStarted(starting, logger);
  return starting;
}

async function startServiceNow(options: ServiceOptions, logger: Logger): Promise<RunningService> {
  const config = resolveServiceConfig(options);
  const tls = tlsFromEnv();
  if (!options.grpc && !options.http)
    throw new InvalidArgumentError('grpc', 'a service needs grpc or http options (or both)');
  const ownsRegistry = typeof config.registry === 'string';
  const registry: Registry =
    typeof config.registry === 'string' ? createRegistry(config.registry, { logger }) : config.registry;
  // The instance id is chosen here, so telemetry (service.instance.id) and the registry agree.
  const instanceId = `${config.name}-${randomBytes(6).toString('hex')}`;
  let tracing: Tracing | undefined;
  const readiness = createHealthState({ ready: false });
  let metrics: Metrics | undefined;
  let grpcServer: GrpcServer | undefined;
  let httpServer: HttpServer | undefined;
  let grpcPort: number | undefined;
  let httpPort: number | undefined;
  /** HTTP responses not closed yet, and async HTTP handlers not settled yet (see below). */
  let httpResponsesOpen = 0;
  let httpHandlersRunning = 0;
  let registration: Registration;
  let stopObservingRegistry: (() => void) | undefined;
  /** Steps of stopping that failed (each logged), for the exit code of a stop on a signal. */
  const failedSteps: string[] = [];
  /**
   * Runs one step of stopping (or of cleaning up after a failed start); a failure is logged and
   * the next steps still run.
   */
  const step = async (what: string, run: () => unknown, phase = 'stopping'): Promise<void> => {
    try {
      await run();
    } catch (error) {
      failedSteps.push(what);
      logger.warn({ err: error }, `${phase}: ${what} failed`);
    }
  };
  // Where each server's listen address came from, for the errors of an address it cannot listen on.
  const grpcHostField = options.grpc?.host !== undefined ? 'grpc.host' : 'SWITCHYARD_LISTEN_HOST';
  const httpHostField = options.http?.host !== undefined ? 'http.host' : 'SWITCHYARD_LISTEN_HOST';
  // Ended when the service has stopped (or failed to start), so grpc-js logs to a service still running.
  const unrouteGrpcLogs = routeGrpcLogs(logger);
  try {
    if (options.grpc) {
      // Made first: it checks its options and opens nothing, so bad ones (`grpc.services: []`) are
      // refused before tracing and metrics start, named as this service's settings.
      try {
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
      } catch (error) {
        throw namingGrpcSetting(error, grpcHostField);
      }
      // NOT_SERVING for the server and every service before the port opens, until the instance is
      // registered (and marked ready), as /readyz: SERVING from creation passed Kubernetes' gRPC
      // readiness probe while register() still waited on Redis, so a rollout went on to stop old
      // pods for one nobody could discover yet (or one whose registration then failed).
      grpcServer.drain();
    }
    // Inside the try: a tracing setup that throws must not leave the registry connected.
    const processTracing = currentTracing();
    tracing =
      options.tracing === false
        ? undefined
        : acquireTracing(options.tracing, {
            serviceName: config.name,
            ...(config.version ? { serviceVersion: config.version } : {}),
            ...options.tracing,
            resourceAttributes: { 'service.instance.id': instanceId, ...options.tracing?.resourceAttributes },
          });
    if (tracing !== undefined && tracing === processTracing && options.tracing === undefined) {
      // One provider per process: this service's spans carry the first one's service.name.
      logger.warn(
        { tracing: String(tracing) },
        `${config.name}: tracing is shared with the one already set up in this process; its spans carry that service.name`,
      );
    }
    // On when asked for, or when the deployment sets SWITCHYARD_METRICS_PORT (deploy/ uses 9464).
    const metricsWanted =
      options.metrics !== false &&
      (options.metrics !== undefined || Boolean(process.env.SWITCHYARD_METRICS_PORT?.trim()));
    if (metricsWanted) {
      const port = options.metrics ? options.metrics.port : undefined;
      metrics = await acquireMetrics({
        serviceName: config.name,
        ...(port !== undefined ? { port } : {}),
        host: config.listenHost,
        resourceAttributes: { 'service.instance.id': instanceId },
      }).catch((error: unknown) => {
        throw namingMetricsSetting(error, port !== undefined || !process.env.SWITCHYARD_METRICS_PORT?.trim());
      });
      stopObservingRegistry = observeRegistry(registry);
    }
    if (options.grpc && grpcServer) {
      grpcPort = await grpcServer
        .listen(options.grpc.port ?? 50051, options.grpc.host ?? config.listenHost)
        .catch((error: unknown) => {
          throw namingGrpcSetting(error, grpcHostField);
        });
    }
    if (options.http) {
      const handler: HttpRequestHandler =
        options.http.handler ?? ((_request, response) => response.writeHead(404).end('not found'));
      // Requests run with their caller's deadline and trace (so outgoing calls inherit both),
      // get server spans, and /healthz and /readyz follow this service's readiness and draining.
      // Counted for stop(): each response until it closes, and an async handler until it
      // settles, which may be after its connection closed (the caller gave up).
      // The handler gets what httpHandler hands it: the request's context as a third argument
      // (it got none, so `context.deadline` threw), and an Express or Connect app is passed to
      // httpHandler as it is, so that it still gets the `next` that replies 404 or the mapped error
      // (wrapped, it was called without one and fell back to its own final handler).
      const counted: HttpRequestHandler = isConnectApp(handler)
        ? handler
        : (request, response, context) => {
            const result = handler(request, response, context);
            if (typeof (result as Promise<unknown> | undefined)?.then !== 'function') return result;
            httpHandlersRunning++;
            const settled = (): void => {
              httpHandlersRunning--;
            };
            (result as Promise<unknown>).then(settled, settled);
            return result;
          };
      const listener = httpHandler(counted, { health: readiness, logger });
      const server = createServer((request, response) => {
        httpResponsesOpen++;
        response.once('close', () => {
          httpResponsesOpen--;
        });
        listener(request, response);
      });
      // Longer than the idle timeouts of the proxies and load balancers that sit in front of a
      // service (nginx and AWS ALB 60 s): with Node's default of 5 s, a proxy reusing a connection
      // just as Node closed it got a reset, a 502 for a POST it would not retry. stop() closes idle
      // connections itself, so this does not lengthen a shutdown.
      server.keepAliveTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MS;
      server.headersTimeout = HTTP_KEEP_ALIVE_TIMEOUT_MS + 1_000;
      httpServer = server;
      httpPort = await listenHttp(
        server,
        options.http.port ?? 8080,
        options.http.host ?? config.listenHost,
        httpHostField,
        logger,
      );
    }
    // With no advertised host set, the registered one is where the gRPC server listens (what
    // callers dial through grpcClient), or the HTTP server for an HTTP-only service. Each server's
    // own address counts, its default included: `grpc.host ?? http.host` took the HTTP server's
    // loopback address for a gRPC server listening on every interface, which no one could reach.
    const servingHost = options.grpc
      ? (options.grpc.host ?? config.listenHost)
      : (options.http?.host ?? config.listenHost);
    const ports: Record<string, number> = {};
    if (grpcPort !== undefined) ports.grpc = grpcPort;
    if (httpPort !== undefined) ports.http = httpPort;
    registration = await registry.register(
      {
        id: instanceId,
        service: config.name,
        host: advertiseHost(config.advertiseHost, servingHost),
        ports,
        ...(config.version ? { version: config.version } : {}),
        ...(config.zone ? { zone: config.zone } : {}),
        metadata: config.metadata,
        ...(options.ready === false ? { status: 'draining' as const } : {}),
      },
      config.ttlMs === undefined ? undefined : { ttlMs: config.ttlMs },
    );
  } catch (error) {
    // Every step runs, and the caller gets the error that failed the start: a cleanup step that
    // threw used to skip the ones after it (a server left listening, the registry connected) and
    // replace that error with its own.
    const cleanUp = (what: string, run: () => unknown) =>
      step(what, run, `${config.name} failed to start; cleaning up`);
    await cleanUp('closing the gRPC server', () => grpcServer?.shutdown(0));
    await cleanUp('closing the HTTP server', () => httpServer?.close());
    if (tracing) await cleanUp('flushing telemetry', () => releaseTracing(tracing as Tracing));
    await cleanUp('stopping observing the registry', () => stopObservingRegistry?.());
    if (metrics) await cleanUp('stopping metrics', () => releaseMetrics(metrics as Metrics));
    if (ownsRegistry) await cleanUp('closing the registry', () => registry.close());
    unrouteGrpcLogs();
    throw error;
  }
  // Certificates renewed on disk (cert-manager rotates a Secret's files; the pod is not restarted)
  // are taken by new connections: read once at start, the service presented its first certificate
  // until it expired, and every handshake failed both ways from then on. Stopped with the service.
  const stopReloadingTls = tls ? reloadTlsPeriodically(tls, logger) : undefined;
  let ready = options.ready !== false;
  if (ready) {
    readiness.setReady(true);
    grpcServer?.resume();
  }
  /** markReady()'s registry update, once asked (settled already when the service started ready). */
  let readying: Promise<void> | undefined = ready ? Promise.resolve() : undefined;
  /** markNotReady()'s registry update, once asked (settled already when the service started not ready). */
  let notReadying: Promise<void> | undefined = ready ? undefined : Promise.resolve();
  /**
   * Bumped by each markReady() and markNotReady() that changes course: the last call wins, so a
   * markReady() whose registry update settles after a later markNotReady() turns nothing SERVING.
   */
  let readinessTurn = 0;
  registration.onStateChange((state, error) => {
    // crash() lets go of the registration on purpose (abandon()): not an error to page anyone for.
    if (state === 'lost' && !crashed)
      logger.error({ err: error }, 'switchyard service: registration lost; this instance no longer receives traffic');
  });
  logger.info({ id: registration.instance.id, grpcPort, httpPort, zone: config.zone }, `${config.name} started`);

  // Each leaves its set when closed by its owner: see HeldClosables.
  const discoveries = new HeldClosables<Discovery>();
  const clients = new HeldClosables<Closable>();
  let stopping: Promise<void> | undefined;
  let draining = false;
  let crashed = false;

  /** Set once stop() has begun closing clients: one made later would be left open for good. */
  let clientsClosed = false;

  const discover = (
    service: string,
    discoveryOptions: Omit<Partial<Parameters<typeof createDiscovery>[0]>, 'registry' | 'service'> = {},
  ): Discovery => {
    if (clientsClosed) throw new ClientClosedError(`service ${config.name} (stopped)`);
    // An option given as undefined (a setting the configuration leaves unset) keeps the service's:
    // spread, `zone: undefined` dropped its zone and `logger: undefined` its logger.
    const discovery = createDiscovery(
      withDefaults(
        { registry, service, logger, ...(config.zone ? { zone: config.zone } : {}) },
        discoveryOptions ?? {},
      ),
    );
    return discoveries.hold(discovery);
  };

  const stop = (): Promise<void> => {
    // Once stopped, a signal is no longer ours to handle (and a process that starts and stops
    // services one after another, as tests do, does not pile up listeners). After crash() there
    // is nothing to drain or deregister, but what the service holds is still released.
    stopping ??= (crashed ? releaseResources() : drainAndStop()).finally(() => removeSignalHandlers?.());
    return stopping;
  };

  /**
   * Closes what the service holds besides its servers and registration. Every step runs whatever
   * the one before it did: a client that failed to close used to leave the telemetry unflushed
   * and the registry connected.
   */
  const releaseResources = async (): Promise<void> => {
    stopReloadingTls?.();
    await step('onStop', () => runOnStop(options.onStop, config.shutdownGraceMs));
    // Clients and discoveries made until now (onStop's too) are closed below; later ones are refused.
    clientsClosed = true;
    await Promise.all(clients.takeAll().map((client) => step('closing a client', () => client.close())));
    await Promise.all(discoveries.takeAll().map((discovery) => step('closing a discovery', () => discovery.close())));
    if (tracing) await step('flushing telemetry', () => releaseTracing(tracing as Tracing));
    await step('stopping observing the registry', () => stopObservingRegistry?.());
    if (metrics) await step('stopping metrics', () => releaseMetrics(metrics as Metrics));
    if (ownsRegistry) await step('closing the registry', () => registry.close());
    // Last: grpc-js may log while the servers and clients above close.
    unrouteGrpcLogs();
  };

  const drainAndStop = async (): Promise<void> => {
    draining = true;
    logger.info(
      { drainDelayMs: config.drainDelayMs, shutdownGraceMs: config.shutdownGraceMs },
      `${config.name} draining`,
    );
    readiness.drain();
    grpcServer?.drain();
    // Through a promise chain: a registry whose update() or deregister() throws instead of rejecting
    // (a custom one; markReady guards the same) made stop() reject having stopped nothing.
    await Promise.resolve()
      .then(() => registration.update({ status: 'draining' }))
      .catch((error: unknown) => logger.warn({ err: error }, 'could not mark draining in the registry'));
    await sleep(config.drainDelayMs);
    const deregistering = performance.now();
    const deregistration = await Promise.resolve()
      .then(() => registration.deregister())
      .then(
        () => undefined,
        (error: unknown) => ({ error, tookMs: performance.now() - deregistering }),
      );
    const graceEnds = Date.now() + config.shutdownGraceMs;
    await Promise.all([
      step('closing the gRPC server', () => grpcServer?.shutdown(config.shutdownGraceMs)),
      // Its answers from the drain on end their keep-alive connections (httpHandler, through
      // readiness.drain() above), those still running then included.
      step('closing the HTTP server', () => (httpServer ? closeHttp(httpServer, config.shutdownGraceMs) : undefined)),
      deregistration && deregisterAgain(registration, deregistration.error, deregistration.tookMs, graceEnds, logger),
    ]);
    // The servers close once no connection or stream is left, but a handler whose caller went
    // away (a cancelled call, a closed connection) may still be running, and calling other
    // services through this service's clients: closing them now failed those calls with
    // ClientClosedError. Wait for such handlers within what is left of the grace.
    await until(() => (grpcServer?.inFlight ?? 0) + httpHandlersRunning === 0, graceEnds);
    // HTTP requests cut at the end of the grace end their spans as their sockets close, a turn of
    // the event loop after close() has called back: flushing telemetry at once lost those spans.
    await until(() => httpResponsesOpen === 0, Date.now() + 1_000);
    await releaseResources();
    logger.info({}, `${config.name} stopped`);
  };

  // stop() resolves whatever failed (every step runs and logs); a stop on a signal rejects when a
  // step failed, so that the process exits 1 as documented (it always exited 0).
  const stopOnSignal = async (): Promise<void> => {
    await stop();
    if (failedSteps.length > 0) throw new Error(`stopping: ${failedSteps.join(', ')} failed (logged above)`);
  };
  const removeSignalHandlers =
    options.handleSignals === false ? undefined : stopOnSignals({ stop: stopOnSignal, logger });

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
      // Not once draining: the instance takes no new traffic then (its readiness answers 503 and
      // the registry lists it draining), as the property promises; it read true through the drain.
      return ready && !draining;
    },
    markReady() {
      if (draining) return Promise.resolve();
      if (readying !== undefined) return readying;
      const turn = ++readinessTurn;
      // A markNotReady() from before is over: the next one takes the service out again.
      notReadying = undefined;
      const pending = (async () => {
        // The registry first, health after: health turned SERVING before the update, so against a
        // hung Redis a failing markReady() passed readiness probes for up to two command timeouts.
        try {
          await registration.update({ status: 'up' });
        } catch (error) {
          // Not ready: the registry still lists the instance as draining, so callers skip it, and
          // a later markReady() tries again (a registry blip at warm-up used to keep the instance
          // out of traffic for good). (`readying` is cleared below, not here: an update() that
          // throws instead of rejecting ran this before `readying` was set, which then kept the
          // failure as every later call's answer.)
          // A registration keeps an update it could not write and writes it once Redis is back (a
          // hung Redis may even run it late): the entry turned `up` after the outage while the
          // service said not ready. Take the update back, the same way; a retry of markReady()
          // is queued after this and wins. (Once stopping, stop() has marked it draining; after a
          // later markNotReady(), so has it.)
          if (!draining && turn === readinessTurn) {
            try {
              registration.update({ status: 'draining' }).catch(() => undefined);
            } catch {
              // Thrown rather than rejected: as ignored as a rejection; the caller gets `error`.
            }
          }
          throw error;
        }
        // stop() began meanwhile: it has marked the instance draining, health included. Or
        // markNotReady() was called meanwhile: its `draining` is queued after this `up`, and it
        // wins, health included (turning SERVING here put back in traffic a service that had
        // just said it could not serve).
        if (draining || turn !== readinessTurn) return;
        ready = true;
        readiness.setReady(true);
        grpcServer?.resume();
        logger.info({}, `${config.name} ready`);
      })();
      readying = pending;
      // Handled before any caller hears of the failure, so a retry in reaction to it starts anew.
      pending.catch(() => {
        if (readying === pending) readying = undefined;
      });
      // Concurrent calls share one update: each resolves once the registry says `up`.
      return pending;
    },
    markNotReady(reason?: string) {
      if (reason !== undefined && typeof reason !== 'string') {
        return Promise.reject(
          new InvalidArgumentError('reason', `must be a string when given, got ${describeValue(reason)}`),
        );
      }
      // stop() has taken the service out already, for good.
      if (draining) return Promise.resolve();
      if (notReadying !== undefined) return notReadying;
      ++readinessTurn;
      // A markReady() from before is over (if its update is still on its way, it turns nothing
      // SERVING: see `turn` there); the next one puts the service back.
      readying = undefined;
      // Health first, the registry after (markReady()'s order reversed): leaving traffic is the
      // safe side, so probes and health-checking clients see it at once, even while the registry
      // update waits on a hung Redis.
      ready = false;
      readiness.setReady(false);
      grpcServer?.drain();
      logger.info(reason === undefined ? {} : { reason }, `${config.name} not ready`);
      // Called in this tick (an async function runs to its first await), not a microtask later: a
      // markReady() right behind must queue its `up` after this `draining`, or the registry would
      // end `draining` while health says SERVING. A throwing update() rejects the same way.
      const pending = (async () => {
        // A failed update is kept by the registration and written once the registry is back (what
        // leaving wants, unlike markReady()'s, which is taken back): it rejects so the caller
        // knows the registry may still list the instance `up` meanwhile, and a retry sends it again.
        await registration.update({ status: 'draining' });
      })();
      notReadying = pending;
      pending.catch(() => {
        if (notReadying === pending) notReadying = undefined;
      });
      return pending;
    },
    grpcClient<D extends ServiceDefinition>(definition: D, service: string, clientOptions: ServiceClientOptions = {}) {
      const { discoveryOptions, grpcOptions } = splitClientOptions(clientOptions);
      const discovery = discover(service, discoveryOptions);
      try {
        const client = createGrpcClient({
          definition,
          discovery,
          ...grpcOptions,
          // After the caller's options: its channelOptions add to the TLS ones (the server name
          // override that lets certificates check when dialling by IP), never replace them.
          ...(tls
            ? {
                credentials: grpcOptions.credentials ?? tls.client,
                channelOptions: { ...tls.channelOptions, ...grpcOptions.channelOptions },
              }
            : {}),
        });
        // Its discovery was made for it alone: closing the client closes it too.
        return clients.hold(client, () => discovery.close());
      } catch (error) {
        // A client that cannot be made must not leave its discovery watching the registry.
        void discovery.close();
        throw error;
      }
    },
    discover,
    stop,
    async crash() {
      draining = true;
      crashed = true;
      removeSignalHandlers?.();
      stopReloadingTls?.();
      // Heartbeats stop with the "process": the entry stays listed until its lease expires.
      registration.abandon();
      await Promise.all([grpcServer?.shutdown(0), httpServer ? closeHttp(httpServer, 0) : undefined]);
    },
  };
}

/**
 * Calls `tls.reload()` every `tls.reloadMs` (an unref'd timer) until the returned function is
 * called: renewed files are logged at info, files that fail the checks at warn (once per distinct
 * failure: a rotation caught halfway is taken at the next read), the ones in use staying.
 */
function reloadTlsPeriodically(tls: ServiceTls, logger: Logger): () => void {
  let lastFailure: string | undefined;
  const timer = setInterval(() => {
    try {
      if (tls.reload()) logger.info({}, 'switchyard service: TLS certificate files changed; new connections use them');
      lastFailure = undefined;
    } catch (error) {
      const message = (error as Error).message;
      if (message !== lastFailure)
        logger.warn({ err: error }, 'switchyard service: TLS files not reloaded; the ones in use stay');
      lastFailure = message;
    }
  }, tls.reloadMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * initMetrics() reports a port it cannot listen on (in use, not permitted) as its own option
 * `port`, which names no setting of a service (which port: gRPC, HTTP, metrics?). Renamed to the
 * one that held it: the `metrics.port` option (the default 9464 included) or
 * SWITCHYARD_METRICS_PORT. An address it cannot listen on (its `host`) is the service's listen
 * host, SWITCHYARD_LISTEN_HOST. Other errors pass unchanged.
 */
function namingMetricsSetting(error: unknown, fromOption: boolean): unknown {
  if (!SwitchyardError.hasCode(error, 'INVALID_ARGUMENT')) return error;
  const { field, rule } = error as unknown as InvalidArgumentError;
  if (field === 'host') return new InvalidArgumentError('SWITCHYARD_LISTEN_HOST', rule, { cause: error });
  if (field !== 'port') return error;
  return new InvalidArgumentError(fromOption ? 'metrics.port' : 'SWITCHYARD_METRICS_PORT', rule, { cause: error });
}

/**
 * createGrpcServer() and its listen() name their own options (`services`, `port`, `host`), which
 * name no setting of a service: renamed to `grpc.services…`, `grpc.port`, or, for an address that
 * cannot be listened on (listen() names it `host`, with the system error as the cause), where the
 * host came from (`grpc.host` or SWITCHYARD_LISTEN_HOST).
 */
function namingGrpcSetting(error: unknown, hostField: string): unknown {
  if (!SwitchyardError.hasCode(error, 'INVALID_ARGUMENT')) return error;
  const { field, rule } = error as unknown as InvalidArgumentError;
  return new InvalidArgumentError(field === 'host' ? hostField : `grpc.${field}`, rule, { cause: error });
}

/** The discovery options of the client options a service's grpcClient() takes, and the rest. */
function splitClientOptions(options: ServiceClientOptions) {
  const discoveryOptions: Record<string, unknown> = {};
  const grpcOptions: Record<string, unknown> = { ...options };
  for (const key of DISCOVERY_TUNING_KEYS) {
    if (options[key] !== undefined) discoveryOptions[key] = options[key];
    delete grpcOptions[key];
  }
  return {
    discoveryOptions: discoveryOptions as Omit<Partial<Parameters<typeof createDiscovery>[0]>, 'registry' | 'service'>,
    grpcOptions: grpcOptions as Omit<ServiceClientOptions, (typeof DISCOVERY_TUNING_KEYS)[number]>,
  };
}

/**
 * The loggers grpc-js's logs go to, one entry per service started and not yet stopped, oldest
 * first (entries, not loggers: two services may share one logger).
 */
const grpcLogRoutes: { logger: Logger }[] = [];

/** What grpc-js logs through by default (its DEFAULT_LOGGER, which it does not export): stderr. */
const GRPC_DEFAULT_LOGGER: Partial<Console> = {
  error: (message?: unknown, ...rest: unknown[]) => console.error(`E ${message}`, ...rest),
  info: (message?: unknown, ...rest: unknown[]) => console.error(`I ${message}`, ...rest),
  debug: (message?: unknown, ...rest: unknown[]) => console.error(`D ${message}`, ...rest),
};

/** Forwards grpc-js's logs to the oldest service still routed (looked up at each line). */
const forwardGrpcLog = (...args: unknown[]): void =>
  grpcLogRoutes[0]?.logger.debug({ grpc: args.map(String).join(' ') }, 'grpc-js');
const GRPC_FORWARDING_LOGGER = { error: forwardGrpcLog, info: forwardGrpcLog, debug: forwardGrpcLog };

/**
 * grpc-js prints its own errors to stderr; in a service they go to the service's logger instead
 * (at debug: the runtime reports what matters itself, e.g. a port in use, in one line). grpc-js has
 * one logger per process: with several services in one, its logs go to the oldest still running
 * (they went to the last one started, even after it had stopped), and once the last has stopped
 * grpc-js's default is back. Returns the function that ends this service's route (idempotent).
 */
function routeGrpcLogs(logger: Logger): () => void {
  const route = { logger };
  grpcLogRoutes.push(route);
  setGrpcLogger(GRPC_FORWARDING_LOGGER as unknown as Partial<Console>);
  return () => {
    const index = grpcLogRoutes.indexOf(route);
    if (index === -1) return;
    grpcLogRoutes.splice(index, 1);
    if (grpcLogRoutes.length === 0) setGrpcLogger(GRPC_DEFAULT_LOGGER);
  };
}

/**
 * Listens, or fails with INVALID_ARGUMENT naming the setting at fault: `hostField` (`http.host` or
 * SWITCHYARD_LISTEN_HOST) for an address this machine cannot listen on (it was named `http.port`
 * whatever the cause), else `http.port`.
 */
function listenHttp(
  server: HttpServer,
  port: number,
  host: string,
  hostField: string,
  logger: Logger,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void =>
      reject(
        new InvalidArgumentError(
          isListenAddressError(error.code) ? hostField : 'http.port',
          `cannot listen on ${host}:${port}: ${error.message}`,
          { cause: error },
        ),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      // Listening: a later error is a failed accept (out of descriptors), logged, not fatal.
      server.off('error', onError);
      logAcceptErrors(server, logger, 'the HTTP server');
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** The least time onStop is given: a grace of 0 cuts the calls in flight, not the service's own cleanup. */
const ON_STOP_MIN_MS = 1_000;

/**
 * Runs the service's onStop, bounded by the shutdown grace (at least {@link ON_STOP_MIN_MS}): one
 * that never settled (a database client whose close hangs) held a signal's stop, and the process,
 * until SIGKILL, past the registry and telemetry steps after it; one that held nothing let the
 * process run out of work mid-stop and exit 0, those steps never run. Past the limit it rejects
 * (the step is logged as failed, naming onStop, and a signal's exit is 1) and stopping goes on; onStop
 * itself cannot be cancelled, and a late outcome is ignored. The timer is not unref'd, for the
 * latter case: the stop must get to its end.
 */
function runOnStop(onStop: (() => Promise<void> | void) | undefined, graceMs: number): Promise<void> {
  if (onStop === undefined) return Promise.resolve();
  const limitMs = Math.max(graceMs, ON_STOP_MIN_MS);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const limit = graceMs >= ON_STOP_MIN_MS ? 'shutdownGraceMs' : `its least; shutdownGraceMs is ${graceMs}`;
      reject(new Error(`onStop did not settle within ${limitMs} ms (${limit}); stopping went on without it`));
    }, limitMs);
    Promise.resolve()
      .then(() => onStop())
      .then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
  });
}

/**
 * Resolves once `done()` holds (checked every 10 ms) or at `deadline`. The timer is not unref'd:
 * while a signal's stop waits here, it keeps the process alive (it is bounded by the deadline).
 */
async function until(done: () => boolean, deadline: number): Promise<void> {
  while (!done() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(10, Math.max(0, deadline - Date.now()))));
  }
}

function closeHttp(server: HttpServer, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    // close() ends only the connections idle at that moment: one still answering a call stays
    // open after its answer (keep-alive), so stop() waited for Node's keep-alive timeout or the
    // whole grace. Idle connections are closed again as the calls in flight finish.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    sweep.unref();
    const timer = setTimeout(() => {
      clearInterval(sweep);
      server.closeAllConnections();
      resolve();
    }, graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
