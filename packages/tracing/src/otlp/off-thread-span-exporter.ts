import type { Worker } from 'node:worker_threads';
import { type Attributes, createNoopMeter, diag, type Meter, type MeterProvider } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import { createOtlpHttpExporterMetrics } from '@opentelemetry/otlp-exporter-base/node-http';
import { TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { SpanEncoder } from './encode-spans.js';
import { ProtobufOutput } from './protobuf-output.js';
import { traceHttpOptions } from './trace-http-options.js';
import { type OtlpEnvironment, takeOtlpEnvironment } from './otlp-environment.js';
import {
  type FromExportThread,
  startExportThread,
  type ThreadExportError,
  type ToExportThread,
} from './export-thread.js';

/** The component type the official OTLP/HTTP span exporter reports in its self-observability metrics. */
export const OTLP_HTTP_SPAN_COMPONENT = 'otlp_http_span_exporter';

/** `finish` takes what the metrics record as the failure when it is not `result.error` (see recorded()). */
type Finish = (result: ExportResult, metricsError?: string) => void;
type Pending = { spans: ReadableSpan[]; finish: Finish; done: Promise<void>; deadline: NodeJS.Timeout };

/**
 * The OTLP http/protobuf span exporter with its network I/O on a thread of its own: the main thread
 * encodes each batch ({@link SpanEncoder}) and hands the bytes over (transferred, not copied
 * again); the exporting thread sends them with the official transport, retries and timeout
 * (see export-thread.ts), and answers with the result.
 *
 * Why: a traced client at tens of thousands of calls a second spent several µs per call of its
 * main thread on sending spans (the HTTP request, its socket writes, the response, retry timers),
 * measured in `pnpm bench:http` and `pnpm bench:grpc` against the same spans encoded and not sent.
 * On its own thread that work no longer holds up the calls.
 *
 * Everything else is as before, on the main thread: the self-observability metrics
 * (`otel.sdk.exporter.span.*`, with the HTTP status of a failure), the export results the batch
 * processor reports, and diagnostics (forwarded to `diag`). If the thread fails or exits, the
 * exports in flight and all later ones go through `fallback()`: an exporter on
 * the main thread, so spans keep flowing; the batches it held go there too.
 *
 * An export the thread has not answered within `OTEL_EXPORTER_OTLP_TIMEOUT` (and a second of
 * grace) is reported failed, and `shutdown()` ends the thread without waiting for what it still
 * holds: `forceFlush()` and `shutdown()` are bounded by the export timeout whatever the collector
 * does (see {@link DEADLINE_GRACE_MILLIS}).
 */
export class OffThreadSpanExporter implements SpanExporter {
  private readonly encoder = new SpanEncoder();
  /**
   * Where batches are encoded, in memory the exporting thread gives back after each successful
   * send (`spareBuffers`): in steady state no request allocates, zero-fills or copies 100+ KB, as
   * each did before (encoded into a new buffer, then copied into another to transfer).
   */
  private readonly output = new ProtobufOutput(0);
  private readonly spareBuffers: ArrayBuffer[] = [];
  /** The largest request memory so far (up to MAX_SPARE_SIZE): a new buffer starts that big. */
  private lastSize = INITIAL_REQUEST_SIZE;
  private readonly metrics: ReturnType<typeof createOtlpHttpExporterMetrics>;
  private readonly pending = new Map<number, Pending>();
  /** How long an export may go unanswered: the export timeout, and a grace (see DEADLINE_GRACE_MILLIS). */
  private readonly deadlineMillis: number;
  private nextId = 0;
  private worker: Worker | undefined;
  private replacement: SpanExporter | undefined;
  private stopping: Promise<void> | undefined;
  /** What the fallback's own metrics would record as each export's `error.type` (see ErrorTypeReader). */
  private readonly fallbackErrorTypes = new ErrorTypeReader();
  /** Why the fallback could not be made, once that failed (see fallbackExporter()). */
  private fallbackFailure: Error | undefined;

  constructor(
    /**
     * The exporter to use on the main thread once the exporting thread is gone. It should record
     * its `otel.sdk.exporter.span.*` metrics to `errorTypes` only (given, it is the official
     * exporter's `selfObsMeterProvider`): they go nowhere, but tell this exporter, which records every
     * export, those it hands to the fallback included, what `error.type` a failure is counted under.
     */
    private readonly fallback: (errorTypes: MeterProvider) => SpanExporter,
    /** Starts the exporting thread (by default with the OTLP configuration below). */
    start?: () => Worker,
    /** Where to record the `otel.sdk.exporter.span.*` metrics; nowhere if undefined. */
    selfObsMeterProvider?: MeterProvider,
    /** The OTLP configuration, as initTracing() took it. */
    otlp: OtlpEnvironment = takeOtlpEnvironment(),
  ) {
    const { url, timeoutMillis } = traceHttpOptions(otlp);
    this.deadlineMillis = timeoutMillis + DEADLINE_GRACE_MILLIS;
    this.metrics = createOtlpHttpExporterMetrics(
      OTLP_HTTP_SPAN_COMPONENT,
      TraceExporterMetricsHelper,
      url,
      selfObsMeterProvider,
    );
    const worker = (start ?? (() => startExportThread(OTLP_HTTP_SPAN_COMPONENT, otlp)))();
    this.worker = worker;
    worker.on('message', (message: FromExportThread) => this.received(message));
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) => this.lost(worker, new Error(`the OTLP exporting thread exited (code ${code})`)));
    // After the listeners (adding a 'message' listener refs the thread again). Like the batch
    // processor's timer, an idle thread never keeps the process alive: spans still queued at exit
    // are flushed by `shutdown()`, as always.
    worker.unref();
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopping !== undefined) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('Exporter has been shut down') });
      return;
    }
    const worker = this.worker;
    if (worker === undefined) {
      this.exportOnMainThread(spans, this.recorded(spans, resultCallback));
      return;
    }
    const out = this.output;
    const spare = this.spareBuffers.pop();
    out.reset(spare === undefined ? Buffer.allocUnsafeSlow(this.lastSize) : Buffer.from(spare));
    try {
      this.encoder.encodeInto(out, spans);
    } catch (error) {
      // Reported like any failed export (the batch processor logs it), never thrown at it.
      resultCallback({
        code: ExportResultCode.FAILED,
        error: error instanceof Error ? error : new Error(String(error)),
      });
      return;
    }
    const bytes = transferable(out.bytes, out.pos);
    if (bytes.buffer.byteLength <= MAX_SPARE_SIZE) this.lastSize = Math.max(this.lastSize, bytes.buffer.byteLength);
    const recordedCallback = this.recorded(spans, resultCallback);
    const id = ++this.nextId;
    let settle!: () => void;
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    // Held in the event loop while an export is out, like the official exporter's request: a
    // process ending with `await tracing.shutdown()` must not exit before its answer.
    if (this.pending.size === 0) worker.ref();
    const finish: Finish = (result, metricsError) => {
      // Once: an answer after the deadline (or a fallback's after it) is not reported again.
      if (!this.pending.delete(id)) return;
      clearTimeout(deadline);
      if (this.pending.size === 0) this.worker?.unref();
      settle();
      recordedCallback(result, metricsError);
    };
    // One timer per batch, not per span. Unreferenced: the thread, referenced while an export is
    // out, is what holds the process open for its answer.
    const deadline = setTimeout(() => {
      finish(
        {
          code: ExportResultCode.FAILED,
          error: new Error(`OTLP export timed out: no answer from the exporting thread in ${this.deadlineMillis} ms`),
        },
        EXPORT_FAILED, // a timeout, as the official exporter counts one whose retries ran out
      );
    }, this.deadlineMillis).unref();
    this.pending.set(id, { spans, finish, done, deadline });
    const message: ToExportThread = { type: 'export', id, bytes };
    worker.postMessage(message, [bytes.buffer]);
  }

  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending.values()].map((pending) => pending.done));
    await this.replacement?.forceFlush?.();
  }

  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      // Bounded: each export is answered or given up at its deadline.
      await this.forceFlush();
      const worker = this.worker;
      this.worker = undefined; // its exit is ours, not a loss
      // Ended, not asked to end: every export is settled, so it holds nothing to wait for but
      // requests given up at their deadline, and the official delegate's own shutdown waits for
      // those (a collector trickling its answer kept shutdown() from returning at all).
      await worker?.terminate();
      await this.replacement?.shutdown();
    })();
    return this.stopping;
  }

  private received(message: FromExportThread): void {
    switch (message.type) {
      case 'result': {
        const buffer = message.buffer;
        if (
          buffer !== undefined &&
          buffer.byteLength <= MAX_SPARE_SIZE &&
          this.spareBuffers.length < MAX_SPARE_BUFFERS
        ) {
          this.spareBuffers.push(buffer);
        }
        const pending = this.pending.get(message.id);
        if (pending === undefined) return;
        if (message.code === ExportResultCode.SUCCESS) {
          pending.finish({ code: ExportResultCode.SUCCESS });
        } else {
          // Retries run out: the official exporter's metrics count 'export_failed' (with no HTTP
          // status), not the error's name; recorded as it does, so that the series (and the alerts
          // on them) do not depend on SWITCHYARD_OTLP_EXPORT_THREAD.
          const error = errorOf(message.error);
          pending.finish(
            { code: ExportResultCode.FAILED, error },
            message.errorType === EXPORT_FAILED ? EXPORT_FAILED : undefined,
          );
        }
        return;
      }
      case 'diag':
        diag[message.level](`OTLP exporting thread: ${message.message}`);
        return;
    }
  }

  /**
   * The thread failed or exited: what it held goes again on the main thread (a batch sent twice is
   * better than one lost; the collector takes duplicates), as does everything after it.
   */
  private lost(worker: Worker, error: Error): void {
    if (this.worker !== worker) return; // already handled
    this.worker = undefined;
    diag.error('OTLP exporting thread lost; exporting on the main thread', error);
    for (const pending of [...this.pending.values()]) {
      // The fallback's own export timeout applies from now on.
      clearTimeout(pending.deadline);
      this.exportOnMainThread(pending.spans, pending.finish);
    }
  }

  /**
   * `spans` exported by the fallback, `finish` told the `error.type` its metrics would record when
   * that is `export_failed` (retries run out), as for the thread's exports: recorded under the
   * error's name instead (`OTLPExporterError`), the series changed once the thread was lost.
   */
  private exportOnMainThread(spans: ReadableSpan[], finish: Finish): void {
    // Called from the thread's 'exit' and 'error' listeners too: a fallback that threw (its
    // constructor refusing the configuration) threw out of the listener, an uncaught exception
    // that ended the process, and left the exports the thread held unanswered for good (their
    // deadlines cleared), so forceFlush() and shutdown() never returned. Failed instead, and
    // counted as failed exports in the metrics.
    let answered = false;
    const once: Finish = (result, metricsError) => {
      if (answered) return;
      answered = true;
      finish(result, metricsError);
    };
    try {
      this.fallbackExporter().export(spans, (result) => {
        const errorType = this.fallbackErrorTypes.take();
        once(result, errorType === EXPORT_FAILED ? EXPORT_FAILED : undefined);
      });
    } catch (error) {
      once({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  /**
   * `callback`, recording the export of `spans` in the exporter metrics (started now, finished with
   * it): a failure as `result.error`, or as `metricsError` if given (a string: the metrics then
   * record `error.type` `export_failed` and no HTTP status, as for the official exporter's own).
   */
  private recorded(spans: ReadableSpan[], callback: (result: ExportResult) => void): Finish {
    const finishMetrics = this.metrics.startExport(spans);
    return (result, metricsError) => {
      finishMetrics(result.code === ExportResultCode.SUCCESS ? undefined : (metricsError ?? result.error));
      callback(result);
    };
  }

  /**
   * The main-thread exporter, made on first use. If making it throws, that error is logged once and
   * kept: every later export fails with it at once (made again per batch, a broken configuration
   * would be logged and retried for each one).
   */
  private fallbackExporter(): SpanExporter {
    if (this.replacement !== undefined) return this.replacement;
    if (this.fallbackFailure !== undefined) throw this.fallbackFailure;
    try {
      this.replacement = this.fallback(this.fallbackErrorTypes);
    } catch (error) {
      this.fallbackFailure = new Error(
        `the OTLP exporting thread is gone and its main-thread fallback exporter could not be made: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
      diag.error('OTLP main-thread fallback exporter could not be made; spans are dropped', error);
      throw this.fallbackFailure;
    }
    return this.replacement;
  }
}

/**
 * How much longer than the export timeout the main thread waits for the thread's answer before
 * reporting the export failed: the thread times its requests out itself, from when it starts them
 * (its first one waits for it to start). What it cannot time out is a collector (or a proxy) that
 * keeps answering slowly: the official transport's timeout is an idle one, and a response that
 * trickles in held an export, `forceFlush()` and `shutdown()` for good.
 */
const DEADLINE_GRACE_MILLIS = 1_000;

/** The `error.type` of the official exporter's metrics for a failure that is no Error (retries run out). */
const EXPORT_FAILED = 'export_failed';

/** A first request buffer's size: a full default batch (512 spans) of typical spans fits. */
const INITIAL_REQUEST_SIZE = 192 * 1024;
/** Buffers kept for reuse: one per request in flight, and the batch processor sends one at a time. */
const MAX_SPARE_BUFFERS = 2;
/**
 * Larger request memory is not kept: one outsized batch (huge attributes, a raised batch size) must
 * not pin its memory for the process's life. It is allocated again for the next such batch.
 */
const MAX_SPARE_SIZE = 2 * 1024 * 1024;

/**
 * The first `length` bytes of `bytes` as a view whose whole ArrayBuffer can be transferred: its
 * own (Buffer.allocUnsafeSlow's, or the larger one the output grew into), else a copy (memory of
 * Buffer's shared pool, which must not be given away).
 */
function transferable(bytes: Buffer, length: number): Uint8Array<ArrayBuffer> {
  const memory = bytes.buffer;
  if (memory instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === memory.byteLength) {
    return new Uint8Array(memory, 0, length);
  }
  const copy = new Uint8Array(length);
  copy.set(bytes.subarray(0, length));
  return copy;
}

/**
 * A MeterProvider whose only use is telling the `error.type` the official exporter's metrics give
 * its last finished export (recorded just before it reports the result, in the same tick), as
 * the exporting thread reads its delegate's (see export-thread.ts). Everything else goes nowhere.
 */
class ErrorTypeReader implements MeterProvider {
  private last: string | undefined;

  /** The `error.type` of the export that finished last, if it failed; forgotten once read. */
  take(): string | undefined {
    const errorType = this.last;
    this.last = undefined;
    return errorType;
  }

  getMeter(): Meter {
    const meter = createNoopMeter();
    const record = (attributes?: Attributes): void => {
      const errorType = attributes?.['error.type'];
      this.last = typeof errorType === 'string' ? errorType : undefined;
    };
    return Object.assign(Object.create(meter) as Meter, {
      createCounter: () => ({ add: (_count: number, attributes?: Attributes) => record(attributes) }),
    });
  }
}

/** The failure as the official exporter reports it: an OTLPExporterError when it has an HTTP status. */
function errorOf(error: ThreadExportError | undefined): Error {
  if (error === undefined) return new Error('Export failed');
  if (error.name === 'OTLPExporterError' || error.code !== undefined) {
    return new OTLPExporterError(error.message, error.code, error.data);
  }
  const copy = new Error(error.message);
  copy.name = error.name;
  return copy;
}
