import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ItemExporter } from './item-exporter.js';

/**
 * An exporter (a `SpanExporter`, or one of encoded spans) whose real exporter is loaded with `import()` when it is created, so the
 * OTLP exporters (and their encoders) are only loaded by processes that export over OTLP. Spans
 * handed over before the load finishes wait for it; a failed load fails their export.
 */
export class LazyExporter<Items> implements ItemExporter<Items> {
  private readonly exporter: Promise<ItemExporter<Items>>;
  private loaded: ItemExporter<Items> | undefined;

  constructor(
    load: () => Promise<ItemExporter<Items>>,
    private readonly description: string,
  ) {
    this.exporter = load().then((exporter) => {
      this.loaded = exporter;
      return exporter;
    });
    // A load failure is reported through export() results; do not leave it unhandled meanwhile.
    this.exporter.catch(() => {});
  }

  export(items: Items, resultCallback: (result: ExportResult) => void): void {
    if (this.loaded !== undefined) {
      this.loaded.export(items, resultCallback);
      return;
    }
    this.exporter.then(
      (exporter) => exporter.export(items, resultCallback),
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
    return `LazyExporter(${this.description})`;
  }
}
