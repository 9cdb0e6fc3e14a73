import { InvalidArgumentError } from '@switchyard/core';
import {
  currentMetrics,
  currentTracing,
  initMetrics,
  initTracing,
  type Metrics,
  type MetricsOptions,
  type Tracing,
  type TracingOptions,
} from '@switchyard/tracing';

/**
 * How many services of this process hold each telemetry handle. One OpenTelemetry tracer provider
 * and one meter provider serve a whole process, so services started one after another in it (a
 * demo, a test, a modular monolith) share the first one's instead of failing ("already called with
 * other options") or serving an empty /metrics. The last holder closes a handle, never one that
 * user code set up (its count starts at 1 and never reaches 0).
 */
class Holds<T> {
  /** @param counts the process-wide counts (see {@link sharedState}), not this module's own. */
  constructor(private readonly counts: Map<T, number>) {}

  take(handle: T, setUpElsewhere: boolean): T {
    this.counts.set(handle, (this.counts.get(handle) ?? (setUpElsewhere ? 1 : 0)) + 1);
    return handle;
  }

  /** True when that was the last hold: the caller closes the handle. */
  give(handle: T): boolean {
    const left = (this.counts.get(handle) ?? 1) - 1;
    if (left > 0) {
      this.counts.set(handle, left);
      return false;
    }
    this.counts.delete(handle);
    return true;
  }

  has(handle: T): boolean {
    return this.counts.has(handle);
  }
}

interface SharedState {
  tracing: Map<Tracing, number>;
  metrics: Map<Metrics, number>;
  /** The initMetrics() under way, if any (see {@link acquireMetrics}). */
  metricsStarting?: Promise<Metrics> | undefined;
}

// On globalThis, as the Tracing and Metrics they count are (and as the signal handling is): with
// two loaded copies of this package (its ESM and CJS builds in one process), each counted only its
// own services, and the copy whose last service stopped shut the process's provider down under the
// other copy's services, which ran on untraced (or lost their /metrics endpoint).
const STATE_KEY = Symbol.for('switchyard.service.telemetry');

function sharedState(): SharedState {
  const holder = globalThis as { [STATE_KEY]?: SharedState };
  holder[STATE_KEY] ??= { tracing: new Map(), metrics: new Map() };
  return holder[STATE_KEY];
}

const tracingHolds = new Holds<Tracing>(sharedState().tracing);
const metricsHolds = new Holds<Metrics>(sharedState().metrics);

/**
 * Tracing for a service: the process's current Tracing when the service asked for nothing in
 * particular (`requested` undefined) and one exists, else `initTracing(options)`, which still
 * refuses options that contradict an existing setup. Match each call with {@link releaseTracing}.
 */
export function acquireTracing(requested: TracingOptions | undefined, options: TracingOptions): Tracing {
  const existing = currentTracing();
  if (existing && requested === undefined) return tracingHolds.take(existing, !tracingHolds.has(existing));
  let tracing: Tracing;
  try {
    tracing = initTracing(options);
  } catch (error) {
    // initTracing's advice ("call shutdown() on the Tracing it returned first") does not fit a
    // service: the Tracing was set up by another service of this process (or by the application),
    // which shutting it down would leave untraced. One provider serves the whole process, and a
    // service's own options always differ from another's (service.name, service.instance.id).
    if (existing === undefined || !(error instanceof InvalidArgumentError) || error.field !== 'tracing') throw error;
    const differences = /other options \((.*)\); call shutdown\(\)/s.exec(error.rule)?.[1] ?? error.rule;
    throw new InvalidArgumentError(
      'tracing',
      `this process already has tracing (${String(existing)}), and one OpenTelemetry provider serves a whole process: leave tracing out of this service's options to share it (its spans then carry that service.name), or set tracing: false; the options that differ: ${differences}`,
      { cause: error },
    );
  }
  return tracingHolds.take(tracing, tracing === existing && !tracingHolds.has(existing));
}

/** Gives a service's hold back; shuts the Tracing down when it was the last holder. */
export async function releaseTracing(tracing: Tracing): Promise<void> {
  if (tracingHolds.give(tracing)) await tracing.shutdown();
}

/**
 * Metrics for a service: the process's current Metrics (one /metrics endpoint serves every service
 * in it) or a new `initMetrics(options)`. Match each call with {@link releaseMetrics}.
 */
export async function acquireMetrics(options: MetricsOptions): Promise<Metrics> {
  // initMetrics registers its provider before its port is bound, and only then becomes current:
  // a second service starting meanwhile (Promise.all) used to call it too and fail ("a
  // MeterProvider is already registered"). It waits for the first one's setup instead.
  const state = sharedState();
  while (state.metricsStarting) await state.metricsStarting.catch(() => undefined);
  const existing = currentMetrics();
  if (existing) {
    // A port of its own that the shared endpoint does not serve: the service started, reported
    // the shared port as its metricsPort, and whoever scrapes the port it was given (its metrics.port
    // or SWITCHYARD_METRICS_PORT) found nothing there. Refused, as a second service's own tracing
    // options are; `port` is renamed to that setting by the caller. 0 ("any port") shares.
    const asked = options.port ?? metricsPortFromEnv();
    if (asked !== undefined && asked !== 0 && asked !== existing.port)
      throw new InvalidArgumentError(
        'port',
        `is ${asked}, but this process already serves /metrics on port ${existing.port}, and one endpoint serves every service of a process: leave the port out (or give ${existing.port}) to share it, or set metrics: false`,
      );
    return metricsHolds.take(existing, !metricsHolds.has(existing));
  }
  const starting = initMetrics(options);
  state.metricsStarting = starting;
  try {
    return metricsHolds.take(await starting, false);
  } finally {
    state.metricsStarting = undefined;
  }
}

/** SWITCHYARD_METRICS_PORT as a number, if set (resolveServiceConfig has checked it). */
function metricsPortFromEnv(): number | undefined {
  const raw = process.env.SWITCHYARD_METRICS_PORT?.trim();
  return raw ? Number(raw) : undefined;
}

/** Gives a service's hold back; stops the endpoint when it was the last holder. */
export async function releaseMetrics(metrics: Metrics): Promise<void> {
  if (metricsHolds.give(metrics)) await metrics.shutdown();
}
