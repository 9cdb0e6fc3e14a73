import type { IncomingHttpHeaders } from 'node:http';
import { SwitchyardError } from '@switchyard/core';
import { parseRetryAfterMs } from './retry-after.js';
import { httpStatusToCode } from './status-mapping.js';

/** What {@link HttpCallError} is built from. */
export interface HttpCallErrorInit {
  /** The response status (≥ 400); it decides the error's `code`. */
  status: number;
  /** The response headers (`retry-after` becomes `retryAfterMs`). */
  headers: IncomingHttpHeaders;
  /** The response body as text, already cut to the size limit. */
  body: string;
  /** Whether `body` was cut. @default false */
  bodyTruncated?: boolean;
  /** `"METHOD /path"` (and the service), for the message. @default none (the message starts with the status) */
  request?: string;
  /** Whether the policy may retry the request (decided by the client: status and idempotency). @default false */
  retryable?: boolean;
  /** The underlying error, if any. @default none */
  cause?: unknown;
}

// Enough of the body in the message to see what went wrong, never a whole page.
const MESSAGE_BODY_CHARS = 200;

/**
 * An HTTP response with an error status (≥ 400), as a Switchyard error: `code` from the status
 * (see httpStatusToCode), and the response kept for the caller: `status`, `headers`, `body` (text,
 * bounded by the client's `maxErrorBodyBytes`) and `retryAfterMs` from a `Retry-After` header (the
 * pushback the retry policy honours).
 *
 * @example
 * ```ts
 * try { await catalog.getJson('/products/sku-1'); }
 * catch (error) { if (error instanceof HttpCallError && error.status === 404) return undefined; throw error; }
 * ```
 */
export class HttpCallError extends SwitchyardError {
  /** The response status (≥ 400). */
  readonly status: number;
  /** The response headers, names lower-case. */
  readonly headers: IncomingHttpHeaders;
  /** The response body as text, cut at the client's `maxErrorBodyBytes` (65,536 by default). */
  readonly body: string;
  /** Whether `body` was cut at that limit (the rest was not read). */
  readonly bodyTruncated: boolean;
  /** The `Retry-After` header in ms (seconds or a date; a day at most); `undefined` when absent or malformed. */
  readonly retryAfterMs: number | undefined;

  /** The message reads `[<request>: ]HTTP <status> <code>[: <first 200 characters of the body>]`. */
  constructor(init: HttpCallErrorInit) {
    const code = httpStatusToCode(init.status);
    const snippet = init.body.length > MESSAGE_BODY_CHARS ? `${init.body.slice(0, MESSAGE_BODY_CHARS)}…` : init.body;
    super(
      code,
      `${init.request ? `${init.request}: ` : ''}HTTP ${init.status} ${code}${snippet ? `: ${snippet}` : ''}`,
      {
        retryable: init.retryable ?? false,
        cause: init.cause,
      },
    );
    this.status = init.status;
    this.headers = init.headers;
    this.body = init.body;
    this.bodyTruncated = init.bodyTruncated ?? false;
    this.retryAfterMs = parseRetryAfterMs(init.headers['retry-after']);
  }

  /** The body parsed as JSON, or `undefined` when it is empty, cut or not JSON. */
  json<T = unknown>(): T | undefined {
    if (this.bodyTruncated || this.body === '') return undefined;
    try {
      return JSON.parse(this.body) as T;
    } catch {
      return undefined;
    }
  }
}
