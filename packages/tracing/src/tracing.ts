import type { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** The handle {@link initTracing} returns: flush, shut down, and (for tests) read finished spans. */
export interface Tracing {
  /** False for exporter `none`: then nothing is registered and span helpers do no work. */
  readonly enabled: boolean;
  /** The exporter holding finished spans, for exporter `memory`; `undefined` otherwise. */
  readonly memoryExporter: InMemorySpanExporter | undefined;
  /** The spans the `memory` exporter holds (oldest first); `[]` for other exporters. */
  getFinishedSpans(): ReadableSpan[];
  /**
   * Exports every ended span now; resolves when the exporter is done with them. An export failure
   * (collector down) is reported on OpenTelemetry's `diag` logger, never thrown.
   */
  forceFlush(): Promise<void>;
  /**
   * Flushes, stops the exporter and unregisters the globals this instance registered (tracer
   * provider, context manager, propagator), after which {@link initTracing} may be called again.
   * Idempotent: later calls return the same promise. Export failures are reported, not thrown.
   */
  shutdown(): Promise<void>;
  /** The service, exporter and sampling in force, for logs. */
  toString(): string;
}
