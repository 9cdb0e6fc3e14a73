import { type Context, context, diag, TraceFlags } from '@opentelemetry/api';
import { BindOnceFuture, ExportResultCode, globalErrorHandler, suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type BatchSettings, DEFAULT_BATCH_SETTINGS } from '../batch-settings.js';
import type { ItemExporter } from '../item-exporter.js';
import { SpanEncoder } from './encode-spans.js';
import { type EncodedSpans, EncodedSpanBatch } from './encoded-span-batch.js';

/**
 * A batch span processor for OTLP protobuf that encodes each span as it ends, instead of keeping
 * the span until its batch is sent (see {@link EncodedSpanBatch} for why: the retained spans cost
 * more than encoding them).
 *
 * It behaves as the SDK's BatchSpanProcessor does, with the same settings: only sampled spans;
 * a batch leaves when it holds `maxExportBatchSize` spans or `scheduledDelayMillis` after the
 * first span of a batch that is not full; one export at a time (the next starts when it reports
 * or after `exportTimeoutMillis`); past `maxQueueSize` spans waiting, new ones are dropped and the
 * count is logged as a warning; exports run in a context that suppresses tracing (so an HTTP
 * instrumentation does not trace them); `forceFlush` sends everything and waits for every export;
 * `shutdown` flushes, then shuts the exporter down. Unlike the SDK's, `forceFlush` also waits for
 * an export already under way, and a batch whose resource is still detecting attributes waits for
 * them and is then sent even if detection failed, rather than dropped.
 */
export class EncodingBatchSpanProcessor implements SpanProcessor {
  private readonly encoder = new SpanEncoder();
  /** The batch new spans go into. */
  private filling: EncodedSpanBatch;
  /** Full batches waiting for the export under way, oldest first. */
  private readonly ready: EncodedSpanBatch[] = [];
  /** Sent batches, kept for reuse with their buffers. */
  private readonly spare: EncodedSpanBatch[] = [];
  /** Spans encoded and not yet handed to the exporter. */
  private queued = 0;
  private droppedSpans = 0;
  private exporting = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly exportsInFlight = new Set<Promise<void>>();
  private readonly shutdownOnce: BindOnceFuture<void>;

  constructor(
    private readonly exporter: ItemExporter<EncodedSpans>,
    private readonly settings: BatchSettings = DEFAULT_BATCH_SETTINGS,
  ) {
    this.filling = new EncodedSpanBatch(this.encoder);
    this.shutdownOnce = new BindOnceFuture(this.shutdownNow, this);
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.shutdownOnce.isCalled) return;
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queued >= this.settings.maxQueueSize) {
      if (this.droppedSpans === 0) diag.debug('maxQueueSize reached, dropping spans');
      this.droppedSpans++;
      return;
    }
    if (this.droppedSpans > 0) {
      diag.warn(`Dropped ${this.droppedSpans} spans because maxQueueSize reached`);
      this.droppedSpans = 0;
    }
    try {
      this.filling.add(span);
    } catch (error) {
      diag.error(`@switchyard/tracing: span ${span.name} could not be encoded and was dropped`, error);
      return;
    }
    this.queued++;
    if (this.filling.length >= this.settings.maxExportBatchSize) {
      this.ready.push(this.filling);
      this.filling = this.spare.pop() ?? new EncodedSpanBatch(this.encoder);
    }
    this.maybeStartExport();
  }

  forceFlush(): Promise<void> {
    if (this.shutdownOnce.isCalled) return this.shutdownOnce.promise;
    return this.flushAll();
  }

  shutdown(): Promise<void> {
    return this.shutdownOnce.call();
  }

  private async shutdownNow(): Promise<void> {
    await this.flushAll();
    await this.exporter.shutdown();
  }

  /** Sends every waiting span now, and waits for those and for the exports already under way. */
  private async flushAll(): Promise<void> {
    this.clearTimer();
    const earlier = [...this.exportsInFlight];
    const sends: Promise<void>[] = [];
    for (let batch = this.detachNext(); batch !== undefined; batch = this.detachNext()) sends.push(this.send(batch));
    // Earlier exports report their own failures (to the global error handler); this flush's are its result.
    await Promise.all([Promise.allSettled(earlier), ...sends]);
  }

  /** Starts an export when a full batch waits and none runs, else makes sure a timer will. */
  private maybeStartExport(): void {
    if (this.exporting) return;
    if (this.ready.length > 0) {
      this.exportNext();
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.exportNext();
    }, this.settings.scheduledDelayMillis);
    this.timer.unref();
  }

  private exportNext(): void {
    this.clearTimer();
    const batch = this.detachNext();
    if (batch === undefined) return;
    this.exporting = true;
    this.send(batch)
      .catch(globalErrorHandler)
      .finally(() => {
        this.exporting = false;
        if (this.queued > 0) this.maybeStartExport();
      });
  }

  /** Takes the oldest full batch, or else the one filling if it has spans, off the queue. */
  private detachNext(): EncodedSpanBatch | undefined {
    let batch = this.ready.shift();
    if (batch === undefined) {
      if (this.filling.length === 0) return undefined;
      batch = this.filling;
      this.filling = this.spare.pop() ?? new EncodedSpanBatch(this.encoder);
    }
    this.queued -= batch.length;
    return batch;
  }

  /** Exports a detached batch once its resources are ready; settles with the export's result. */
  private send(batch: EncodedSpanBatch): Promise<void> {
    const pending = batch.pendingResources();
    const sent =
      pending.length === 0 ? this.exportBatch(batch) : Promise.allSettled(pending).then(() => this.exportBatch(batch));
    this.exportsInFlight.add(sent);
    const forget = (): void => {
      this.exportsInFlight.delete(sent);
    };
    sent.then(forget, forget);
    return sent;
  }

  private exportBatch(batch: EncodedSpanBatch): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // As the SDK's processor: stop waiting after the timeout so that the next batch can go.
      const timer = setTimeout(
        () => reject(new Error('Timeout: the span export did not report in time')),
        this.settings.exportTimeoutMillis,
      );
      // Exporting must not produce spans of its own (an HTTP instrumentation tracing the request).
      context.with(suppressTracing(context.active()), () => {
        let request: EncodedSpans;
        try {
          request = batch.take();
        } catch (error) {
          // A resource or scope attribute that cannot be encoded: these spans cannot be sent.
          clearTimeout(timer);
          batch.clear();
          reject(error);
          return;
        } finally {
          this.recycle(batch);
        }
        try {
          this.exporter.export(request, (result) => {
            clearTimeout(timer);
            if (result.code === ExportResultCode.SUCCESS) resolve();
            else reject(result.error ?? new Error('span export failed'));
          });
        } catch (error) {
          clearTimeout(timer);
          reject(error);
        }
      });
    });
  }

  private recycle(batch: EncodedSpanBatch): void {
    // Enough for a full queue: more would only hold buffers no queue can fill.
    if (this.spare.length <= this.settings.maxQueueSize / this.settings.maxExportBatchSize) this.spare.push(batch);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
