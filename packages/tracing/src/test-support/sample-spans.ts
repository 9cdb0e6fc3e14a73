import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { endRpcSpan } from '../end-rpc-span.js';
import { startClientAttemptSpan } from '../start-client-attempt-span.js';

/**
 * Finished spans of two resources and two scopes each (one with a schema URL), interleaved, with
 * every kind of attribute value, links, events, a remote parent and an error status: what an
 * encoder must get byte for byte right.
 */
export function realSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const providers = [
    new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'encoder-test', 'host.id': 'ü-host', pid: 4242 }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }),
    new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'second' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }),
  ];
  for (const provider of providers) {
    const client = provider.getTracer('@switchyard/tracing', '1.2.3');
    const other = provider.getTracer('plain', undefined, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
    const parent = client.startSpan('parent', { kind: SpanKind.SERVER });
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
    });
    const child = client.startSpan(
      'shop.catalog.v1.CatalogService/GetProduct',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'rpc.system': 'grpc',
          'server.port': 50051,
          'switchyard.attempt': 2,
          ratio: 0.25,
          negative: -7,
          big: 2 ** 52 + 1,
          flag: true,
          list: ['a', 'b'],
          numbers: [1, 2.5, -3],
          naïve: 'värde ✓',
        },
        links: [
          { context: trace.getSpanContext(remote)!, attributes: { 'link.kind': 'follows' } },
          { context: parent.spanContext() },
        ],
      },
      remote,
    );
    child.addEvent('retry', { 'retry.delay_ms': 12 });
    child.recordException(new Error('upstream unavailable'));
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'UNAVAILABLE: ¡no!' });
    child.end();
    other.startSpan('', { kind: SpanKind.INTERNAL }, trace.setSpan(ROOT_CONTEXT, parent)).end();
    parent.end();
  }
  return exporter.getFinishedSpans();
}

/**
 * Records one gRPC client attempt through the active tracer (started and ended OK, to be exported
 * by initTracing's pipeline); returns its trace id.
 */
export function recordOneCall(): string {
  const span = startClientAttemptSpan({
    system: 'grpc',
    service: 'shop.catalog.v1.CatalogService',
    method: 'GetProduct',
    serverAddress: '127.0.0.1',
    serverPort: 50051,
  });
  endRpcSpan(span, { grpcStatusCode: 0 });
  return span.spanContext().traceId;
}
