import { diag, DiagLogLevel } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createExporter } from './create-exporter.js';
import { initTracing, type Tracing } from './index.js';
import { collectableMeterProvider } from './test-support/collectable-meter-provider.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';
import { realSpans, recordOneCall } from './test-support/sample-spans.js';
import { startTricklingCollector, type TricklingCollector } from './test-support/trickling-collector.js';

let collector: TricklingCollector | undefined;
let tracing: Tracing | undefined;
const exporters: SpanExporter[] = [];
const errors: string[] = [];
beforeEach(() => {
  for (const name of [
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    'OTEL_TRACES_EXPORTER',
    'SWITCHYARD_OTLP_EXPORT_THREAD',
  ]) {
    vi.stubEnv(name, '');
  }
  vi.stubEnv('OTEL_EXPORTER_OTLP_TIMEOUT', '1000');
  errors.length = 0;
  const record = (...args: unknown[]): void => {
    errors.push(args.map(String).join(' '));
  };
  diag.setLogger({ error: record, warn() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.ERROR);
});
afterEach(async () => {
  // Not awaited: before the fix, these ended only when the collector closed the connection.
  for (const exporter of exporters.splice(0)) void exporter.shutdown();
});
resetOpenTelemetryAfterEach(async () => {
  diag.disable();
  void tracing?.shutdown(); // as above
  tracing = undefined;
  await collector?.close();
  collector = undefined;
});

async function trickling(options?: Parameters<typeof startTricklingCollector>[0]): Promise<TricklingCollector> {
  collector = await startTricklingCollector(options);
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', collector.endpoint);
  return collector;
}

/** How `work` ended within `ms`: what it resolved to and its time, or 'still running'. */
async function within<T>(ms: number, work: Promise<T>): Promise<{ value: T; took: number } | 'still running'> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), ms);
  });
  try {
    return await Promise.race([work.then((value) => ({ value, took: Date.now() - started })), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function exported(exporter: SpanExporter): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(realSpans(), resolve));
}

/** The main-thread exporters: used as the official ones, with this package's agents. */
const MAIN_THREAD = [
  ['http/protobuf, SWITCHYARD_OTLP_EXPORT_THREAD=false', 'http/protobuf', 'false'],
  ['http/json', 'http/json', ''],
] as const;

// The official transport bounds a request with `request.setTimeout()`, an idle timeout: a collector
// or proxy that sends its headers and then a byte every so often never lets it fire. On the main
// thread (http/json, or SWITCHYARD_OTLP_EXPORT_THREAD=false) the export then never ended, nor did
// forceFlush() or shutdown(), which wait for it: a service's graceful stop ran past Kubernetes'
// termination grace. (The export thread's path gave such exports up already: the control here.)
describe('a collector that answers and then trickles its body for ever', () => {
  for (const [label, protocol, thread] of [
    ...MAIN_THREAD,
    ['http/protobuf, export thread (unchanged)', 'http/protobuf', ''],
  ] as const) {
    it(`fails the export, ends shutdown() within OTEL_EXPORTER_OTLP_TIMEOUT and closes the connection (${label})`, async () => {
      const collector = await trickling();
      vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', protocol);
      vi.stubEnv('SWITCHYARD_OTLP_EXPORT_THREAD', thread);
      tracing = initTracing({ serviceName: 'trickling-collector', exporter: 'otlp' });
      recordOneCall();
      const ended = await within(5_000, tracing.shutdown());
      expect(ended).not.toBe('still running');
      if (ended === 'still running') return;
      expect(ended.took).toBeGreaterThanOrEqual(900);
      // The export timeout (1 s); the thread's main-thread deadline adds its second of grace.
      expect(ended.took).toBeLessThan(thread === '' && protocol === 'http/protobuf' ? 3_500 : 2_000);
      expect(collector.requests).toBe(1); // no retry past the deadline
      expect(errors.join('\n')).toMatch(/timed out/);
      // The request given up is destroyed, not left reading the trickle on an open socket.
      expect(await collector.allConnectionsClosed(1_000)).toBe(true);
    }, 15_000);
  }

  for (const [label, protocol, thread] of MAIN_THREAD) {
    it(`reports the export as the official exporter reports a timeout: FAILED, "Request timed out", counted as export_failed (${label})`, async () => {
      vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', protocol);
      vi.stubEnv('SWITCHYARD_OTLP_EXPORT_THREAD', thread);
      /** The result of one export to `collector`, its time, and the exporter's metric series after it. */
      const exportTo = async (options: Parameters<typeof startTricklingCollector>[0]) => {
        await trickling(options);
        const { provider, read } = collectableMeterProvider();
        const exporter = createExporter('otlp', provider) as SpanExporter;
        exporters.push(exporter);
        const ended = await within(5_000, exported(exporter));
        expect(ended).not.toBe('still running');
        if (ended === 'still running') throw new Error('export still running');
        const series = Object.entries(await read()).flatMap(([metric, points]) =>
          Object.keys(points).map((attributes) => {
            const { 'otel.component.name': _, 'server.port': __, ...rest } = JSON.parse(attributes);
            return `${metric} ${JSON.stringify(rest)}`;
          }),
        );
        await collector?.close();
        return { ...ended, series };
      };
      // The official timeout, as it fires for a collector that sends nothing at all.
      const silent = await exportTo({ silent: true });
      const trickled = await exportTo({});
      expect(trickled.took).toBeLessThan(2_000);
      for (const { value } of [silent, trickled]) {
        expect(value.code).toBe(ExportResultCode.FAILED);
        expect(value.error).toBeInstanceOf(Error);
        expect(value.error?.message).toBe('Request timed out');
      }
      expect(trickled.series).toContainEqual(expect.stringContaining('"error.type":"export_failed"'));
      expect(trickled.series).toEqual(silent.series);
    }, 20_000);
  }

  it('takes the timeout from OTEL_EXPORTER_OTLP_TRACES_TIMEOUT before OTEL_EXPORTER_OTLP_TIMEOUT', async () => {
    await trickling();
    vi.stubEnv('OTEL_EXPORTER_OTLP_TIMEOUT', '30000');
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', '1000');
    vi.stubEnv('SWITCHYARD_OTLP_EXPORT_THREAD', 'false');
    const exporter = createExporter('otlp') as SpanExporter;
    exporters.push(exporter);
    const ended = await within(5_000, exported(exporter));
    expect(ended).not.toBe('still running');
    if (ended === 'still running') return;
    expect(ended.value.code).toBe(ExportResultCode.FAILED);
    expect(ended.took).toBeLessThan(2_000);
  }, 15_000);

  // A flush sends several batches at once: each export keeps its own deadline, none is cut short by
  // an earlier one's.
  it('gives each of several exports in flight its own deadline', async () => {
    await trickling();
    vi.stubEnv('SWITCHYARD_OTLP_EXPORT_THREAD', 'false');
    const exporter = createExporter('otlp') as SpanExporter;
    exporters.push(exporter);
    const first = within(5_000, exported(exporter));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const second = within(5_000, exported(exporter));
    for (const ended of await Promise.all([first, second])) {
      expect(ended).not.toBe('still running');
      if (ended === 'still running') return;
      expect(ended.value.code).toBe(ExportResultCode.FAILED);
      // Its own timeout (1 s): the second was not cut short at the first's deadline, ~0.5 s in.
      expect(ended.took).toBeGreaterThanOrEqual(900);
      expect(ended.took).toBeLessThan(1_500);
    }
    expect(await collector?.allConnectionsClosed(1_000)).toBe(true);
  }, 15_000);

  // The deadline is the export's, not each request's: a retry gets what is left of the timeout.
  it('bounds the whole export, retries included: a retry after a 503 gets only what is left of the timeout', async () => {
    await trickling({ unavailableFirst: 1, retryAfterSeconds: 1 });
    vi.stubEnv('OTEL_EXPORTER_OTLP_TIMEOUT', '2000');
    vi.stubEnv('SWITCHYARD_OTLP_EXPORT_THREAD', 'false');
    const exporter = createExporter('otlp') as SpanExporter;
    exporters.push(exporter);
    const ended = await within(6_000, exported(exporter));
    expect(ended).not.toBe('still running');
    if (ended === 'still running') return;
    expect(ended.value.code).toBe(ExportResultCode.FAILED);
    expect(collector?.requests).toBe(2); // the 503, then the retry ~1 s later, trickled
    // 2 s in all; a fresh 2 s for the retry would end it at ~3 s.
    expect(ended.took).toBeGreaterThanOrEqual(1_900);
    expect(ended.took).toBeLessThan(2_700);
    const shutdown = await within(1_000, exporter.shutdown());
    expect(shutdown).not.toBe('still running');
  }, 15_000);
});
