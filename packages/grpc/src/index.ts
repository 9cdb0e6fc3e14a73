/**
 * @switchyard/grpc: gRPC calls through discovery, at nearly raw grpc-js speed.
 *
 * Stance: a call is a sequence of attempts, each on a freshly picked instance, under one
 * deadline that shrinks hop by hop; only failures that are safe to retry are retried (UNAVAILABLE),
 * by our policy and never again by grpc-js underneath it: for any method when the request certainly
 * never reached a server (a refused connection), and only for idempotent methods (the proto's
 * `idempotency_level`) when it may have run there; every attempt is a span; and a server
 * tells the truth about its health through the standard protocol, so probes and clients agree.
 *
 * @packageDocumentation
 */

// Client
export { createGrpcClient, DEFAULT_GRPC_CLIENT_OPTIONS, grpcClientMethodName } from './client/create-grpc-client.js';
export type { GrpcClientOptions } from './client/create-grpc-client.js';
export type { GrpcClient, GrpcClientMemberName, GrpcCallOptions } from './client/grpc-client-types.js';
export type { RequestStream } from './client/request-source.js';
export { DEFAULT_CHANNEL_OPTIONS, formatAddress } from './client/channel-pool.js';

// Server
export { createGrpcServer, DEFAULT_GRPC_SERVER_OPTIONS, HANDLER_UNWIND_MS } from './server/create-grpc-server.js';
export type { GrpcServer, GrpcServerOptions, GrpcServiceBinding } from './server/create-grpc-server.js';
export type {
  BidiStreamHandler,
  ClientStreamHandler,
  GrpcHandlerContext,
  ServerStreamHandler,
  UnaryHandler,
} from './server/handler-context.js';
export type { GrpcHandlers } from './server/grpc-handlers.js';

// Health
export { healthServiceDefinition } from './health/health-definition.js';
export type { ServingStatus } from './health/health-definition.js';

// Definitions and statuses
export { loadService, DEFAULT_PROTO_OPTIONS, serviceNameOf } from './definitions.js';
export { GrpcCallError, grpcError, DEFAULT_RETRYABLE_STATUSES } from './status.js';
export { status as GrpcStatus, Metadata, credentials, ServerCredentials } from '@grpc/grpc-js';
