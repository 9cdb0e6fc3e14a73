import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidArgumentError, SwitchyardError } from '@switchyard/core';

const MAX_BODY_BYTES = 64 * 1024;

/** Reads a JSON request body (bounded); INVALID_ARGUMENT for malformed or oversized bodies. */
export async function readJson(request: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new InvalidArgumentError('body', `must be at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch {
    throw new InvalidArgumentError('body', 'must be JSON');
  }
}

/** Writes a JSON response. */
export function sendJson(
  response: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  response.end(body);
}

/** HTTP status for an error from a downstream call (or from validation). */
const STATUS_BY_CODE: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 409,
  RESOURCE_EXHAUSTED: 429,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  DEADLINE_EXCEEDED: 504,
  UNAVAILABLE: 503,
  NO_INSTANCES: 503,
  CIRCUIT_OPEN: 503,
  RETRY_EXHAUSTED: 503,
  RETRY_BUDGET_EXHAUSTED: 503,
  BULKHEAD_FULL: 503,
};

/** Replies with `{ error: { code, message } }` and the status that matches the error's code. */
export function sendError(response: ServerResponse, error: unknown): void {
  const code = SwitchyardError.isInstance(error) ? error.code : 'INTERNAL';
  const status = STATUS_BY_CODE[code] ?? 500;
  // Internal details stay in the logs; a client sees the code and, for its own mistakes, the reason.
  const message = status < 500 || status === 503 || status === 504 ? (error as Error).message : 'internal error';
  sendJson(response, status, { error: { code, message } });
}
