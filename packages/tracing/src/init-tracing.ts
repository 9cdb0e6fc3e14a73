import { context, diag, propagation, trace } from '@opentelemetry/api';
import type { InMemorySpanExporter, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { InvalidArgumentError } from '@switchyard/core';
import { createExporter, resolveOtlpProtocol } from './create-exporter.js';
import { createProvider } from './create-provider.js';
import { ExportScopedContextManager } from './export-scoped-context-manager.js';
import { checkInstrumentationGrpcSetting, resetInstrumentationGrpcDetection } from './instrumentation-grpc-active.js';
import { GlobalFollowingMeterProvider } from './metrics/global-following-meter-provider.js';
import { createW3CPropagator } from './propagator.js';
import { resetSemconvStability } from './semconv-stability.js';
import type { Tracing } from './tracing.js';
import { tracingActive } from './tracing-active.js';
import { type ResolvedTracingOptions, resolveTracingOptions, type TracingOptions } from './tracing-options.js';

interface Registration {
  readonly options: ResolvedTracingOptions;
  readonly tracing: Tracing;
}

// On globalThis, like the OpenTelemetry API's own registry, so two loaded copies of this package
// (ESM and CJS) still share one instance.
const REGISTRY_KEY = Symbol.for('switchyard.tracing');
type Registry = { current?: Registration };
const registry = (): Registry => {
  const holder = globalThis as { [REGISTRY_KEY]?: Registry };
  holder[REGISTRY_KEY] ??= {};
  return holder[REGISTRY_KEY];
};

function describeDifferences(before: ResolvedTracingOptions, after: ResolvedTracingOptions): string {
  const keys = Object.keys(after) as (keyof ResolvedTracingOptions)[];
  return keys
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map((key) => `${key}: ${JSON.stringify(before[key])} → ${JSON.stringify(after[key])}`)
    .join(', ');
}

function describe(options: ResolvedTracingOptions): string {
  const exporter = options.exporters
    .map((choice) => (choice === 'otlp' ? `otlp ${resolveOtlpProtocol()}` : choice))
    .join('+');
  const { sampler } = options;
  const sampling =
    options.sampleRatio !== undefined
      ? String(options.sampleRatio)
      : sampler === undefined
        ? 'OTEL_TRACES_SAMPLER'
        : `OTEL_TRACES_SAMPLER(${sampler.name}${sampler.ratio === undefined ? '' : ` ${sampler.ratio}`})`;
  return `Tracing(service=${options.serviceName}, exporter=${exporter}, sampleRatio=${sampling}, batch=${options.batch.join('+')})`;
}

function released(tracing: Tracing): void {
  const state = registry();
  if (state.current?.tracing === tracing) state.current = undefined;
  resetSemconvStability();
  resetInstrumentationGrpcDetection();
}

// Export failures are background failures: reported on OpenTelemetry's diag channel, never thrown.
const reportExportFailure = (operation: string) => (error: unknown) => {
  diag.error(`@switchyard/tracing: ${operation} could not export every span`, error);
};

/** Shuts each exporter down, reporting (never throwing) one that fails. */
async function shutDownExporters(exporters: readonly SpanExporter[]): Promise<void> {
  const results = await Promise.allSettled(exporters.map((exporter) => exporter.shutdown()));
  for (const result of results) if (result.status === 'rejected') reportExportFailure('shutdown')(result.reason);
}

function disabledTracing(options: ResolvedTracingOptions): Tracing {
  const description = describe(options);
  const tracing: Tracing = {
    enabled: false,
    memoryExporter: undefined,
    getFinishedSpans: () => [],
    forceFlush: async () => {},
    shutdown: async () => released(tracing),
    toString: () => description,
  };
  return tracing;
}

function enabledTracing(options: ResolvedTracingOptions): Tracing {
  if (tracingActive()) {
    throw new InvalidArgumentError(
      'tracing',
      'another OpenTelemetry TracerProvider is already registered (e.g. by the NodeSDK) and Switchyard spans already ' +
        "go to it: do not call initTracing(), or call it with exporter: 'none'",
    );
  }
  const description = describe(options);
  // The span processors and exporters record their own health (spans dropped because the queue
  // was full, exported, failed; export durations: otel.sdk.processor.span.*, otel.sdk.exporter.span.*)
  // into whichever MeterProvider is global, initMetrics' say, whether set up before or after.
  const selfObservability = new GlobalFollowingMeterProvider();
  const exporters = options.exporters.map((choice) => createExporter(choice, selfObservability)!);
  // Exports go through the context manager's tracker, so that exporting alone does not leave
  // AsyncLocalStorage (and Node 20's async hooks) on in a process that never needed it.
  const contextManager = new ExportScopedContextManager().enable();
  const provider = createProvider(
    options,
    exporters.map((exporter) => contextManager.trackExports(exporter)),
    selfObservability,
    (processor) => contextManager.scopeExports(processor),
  );
  const registered = {
    provider: trace.setGlobalTracerProvider(provider),
    contextManager: context.setGlobalContextManager(contextManager),
    // A propagator registered before us stays in charge (options.propagators is then undefined).
    propagator:
      options.propagators !== undefined && propagation.setGlobalPropagator(createW3CPropagator(options.propagators)),
  };
  // Someone else's context manager stays in charge; ours must not keep its AsyncLocalStorage.
  if (!registered.contextManager) contextManager.disable();

  let shutdownPromise: Promise<void> | undefined;
  // 'memory' comes only from the option, so it is the only exporter.
  const memoryExporter = options.exporters[0] === 'memory' ? (exporters[0] as InMemorySpanExporter) : undefined;
  const tracing: Tracing = {
    enabled: true,
    memoryExporter,
    getFinishedSpans: () => memoryExporter?.getFinishedSpans() ?? [],
    forceFlush: () => provider.forceFlush().catch(reportExportFailure('forceFlush')),
    shutdown: () => {
      if (shutdownPromise === undefined) {
        // Let go of the globals and the registry at once, not after the last export: meanwhile
        // initTracing() and currentTracing() handed out this instance, already shutting down
        // (a service starting while another stopped lost its spans), and a setup made in that
        // window had its context manager and propagator disabled by this one's end.
        const global = trace.getTracerProvider() as { getDelegate?: () => unknown };
        if (registered.provider && global.getDelegate?.() === provider) trace.disable();
        if (registered.contextManager) context.disable();
        if (registered.propagator) propagation.disable();
        released(tracing);
        shutdownPromise = provider
          .shutdown()
          .catch(reportExportFailure('shutdown'))
          // The SDK's batch processor shuts its exporter down only after a final flush that
          // succeeded: with the collector down, or refusing that batch, the OTLP exporter's thread
          // (an OS thread and its heap) stayed alive for good, one more per initTracing() after.
          // Shutting an exporter down twice is harmless (the OTLP ones keep their first answer).
          .then(() => shutDownExporters(exporters))
          .finally(() => selfObservability.close());
      }
      return shutdownPromise;
    },
    toString: () => description,
  };
  return tracing;
}

/**
 * Sets up OpenTelemetry tracing for this process: a NodeTracerProvider registered globally, with
 * an AsyncLocalStorage context manager and W3C `traceparent`/`tracestate` + `baggage` propagation
 * (narrowed by `OTEL_PROPAGATORS`; a propagator registered before it stays in charge), exporting
 * to OTLP, the console or memory (`OTEL_TRACES_EXPORTER` may list several). With exporter `none`
 * (the default when no OTLP endpoint is configured) it registers nothing and tracing costs nothing.
 *
 * Call it once, before the transports start. A second call with equal options (after environment
 * lookups) returns the same instance; with different options it throws, until `shutdown()`.
 *
 * @throws InvalidArgumentError naming the field or environment variable: a missing `serviceName`,
 * any bad option, an unsupported `OTEL_EXPORTER_OTLP_PROTOCOL`, an OTLP endpoint that is no http(s)
 * URL, an `OTEL_EXPORTER_OTLP_(TRACES_)HEADERS` entry that is no percent-encoded `key=value`, an
 * `OTEL_BSP_*` that is no whole number in range (with a batch processor), a span limit
 * (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, …) that is no whole
 * number in range, an `OTEL_RESOURCE_ATTRIBUTES` that OpenTelemetry cannot read whole (a stray `=`
 * or `%`), an unknown or unbundled name in `OTEL_TRACES_EXPORTER` or `OTEL_PROPAGATORS` (or `none`
 * combined with others), a value of `SWITCHYARD_INSTRUMENTATION_GRPC` other than auto, on or off, a
 * second call with other options, or another tracer provider already registered.
 *
 * @example
 * ```ts
 * const tracing = initTracing({ serviceName: 'catalog', serviceVersion: '1.4.0' });
 * process.once('SIGTERM', () => void tracing.shutdown());
 * ```
 */
export function initTracing(options?: TracingOptions): Tracing {
  const resolved = resolveTracingOptions(options);
  checkInstrumentationGrpcSetting();
  const state = registry();
  if (state.current !== undefined) {
    const differences = describeDifferences(state.current.options, resolved);
    if (differences === '') return state.current.tracing;
    throw new InvalidArgumentError(
      'tracing',
      `initTracing() was already called with other options (${differences}); call shutdown() on the Tracing it returned first`,
    );
  }
  resetSemconvStability();
  resetInstrumentationGrpcDetection();
  const tracing = resolved.exporters[0] === 'none' ? disabledTracing(resolved) : enabledTracing(resolved);
  state.current = { options: resolved, tracing };
  return tracing;
}

/**
 * The Tracing that initTracing() set up in this process and that is not shut down yet, if any:
 * for code that starts several parts of one process (services, workers) and wants them to share
 * it rather than each call initTracing with options of its own.
 */
export function currentTracing(): Tracing | undefined {
  return registry().current?.tracing;
}
