import { spawn } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { collectableMeterProvider } from '../test-support/collectable-meter-provider.js';
import { type LocalCollector, startLocalCollector } from '../test-support/local-collector.js';
import { realSpans } from '../test-support/sample-spans.js';
import { startTricklingCollector } from '../test-support/trickling-collector.js';
import { SpanEncoder } from './encode-spans.js';
import { OffThreadSpanExporter } from './off-thread-span-exporter.js';
import { createInThreadExporter, createOtlpProtobufSpanExporter } from './otlp-protobuf-exporter.js';

let collector: LocalCollector;
beforeAll(async () => {
  collector = await startLocalCollector();
});
afterAll(() => collector.close());

const exporters: SpanExporter[] = [];
beforeEach(() => {
  collector.received.length = 0;
  for (const name of [
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTEL_EXPORTER_OTLP_HEADERS',
    'SWITCHYARD_OTLP_EXPORT_THREAD',
  ]) {
    vi.stubEnv(name, '');
  }
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', collector.endpoint);
});
afterEach(async () => {
  for (const exporter of exporters.splice(0)) await exporter.shutdown();
  vi.unstubAllEnvs();
});

function track<T extends SpanExporter>(exporter: T): T {
  exporters.push(exporter);
  return exporter;
}

const noFallback = (): SpanExporter => {
  throw new Error('the main-thread fallback was not expected here');
};

/**
 * Counts the exporter's request-sized allocations (its request memory comes from
 * Buffer.allocUnsafeSlow) until `restore()`: how many requests did not reuse memory.
 */
function watchRequestAllocations(): { requestBuffers(): number; restore(): void } {
  const allocate = vi.spyOn(Buffer, 'allocUnsafeSlow');
  return {
    requestBuffers: () => allocate.mock.calls.filter(([size]) => size >= 128 * 1024).length,
    restore: () => allocate.mockRestore(),
  };
}

