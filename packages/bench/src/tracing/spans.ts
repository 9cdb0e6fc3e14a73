import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { endRpcSpan, initTracing, startClientAttemptSpan } from '@switchyard/tracing';

/**
 * `count` real CLIENT attempt spans, as the gRPC client records them (a few services, methods and
 * backends; `errorShare` of them UNAVAILABLE with the exception as an event), from a real provider.
 */
export async function clientAttemptSpans(count: number, errorShare: number): Promise<ReadableSpan[]> {
  const tracing = initTracing({ serviceName: 'bench-tracing', exporter: 'memory', sampleRatio: 1 });
  try {
    const methods = ['GetProduct', 'ListProducts', 'Recommend', 'Search'];
    for (let index = 0; index < count; index++) {
      const span = startClientAttemptSpan({
        system: 'grpc',
        service: `shop.catalog.v1.CatalogService`,
        method: methods[index % methods.length] as string,
        serverAddress: `10.0.0.${(index % 3) + 1}`,
        serverPort: 50051,
        attempt: 1,
      });
      const failed = (index * 7919) % 1000 < errorShare * 1000;
      endRpcSpan(
        span,
        failed ? { grpcStatusCode: 14, error: new Error('UNAVAILABLE: connection refused') } : { grpcStatusCode: 0 },
      );
    }
    const spans = tracing.getFinishedSpans();
    if (spans.length !== count) throw new Error(`expected ${count} spans, the memory exporter holds ${spans.length}`);
    return [...spans];
  } finally {
    await tracing.shutdown();
  }
}
