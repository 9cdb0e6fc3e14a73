import type { ServiceDefinition } from '@grpc/grpc-js';
import type { ServiceInstance } from '@switchyard/core';
import type { Discovery, DiscoveryOptions } from '@switchyard/discovery';
import type { GrpcClient, GrpcClientOptions } from '@switchyard/grpc';
import type { Registration, Registry } from '@switchyard/registry';
import type { Tracing } from '@switchyard/tracing';

/** Options for {@link RunningService.grpcClient}. */
export type ServiceClientOptions = Omit<Partial<DiscoveryOptions>, 'registry' | 'service'> &
  Omit<Partial<GrpcClientOptions<ServiceDefinition>>, 'definition' | 'discovery'>;

/** A started service. */
export interface RunningService {
  /** The service name, as registered. */
  readonly name: string;
  /** The instance as registered (with the ports actually bound). */
  readonly instance: ServiceInstance;
  /** The instance's live registration (heartbeating); `stop()` deregisters it. */
  readonly registration: Registration;
  /** The registry it is registered in: the one given, or the one made from the URL (closed by `stop()`). */
  readonly registry: Registry;
  /** The gRPC server's bound port; `undefined` without `grpc` options. */
  readonly grpcPort: number | undefined;
  /** The HTTP server's bound port; `undefined` without `http` options. */
  readonly httpPort: number | undefined;
  /** Where `/metrics` is served, when metrics are on. */
  readonly metricsPort: number | undefined;
  /** The process's tracing setup; `undefined` with `tracing: false`. */
  readonly tracing: Tracing | undefined;
  /** True from the moment stopping began. */
  readonly draining: boolean;
  /**
   * Whether the instance takes traffic (see the `ready` option): false after `markNotReady()` (until
   * `markReady()`), and from the start of a stop.
   */
  readonly ready: boolean;
  /**
   * Starts taking traffic: registry status `up`, health SERVING (after `ready: false` or
   * `markNotReady()`). Idempotent; of it and `markNotReady()` the last call wins.
   * When the registry update fails it rejects and the service stays not ready, so it can be retried.
   */
  markReady(): Promise<void>;
  /**
   * Takes the running service out of traffic without stopping it (its database connection lost, a
   * cache being rebuilt): health NOT_SERVING and `/readyz` 503 at once, then registry status
   * `draining` (the status `ready: false` starts with: discovery skips it while any instance is
   * up), and `ready` reads false; the servers keep answering the calls that still reach them.
   * `markReady()` puts it back. `reason` is logged.
   *
   * Idempotent; of markReady() and markNotReady() the last call wins, even while the other's
   * registry update is still on its way. When the registry update fails it rejects (the health
   * stays NOT_SERVING, and the registration writes `draining` once the registry is back), so it
   * can be retried. Does nothing once stopping (stop() has taken the service out already).
   * @throws InvalidArgumentError (as a rejection) naming `reason` when it is given and not a string.
   */
  markNotReady(reason?: string): Promise<void>;
  /**
   * A gRPC client to another service, through a discovery over this service's registry (zone
   * defaults to this service's zone). Closed by `stop()` after in-flight calls have finished.
   * Closing it earlier closes that discovery too, and the service lets go of both.
   */
  grpcClient<D extends ServiceDefinition>(
    definition: D,
    service: string,
    options?: ServiceClientOptions,
  ): GrpcClient<D>;
  /** A discovery over this service's registry, closed by `stop()` unless closed before (then let go of). */
  discover(service: string, options?: Omit<Partial<DiscoveryOptions>, 'registry' | 'service'>): Discovery;
  /**
   * Drains and stops: status `draining` (registry and health) → wait `drainDelayMs` → deregister →
   * finish calls in flight within `shutdownGraceMs` (handlers still running after their caller
   * left included) → close servers and clients → flush telemetry.
   * Idempotent: every call returns the same promise.
   */
  stop(): Promise<void>;
  /**
   * Stops abruptly, as a crash would (for demos and failure tests in one process): calls in
   * flight are cancelled and servers closed at once, with no draining and no deregistration — the
   * entry stays until its lease expires (or, in memory, until callers eject it). A `stop()`
   * afterwards releases what is still held (clients, discoveries, telemetry, an owned registry)
   * without deregistering.
   */
  crash(): Promise<void>;
}
