import { context, type DiagLogger, diag, DiagLogLevel, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  type ExportResult,
  ExportResultCode,
  isTracingSuppressed,
  loggingErrorHandler,
  setGlobalErrorHandler,
} from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SamplingDecision,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BatchSettings } from '../batch-settings.js';
import type { ItemExporter } from '../item-exporter.js';
import type { EncodedSpans } from './encoded-span-batch.js';
import { EncodingBatchSpanProcessor } from './encoding-batch-span-processor.js';

/** An export the test answers when it chooses, with what it saw when the export started. */
interface PendingExport {
  readonly request: EncodedSpans;
  readonly suppressed: boolean;
  answer(result?: ExportResult): void;
}

/** An exporter that records every export and leaves it pending until the test answers it. */
class HeldExporter implements ItemExporter<EncodedSpans> {
  readonly exports: PendingExport[] = [];
  shutdowns = 0;

  export(request: EncodedSpans, resultCallback: (result: ExportResult) => void): void {
    this.exports.push({
      request,
      suppressed: isTracingSuppressed(context.active()),
      answer: (result = { code: ExportResultCode.SUCCESS }) => resultCallback(result),
    });
  }

  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const official = (spans: ReadableSpan[]): string => hex(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);

const SETTINGS: BatchSettings = {
  maxQueueSize: 6,
  maxExportBatchSize: 2,
  scheduledDelayMillis: 5000,
  exportTimeoutMillis: 30000,
};

let exporter: HeldExporter;
let processor: EncodingBatchSpanProcessor;
let tracer: Tracer;
/** Every span the processor was given, as the SDK handed it over (for the expected bytes). */
let ended: InMemorySpanExporter;
const logged: { level: string; message: string }[] = [];

function setUp(settings: BatchSettings = SETTINGS, recordOnly = false): void {
  exporter = new HeldExporter();
  processor = new EncodingBatchSpanProcessor(exporter, settings);
  ended = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(ended), processor],
    ...(recordOnly
      ? { sampler: { shouldSample: () => ({ decision: SamplingDecision.RECORD }), toString: () => 'record-only' } }
      : {}),
  });
  tracer = provider.getTracer('processor-test', '1.0.0');
}

function endSpans(count: number, name = 'call'): void {
  for (let index = 0; index < count; index++) tracer.startSpan(`${name}-${index}`).end();
}

