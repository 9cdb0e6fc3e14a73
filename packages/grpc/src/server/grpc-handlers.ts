import type { ServiceDefinition } from '@grpc/grpc-js';
import type { DeclaredMethod, KnownKey } from '../method-names.js';
import type { GrpcHandlerContext } from './handler-context.js';

// A handler receives the decoded request (proto-loader's `__Output` type, defaults filled) and
// returns what the response serializer takes (the plain message type). Read structurally, as the
// client's types are, so grpc-js's own MethodDefinition and proto-loader's generated ones both fit.
type HandlerRequest<M> = M extends { requestDeserialize: (bytes: Buffer) => infer Request } ? Request : never;
type HandlerResponse<M> = M extends { responseSerialize: (value: infer Response) => Buffer } ? Response : never;

/** What a handler with one response returns: the response, or a promise of it. */
type OneReply<M> = Promise<HandlerResponse<M>> | HandlerResponse<M>;
/** What a handler with streamed responses returns: an (async) iterable of them, e.g. an async generator. */
type Replies<M> = AsyncIterable<HandlerResponse<M>> | Iterable<HandlerResponse<M>>;

/** A unary method's handler: return (or resolve) the response, or throw (see grpcError()). */
type Unary<M> = (request: HandlerRequest<M>, context: GrpcHandlerContext) => OneReply<M>;

/** A server-streaming method's handler: an (async) iterable of responses, e.g. an async generator. */
type ServerStream<M> = (request: HandlerRequest<M>, context: GrpcHandlerContext) => Replies<M>;

/** Either, for a method whose definition does not say whether it streams. */
type UnaryOrServerStream<M> = (request: HandlerRequest<M>, context: GrpcHandlerContext) => OneReply<M> | Replies<M>;

/** A client-streaming method's handler: read the requests (`for await`), return the one response. */
type ClientStream<M> = (requests: AsyncIterable<HandlerRequest<M>>, context: GrpcHandlerContext) => OneReply<M>;

/** A bidirectional method's handler: the requests in, an (async) iterable of responses out. */
type BidiStream<M> = (requests: AsyncIterable<HandlerRequest<M>>, context: GrpcHandlerContext) => Replies<M>;

/** Either, for a method whose requests stream and whose definition does not say whether its responses do. */
type ClientOrBidiStream<M> = (
  requests: AsyncIterable<HandlerRequest<M>>,
  context: GrpcHandlerContext,
) => OneReply<M> | Replies<M>;

/** Whether method K is in the (proto or camelCase) names given, or unsaid (`string`). */
type Listed<K, Names extends string> = string extends Names
  ? 'unsaid'
  : K extends Names
    ? 'yes'
    : Uncapitalize<K & string> extends Names
      ? 'yes'
      : 'no';

/** Whether M's responses stream: as its definition says, else as the names given say. */
type ResponsesStream<M, K, ServerStreaming extends string> = M extends { responseStream: true }
  ? 'yes'
  : M extends { responseStream: false }
    ? 'no'
    : Listed<K, ServerStreaming>;

/** Whether M's requests stream: as its definition says, else as the names given say. */
type RequestsStream<M, K, RequestStreaming extends string> = M extends { requestStream: true }
  ? 'yes'
  : M extends { requestStream: false }
    ? 'no'
    : Listed<K, RequestStreaming>;

/**
 * Any of the four, for a method whose definition says nothing and whose names were not given (what
 * createGrpcServer checks a generated definition's handlers against): the request reads both as a
 * message and as the messages of a stream, so a handler of either kind fits without a cast. The
 * server hands it what the method really takes; name the methods for precise types.
 */
type AnyHandler<M> = (
  request: HandlerRequest<M> & AsyncIterable<HandlerRequest<M>>,
  context: GrpcHandlerContext,
) => OneReply<M> | Replies<M>;

type HandlerFor<M, K, ServerStreaming extends string, RequestStreaming extends string> =
  RequestsStream<M, K, RequestStreaming> extends 'yes'
    ? ResponsesStream<M, K, ServerStreaming> extends 'yes'
      ? BidiStream<M>
      : ResponsesStream<M, K, ServerStreaming> extends 'no'
        ? ClientStream<M>
        : ClientOrBidiStream<M>
    : RequestsStream<M, K, RequestStreaming> extends 'no'
      ? ResponsesStream<M, K, ServerStreaming> extends 'yes'
        ? ServerStream<M>
        : ResponsesStream<M, K, ServerStreaming> extends 'no'
          ? Unary<M>
          : UnaryOrServerStream<M>
      : AnyHandler<M>;

/**
 * The handlers `createGrpcServer` takes for a typed service definition, one per method under its
 * camelCased name (`GetProduct` → `getProduct`), each typed from the definition: the request is
 * the decoded message (`GetProductRequest__Output`), the reply the message to send
 * (`GetProductResponse`).
 *
 * - unary: `(request, context) => Promise<Response> | Response`
 * - server streaming: `(request, context) => AsyncIterable<Response> | Iterable<Response>` (an
 *   async generator, say)
 * - client streaming: `(requests, context) => Promise<Response> | Response`, where `requests` is an
 *   `AsyncIterable<Request>` to read with `for await`
 * - bidirectional: `(requests, context) => AsyncIterable<Response> | Iterable<Response>`
 *
 * proto-loader's generated definitions do not say which methods stream (their `responseStream` is
 * a `boolean`), so each handler may be either unless `ServerStreaming` names the streaming ones
 * (proto or camelCase names; `never` for a service that has none): those are then typed as
 * streams and every other method as unary, which also makes a handler's result precise for code
 * that calls it directly. A definition whose `responseStream` is `true` or `false` (written out
 * by hand) is followed as it says. Every method must have a handler. Generated definitions do not
 * say whose requests stream either: name those in `RequestStreaming` (default: none), and each is
 * typed as client streaming, or as bidirectional when it is also among the streaming responses.
 *
 * @example
 * ```ts
 * const implementation: GrpcHandlers<CatalogServiceDefinition, never> = {
 *   async getProduct({ id }) { return { product: await products.get(id) }; },
 * };
 * ```
 */
export type GrpcHandlers<D, ServerStreaming extends string = string, RequestStreaming extends string = never> = {
  [K in keyof D as Uncapitalize<KnownKey<K> & string>]: HandlerFor<D[K], K, ServerStreaming, RequestStreaming>;
};

/**
 * What a binding's `implementation` is checked against: {@link GrpcHandlers} for a typed
 * definition, with nothing named (a generated definition's handlers may be of any kind, each
 * handed what its method takes); any object for an untyped one (from `loadService()` without a
 * type argument), whose handler names are checked when the server starts. A class instance fits
 * either: its handlers are its methods (see createGrpcServer).
 */
export type GrpcImplementation<D extends ServiceDefinition> = [DeclaredMethod<D>] extends [never]
  ? object
  : GrpcHandlers<D, string, string>;
