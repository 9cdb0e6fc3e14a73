import type { Tracer } from '@opentelemetry/api';
import type { IdGenerator, ReadableSpan, Sampler, SpanLimits, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { PooledIdGenerator } from './pooled-id-generator.js';

/**
 * What an SDK tracer starts its spans with (internal): the RPC helpers start their own
 * {@link RpcSpan} from the same parts, so sampling, ids, limits, resource, scope and processors
 * are exactly the provider's.
 */
export interface TracerParts {
  readonly sampler: Sampler;
  readonly idGenerator: IdGenerator;
  readonly limits: SpanLimits;
  readonly resource: ReadableSpan['resource'];
  readonly scope: ReadableSpan['instrumentationScope'];
  /** The provider's processor (the SDK's MultiSpanProcessor over every registered one). */
  readonly processor: SpanProcessor;
  /** The id generator only ever returns valid ids (a {@link PooledIdGenerator}). */
  readonly idsAlwaysValid: boolean;
}

interface SdkTracerFields {
  _sampler?: Partial<Sampler>;
  _idGenerator?: Partial<IdGenerator>;
  _spanLimits?: SpanLimits;
  _resource?: ReadableSpan['resource'];
  instrumentationScope?: ReadableSpan['instrumentationScope'];
  _spanProcessor?: Partial<SpanProcessor>;
}

/**
 * The parts of an `@opentelemetry/sdk-trace-base` 2.x Tracer, read from its fields, or undefined
 * when `tracer` does not have them all in the expected form (another SDK version, another
 * implementation): the caller then starts spans through `tracer.startSpan` as usual. A test fails
 * if the SDK moves them, so an upgrade cannot quietly lose the fast path.
 */
export function tracerPartsOf(tracer: Tracer): TracerParts | undefined {
  const fields = tracer as SdkTracerFields;
  const { _sampler: sampler, _idGenerator: idGenerator, _spanLimits: limits, _resource: resource } = fields;
  const { instrumentationScope: scope, _spanProcessor: processor } = fields;
  if (typeof sampler?.shouldSample !== 'function') return undefined;
  if (typeof idGenerator?.generateTraceId !== 'function' || typeof idGenerator.generateSpanId !== 'function') {
    return undefined;
  }
  if (typeof limits !== 'object' || limits === null) return undefined;
  if (typeof resource !== 'object' || resource === null || typeof scope?.name !== 'string') return undefined;
  if (typeof processor?.onStart !== 'function' || typeof processor.onEnd !== 'function') return undefined;
  return {
    sampler: sampler as Sampler,
    idGenerator: idGenerator as IdGenerator,
    limits,
    resource,
    scope,
    processor: processor as SpanProcessor,
    idsAlwaysValid: idGenerator instanceof PooledIdGenerator,
  };
}
