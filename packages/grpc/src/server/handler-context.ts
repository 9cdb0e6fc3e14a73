import type { Metadata } from '@grpc/grpc-js';

/** What a Switchyard gRPC handler receives beside the request. */
export interface GrpcHandlerContext {
  /** The request metadata (headers). */
  readonly metadata: Metadata;
  /** The call's absolute deadline (ms, `Date.now()` clock; `Infinity` for none). Outgoing Switchyard calls inherit it. */
  readonly deadline: number;
  /** Aborts when the client cancels or the deadline passes. */
  readonly signal: AbortSignal;
  /** The full method path, e.g. `/shop.catalog.v1.CatalogService/GetProduct`. */
  readonly method: string;
  /** The client's address. */
  readonly peer: string;
}

/** A unary handler: return (or resolve) the response, or throw (see grpcError()). */
// biome-ignore lint/suspicious/noExplicitAny: handlers are written against generated message types; `any` lets them fit
export type UnaryHandler<Request = any, Response = any> = (
  request: Request,
  context: GrpcHandlerContext,
) => Promise<Response> | Response;

/** A server-streaming handler: an (async) iterable of responses, e.g. an async generator. */
// biome-ignore lint/suspicious/noExplicitAny: as for UnaryHandler
export type ServerStreamHandler<Request = any, Response = any> = (
  request: Request,
  context: GrpcHandlerContext,
) => AsyncIterable<Response> | Iterable<Response>;

/**
 * A client-streaming handler: read the requests (an async iterable: `for await`), then return (or
 * resolve) the one response, or throw. Iterating ends when the client half-closes; it throws the
 * signal's reason when the call is cancelled or its deadline passes.
 */
// biome-ignore lint/suspicious/noExplicitAny: as for UnaryHandler
export type ClientStreamHandler<Request = any, Response = any> = (
  requests: AsyncIterable<Request>,
  context: GrpcHandlerContext,
) => Promise<Response> | Response;

/**
 * A bidirectional-streaming handler: the requests as an async iterable, the responses as an (async)
 * iterable it returns, e.g. an async generator that reads and yields as it goes.
 */
// biome-ignore lint/suspicious/noExplicitAny: as for UnaryHandler
export type BidiStreamHandler<Request = any, Response = any> = (
  requests: AsyncIterable<Request>,
  context: GrpcHandlerContext,
) => AsyncIterable<Response> | Iterable<Response>;
