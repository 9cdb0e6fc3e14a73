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
  private readonly counts = new Map<T, number>();

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

const tracingHolds = new Holds<Tracing>();
const metricsHolds = new Holds<Metrics>();
/** The initMetrics() under way, if any (see {@link acquireMetrics}). */
let metricsStarting: Promise<Metrics> | undefined;

/**
 * Tracing for a service: the process's current Tracing when the service asked for nothing in
 * particular (`requested` undefined) and one exists, else `initTracing(options)`, which still
 * refuses options that contradict an existing setup. Match each call with {@link releaseTracing}.
 */
export function acquireTracing(requested: TracingOptions | undefined, options: TracingOptions): Tracing {
  const existing = currentTracing();
  if (existing && requested === undefined) return tracingHolds.take(existing, !tracingHolds.has(existing));
  const tracing = initTracing(options);
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
  while (metricsStarting) await metricsStarting.catch(() => undefined);
  const existing = currentMetrics();
  if (existing) return metricsHolds.take(existing, !metricsHolds.has(existing));
  const starting = initMetrics(options);
  metricsStarting = starting;
  try {
    return metricsHolds.take(await starting, false);
  } finally {
    metricsStarting = undefined;
  }
}

/** Gives a service's hold back; stops the endpoint when it was the last holder. */
export async function releaseMetrics(metrics: Metrics): Promise<void> {
  if (metricsHolds.give(metrics)) await metrics.shutdown();
}
