import { ProxyTracerProvider, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import { type TracerParts, tracerPartsOf } from './tracer-parts.js';

/** Instrumentation scope of the spans this package starts. */
export const TRACER_NAME = '@switchyard/tracing';
declare const __SWITCHYARD_VERSION__: string | undefined;
const TRACER_VERSION = typeof __SWITCHYARD_VERSION__ === 'string' ? __SWITCHYARD_VERSION__ : '0.0.0-dev';

// The API's own no-op provider, as handed out by a proxy that has no delegate.
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * Marks a provider whose samplers never read span attributes (set by initTracing's provider; a
 * global symbol, so ESM and CJS copies of this package agree).
 */
export const SAMPLER_IGNORES_ATTRIBUTES = Symbol.for('switchyard.tracing.samplerIgnoresAttributes');

interface Cache {
  delegate: TracerProvider | undefined;
  active: boolean;
  tracer: Tracer | undefined;
  attributesAfterSampling: boolean;
  parts: TracerParts | undefined;
}
const cache: Cache = {
  delegate: undefined,
  active: false,
  tracer: undefined,
  attributesAfterSampling: false,
  parts: undefined,
};

function currentDelegate(): TracerProvider {
  const provider = trace.getTracerProvider();
  // Duck-typed: the global proxy may come from another copy of @opentelemetry/api.
  const getDelegate = (provider as Partial<ProxyTracerProvider>).getDelegate;
  return typeof getDelegate === 'function' ? getDelegate.call(provider) : provider;
}

/**
 * The tracer the RPC helpers start their spans with, from `provider` (internal). Providers cache
 * tracers by name and version, so every call for one provider returns the same tracer.
 */
export function rpcTracerOf(provider: TracerProvider): Tracer {
  return provider.getTracer(TRACER_NAME, TRACER_VERSION);
}

function isNoop(provider: TracerProvider): boolean {
  return provider === NOOP_PROVIDER || provider.constructor?.name === 'NoopTracerProvider';
}

function refresh(): Cache {
  const delegate = currentDelegate();
  if (delegate !== cache.delegate) {
    cache.delegate = delegate;
    cache.active = !isNoop(delegate);
    cache.tracer = cache.active ? rpcTracerOf(delegate) : undefined;
    cache.attributesAfterSampling =
      (delegate as { [SAMPLER_IGNORES_ATTRIBUTES]?: boolean })[SAMPLER_IGNORES_ATTRIBUTES] === true;
    // Only initTracing's provider, whose every part this package chose or tests: another provider
    // keeps its own startSpan.
    cache.parts = cache.attributesAfterSampling && cache.tracer !== undefined ? tracerPartsOf(cache.tracer) : undefined;
  }
  return cache;
}

/**
 * Whether a real (not no-op) tracer provider is registered with the OpenTelemetry API, by
 * {@link initTracing} or by anyone else (e.g. the NodeSDK). Transports call it first and skip all
 * span work when it is false. Cheap: one global lookup, with the verdict cached per provider.
 */
export function tracingActive(): boolean {
  return refresh().active;
}

/**
 * The registered provider's tracer (`undefined` when none is); whether span attributes may be
 * set after the sampling decision instead of passed to `startSpan`: true for the provider
 * initTracing registers, whose samplers never read them; another provider's sampler might, so its
 * spans get their attributes at start; and, for initTracing's provider, the tracer's parts, from
 * which the RPC helpers start their own lighter spans (internal; one lookup for all three).
 */
export function activeTracer(): {
  readonly tracer: Tracer | undefined;
  readonly attributesAfterSampling: boolean;
  readonly parts: TracerParts | undefined;
} {
  return refresh();
}
