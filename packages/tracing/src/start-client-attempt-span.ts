import type { Span } from '@opentelemetry/api';
import type { RpcSpanOptions } from './rpc-span-options.js';
import { startRpcSpan } from './start-rpc-span.js';

/**
 * Starts the CLIENT span of one physical attempt: a call retried twice has three. Name
 * `service/method` (gRPC) or the HTTP method (HTTP); attributes follow the RPC or HTTP semantic
 * conventions chosen by `OTEL_SEMCONV_STABILITY_OPT_IN` (see the README), plus `switchyard.attempt`.
 * The parent is `options.parent`, else the active context. End it with {@link endRpcSpan}.
 *
 * With no tracer provider registered it returns a shared non-recording span and does nothing else.
 *
 * @example
 * ```ts
 * const span = startClientAttemptSpan({ system: 'grpc', service: 'shop.catalog.v1.CatalogService',
 *   method: 'GetProduct', serverAddress: '10.0.0.7', serverPort: 50051, attempt });
 * injectTraceContext(headers, trace.setSpan(context.active(), span));
 * ```
 */
export function startClientAttemptSpan(options: RpcSpanOptions): Span {
  return startRpcSpan(options, 'client');
}
