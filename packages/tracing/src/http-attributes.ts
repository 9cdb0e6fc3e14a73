import type { Attributes, Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_METHOD,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_HTTP_SCHEME,
  ATTR_HTTP_STATUS_CODE,
  ATTR_HTTP_TARGET,
  ATTR_HTTP_URL,
  ATTR_NET_HOST_NAME,
  ATTR_NET_HOST_PORT,
  ATTR_NET_PEER_NAME,
  ATTR_NET_PEER_PORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_PEER_NAME,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
} from './attribute-names.js';
import type { RpcSpanOptions } from './rpc-span-options.js';
import type { SemconvMode } from './semconv-stability.js';
import { redactUrl } from './redact-url.js';

const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

/** The request method as the HTTP conventions want it: a known method, upper-case, or `_OTHER`. */
export function normalizedMethod(method: string): string {
  // Transports pass canonical methods: skip the upper-casing copy for them.
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** The HTTP span name: `{method}` on clients, `{method} {route}` on servers with a route; `HTTP` for unknown methods. */
export function httpSpanName(options: RpcSpanOptions, kind: 'client' | 'server'): string {
  const method = normalizedMethod(options.method);
  const name = method === '_OTHER' ? 'HTTP' : method;
  return kind === 'server' && options.route !== undefined ? `${name} ${options.route}` : name;
}

/** The server's `url.scheme`: the connection's when the transport gave it, else the target's, else `http`. */
function serverScheme(options: RpcSpanOptions, fromTarget: string | undefined): string {
  return options.scheme ?? fromTarget ?? 'http';
}

function splitTarget(target: string): { path: string; query: string | undefined; scheme: string | undefined } {
  // Only an absolute-form target has a scheme: '/login?next=https://…' is a path and a query.
  const schemeEnd = target.startsWith('/') ? -1 : target.indexOf('://');
  const scheme = schemeEnd > 0 ? target.slice(0, schemeEnd) : undefined;
  const pathStart = scheme === undefined ? 0 : target.indexOf('/', schemeEnd + 3);
  const rest = pathStart < 0 ? '/' : target.slice(pathStart);
  const queryStart = rest.indexOf('?');
  return queryStart < 0
    ? { path: rest, query: undefined, scheme }
    : { path: rest.slice(0, queryStart), query: rest.slice(queryStart + 1), scheme };
}

function stableStart(
  options: RpcSpanOptions,
  url: string | undefined,
  kind: 'client' | 'server',
  attributes: Attributes,
): void {
  const method = normalizedMethod(options.method);
  attributes[ATTR_HTTP_REQUEST_METHOD] = method;
  // Whenever it differs, as the conventions require: `_OTHER`, and a canonical form too (`get` → `GET`).
  if (method !== options.method) attributes[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = options.method;
  if (options.serverAddress !== undefined) attributes[ATTR_SERVER_ADDRESS] = options.serverAddress;
  if (options.serverPort !== undefined) attributes[ATTR_SERVER_PORT] = options.serverPort;
  if (kind === 'client') {
    if (url !== undefined) attributes[ATTR_URL_FULL] = url;
    const attempt = options.attempt ?? 1;
    if (attempt > 1) attributes[ATTR_HTTP_REQUEST_RESEND_COUNT] = attempt - 1;
    return;
  }
  if (url !== undefined) {
    const { path, query, scheme } = splitTarget(url);
    attributes[ATTR_URL_PATH] = path;
    if (query !== undefined) attributes[ATTR_URL_QUERY] = query;
    attributes[ATTR_URL_SCHEME] = serverScheme(options, scheme);
  }
  if (options.route !== undefined) attributes[ATTR_HTTP_ROUTE] = options.route;
}

function oldStart(
  options: RpcSpanOptions,
  url: string | undefined,
  kind: 'client' | 'server',
  attributes: Attributes,
): void {
  attributes[ATTR_HTTP_METHOD] = options.method;
  if (kind === 'client') {
    if (url !== undefined) attributes[ATTR_HTTP_URL] = url;
    if (options.serverAddress !== undefined) attributes[ATTR_NET_PEER_NAME] = options.serverAddress;
    if (options.serverPort !== undefined) attributes[ATTR_NET_PEER_PORT] = options.serverPort;
    return;
  }
  if (url !== undefined) {
    const { path, query, scheme } = splitTarget(url);
    attributes[ATTR_HTTP_TARGET] = query === undefined ? path : `${path}?${query}`;
    attributes[ATTR_HTTP_SCHEME] = serverScheme(options, scheme);
  }
  if (options.route !== undefined) attributes[ATTR_HTTP_ROUTE] = options.route;
  if (options.serverAddress !== undefined) attributes[ATTR_NET_HOST_NAME] = options.serverAddress;
  if (options.serverPort !== undefined) attributes[ATTR_NET_HOST_PORT] = options.serverPort;
}

/**
 * Start attributes of an HTTP span. `stable` (the default; HTTP conventions are stable since
 * v1.23): `http.request.method`, `server.address`/`server.port`, `url.full` (client) or
 * `url.path`/`url.query`/`url.scheme`/`http.route` (server), `http.request.resend_count` on retries.
 * `dup` adds the pre-1.21 names (`http.method`, `http.url`, `net.peer.name`, …). URLs and targets
 * are recorded with credentials and signed-URL query values redacted, as the conventions require
 * (see {@link redactUrl}).
 */
export function httpStartAttributes(options: RpcSpanOptions, kind: 'client' | 'server', mode: SemconvMode): Attributes {
  const attributes: Attributes = {};
  const url = options.url === undefined ? undefined : redactUrl(options.url);
  if (mode !== 'old') stableStart(options, url, kind, attributes);
  if (mode !== 'stable') oldStart(options, url, kind, attributes);
  if (kind === 'client') attributes[ATTR_SERVICE_PEER_NAME] = options.service;
  return attributes;
}

/** End attributes for an HTTP status: `http.response.status_code` (stable), `http.status_code` (old), `error.type`. */
export function setHttpStatusAttributes(span: Span, status: number, mode: SemconvMode, isError: boolean): void {
  if (mode !== 'old') {
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    if (isError) span.setAttribute(ATTR_ERROR_TYPE, String(status));
  }
  if (mode !== 'stable') span.setAttribute(ATTR_HTTP_STATUS_CODE, status);
}

/** Whether an HTTP status marks the span as an error: 4xx and 5xx on a client, 5xx on a server. */
export function isHttpError(status: number, kind: 'client' | 'server'): boolean {
  return status >= (kind === 'client' ? 400 : 500);
}

/** One request served, for {@link httpServerMetricAttributes}. */
export interface HttpServerSample {
  method: string;
  /** The status recorded on the SERVER span. */
  status: number;
  scheme: 'http' | 'https';
  route?: string | undefined;
}

/**
 * The attributes of an `http.server.request.duration` sample, as the HTTP metric conventions want
 * them and as the SERVER span of the same request records them: the method normalized (`_OTHER`
 * for unknown ones: the raw method is unbounded cardinality), `url.scheme`, `http.route` when
 * there is one, and `error.type` (the status) for a 5xx.
 */
export function httpServerMetricAttributes(sample: HttpServerSample): Attributes {
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: normalizedMethod(sample.method),
    [ATTR_HTTP_RESPONSE_STATUS_CODE]: sample.status,
    [ATTR_URL_SCHEME]: sample.scheme,
  };
  if (sample.route !== undefined) attributes[ATTR_HTTP_ROUTE] = sample.route;
  if (isHttpError(sample.status, 'server')) attributes[ATTR_ERROR_TYPE] = String(sample.status);
  return attributes;
}

/** One attempt of an HTTP client call, for `switchyardInstruments().recordHttpClientAttempt`. */
export interface HttpClientSample {
  /** The Switchyard name of the service called (`catalog`), recorded as `service.peer.name` as on the CLIENT span. */
  service: string;
  /** The request method (recorded normalized: upper-case, `_OTHER` for unknown ones). */
  method: string;
  /** The response status; undefined when the attempt got no response. */
  status?: number | undefined;
  /**
   * What failed, as the attempt's CLIENT span records it in `error.type` (the error's code:
   * `UNAVAILABLE`, `DEADLINE_EXCEEDED`, `CANCELLED`, `INTERNAL`). Without a status it is always
   * recorded (`_OTHER` when not given); with a status below 400 it names a failure after the
   * response arrived (a body that broke off or did not parse); with an error status, the status
   * is the `error.type`, as on the span.
   */
  errorType?: string | undefined;
}

/**
 * The attributes of an `http.client.request.duration` sample (`recordHttpClientAttempt`), as the
 * attempt's CLIENT span records them.
 */
export function httpClientMetricAttributes(sample: HttpClientSample): Attributes {
  const attributes: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: normalizedMethod(sample.method),
    [ATTR_SERVICE_PEER_NAME]: sample.service,
  };
  if (sample.status === undefined) {
    attributes[ATTR_ERROR_TYPE] = sample.errorType ?? '_OTHER';
  } else {
    attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = sample.status;
    if (isHttpError(sample.status, 'client')) attributes[ATTR_ERROR_TYPE] = String(sample.status);
    // A response arrived and the attempt still failed (its body broke off or did not parse): the
    // status stays (the conventions require it whenever one was received, and the span keeps it),
    // and error.type names the failure, as endRpcSpan sets it on the span.
    else if (sample.errorType !== undefined) attributes[ATTR_ERROR_TYPE] = sample.errorType;
  }
  return attributes;
}
