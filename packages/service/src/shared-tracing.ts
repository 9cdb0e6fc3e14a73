import { currentTracing, initTracing, type Tracing, type TracingOptions } from '@switchyard/tracing';

// How many services of this process hold each Tracing. One OpenTelemetry provider serves a whole
// process, so services started one after another in it (a demo, a test, a modular monolith)
// share the first one's tracing instead of failing on "already called with other options".
const holders = new Map<Tracing, number>();

/**
 * Tracing for a service: the process's current Tracing when the service asked for nothing in
 * particular (`requested` undefined) and one exists, else `initTracing(options)`, which still
 * refuses options that contradict an existing setup. Each call must be matched by
 * {@link releaseTracing}; the last holder shuts it down, never one that found it set up by
 * someone else (user code that called initTracing itself keeps it).
 */
export function acquireTracing(requested: TracingOptions | undefined, options: TracingOptions): Tracing {
  const existing = currentTracing();
  if (existing && requested === undefined) {
    // Set up by user code, not by a service: that code owns it (a count that never reaches 0).
    holders.set(existing, (holders.get(existing) ?? 1) + 1);
    return existing;
  }
  const tracing = initTracing(options);
  holders.set(tracing, (holders.get(tracing) ?? (tracing === existing ? 1 : 0)) + 1);
  return tracing;
}

/** Gives a service's hold back; shuts the Tracing down when it was the last holder. */
export async function releaseTracing(tracing: Tracing): Promise<void> {
  const left = (holders.get(tracing) ?? 1) - 1;
  if (left > 0) {
    holders.set(tracing, left);
    return;
  }
  holders.delete(tracing);
  await tracing.shutdown();
}
