import type { ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from '@switchyard/core';
import type { GrpcServiceBinding } from '@switchyard/grpc';
import type { HttpRequestHandler } from '@switchyard/http';
import type { Registry } from '@switchyard/registry';
import type { TracingOptions } from '@switchyard/tracing';

/** Options for {@link startService}. Options win over environment variables, which win over defaults. */
export interface ServiceOptions {
  /** The service name (DNS label), e.g. `catalog`. */
  name: string;
  /** @default SWITCHYARD_VERSION */
  version?: string;
  /**
   * A registry URL or instance. A URL with no password of its own gets `SWITCHYARD_REGISTRY_PASSWORD`
   * (and `SWITCHYARD_REGISTRY_USERNAME`) written into it, so the password can come from a Secret.
   * @default SWITCHYARD_REGISTRY_URL (required one way or the other)
   */
  registry?: string | Registry;
  /**
   * gRPC server: the services to serve. Port 0 takes any free port (registered as bound).
   * @default no gRPC server (give `grpc` or `http`, or both)
   */
  grpc?: {
    /** The services to serve (see `createGrpcServer`). */
    services: GrpcServiceBinding[];
    /** @default 50051 */
    port?: number;
    /** Where it listens. @default SWITCHYARD_LISTEN_HOST, else `0.0.0.0` (`::` when the advertised host is IPv6) */
    host?: string;
    /** @default mTLS from SWITCHYARD_TLS_* when set, else insecure (plaintext) */
    credentials?: ServerCredentials;
    /** gRPC server reflection, for `grpcurl` and `grpcui` (see `createGrpcServer`). @default false */
    reflection?: boolean;
  };
  /**
   * HTTP server: your handler, plus `/healthz` and `/readyz` (tied to draining) served for you.
   * The handler runs inside `httpHandler` from `@switchyard/http`: it gets `(request, response,
   * context)`, `context` holding the caller's `deadline` and a `signal`, and may be async (a
   * rejection is replied as the error's status); an Express or Connect app works as it is.
   * Port 0 takes any free port; `port` defaults to 8080, `host` as `grpc.host` does.
   * @default no HTTP server (give `grpc` or `http`, or both)
   */
  http?: { handler?: HttpRequestHandler; port?: number; host?: string };
  /** @default SWITCHYARD_ZONE */
  zone?: string;
  /** Registry metadata (e.g. `{ track: 'b' }`). @default {} */
  metadata?: Record<string, string>;
  /**
   * Prometheus metrics at `http://<listen host>:<port>/metrics` (call durations, in-flight
   * requests, retries, breaker changes, ejections, registry operations and heartbeat times).
   * One endpoint serves every service of a process: a service started after another with metrics
   * on shares its port, and one asking for a different port (not 0) is refused at start.
   * @default on when SWITCHYARD_METRICS_PORT is set (deploy/ sets 9464), else off
   */
  metrics?: { port?: number } | false;
  /** Tracing (see @switchyard/tracing); `false` turns it off. @default on, configured from OTEL_* variables */
  tracing?: TracingOptions | false;
  /** Registration TTL. @default SWITCHYARD_TTL_MS, else the registry's default (10 s) */
  ttlMs?: number;
  /** Wait between "draining" and deregistration. @default SWITCHYARD_DRAIN_DELAY_MS, else 5_000 */
  drainDelayMs?: number;
  /** Time for calls in flight after deregistration. @default SWITCHYARD_SHUTDOWN_GRACE_MS, else 10_000 */
  shutdownGraceMs?: number;
  /**
   * The host other services dial (an unspecified address, `0.0.0.0` or `::`, is refused).
   * @default SWITCHYARD_ADVERTISE_HOST, POD_IP, the listen host if specific, else this machine's
   * first non-internal IPv4 (with none, listening on `::`, its first IPv6 that is not link-local).
   * (Servers listen on `grpc.host` / `http.host`, else SWITCHYARD_LISTEN_HOST, else 0.0.0.0, or
   * `::` when the advertised host is an IPv6 address, so that it is reachable where it is advertised.)
   */
  advertiseHost?: string;
  /** @default a JSON-lines logger on stderr at info */
  logger?: Logger;
  /** Stop gracefully on SIGTERM and SIGINT, then exit. @default true */
  handleSignals?: boolean;
  /**
   * Whether the instance takes traffic as soon as it is registered. `false`: it registers as
   * `draining` with health NOT_SERVING until `service.markReady()`, for services that must warm up
   * first (load an index, fill a cache). Probes and load balancers skip it; discovery treats it as
   * it treats a draining instance: skipped while any instance is up, used only when none is (a
   * call then reaches it rather than failing with NO_INSTANCES, so answer UNAVAILABLE until ready).
   * @default true
   */
  ready?: boolean;
  /**
   * Runs during `stop()`, after the servers closed and in-flight calls finished, before telemetry
   * is flushed and the registry closed: release your own resources here (connections, timers).
   * It gets `shutdownGraceMs` (at least 1 s) to settle: one still pending then is abandoned (it
   * keeps running, but the stop goes on without it) and counts as a failed step, logged as a
   * warning, so a stop on a signal exits 1.
   */
  onStop?: () => Promise<void> | void;
}
