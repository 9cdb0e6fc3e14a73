import type { ServerResponse } from 'node:http';
import { type Logger, SwitchyardError, isExhaustedDownstream } from '@switchyard/core';
import { NO_RETRY_HEADER } from '../status/no-retry.js';
import { codeToHttpStatus } from '../status/status-mapping.js';

/**
 * Replies to a request whose handler failed: a Switchyard error by its code (NOT_FOUND 404,
 * INVALID_ARGUMENT 400, UNAVAILABLE 503…) with `{ error: { code, message } }`. The message is the
 * error's own for a 4xx (it is about the request: what was not found, which field was wrong); a
 * 5xx says only what kind of failure it was, because its message describes this side (downstream
 * addresses, a downstream's body, an internal error's text), and is logged instead. Any other
 * error is 500 `internal error`. If the response had already started, the connection is destroyed
 * so the client sees a failure, not a short body; if it had already ended, it is left to finish. A failure of the handler's own downstream calls
 * after their retries carries `x-switchyard-no-retry: 1`.
 */
export function writeErrorReply(response: ServerResponse, error: unknown, logger: Logger): void {
  const known = SwitchyardError.isInstance(error);
  const status = codeToHttpStatus(error);
  logHandlerFailure(error, status, logger);
  // The reply was already complete (a failure after response.end(), say an after-reply audit
  // call): it stands, and the body still flushing must not be cut off. Logging above says enough.
  if (response.writableEnded) return;
  if (response.headersSent) {
    response.destroy(error instanceof Error ? error : undefined);
    return;
  }
  const body = JSON.stringify({
    error: known
      ? { code: error.code, message: status < 500 ? error.message : publicMessage(status) }
      : { code: 'INTERNAL', message: 'internal error' },
  });
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(isExhaustedDownstream(error) ? { [NO_RETRY_HEADER]: '1' } : {}),
  });
  response.end(body);
}

/** Logs what a reply will not say: any unknown error and 500 at error, other 5xx at warn. */
export function logHandlerFailure(error: unknown, status: number, logger: Logger): void {
  if (!SwitchyardError.isInstance(error) || status === 500)
    logger.error({ err: error }, 'switchyard http: handler failed');
  else if (status >= 500) logger.warn({ err: error }, 'switchyard http: handler failed');
}

/**
 * What a 5xx reply says instead of the error's own message (which describes the server's side:
 * downstream names and addresses, internal text): `service unavailable` (503), `deadline exceeded`
 * (504), else `internal error`. httpHandler and the Fastify plugin reply with it; a server that
 * writes its own error bodies can too.
 */
export function publicMessage(status: number): string {
  if (status === 503) return 'service unavailable';
  if (status === 504) return 'deadline exceeded';
  return 'internal error';
}

/** Writes a small plain-text probe reply (never cached). */
export function writeProbeReply(response: ServerResponse, status: number, text: string, head: boolean): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(head ? undefined : text);
}