/** Lets the processor's promise continuations (the next export after an answer) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  logged.length = 0;
  const record =
    (level: string) =>
    (message: string, ...args: unknown[]): void => {
      logged.push({ level, message: [message, ...args.map(String)].join(' ') });
    };
  const logger: DiagLogger = {
    error: record('error'),
    warn: record('warn'),
    info: record('info'),
    debug: record('debug'),
    verbose: record('verbose'),
  };
  diag.setLogger(logger, DiagLogLevel.DEBUG);
  setGlobalErrorHandler(loggingErrorHandler());
});
afterEach(() => {
  vi.useRealTimers();
  diag.disable();
  context.disable();
});

describe('EncodingBatchSpanProcessor', () => {
  it('sends a batch as soon as it is full, encoded as the official serializer would, with tracing suppressed', () => {
    setUp();
    endSpans(1);
    expect(exporter.exports).toHaveLength(0);
    endSpans(1);
    expect(exporter.exports).toHaveLength(1);
    const [sent] = exporter.exports;
    expect(sent?.request.length).toBe(2);
    expect(hex(sent?.request.bytes ?? new Uint8Array())).toBe(official(ended.getFinishedSpans()));
    expect(sent?.suppressed).toBe(true);
  });

  it('sends a batch that is not full after scheduledDelayMillis', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    setUp();
    endSpans(1);
    vi.advanceTimersByTime(SETTINGS.scheduledDelayMillis - 1);
    expect(exporter.exports).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(exporter.exports.map((sent) => sent.request.length)).toEqual([1]);
  });

  it('runs one export at a time, queues full batches behind it, and drops (and counts) spans past maxQueueSize', async () => {
    setUp();
    endSpans(2, 'first');
    endSpans(6, 'queued'); // 6 waiting: the queue is full
    endSpans(2, 'dropped');
    expect(exporter.exports).toHaveLength(1);
    expect(logged.filter((entry) => entry.level === 'debug').map((entry) => entry.message)).toContain(
      'maxQueueSize reached, dropping spans',
    );

    exporter.exports[0]?.answer();
    await settle();
    expect(exporter.exports).toHaveLength(2); // the next full batch left at once
    endSpans(1, 'after'); // room again: the drop count is reported
    expect(logged.filter((entry) => entry.level === 'warn').map((entry) => entry.message)).toEqual([
      'Dropped 2 spans because maxQueueSize reached',
    ]);
    for (let index = 1; index < 4; index++) {
      exporter.exports[index]?.answer();
      await settle();
    }
    const flush = processor.forceFlush();
    exporter.exports[4]?.answer();
    await flush;
    const names = exporter.exports.map((sent) => Buffer.from(sent.request.bytes).toString('latin1'));
    expect(exporter.exports.map((sent) => sent.request.length)).toEqual([2, 2, 2, 2, 1]);
    expect(names.join('').match(/dropped-/g)).toBeNull();
    expect(names.join('').match(/queued-\d/g)).toHaveLength(6);
  });

  it('forceFlush sends what waits and resolves only when every export, earlier ones too, has reported', async () => {
    setUp();
    endSpans(3); // one full batch under way, one span waiting
    let flushed = false;
    const flush = processor.forceFlush().then(() => {
      flushed = true;
    });
    expect(exporter.exports.map((sent) => sent.request.length)).toEqual([2, 1]);
    exporter.exports[1]?.answer();
    await settle();
    expect(flushed).toBe(false);
    exporter.exports[0]?.answer();
    await flush;
    expect(flushed).toBe(true);
  });

  it('forceFlush rejects when its export fails; a failed export is reported and the next batch still goes', async () => {
    setUp();
    endSpans(2);
    endSpans(2);
    exporter.exports[0]?.answer({ code: ExportResultCode.FAILED, error: new Error('collector said 400') });
    await settle();
    expect(logged.some((entry) => entry.level === 'error' && entry.message.includes('collector said 400'))).toBe(true);
    expect(exporter.exports).toHaveLength(2);
    exporter.exports[1]?.answer();
    endSpans(1);
    const flush = processor.forceFlush();
    exporter.exports[2]?.answer({ code: ExportResultCode.FAILED });
    await expect(flush).rejects.toThrow('span export failed');
  });

  it('starts the next export after exportTimeoutMillis when an exporter never reports', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    setUp({ ...SETTINGS, exportTimeoutMillis: 1000 });
    endSpans(4);
    expect(exporter.exports).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    await settle();
    expect(exporter.exports).toHaveLength(2);
    expect(logged.some((entry) => entry.level === 'error' && entry.message.includes('Timeout'))).toBe(true);
  });

  it('shutdown flushes, shuts the exporter down, and ignores spans that end afterwards', async () => {
    setUp();
    endSpans(1);
    const shutdown = processor.shutdown();
    await settle();
    expect(exporter.exports.map((sent) => sent.request.length)).toEqual([1]);
    exporter.exports[0]?.answer();
    await shutdown;
    expect(exporter.shutdowns).toBe(1);
    endSpans(2);
    await processor.forceFlush();
    expect(exporter.exports).toHaveLength(1);
  });

  it('leaves out spans that are recorded but not sampled', async () => {
    setUp(SETTINGS, true);
    const spans = [tracer.startSpan('recorded'), tracer.startSpan('recorded')];
    expect(spans.map((span) => span.isRecording())).toEqual([true, true]);
    for (const span of spans) span.end();
    await processor.forceFlush();
    expect(exporter.exports).toHaveLength(0);
  });

  it('drops a span it cannot encode, saying which, and sends the others intact', async () => {
    setUp();
    const broken = tracer.startSpan('broken');
    Object.defineProperty((broken as unknown as ReadableSpan).attributes, 'bad', {
      enumerable: true,
      get: () => {
        throw new Error('attribute getter failed');
      },
    });
    broken.end();
    endSpans(2);
    expect(logged.some((entry) => entry.level === 'error' && entry.message.includes('span broken'))).toBe(true);
    expect(exporter.exports).toHaveLength(1);
    const good = ended.getFinishedSpans().filter((span) => span.name !== 'broken');
    expect(hex(exporter.exports[0]?.request.bytes ?? new Uint8Array())).toBe(official(good));
  });
});
