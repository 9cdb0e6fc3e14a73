import { diag, DiagLogLevel } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { initTracing, type Tracing } from './index.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';
import { recordOneCall } from './test-support/sample-spans.js';
import { startUnreachableCollector, type UnreachableCollector } from './test-support/unreachable-collector.js';

let collector: UnreachableCollector;
beforeAll(async () => {
  collector = await startUnreachableCollector();
});
afterAll(() => collector.close());

let tracing: Tracing | undefined;
const errors: string[] = [];
beforeEach(() => {
  for (const name of [
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    'OTEL_TRACES_EXPORTER',
    'SWITCHYARD_OTLP_EXPORT_THREAD',
  ]) {
    vi.stubEnv(name, '');
  }
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', collector.endpoint);
  vi.stubEnv('OTEL_EXPORTER_OTLP_TIMEOUT', '1000');
  errors.length = 0;
  const record = (...args: unknown[]): void => {
    errors.push(args.map(String).join(' '));
  };
  diag.setLogger({ error: record, warn() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.ERROR);
});
resetOpenTelemetryAfterEach(async () => {
  diag.disable();
  // Not awaited: before the fix, an export here ended only when the kernel gave up connecting.
  void tracing?.shutdown();
  tracing = undefined;
});

/** How `work` ended within `ms`: its time, or 'still running'. */
async function within(ms: number, work: Promise<unknown>): Promise<number | 'still running'> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), ms);
  });
  try {
    return await Promise.race([work.then(() => Date.now() - started), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

// A collector host that drops packets (gone, or firewalled) rather than refusing: Node's
// request.setTimeout(), all the official transport sets, starts only once connected, so each
// export, and forceFlush() and shutdown() with it, waited ~2 minutes for the kernel's connect
// timeout, far past OTEL_EXPORTER_OTLP_TIMEOUT and a Kubernetes termination grace.
describe.skipIf(process.platform !== 'linux')('a collector that never accepts the connection', () => {
  for (const [label, protocol, thread] of [
    ['http/protobuf, export thread', 'http/protobuf', ''],
    ['http/protobuf, main thread', 'http/protobuf', 'false'],
    ['http/json', 'http/json', ''],
  ] as const) {
    it(`fails the export and ends shutdown() within OTEL_EXPORTER_OTLP_TIMEOUT (${label})`, async () => {
      vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', protocol);
      vi.stubEnv('SWITCHYARD_OTLP_EXPORT_THREAD', thread);
      tracing = initTracing({ serviceName: 'unreachable-collector', exporter: 'otlp' });
      recordOneCall();
      // 1 s of export timeout, then the batch is given up (a retry would start past the deadline).
      const took = await within(5_000, tracing.shutdown());
      expect(took).not.toBe('still running');
      expect(took).toBeGreaterThanOrEqual(900);
      expect(errors.join('\n')).toMatch(/Request timed out/);
    }, 15_000);
  }
});