function exported(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

/** What `work` resolved to, or 'still running' after `ms`. */
async function within<T>(ms: number, work: Promise<T>): Promise<T | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<'still running'>((resolve) => {
        timer = setTimeout(() => resolve('still running'), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** HTTP client requests this (main) thread starts while `work` runs: Node's diagnostics channel. */
async function mainThreadRequests(work: () => Promise<void>): Promise<number> {
  let started = 0;
  const count = (): void => {
    started++;
  };
  subscribe('http.client.request.start', count);
  try {
    await work();
  } finally {
    unsubscribe('http.client.request.start', count);
  }
  return started;
}

/** A MeterProvider read on demand: the sum of a metric's data points so far. */
function meteredProvider(): { provider: MeterProvider; sum(metric: string): Promise<number> } {
  const { provider, read } = collectableMeterProvider();
  return {
    provider,
    sum: async (metric) =>
      Object.values((await read())[metric] ?? {}).reduce((total: number, value) => total + Number(value), 0),
  };
}

describe('OffThreadSpanExporter', () => {
  it('sends from a thread of its own: the collector gets the spans and OTEL_EXPORTER_OTLP_HEADERS, the main thread sends nothing', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'x-tenant=shop');
    const spans = realSpans();
    const exporter = track(new OffThreadSpanExporter(noFallback));
    const requests = await mainThreadRequests(async () => {
      expect(await exported(exporter, spans)).toEqual({ code: ExportResultCode.SUCCESS });
    });
    expect(requests).toBe(0);
    expect(collector.received).toHaveLength(1);
    const [request] = collector.received;
    expect(request?.url).toBe('/v1/traces');
    expect(request?.headers['content-type']).toBe('application/x-protobuf');
    expect(request?.headers['x-tenant']).toBe('shop');
    for (const span of spans) expect(request?.body.includes(Buffer.from(span.spanContext().spanId, 'hex'))).toBe(true);
  });

  it('reuses the memory its thread gives back after a sent request; each request carries its own batch, byte for byte', async () => {
    const { requestBuffers, restore } = watchRequestAllocations();
    try {
      const exporter = track(new OffThreadSpanExporter(noFallback));
      // Larger, smaller, larger again: a shorter request must not carry the tail of a longer one.
      const batches = [[...realSpans(), ...realSpans()], realSpans(), [...realSpans(), ...realSpans(), ...realSpans()]];
      for (const batch of batches) expect(await exported(exporter, batch)).toEqual({ code: ExportResultCode.SUCCESS });
      expect(requestBuffers()).toBe(1);
      const encoder = new SpanEncoder();
      expect(collector.received.map((request) => request.body)).toEqual(
        batches.map((batch) => Buffer.from(encoder.encode(batch))),
      );
    } finally {
      restore();
    }
  });

  it('does not keep the memory of an outsized request for later ones', async () => {
    const { requestBuffers, restore } = watchRequestAllocations();
    try {
      const exporter = track(new OffThreadSpanExporter(noFallback));
      const [span] = realSpans() as [ReadableSpan];
      const outsized = Object.create(span, { attributes: { value: { blob: 'z'.repeat(3_000_000) } } }) as ReadableSpan;
      const counts: number[] = [];
      for (const batch of [[outsized], realSpans(), realSpans()]) {
        expect(await exported(exporter, batch)).toEqual({ code: ExportResultCode.SUCCESS });
        counts.push(requestBuffers());
      }
      // The outsized request grew its memory past the cap: dropped, so the next allocates anew, and
      // that one's memory is reused.
      expect(counts).toEqual([1, 2, 2]);
      expect(collector.received[0]?.body.length).toBeGreaterThan(3_000_000);
    } finally {
      restore();
    }
  });

  it('does not reuse the memory of a failed request (a write may still be reading it)', async () => {
    const refusing = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(400).end());
    });
    refusing.listen(0, '127.0.0.1');
    await once(refusing, 'listening');
    const { requestBuffers, restore } = watchRequestAllocations();
    try {
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`);
      const exporter = track(new OffThreadSpanExporter(noFallback));
      for (let attempt = 1; attempt <= 2; attempt++) {
        expect((await exported(exporter, realSpans())).code).toBe(ExportResultCode.FAILED);
        expect(requestBuffers()).toBe(attempt);
      }
    } finally {
      restore();
      refusing.close();
    }
  });

  it('exports on the main thread when SWITCHYARD_OTLP_EXPORT_THREAD=false', async () => {
    vi.stubEnv('SWITCHYARD_OTLP_EXPORT_THREAD', 'FALSE');
    const exporter = track(createOtlpProtobufSpanExporter());
    expect(exporter).not.toBeInstanceOf(OffThreadSpanExporter);
    const requests = await mainThreadRequests(async () => {
      expect(await exported(exporter, realSpans())).toEqual({ code: ExportResultCode.SUCCESS });
    });
    expect(requests).toBe(1);
    expect(collector.received).toHaveLength(1);
  });

  it("reports a collector's refusal as the official exporter does: FAILED, an OTLPExporterError with the status", async () => {
    const refusing = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(400, { 'content-type': 'text/plain' }).end('bad batch'));
    });
    refusing.listen(0, '127.0.0.1');
    await once(refusing, 'listening');
    try {
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`);
      const exporter = track(new OffThreadSpanExporter(noFallback));
      const result = await exported(exporter, realSpans());
      expect(result.code).toBe(ExportResultCode.FAILED);
      expect(result.error).toBeInstanceOf(OTLPExporterError);
      expect(result.error).toMatchObject({ code: 400, data: 'bad batch' });
    } finally {
      refusing.close();
    }
  });

  // A collector answering 429 with a Retry-After past the export's deadline (or 503 until it): the
  // official exporter gives up at once and counts the spans under error.type export_failed, with no
  // HTTP status. The thread's exports were counted under the error's name (OTLPExporterError), so a
  // dashboard or alert on export_failed saw nothing with the default SWITCHYARD_OTLP_EXPORT_THREAD.
  it('records a batch whose retries ran out in the metrics as the official exporter on the main thread does', async () => {
    const throttling = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(429, { 'retry-after': '30' }).end());
    });
    throttling.listen(0, '127.0.0.1');
    await once(throttling, 'listening');
    try {
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `http://127.0.0.1:${(throttling.address() as AddressInfo).port}`);
      vi.stubEnv('OTEL_EXPORTER_OTLP_TIMEOUT', '2000');
      /** The exporter's metrics as series (names, attributes but the component's name), after one batch. */
      const seriesAfterOneBatch = async (make: (provider: MeterProvider) => SpanExporter) => {
        const { provider, read } = collectableMeterProvider();
        const exporter = track(make(provider));
        const started = Date.now();
        expect((await exported(exporter, realSpans())).code).toBe(ExportResultCode.FAILED);
        expect(Date.now() - started).toBeLessThan(1_500); // not retried: 30 s is past the deadline
        return Object.entries(await read()).flatMap(([metric, points]) =>
          Object.keys(points).map((attributes) => {
            const { 'otel.component.name': _, ...rest } = JSON.parse(attributes);
            return `${metric} ${JSON.stringify(rest)}`;
          }),
        );
      };
      const official = await seriesAfterOneBatch((provider) => createInThreadExporter(provider));
      expect(official).toContainEqual(expect.stringContaining('"error.type":"export_failed"'));
      const threaded = await seriesAfterOneBatch(
        (provider) => new OffThreadSpanExporter(noFallback, undefined, provider),
      );
      expect(threaded).toEqual(official);
      // And once the thread is lost, its main-thread fallback (which records nothing itself) is
      // recorded the same way: the series must not change with the thread's fate either.
      const afterLoss = await seriesAfterOneBatch(
        (provider) =>
          new OffThreadSpanExporter(
            (errorTypes) => createInThreadExporter(errorTypes),
            () => new Worker('process.exit(3)', { eval: true }),
            provider,
          ),
      );
      expect(afterLoss).toEqual(official);
    } finally {
      throttling.close();
    }
  });

  // The official transport's timeout is an idle one: a collector (or a proxy) that answers and then
  // sends its body a byte at a time held the export open for good, and forceFlush() and shutdown()
  // with it (the thread's delegate waited for it too), past any termination grace.
  it('gives up an export its thread has not answered within the export timeout, and shutdown() ends the thread', async () => {
    const trickling = await startTricklingCollector();
    try {
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', trickling.endpoint);
      vi.stubEnv('OTEL_EXPORTER_OTLP_TIMEOUT', '1000');
      const exporter = track(new OffThreadSpanExporter(noFallback));
      const started = Date.now();
      const result = await within(5_000, exported(exporter, realSpans()));
      expect(result).toMatchObject({
        code: ExportResultCode.FAILED,
        error: { message: expect.stringMatching(/timed out/) },
      });
      // The export timeout and the thread's grace (1 s), not more.
      expect(Date.now() - started).toBeLessThan(3_500);
      expect(
        await within(
          2_000,
          exporter.shutdown().then(() => 'shut down'),
        ),
      ).toBe('shut down');
    } finally {
      await trickling.close();
    }
  });

  it('sends what its thread held on the main thread when the thread is lost, and everything after it', async () => {
    const fallback = new InMemorySpanExporter();
    const metered = meteredProvider();
    // A thread that never answers and exits soon: the export it was handed must not wait forever.
    const exporter = track(
      new OffThreadSpanExporter(
        () => fallback,
        () => new Worker('setTimeout(() => process.exit(3), 100)', { eval: true }),
        metered.provider,
      ),
    );
    const inFlight = realSpans();
    expect(await exported(exporter, inFlight)).toEqual({ code: ExportResultCode.SUCCESS });
    const later = realSpans();
    expect(await exported(exporter, later)).toEqual({ code: ExportResultCode.SUCCESS });
    expect(fallback.getFinishedSpans()).toEqual([...inFlight, ...later]);
    // Each span counted once, though the first batch went to the thread and then again to the fallback.
    expect(await metered.sum('otel.sdk.exporter.span.exported')).toBe(inFlight.length + later.length);
    expect(await metered.sum('otel.sdk.exporter.span.inflight')).toBe(0);
  });

  it('fails the exports, and throws nothing, when its main-thread fallback cannot be made once the thread is lost', async () => {
    const metered = meteredProvider();
    const logged = vi.spyOn(diag, 'error');
    let made = 0;
    // The thread exits holding an export: the 'exit' listener hands it to the fallback, whose
    // constructor throws. That threw out of the listener (an uncaught exception: the process died),
    // and the export, its deadline cleared, was never answered (forceFlush() and shutdown() hung).
    const exporter = track(
      new OffThreadSpanExporter(
        () => {
          made++;
          throw new Error('fallback exporter refused its configuration');
        },
        () => new Worker('setTimeout(() => process.exit(3), 100)', { eval: true }),
        metered.provider,
      ),
    );
    try {
      const inFlight = realSpans();
      expect(await within(3_000, exported(exporter, inFlight))).toMatchObject({
        code: ExportResultCode.FAILED,
        error: { message: expect.stringMatching(/fallback exporter refused its configuration/) },
      });
      const later = realSpans();
      expect(await within(3_000, exported(exporter, later))).toMatchObject({ code: ExportResultCode.FAILED });
      // Counted (as failed), not lost from the metrics; logged once, not per batch; made once.
      expect(await metered.sum('otel.sdk.exporter.span.exported')).toBe(inFlight.length + later.length);
      expect(await metered.sum('otel.sdk.exporter.span.inflight')).toBe(0);
      expect(logged.mock.calls.filter(([message]) => /fallback/.test(String(message))).length).toBe(1);
      expect(made).toBe(1);
      expect(
        await within(
          2_000,
          exporter.shutdown().then(() => 'shut down'),
        ),
      ).toBe('shut down');
    } finally {
      logged.mockRestore();
    }
  });

  it('waits for exports in flight on forceFlush and shutdown, then ends its thread and refuses more', async () => {
    const exporter = new OffThreadSpanExporter(noFallback);
    const results: ExportResult[] = [];
    exporter.export(realSpans(), (result) => results.push(result));
    exporter.export(realSpans(), (result) => results.push(result));
    await exporter.forceFlush();
    expect(results).toEqual([{ code: ExportResultCode.SUCCESS }, { code: ExportResultCode.SUCCESS }]);
    exporter.export(realSpans(), (result) => results.push(result));
    await exporter.shutdown();
    expect(results).toHaveLength(3);
    expect(collector.received).toHaveLength(3);
    const after = await exported(exporter, realSpans());
    expect(after.code).toBe(ExportResultCode.FAILED);
    expect(collector.received).toHaveLength(3);
  });
});

