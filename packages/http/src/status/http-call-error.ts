import type { IncomingHttpHeaders } from 'node:http';
import { SwitchyardError } from '@switchyard/core';
import { parseRetryAfterMs } from './retry-after.js';
import { httpStatusToCode } from './status-mapping.js';

/** What {@link HttpCallError} is built from. */
export interface HttpCallErrorInit {
  status: number;
  headers: IncomingHttpHeaders;
  /** The response body as text, already cut to the size limit. */
  body: string;
  /** Whether `body` was cut. @default false */
  bodyTruncated?: boolean;
  /** `"METHOD /path"` (and the service), for the message. */
  request?: string;
  /** Whether the policy may retry the request (decided by the client: status and idempotency). @default false */
  retryable?: boolean;
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
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly bodyTruncated: boolean;
  readonly retryAfterMs: number | undefined;

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
