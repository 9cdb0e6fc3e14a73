import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { initTracing, type Tracing } from './index.js';
import { type LocalCollector, startLocalCollector } from './test-support/local-collector.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';
import { recordOneCall } from './test-support/sample-spans.js';

// The OTLP exporters are made after an import() that settles once initTracing() has returned, and
// OpenTelemetry's own exporter code reads OTEL_EXPORTER_OTLP_* untrimmed from the live
// process.env. Both tests failed before the variables were taken inside initTracing(): the
// trailing space sent every span to localhost:4318, the scrubbed header never left.

let collector: LocalCollector;
beforeAll(async () => {
  collector = await startLocalCollector();
});
afterAll(() => collector.close());

let tracing: Tracing | undefined;
beforeEach(() => {
  collector.received.length = 0;
  for (const name of [
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    'OTEL_EXPORTER_OTLP_HEADERS',
    'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
    'OTEL_TRACES_EXPORTER',
    'SWITCHYARD_OTLP_EXPORT_THREAD',
  ]) {
    vi.stubEnv(name, '');
  }
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', collector.endpoint);
  // Bounded: a failed export must not hold the test for the default 10 s.
  vi.stubEnv('OTEL_EXPORTER_OTLP_TIMEOUT', '1000');
});
resetOpenTelemetryAfterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

describe('the OTLP exporters use OTEL_EXPORTER_OTLP_* as initTracing() took them', () => {
  for (const [label, protocol, thread] of [
    ['http/protobuf, export thread', 'http/protobuf', ''],
    ['http/protobuf, main thread', 'http/protobuf', 'false'],
    ['http/json', 'http/json', ''],
  ] as const) {
    it(`trims the endpoint, as initTracing() checked it (${label})`, async () => {
      vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', protocol);
      vi.stubEnv('SWITCHYARD_OTLP_EXPORT_THREAD', thread);
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', ` ${collector.endpoint} `);
      tracing = initTracing({ serviceName: 'endpoint-whitespace', exporter: 'otlp' });
      recordOneCall();
      await tracing.forceFlush();
      expect(collector.received).toHaveLength(1);
      expect(collector.received[0]?.url).toBe('/v1/traces');
      // The live environment is left as the application set it.
      expect(process.env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(` ${collector.endpoint} `);
    });

    it(`sends headers removed from the environment after initTracing() (${label})`, async () => {
      vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', protocol);
      vi.stubEnv('SWITCHYARD_OTLP_EXPORT_THREAD', thread);
      vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'x-api-key=secret');
      tracing = initTracing({ serviceName: 'env-read-late', exporter: 'otlp' });
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS; // scrubbed once tracing is set up
      recordOneCall();
      await tracing.forceFlush();
      expect(collector.received).toHaveLength(1);
      expect(collector.received[0]?.headers['x-api-key']).toBe('secret');
      expect(process.env.OTEL_EXPORTER_OTLP_HEADERS).toBeUndefined();
    });
  }
});
