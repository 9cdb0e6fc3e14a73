import { type Attributes, context, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type Sampler,
  SamplingDecision,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { endRpcSpan, initTracing, startClientAttemptSpan, type Tracing } from './index.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';

let tracing: Tracing | undefined;
let provider: BasicTracerProvider | undefined;
resetOpenTelemetryAfterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
  await provider?.shutdown();
  provider = undefined;
});

const callOptions = {
  system: 'grpc' as const,
  service: 'shop.catalog.v1.CatalogService',
  method: 'GetProduct',
  serverAddress: '10.0.0.7',
  serverPort: 50051,
  attempt: 2,
};

describe('span attributes and sampling', () => {
  it('hands the attributes to a sampler that is not initTracing’s, at start', () => {
    const seen: Attributes[] = [];
    const sampler: Sampler = {
      shouldSample: (_context, _traceId, _name, _kind, attributes) => {
        seen.push({ ...attributes });
        return { decision: SamplingDecision.RECORD_AND_SAMPLED };
      },
      toString: () => 'RecordingSampler',
    };
    const exporter = new InMemorySpanExporter();
    provider = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);

    endRpcSpan(startClientAttemptSpan(callOptions), { grpcStatusCode: 0 });

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ 'rpc.system': 'grpc', 'server.address': '10.0.0.7', 'switchyard.attempt': 2 });
    expect(exporter.getFinishedSpans()[0]?.attributes).toMatchObject({ 'rpc.method': 'GetProduct' });
  });

  it('sets the same attributes on initTracing’s spans, after sampling', () => {
    tracing = initTracing({ serviceName: 'attributes-test', exporter: 'memory', sampleRatio: 1 });
    endRpcSpan(startClientAttemptSpan(callOptions), { grpcStatusCode: 0 });
    const [span] = tracing.getFinishedSpans();
    expect(span?.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'shop.catalog.v1.CatalogService',
      'rpc.method': 'GetProduct',
      'server.address': '10.0.0.7',
      'server.port': 50051,
      'switchyard.attempt': 2,
      'rpc.grpc.status_code': 0,
    });
  });

  it('returns a non-recording span with nothing set when initTracing samples a call out', () => {
    tracing = initTracing({ serviceName: 'attributes-test', exporter: 'memory', sampleRatio: 0 });
    const span = startClientAttemptSpan(callOptions);
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    endRpcSpan(span, { grpcStatusCode: 0 });
    expect(tracing.getFinishedSpans()).toHaveLength(0);
    expect(trace.getSpan(context.active())).toBeUndefined();
  });
});
