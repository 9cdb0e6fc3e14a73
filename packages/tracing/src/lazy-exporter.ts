import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * A {@link SpanExporter} whose real exporter is loaded with `import()` when it is created, so the
 * OTLP exporters (and their encoders) are only loaded by processes that export over OTLP. Spans
 * handed over before the load finishes wait for it; a failed load fails their export.
 */
export class LazySpanExporter implements SpanExporter {
  private readonly exporter: Promise<SpanExporter>;
  private loaded: SpanExporter | undefined;

  constructor(
    load: () => Promise<SpanExporter>,
    private readonly description: string,
  ) {
    this.exporter = load().then((exporter) => {
      this.loaded = exporter;
      return exporter;
    });
    // A load failure is reported through export() results; do not leave it unhandled meanwhile.
    this.exporter.catch(() => {});
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.loaded !== undefined) {
      this.loaded.export(spans, resultCallback);
      return;
    }
    this.exporter.then(
      (exporter) => {
        // A throw here (the OTLP exporter encodes synchronously inside export()) was an unhandled
        // rejection, which ends a Node process, and the batch never heard back.
        try {
          exporter.export(spans, resultCallback);
        } catch (error) {
          resultCallback({
            code: ExportResultCode.FAILED,
            error: error instanceof Error ? error : new Error(String(error)),
          });
        }
      },
      (error: unknown) =>
        resultCallback({
          code: ExportResultCode.FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        }),
    );
  }

  async forceFlush(): Promise<void> {
    const exporter = await this.exporter.catch(() => undefined);
    await exporter?.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    const exporter = await this.exporter.catch(() => undefined);
    await exporter?.shutdown();
  }

  toString(): string {
    return `LazySpanExporter(${this.description})`;
  }
}
