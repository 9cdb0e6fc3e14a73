/** The README's own-pipeline example, run as it is shown, against a local collector. */
import { afterAll, expect, it } from 'vitest';
import { startLocalCollector } from '../src/test-support/local-collector.js';

const collector = await startLocalCollector();
const collectorUrl = collector.endpoint;
afterAll(() => collector.close());

// #region own-pipeline
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { batchSettingsFromEnv, type EncodedSpans, EncodingBatchSpanProcessor } from '@switchyard/tracing';

// Each batch arrives as a finished OTLP ExportTraceServiceRequest: send it however you like.
const processor = new EncodingBatchSpanProcessor(
  {
    export: (request: EncodedSpans, done) => {
      fetch(`${collectorUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: request.bytes,
      }).then(
        (response) => done({ code: response.ok ? 0 : 1 }),
        (error: Error) => done({ code: 1, error }),
      );
    },
    shutdown: async () => {},
  },
  batchSettingsFromEnv(),
);
const provider = new NodeTracerProvider({ spanProcessors: [processor] });
// #endregion own-pipeline

it('sends the spans of a provider of your own through your transport', async () => {
  provider.getTracer('own-pipeline').startSpan('checkout').end();
  await provider.forceFlush();
  expect(collector.received.map((request) => request.url)).toEqual(['/v1/traces']);
  expect(collector.received[0]?.body.includes('checkout')).toBe(true);
  await provider.shutdown();
});
