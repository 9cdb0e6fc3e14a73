import type { Context, Span } from '@opentelemetry/api';
import type { RpcSpanOptions } from './rpc-span-options.js';
import { startRpcSpan } from './start-rpc-span.js';

/**
 * Starts the SERVER span of an incoming call, as a child of the caller's context (from
 * {@link extractTraceContext}). Name `service/method` (gRPC), or `METHOD route` / `METHOD` (HTTP).
 * Run the handler inside `context.with(trace.setSpan(parent, span), …)`; end it with
 * {@link endRpcSpan}. With no tracer provider registered it returns a shared non-recording span.
 *
 * @example
 * ```ts
 * const parent = extractTraceContext(headers);
 * const span = startServerSpan({ system: 'http', service: 'catalog', method: 'GET', route: '/products/:id', parent });
 * ```
 */
export function startServerSpan(options: RpcSpanOptions & { parent: Context }): Span {
  return startRpcSpan(options, 'server');
}
