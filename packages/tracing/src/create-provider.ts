import type { MeterProvider } from '@opentelemetry/api';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  type BufferConfig,
  NodeTracerProvider,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { withEnv } from './env.js';
import { PooledIdGenerator } from './pooled-id-generator.js';
import { withoutNoopTracerMetrics } from './quiet-tracer-metrics.js';
import { rpcTracerOf, SAMPLER_IGNORES_ATTRIBUTES } from './tracing-active.js';
import type { EnvSampler, ResolvedTracingOptions } from './tracing-options.js';

/** A parent-based sampler whose root keeps `ratio` of new traces. */
export function ratioSampler(ratio: number): Sampler {
  const root =
    ratio >= 1 ? new AlwaysOnSampler() : ratio <= 0 ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(ratio);
  return new ParentBasedSampler({ root });
}

/** The sampler `OTEL_TRACES_SAMPLER` named (see resolveTracingOptions, which read it). */
function envSampler(choice: EnvSampler): Sampler {
  const { name } = choice;
  const root = name.endsWith('always_on')
    ? new AlwaysOnSampler()
    : name.endsWith('always_off')
      ? new AlwaysOffSampler()
      : new TraceIdRatioBasedSampler(choice.ratio ?? 1);
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/**
 * The provider for resolved options: resource = SDK defaults, then `OTEL_RESOURCE_ATTRIBUTES` /
 * `OTEL_SERVICE_NAME`, then `resourceAttributes`, `serviceName` and `serviceVersion` (last wins);
 * one batch or simple processor around each exporter; the ratio sampler, or the one
 * `OTEL_TRACES_SAMPLER` names when no ratio was chosen; ids from a {@link PooledIdGenerator}.
 */
export function createProvider(
  options: ResolvedTracingOptions,
  exporters: readonly SpanExporter[],
  /** Where the processors record their `otel.sdk.processor.span.*` metrics; nowhere if undefined. */
  selfObsMeterProvider?: MeterProvider,
  /** Told of each batch processor (see ExportScopedContextManager.scopeExports). */
  onBatchProcessor?: (processor: BatchSpanProcessor) => void,
): NodeTracerProvider {
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(
      resourceFromAttributes({
        ...options.resourceAttributes,
        [ATTR_SERVICE_NAME]: options.serviceName,
        ...(options.serviceVersion === undefined ? {} : { [ATTR_SERVICE_VERSION]: options.serviceVersion }),
      }),
    );
  // The shim passes its config on whole (after filling OTEL_BSP_* in), selfObsMeterProvider
  // included, though its type does not say so; a test scrapes the metrics. The simple processor's
  // shim takes no options: it records nothing (it queues nothing either).
  const selfObs = (selfObsMeterProvider === undefined ? {} : { selfObsMeterProvider }) as BufferConfig;
  const processors = exporters.map((exporter, index) => {
    if (!options.batch[index]) return new SimpleSpanProcessor(exporter);
    const processor = new BatchSpanProcessor(exporter, selfObs);
    onBatchProcessor?.(processor);
    return processor;
  });
  const sampler = options.sampler === undefined ? ratioSampler(options.sampleRatio ?? 1) : envSampler(options.sampler);
  // Built without the sampler variables in sight: the SDK reads OTEL_TRACES_SAMPLER again for a
  // default it then drops for this sampler, case-sensitively, and told diag that a valid
  // `ALWAYS_OFF` (or a sampleRatio given in code) was invalid and "defaulting to parentbased_always_on".
  const provider = withEnv(
    { OTEL_TRACES_SAMPLER: undefined, OTEL_TRACES_SAMPLER_ARG: undefined },
    () =>
      new NodeTracerProvider({ resource, idGenerator: new PooledIdGenerator(), spanProcessors: processors, sampler }),
  );
  // Its samplers (the ratio one, or one named by OTEL_TRACES_SAMPLER: always_*, traceidratio,
  // parentbased_*) decide on the trace id and parent alone, so the span helpers may set attributes
  // after sampling; and its processors' onStart ignores them.
  Object.defineProperty(provider, SAMPLER_IGNORES_ATTRIBUTES, { value: true });
  // It has no meterProvider, so the SDK's span metrics of the RPC helpers' tracer would go to a
  // no-op meter.
  withoutNoopTracerMetrics(rpcTracerOf(provider));
  return provider;
}
