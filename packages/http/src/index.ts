/**
 * @switchyard/http: REST calls and REST services with the same guarantees as gRPC, on undici.
 *
 * Stance: a request is a sequence of attempts, each on a freshly picked instance, under one
 * deadline that travels with it (a header) and shrinks hop by hop; a request is sent twice only
 * when that is safe — its method is idempotent, it carries an `Idempotency-Key`, or nothing
 * reached the server — and a stream body is never sent twice; an error status is an error, with
 * the response kept on it; every attempt is a span; and a server tells probes the truth about
 * whether it wants traffic.
 *
 * @packageDocumentation
 */

// Client
export { createHttpClient } from './client/create-http-client.js';
export { DEFAULT_HTTP_CLIENT_OPTIONS } from './client/http-client-options.js';
export type { HttpClientOptions } from './client/http-client-options.js';
export type {
  HttpClient,
  HttpRequest,
  HttpRequestBody,
  HttpResponse,
  HttpResponseBody,
  JsonRequestOptions,
  QueryValue,
} from './client/http-client-types.js';

// Server
export { httpHandler, isConnectApp } from './server/http-handler.js';
export type { HttpRequestHandler, SwitchyardHttpListener } from './server/http-handler.js';
export { switchyardFastify } from './server/switchyard-fastify.js';
export type { SwitchyardFastifyOptions } from './server/switchyard-fastify.js';
export { DEFAULT_HTTP_SERVER_OPTIONS } from './server/server-options.js';
export type { HttpServerOptions } from './server/server-options.js';
export { requestContext } from './server/incoming-call.js';
export type { HttpHandlerContext } from './server/incoming-call.js';

// Health
export { createHealthState } from './server/health-state.js';
export type { HealthState, HealthStateOptions } from './server/health-state.js';

// Errors, statuses and headers
export { HttpCallError } from './status/http-call-error.js';
export type { HttpCallErrorInit } from './status/http-call-error.js';
export { httpStatusToCode, codeToHttpStatus } from './status/status-mapping.js';
export { parseRetryAfterMs } from './status/retry-after.js';
export { DEFAULT_DEADLINE_HEADER } from './deadline-header.js';
export { NO_RETRY_HEADER } from './status/no-retry.js';
export { publicMessage as publicErrorMessage } from './server/error-reply.js';
