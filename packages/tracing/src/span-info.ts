import type { Span } from '@opentelemetry/api';
import type { SemconvMode } from './semconv-stability.js';

/** What {@link endRpcSpan} needs to know about a recording span started by this package (internal). */
export interface SpanInfo {
  readonly system: 'grpc' | 'http';
  readonly kind: 'client' | 'server';
  /** The semconv mode chosen when the span started, so start and end attributes always agree. */
  readonly mode: SemconvMode;
}

// Kept on the span itself under a private symbol rather than in a WeakMap: a WeakMap entry per
// span (thousands per second) costs a hash insert and ephemeron work in every GC; a property that
// every span gets in the same order costs a field store. Nothing else can see or collide with it.
const SPAN_INFO = Symbol('switchyard.spanInfo');
const MODES: readonly SemconvMode[] = ['old', 'stable', 'dup'];
// Every combination, made once: marking a span allocates nothing.
const INFOS: readonly SpanInfo[] = (['grpc', 'http'] as const).flatMap((system) =>
  (['client', 'server'] as const).flatMap((kind) => MODES.map((mode) => Object.freeze({ system, kind, mode }))),
);

/** The shared, frozen {@link SpanInfo} for a combination (internal). */
export function spanInfo(system: SpanInfo['system'], kind: SpanInfo['kind'], mode: SemconvMode): SpanInfo {
  return INFOS[(system === 'grpc' ? 0 : 6) + (kind === 'client' ? 0 : 3) + MODES.indexOf(mode)] as SpanInfo;
}

/** Marks a recording span started by the RPC helpers through another provider's tracer (internal). */
export function setSpanInfo(span: Span, system: SpanInfo['system'], kind: SpanInfo['kind'], mode: SemconvMode): void {
  (span as unknown as Record<symbol, SpanInfo>)[SPAN_INFO] = spanInfo(system, kind, mode);
}

/**
 * What the helper that started `span` recorded about it, if anything (internal): the field of an
 * {@link RpcSpan}, else what {@link setSpanInfo} left.
 */
export function spanInfoOf(span: Span): SpanInfo | undefined {
  const info = (span as { rpcInfo?: SpanInfo }).rpcInfo;
  return info ?? (span as unknown as Record<symbol, SpanInfo | undefined>)[SPAN_INFO];
}
