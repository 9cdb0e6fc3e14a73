import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

/** A query-string value; arrays repeat the key (`?tag=a&tag=b`); `undefined` is left out; numbers must be finite. */
export type QueryValue = string | number | boolean | undefined | readonly (string | number | boolean)[];

/**
 * A request body. Strings and bytes are replayable (a retry sends them again); a stream (a
 * `Readable` or any async iterable of chunks) is sent once and never retried after that.
 */
export type HttpRequestBody = string | Uint8Array | Readable | AsyncIterable<Uint8Array | string>;

/** One request, sent through discovery to an instance of the client's service. */
export interface HttpRequest {
  /** A token, upper-cased (`GET`, `POST`, …). @default 'GET' */
  method?: string;
  /** The path on the instance: starts with `/`, no scheme or host (`/products/sku-1?x=1`). */
  path: string;
  /** Appended to the path's query string. */
  query?: Readonly<Record<string, QueryValue>>;
  /** Request headers (names are tokens; values tab, printable ASCII or Latin-1, never CR/LF/NUL; numbers finite). */
  headers?: Readonly<Record<string, string | number | readonly string[] | undefined>>;
  /** Not allowed on GET and HEAD. */
  body?: HttpRequestBody | null;
  /** Relative timeout for the whole call, retries included. @default the client's defaultDeadlineMs */
  deadlineMs?: number;
  /** Absolute deadline (ms, `Date.now()` clock); the earlier of this, `deadlineMs` and the inherited one wins. */
  deadline?: number;
  /**
   * Aborts the call (CANCELLED), including reading the response body; DEADLINE_EXCEEDED when it
   * aborted because time ran out (`AbortSignal.timeout()`, a reason coded DEADLINE_EXCEEDED).
   */
  signal?: AbortSignal;
  /** Balancing key for sticky balancers (ring-hash, maglev). */
  key?: string;
  /**
   * Whether the request may be sent twice. @default true for GET, HEAD, OPTIONS, PUT, DELETE and
   * for any request with an `Idempotency-Key` header; false otherwise
   */
  idempotent?: boolean;
  /** `false`: resolve with error responses (≥ 400) instead of rejecting. @default the client's throwOnStatus */
  throwOnStatus?: boolean;
}

/** A response body: a Node `Readable` with fetch-style consumers (undici's body mixin). Consume it exactly once. */
export interface HttpResponseBody extends Readable {
  /** Reads the whole body as UTF-8 text. */
  text(): Promise<string>;
  /** Reads the whole body and parses it as JSON (rejects on malformed JSON). */
  json(): Promise<unknown>;
  /** Reads the whole body into an ArrayBuffer. */
  arrayBuffer(): Promise<ArrayBuffer>;
  /** Reads the whole body into a Uint8Array. */
  bytes(): Promise<Uint8Array>;
  /** True once the body was read (or began to be): a second read rejects. */
  readonly bodyUsed: boolean;
  /** Discards the rest of the body (frees the connection). */
  dump(options?: { limit: number }): Promise<void>;
}

/** The response to an {@link HttpRequest}. */
export interface HttpResponse {
  /** The HTTP status (a status ≥ 400 arrives here only with `throwOnStatus: false`). */
  status: number;
  /** The response headers, names lower-case. */
  headers: IncomingHttpHeaders;
  /** Read it (or `dump()` it): an unread body holds its connection. */
  body: HttpResponseBody;
}

/**
 * Options of the JSON helpers: an {@link HttpRequest} without method, path and body. With
 * `throwOnStatus: false` an error status resolves with its body parsed as JSON (`undefined` when empty).
 */
export type JsonRequestOptions = Omit<HttpRequest, 'method' | 'path' | 'body'>;

/** A client for one discovered HTTP service. */
export interface HttpClient {
  /** Sends one request (with retries where safe). Rejects with HttpCallError for status ≥ 400 unless `throwOnStatus: false`. */
  request(request: HttpRequest): Promise<HttpResponse>;
  /** GET `path`, parse the JSON reply (`undefined` for an empty body). */
  getJson<T = unknown>(path: string, options?: JsonRequestOptions): Promise<T>;
  /** POST `value` as JSON to `path`, parse the JSON reply. Not retried unless idempotent (see HttpRequest.idempotent). */
  postJson<T = unknown>(path: string, value: unknown, options?: JsonRequestOptions): Promise<T>;
  /** Instances with an open connection pool (for tests and metrics). */
  readonly openPools: number;
  /**
   * Stops using discovery and closes every pool, resolving once all have closed. Requests in flight
   * (a response body not yet read included) may finish for `closeGraceMs`; then what is left is
   * destroyed: a waiting call fails and an unread body errors with a `ClientClosedError`. Every call
   * returns the same promise.
   */
  close(): Promise<void>;
  /** `HttpClient(<service>, <policy>)`, for logs. */
  toString(): string;
}
