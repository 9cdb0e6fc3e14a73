import { createRequire, syncBuiltinESMExports } from 'node:module';
import { context, trace } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ExportScopedContextManager } from './export-scoped-context-manager.js';
import { endRpcSpan, initTracing, startClientAttemptSpan, type Tracing } from './index.js';
import { type LocalCollector, startLocalCollector } from './test-support/local-collector.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';

interface ExportedSpan {
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}

/** A local OTLP/HTTP collector; the test sends http/json, so the spans can be read back plainly. */
let collector: LocalCollector;
let endpoint: string;
beforeAll(async () => {
  collector = await startLocalCollector();
  endpoint = collector.endpoint;
});
afterAll(() => collector.close());

/** Every span the collector was sent. */
function exportedSpans(): ExportedSpan[] {
  return collector.received
    .filter((request) => request.url === '/v1/traces')
    .flatMap((request) => {
      const body = JSON.parse(request.body.toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: ExportedSpan[] }[] }[];
      };
      return body.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
    });
}

let tracing: Tracing | undefined;
// One instrumentation for the file: a second instance, enabled after the first is disabled, no
// longer patches the already loaded `http` module. Each test hands it the new global provider.
let instrumentation: HttpInstrumentation | undefined;
afterAll(() => instrumentation?.disable());
resetOpenTelemetryAfterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

/** One plain HTTP request made the way the OTLP exporter makes its own: `request` from `import('http')`. */
async function controlRequest(path: string): Promise<void> {
  const { request } = await import('node:http');
  await new Promise<void>((resolve, reject) => {
    const outgoing = request(`${endpoint}${path}`, { method: 'GET' }, (response) => {
      response.resume();
      response.on('end', resolve);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const attribute = (span: ExportedSpan, key: string): string | undefined => {
  const value = span.attributes.find((entry) => entry.key === key)?.value;
  return value === undefined ? undefined : String(value.stringValue ?? value.intValue);
};

/** Sets up tracing with the HTTP instrumentation active, exporting with `protocol`. */
function traceWithInstrumentation(protocol: 'http/json' | 'http/protobuf'): Tracing {
  collector.received.length = 0;
  vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '');
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint);
  vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', protocol);
  // The sink runs in this process, and its incoming requests are not what this test is about
  // (even an ignored incoming request enters a context; a real collector is another process).
  if (instrumentation === undefined) {
    instrumentation = new HttpInstrumentation({ disableIncomingRequestInstrumentation: true });
  }
  instrumentation.enable();
  // The instrumentation patches `http` when it is required; the ESM view of the module (what
  // the exporter's `import('http')` returns) is brought up to date explicitly, as it would be
  // had the instrumentation loaded before anything imported `http`.
  createRequire(import.meta.url)('node:http');
  syncBuiltinESMExports();
  const active = initTracing({ serviceName: 'export-suppression-test', exporter: 'otlp', sampleRatio: 1 });
  // Its tracer came from the global provider of the moment, which the previous test's reset replaced.
  instrumentation.setTracerProvider(trace.getTracerProvider());
  return active;
}

/** Three exports of one span each, then a plain request outside any export, then a last export. */
async function exportThriceThenControl(active: Tracing): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const span = startClientAttemptSpan({ system: 'grpc', service: 'test.Echo', method: 'Say', attempt: 1 });
    endRpcSpan(span, { grpcStatusCode: 0 });
    // Each flush is one export: one POST /v1/traces that an unsuppressed exporter would trace.
    await active.forceFlush();
  }
  // The instrumentation entered contexts inside every export; none of that kept
  // AsyncLocalStorage on (the control request below, made outside any export, will).
  const manager = (context as unknown as { _getContextManager(): ExportScopedContextManager })._getContextManager();
  expect(manager.asyncLocalStorageOn()).toBe(false);
  await controlRequest('/control');
  await active.forceFlush();
}

describe('exporting while @opentelemetry/instrumentation-http is active', () => {
  it('does not trace the exporter’s own requests, though the same kind of request is traced elsewhere', async () => {
    tracing = traceWithInstrumentation('http/json');
    await exportThriceThenControl(tracing);
    const exported = exportedSpans();
    expect(collector.received.filter((request) => request.url !== '/v1/traces').map((request) => request.url)).toEqual([
      '/control',
    ]);
    const ours = exported.filter((span) => span.name === 'test.Echo/Say');
    expect(ours).toHaveLength(3);
    // The control: an outgoing GET made like the exporter's requests is traced (so the
    // instrumentation is really active and would have traced an unsuppressed export)...
    const clientSpans = exported.filter((span) => span.name !== 'test.Echo/Say');
    const paths = clientSpans.map((span) => attribute(span, 'url.full') ?? attribute(span, 'http.url') ?? span.name);
    expect(paths.some((path) => path.endsWith('/control'))).toBe(true);
    // ...and none of the four exports was.
    expect(paths.filter((path) => path.includes('/v1/traces'))).toEqual([]);
    expect(clientSpans).toHaveLength(1);
  });

  it('does the same with http/protobuf, the default protocol', async () => {
    tracing = traceWithInstrumentation('http/protobuf');
    await exportThriceThenControl(tracing);
    expect(collector.received.filter((request) => request.url !== '/v1/traces').map((request) => request.url)).toEqual([
      '/control',
    ]);
    // The protobuf bodies, read as text: span names and url.full values appear as they are.
    const exports = collector.received.filter((request) => request.url === '/v1/traces');
    const text = exports.map((request) => request.body.toString('latin1')).join('\n');
    expect(text.split('test.Echo/Say')).toHaveLength(4);
    expect(text).toContain('/control');
    expect(text).not.toContain('/v1/traces');
  });
});
