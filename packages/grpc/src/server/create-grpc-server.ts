import { type ChannelOptions, Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import {
  assertInteger,
  assertKnownKeys,
  assertObject,
  describeValue,
  ErrorCode,
  InvalidArgumentError,
  type Logger,
  setLongTimeout,
  silentLogger,
  SwitchyardError,
} from '@switchyard/core';
import { assertChannelOptionValues } from '../channel-options.js';
import { assertServiceDefinition, serviceNameOf } from '../definitions.js';
import { healthServiceDefinition, SERVING_STATUSES, type ServingStatus } from '../health/health-definition.js';

import { HealthStatus, LIVENESS } from '../health/health-service.js';
import { listenError, unresolvableHost } from './listen-error.js';
import { addReflection } from './server-reflection.js';
import { serverTracing } from './server-tracing.js';
import { guardResponseSerializers, type InFlight, wrapHandlers } from './wrap-handlers.js';

/** One service to serve: its definition and the handlers (proto or camelCase names). */
export interface GrpcServiceBinding {
  definition: ServiceDefinition;
  implementation: Record<string, unknown>;
}

/** Options for {@link createGrpcServer}. */
export interface GrpcServerOptions {
  services: GrpcServiceBinding[];
  /** Serve grpc.health.v1 (Check, Watch, List). @default true */
  health?: boolean;
  /**
   * Serve gRPC server reflection (`grpc.reflection.v1` and `v1alpha`) for the services above and
   * the health service, so `grpcurl` and `grpcui` work without the `.proto` files. Off by default:
   * it shows anyone who can connect every method and message. Needs definitions from
   * `loadService()`. @default false
   */
  reflection?: boolean;
  /** A server span per call when a tracer is registered (see @switchyard/tracing). @default true */
  tracing?: boolean;
  /** @default insecure (plaintext) */
  credentials?: ServerCredentials;
  /** grpc-js server options. @default keepalive friendly to Switchyard clients' pings */
  channelOptions?: ChannelOptions;
  /** @default silentLogger */
  logger?: Logger;
}

/** A running (or ready to run) gRPC server. */
export interface GrpcServer {
  /**
   * Binds and starts serving; resolves with the bound port (give 0 for any free port).
   * @throws InvalidArgumentError naming `port` for a port in use or not permitted (EADDRINUSE,
   *   EACCES), or `host` for an address this machine cannot listen on (EADDRNOTAVAIL, a name that
   *   does not resolve), with the system error (`code`, `syscall`) as the cause.
   */
  listen(port?: number, host?: string): Promise<number>;
  readonly port: number | undefined;
  /** Calls being served now. */
  readonly inFlight: number;
  /**
   * Sets the health status of one service (`''`: the whole server). While draining, every name but
   * `liveness` stays NOT_SERVING whatever is set, until resume().
   */
  setServingStatus(service: string, status: ServingStatus): void;
  /**
   * Reports NOT_SERVING everywhere (kept whatever is set meanwhile), so health-checking clients and
   * probes stop sending work.
   */
  drain(): void;
  /** Reports SERVING everywhere again: a server that stayed out of rotation while it warmed up. */
  resume(): void;
  /** Stops accepting calls, waits up to `graceMs` for calls in flight, then cancels the rest. Idempotent. */
  shutdown(graceMs?: number): Promise<void>;
}

/** Defaults of {@link GrpcServerOptions}. */
export const DEFAULT_GRPC_SERVER_OPTIONS = Object.freeze({
  health: true,
  reflection: false,
  tracing: true,
  channelOptions: Object.freeze({
    // Accept client keepalive pings every 10 s even without calls (Switchyard clients ping every 20 s
    // while calls run, and other clients may ping idle connections too).
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  }),
});

/**
 * The options past `services`, checked before anything is made: each used to pass unchecked,
 * `health: 'no'` (truthy) served health anyway, a `logger` without `error` turned the first failing
 * handler into an unhandled rejection (its call never answered), `channelOptions: 5` was ignored,
 * and `credentials: {}` failed only in listen() with grpc-js's bare TypeError.
 */
function assertServerOptions(options: Omit<GrpcServerOptions, 'services'>): void {
  for (const name of ['health', 'reflection', 'tracing'] as const) {
    if (typeof options[name] !== 'boolean') {
      throw new InvalidArgumentError(name, `must be true or false, got ${JSON.stringify(options[name])}`);
    }
  }
  const { logger, credentials, channelOptions } = options;
  // What the server logs with (as @switchyard/http's server options check it).
  if (logger != null && (typeof logger.error !== 'function' || typeof logger.warn !== 'function')) {
    throw new InvalidArgumentError('logger', 'must be a Logger (debug, info, warn, error)');
  }
  if (credentials !== undefined && !(credentials instanceof ServerCredentials)) {
    throw new InvalidArgumentError(
      'credentials',
      'must be grpc-js ServerCredentials (ServerCredentials.createSsl(…) or createInsecure())',
    );
  }
  if (channelOptions !== undefined) {
    assertObject('channelOptions', channelOptions);
    assertChannelOptionValues('channelOptions', channelOptions);
  }
}

/**
 * Creates a gRPC server for Switchyard services: promise and async-generator handlers, the
 * standard health service, server spans, deadline and trace context handed to outgoing calls,
 * and a graceful shutdown that drains first.
 *
 * @example
 * ```ts
 * const server = createGrpcServer({ services: [{ definition: CatalogService, implementation: { getProduct: async ({ id }) => ({ product: find(id) }) } }] });
 * const port = await server.listen(50051);
 * ```
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServer {
  assertObject('options', options);
  assertKnownKeys('options', options as unknown as Record<string, unknown>, [
    'services',
    'health',
    'reflection',
    'tracing',
    'credentials',
    'channelOptions',
    'logger',
  ]);
  if (!Array.isArray(options.services) || options.services.length === 0) {
    throw new InvalidArgumentError('services', 'must be a non-empty array of { definition, implementation }');
  }
  // An option given as `undefined` takes its default (spread alone, `health: undefined` turned health off).
  const resolved = {
    ...DEFAULT_GRPC_SERVER_OPTIONS,
    ...options,
    health: options.health ?? DEFAULT_GRPC_SERVER_OPTIONS.health,
    reflection: options.reflection ?? DEFAULT_GRPC_SERVER_OPTIONS.reflection,
    tracing: options.tracing ?? DEFAULT_GRPC_SERVER_OPTIONS.tracing,
  };
  assertServerOptions(resolved);
  const logger = options.logger ?? silentLogger;
  const server = new Server({ ...DEFAULT_GRPC_SERVER_OPTIONS.channelOptions, ...options.channelOptions });
  const inFlight: InFlight = { count: 0 };
  const tracing = serverTracing(resolved.tracing);
  const health = new HealthStatus();
  options.services.forEach((binding, index) => {
    const field = `services[${index}]`;
    assertObject(field, binding);
    assertServiceDefinition(`${field}.definition`, binding.definition);
    assertObject(`${field}.implementation`, binding.implementation);
    const serviceName = serviceNameOf(binding.definition);
    server.addService(
      guardResponseSerializers(binding.definition),
      wrapHandlers(binding.definition, binding.implementation, `${field}.implementation`, {
        serviceName,
        logger,
        tracing,
        inFlight,
      }),
    );
    health.set(serviceName, 'SERVING');
  });
  if (resolved.health) {
    // '' is readiness (NOT_SERVING while draining); 'liveness' stays SERVING while the process lives.
    health.set('', 'SERVING');
    health.set(LIVENESS, 'SERVING');
    server.addService(healthServiceDefinition(), health.handlers());
  }
  if (resolved.reflection) {
    const described = options.services.map((binding) => binding.definition);
    addReflection(server, resolved.health ? [...described, healthServiceDefinition()] : described);
  }
  let boundPort: number | undefined;
  let stopping: Promise<void> | undefined;
  // Binds still in progress: shutdown() waits for them, so that it also closes their ports.
  const binding = new Set<Promise<unknown>>();

  return {
    async listen(port = 0, host = '0.0.0.0') {
      assertInteger('port', port, 0, 65_535);
      // A host that is not a string threw "host.includes is not a function"; '' bound "any address"
      // with grpc-js's "No addresses resolved for port [object Object]".
      if (typeof host !== 'string' || host === '') {
        throw new InvalidArgumentError(
          'host',
          `must be an address to listen on (e.g. '0.0.0.0'), got ${describeValue(host)}`,
        );
      }
      if (stopping) {
        throw new SwitchyardError(ErrorCode.FAILED_PRECONDITION, 'listen(): the server is shut down; create a new one');
      }
      const credentials = options.credentials ?? ServerCredentials.createInsecure();
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      // Errors carry a field and a system error (listen-error.ts): grpc-js's give neither, and every
      // failure used to be named `port`, so callers matched its words to tell host from port.
      const bind = (async () => {
        const unresolvable = await unresolvableHost(host, port);
        if (unresolvable) throw unresolvable;
        if (stopping) {
          throw new SwitchyardError(
            ErrorCode.FAILED_PRECONDITION,
            'listen(): the server is shut down; create a new one',
          );
        }
        return new Promise<number>((resolve, reject) => {
          server.bindAsync(address, credentials, (error, bound) => {
            if (error) reject(listenError(error, host, port, address));
            else resolve(bound);
          });
        });
      })();
      binding.add(bind);
      try {
        boundPort = await bind;
      } finally {
        binding.delete(bind);
      }
      return boundPort;
    },
    get port() {
      return boundPort;
    },
    get inFlight() {
      return inFlight.count;
    },
    setServingStatus: (service, status) => {
      if (typeof service !== 'string') {
        throw new InvalidArgumentError(
          'service',
          `must be a service name ('' for the whole server), got ${typeof service}`,
        );
      }
      if (!(SERVING_STATUSES as readonly string[]).includes(status)) {
        throw new InvalidArgumentError(
          'status',
          `must be one of ${SERVING_STATUSES.join(', ')}, got ${JSON.stringify(status)}`,
        );
      }
      health.set(service, status);
    },
    drain: () => health.drain(),
    resume: () => health.resume(),
    shutdown(graceMs = 10_000) {
      if (typeof graceMs !== 'number' || Number.isNaN(graceMs) || graceMs < 0) {
        return Promise.reject(
          new InvalidArgumentError(
            'graceMs',
            `must be a number of ms ≥ 0 (Infinity: no limit), got ${String(graceMs)}`,
          ),
        );
      }
      stopping ??= (async () => {
        health.drain();
        health.closeWatchers();
        // A bind still in progress (a stop during startup) completes after grpc-js's shutdown and
        // left its port listening for good: shut down once every bind has settled.
        if (binding.size > 0) await Promise.allSettled([...binding]);
        await new Promise<void>((resolve) => {
          // setLongTimeout: a plain setTimeout fires after 1 ms for anything past ~24.8 days (Infinity too).
          const cancelTimer = setLongTimeout(() => {
            logger.warn(
              { inFlight: inFlight.count, graceMs },
              'switchyard grpc: calls still running after the grace period; cancelling them',
            );
            server.forceShutdown();
            resolve();
          }, graceMs);
          server.tryShutdown(() => {
            cancelTimer();
            resolve();
          });
        });
      })();
      return stopping;
    },
  };
}
