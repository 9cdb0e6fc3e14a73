import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { describe, expect, it } from 'vitest';
import { withoutNoopTracerMetrics } from './quiet-tracer-metrics.js';

describe('withoutNoopTracerMetrics', () => {
  it('replaces the SDK tracer’s span metrics, and its spans still start, end and export', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('quiet');
    const sdkMetrics = (tracer as unknown as { _tracerMetrics: unknown })._tracerMetrics;
    // The SDK still keeps them where this looks (a renamed field would leave them in place).
    expect(typeof (sdkMetrics as { startSpan?: unknown }).startSpan).toBe('function');

    expect(withoutNoopTracerMetrics(tracer)).toBe(tracer);
    expect((tracer as unknown as { _tracerMetrics: unknown })._tracerMetrics).not.toBe(sdkMetrics);
    tracer.startSpan('one').end();
    tracer.startSpan('two').end();
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['one', 'two']);
  });

  it('leaves a tracer that is not the SDK’s alone', () => {
    const foreign = { startSpan: () => undefined, startActiveSpan: () => undefined };
    expect(withoutNoopTracerMetrics(foreign as never)).toEqual(foreign);
    expect(Object.keys(foreign)).toEqual(['startSpan', 'startActiveSpan']);
  });
});
