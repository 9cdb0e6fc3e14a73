import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { OtlpEnvironment } from './otlp-environment.js';
import { type TraceHttpOptions, traceHttpOptions } from './trace-http-options.js';

/**
 * The deadlines of the exports one exporter has in flight, each its export timeout
 * (`OTEL_EXPORTER_OTLP_TIMEOUT`) after it started, in `performance.now()` time: no request that
 * exporter's agents make outlives the latest (see withRequestDeadlines). With one export in flight,
 * as the batch processor sends them, that is the export's own deadline; when a flush sends several
 * at once, no request is cut before its own export's deadline, and none outlives the last one's.
 */
export class ExportDeadlines {
  private readonly inFlight: number[] = [];

  /** An export starts now: its deadline counts until the returned function is called. */
  begin(timeoutMillis: number): () => void {
    const deadline = performance.now() + timeoutMillis;
    this.inFlight.push(deadline);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight.splice(this.inFlight.indexOf(deadline), 1);
    };
  }

  /** The latest deadline of the exports in flight, if any. */
  latest(): number | undefined {
    return this.inFlight.length === 0 ? undefined : Math.max(...this.inFlight);
  }
}

/**
 * `exporter` (an official OTLP/HTTP exporter sending with `exports`' agents), recording the deadline
 * of each export in `exports` while it is in flight. Nothing else changes: the exporter reports,
 * retries and records its metrics itself.
 */
class DeadlineBoundSpanExporter implements SpanExporter {
  constructor(
    private readonly exporter: SpanExporter,
    private readonly exports: ExportDeadlines,
    private readonly timeoutMillis: number,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const end = this.exports.begin(this.timeoutMillis);
    try {
      this.exporter.export(spans, (result) => {
        end();
        resultCallback(result);
      });
    } catch (error) {
      end(); // else its deadline would cut every later request short
      throw error;
    }
  }

  async forceFlush(): Promise<void> {
    await this.exporter.forceFlush?.();
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }
}

/**
 * The OTLP/HTTP span exporter `build` makes from the official configuration (traceHttpOptions:
 * `OTEL_EXPORTER_OTLP_*` as initTracing() took them, `headers`), for the main thread: each export,
 * its retries included, ends within the export timeout, and so do `forceFlush()` and `shutdown()`,
 * which wait for the exports in flight, whatever the collector does (see withRequestDeadlines).
 *
 * Why: the official exporter's timeout is an idle one (a collector trickling its answer held an
 * export, and `shutdown()`, for ever), and its retries could overrun the export's deadline.
 */
export function boundedMainThreadExporter(
  otlp: OtlpEnvironment,
  headers: Record<string, string>,
  build: (options: TraceHttpOptions) => SpanExporter,
): SpanExporter {
  const exports = new ExportDeadlines();
  const options = traceHttpOptions(otlp, headers, exports);
  return new DeadlineBoundSpanExporter(build(options), exports, options.timeoutMillis);
}