// The built package (CI builds before testing): a child process cannot load this source.
const built = new URL('../../dist/index.js', import.meta.url);

describe.skipIf(!existsSync(built))('OffThreadSpanExporter in a process that ends', () => {
  const script = `
    import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
    import { initTracing, startClientAttemptSpan, endRpcSpan } from ${JSON.stringify(built.href)};
    diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.ERROR);
    const tracing = initTracing({ serviceName: 'exit-test', exporter: 'otlp' });
    const span = startClientAttemptSpan({ system: 'grpc', service: 'a.B', method: 'C', serverAddress: '127.0.0.1', serverPort: 1 });
    endRpcSpan(span, { grpcStatusCode: 0 });
    if (process.argv[1] === 'shutdown') await tracing.shutdown();`;
  // The script runs with --input-type=module, which a worker inherits unless told otherwise: the
  // exporting thread's CommonJS source then failed ('require is not defined'). And NODE_OPTIONS'
  // preloads ran in the thread too.
  it('delivers its spans when it ends with shutdown(), and never holds an ending process open', async () => {
    const ended = async (ending: string) => {
      const preload = join(mkdtempSync(join(tmpdir(), 'export-thread-')), 'preload.cjs');
      writeFileSync(
        preload,
        "const { threadId } = require('node:worker_threads'); if (threadId !== 0) console.error('preload ran in thread', threadId);",
      );
      const started = Date.now();
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, ending], {
        env: {
          ...process.env,
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
          SWITCHYARD_OTLP_EXPORT_THREAD: '',
          // Far beyond the bound below: a process held open until the batch timer fires shows.
          OTEL_BSP_SCHEDULE_DELAY: '60000',
          // A preload (an instrumentation's register hook, say) must run in the main thread only.
          NODE_OPTIONS: `--require ${preload}`,
        },
        cwd: fileURLToPath(new URL('../..', import.meta.url)), // this package: @opentelemetry/api resolves
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const [code] = await once(child, 'exit');
      return { code, ms: Date.now() - started, stderr };
    };
    const withShutdown = await ended('shutdown');
    expect(withShutdown).toMatchObject({ code: 0, stderr: '' }); // no 'exporting thread lost'
    expect(collector.received).toHaveLength(1);
    expect(collector.received[0]?.body.includes('exit-test')).toBe(true);
    // No shutdown: the spans still queued are lost, as with any batch exporter, but the idle thread
    // must not keep the process running until the batch timer fires, as a first version did.
    const without = await ended('none');
    expect(without).toMatchObject({ code: 0, stderr: '' });
    expect(without.ms).toBeLessThan(20_000);
    expect(collector.received).toHaveLength(1);
  }, 90_000);
});
