import { createRequire, syncBuiltinESMExports } from 'node:module';
import { context } from '@opentelemetry/api';
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
let instrumentation: HttpInstrumentation | undefined;
resetOpenTelemetryAfterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
  instrumentation?.disable();
  instrumentation = undefined;
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

describe('exporting while @opentelemetry/instrumentation-http is active', () => {
  it('does not trace the exporter’s own requests, though the same kind of request is traced elsewhere', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '');
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint);
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/json');
    // The sink runs in this process, and its incoming requests are not what this test is about
    // (even an ignored incoming request enters a context; a real collector is another process).
    instrumentation = new HttpInstrumentation({ disableIncomingRequestInstrumentation: true });
    instrumentation.enable();
    // The instrumentation patches `http` when it is required; the ESM view of the module (what
    // the exporter's `import('http')` returns) is brought up to date explicitly, as it would be
    // had the instrumentation loaded before anything imported `http`.
    createRequire(import.meta.url)('node:http');
    syncBuiltinESMExports();

    tracing = initTracing({ serviceName: 'export-suppression-test', exporter: 'otlp', sampleRatio: 1 });
    for (let round = 0; round < 3; round++) {
      const span = startClientAttemptSpan({ system: 'grpc', service: 'test.Echo', method: 'Say', attempt: 1 });
      endRpcSpan(span, { grpcStatusCode: 0 });
      // Each flush is one export: one POST /v1/traces that an unsuppressed exporter would trace.
      await tracing.forceFlush();
    }
    // The instrumentation entered contexts inside every export; none of that kept
    // AsyncLocalStorage on (the control request below, made outside any export, will).
    const manager = (context as unknown as { _getContextManager(): ExportScopedContextManager })._getContextManager();
    expect(manager.asyncLocalStorageOn()).toBe(false);
    await controlRequest('/control');
    await tracing.forceFlush();

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
});
