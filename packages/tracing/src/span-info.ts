import type { Span } from '@opentelemetry/api';
import type { SemconvMode } from './semconv-stability.js';

/** What {@link endRpcSpan} needs to know about a recording span started by this package (internal). */
export interface SpanInfo {
  readonly system: 'grpc' | 'http';
  readonly kind: 'client' | 'server';
  /** The semconv mode chosen when the span started, so start and end attributes always agree. */
  readonly mode: SemconvMode;
}

/** Recording spans started by the RPC helpers; non-recording spans are never stored. */
export const spanInfo = new WeakMap<Span, SpanInfo>();
