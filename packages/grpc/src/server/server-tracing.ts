import type { Metadata } from '@grpc/grpc-js';
import { context as otelContext, trace } from '@opentelemetry/api';
import {
  endRpcSpan,
  extractTraceContext,
  instrumentationGrpcActive,
  startServerSpan,
  tracingActive,
} from '@switchyard/tracing';

/** A server span around one call. */
export interface ServerSpanHandle {
  /** Runs the handler with the span (and the caller's baggage) as the active context. */
  run<T>(fn: () => T): T;
  end(grpcCode: number, error?: unknown): void;
}

/** Server-side tracing: a span per call when a tracer is active and enabled, nothing otherwise. */
export interface ServerTracing {
  /** Whether spans are being made (false: no provider, disabled, or instrumentation-grpc does it). */
  readonly active: boolean;
  start(path: string, metadata: Metadata): ServerSpanHandle | undefined;
}

/** Creates server tracing for a server whose spans are on when `enabled` and a provider is registered. */
export function serverTracing(enabled: boolean): ServerTracing {
  return {
    get active() {
      return enabled && tracingActive() && !instrumentationGrpcActive();
    },
    start(path, metadata) {
      if (!this.active) return undefined;
      const carrier: Record<string, string> = {};
      for (const [key, value] of Object.entries(metadata.getMap())) if (typeof value === 'string') carrier[key] = value;
      const parent = extractTraceContext(carrier);
      const slash = path.lastIndexOf('/');
      const span = startServerSpan({
        system: 'grpc',
        service: path.slice(1, slash),
        method: path.slice(slash + 1),
        parent,
      });
      const active = trace.setSpan(parent, span);
      return {
        run: (fn) => otelContext.with(active, fn),
        end: (grpcCode, error) => endRpcSpan(span, { grpcStatusCode: grpcCode, error }),
      };
    },
  };
}
