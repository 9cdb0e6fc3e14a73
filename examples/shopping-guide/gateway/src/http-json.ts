import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CancelledError,
  InvalidArgumentError,
  isExhaustedDownstream,
  type Logger,
  SwitchyardError,
} from '@switchyard/core';
import { GrpcCallError } from '@switchyard/grpc';
import { codeToHttpStatus, NO_RETRY_HEADER, publicErrorMessage } from '@switchyard/http';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * A request refused for its form rather than its content, answered with its own 4xx: 413 for a
 * body over the limit, 415 for a body that is not JSON. Its code stays INVALID_ARGUMENT, which is
 * how the SDK's HTTP clients read either status.
 */
export class RequestFormError extends InvalidArgumentError {
  constructor(
    readonly httpStatus: 413 | 415,
    field: string,
    rule: string,
  ) {
    super(field, rule);
    this.name = 'RequestFormError';
  }
}

/**
 * Reads a JSON request body (bounded); INVALID_ARGUMENT for a malformed body, a
 * {@link RequestFormError} (413) for one over 64 KiB, refused at once when its Content-Length says so.
 */
export async function readJson(request: IncomingMessage): Promise<unknown> {
  const tooLarge = () => new RequestFormError(413, 'body', `must be at most ${MAX_BODY_BYTES} bytes`);
  if (Number(request.headers['content-length']) > MAX_BODY_BYTES) throw tooLarge();
  let size = 0;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    // The client went away mid-body (Node's ECONNRESET "aborted"): its doing, not the gateway's.
    // Unmapped, it was a 500 logged at error level for every client that lost its connection.
    throw new CancelledError('the client closed the connection before the whole body arrived', { cause: error });
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
  } catch {
    throw new InvalidArgumentError('body', 'must be JSON');
  }
}

/**
 * The request's media type, lower case and without parameters (`Application/JSON; charset=utf-8`
 * is `application/json`); undefined when it sends no Content-Type.
 */
export function mediaType(request: IncomingMessage): string | undefined {
  const header = request.headers['content-type'];
  if (header === undefined) return undefined;
  return (header.split(';')[0] as string).trim().toLowerCase();
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

/**
 * Where the gateway's statuses differ from the SDK's (codeToHttpStatus): a conflict with the
 * shop's state (a reservation key reused with other lines) is a 409 to a shopper, and a full
 * bulkhead is this gateway being busy (503), not the shopper sending too much (429).
 * So is a downstream's RESOURCE_EXHAUSTED (a service out of capacity: catalog's stock store full,
 * a replica's own bulkhead, which gRPC carries as RESOURCE_EXHAUSTED): nothing in the shop limits
 * a shopper's rate, so it is never theirs to slow down. As a 429 it told any client "you sent too
 * much", without Retry-After, and its message was the downstream's own words about its internals
 * (`stock store MemoryStockStore(products=42, …, maxReservations=…) holds as many …`).
 */
const GATEWAY_STATUS: Readonly<Record<string, number>> = {
  FAILED_PRECONDITION: 409,
  BULKHEAD_FULL: 503,
  RESOURCE_EXHAUSTED: 503,
};

/**
 * Replies with `{ error: { code, message } }` and the status that matches the error's code. A
 * shopper's own mistake (4xx) gets its reason (a downstream's without its gRPC method); a 5xx
 * only the kind of failure, because its message describes the system (downstream names,
 * addresses, a store's error), and it is logged instead.
 * A failure of the gateway's own downstream calls after their retries carries the SDK's no-retry
 * header, so a caller that retries does not multiply them. A 503 says when to try again (Retry-After).
 */
export function sendError(response: ServerResponse, error: unknown, logger: Logger): void {
  const known = SwitchyardError.isInstance(error);
  // CANCELLED says the caller went away. A shopper still connected did not: the call was cut
  // downstream (a replica stopping past its grace cancels its calls), a failure of the system.
  // It was answered 499 "client closed request", unlogged, its message naming the gRPC method.
  const cutDownstream = known && error.code === 'CANCELLED' && !callerGone(response);
  const code = cutDownstream ? 'UNAVAILABLE' : known ? error.code : 'INTERNAL';
  const status = cutDownstream
    ? 503
    : error instanceof RequestFormError
      ? error.httpStatus
      : (GATEWAY_STATUS[code] ?? (known ? codeToHttpStatus(error) : 500));
  if (status === 500 || !known) logger.error({ err: error }, 'gateway: request failed');
  else if (status > 500) logger.warn({ err: error }, 'gateway: request failed');
  // A downstream's 4xx is told in that service's own words (`details`): the error's message also
  // names the internal gRPC method (`shop.catalog.v1.CatalogService/GetProduct: NOT_FOUND: …`).
  const message =
    status >= 500
      ? publicErrorMessage(status)
      : error instanceof GrpcCallError
        ? error.details
        : (error as Error).message;
  sendJson(
    response,
    status,
    { error: { code, message } },
    {
      ...(isExhaustedDownstream(error) ? { [NO_RETRY_HEADER]: '1' } : {}),
      ...retryAfter(status),
      // The rest of a body too large to take is not read: the connection closes after the reply.
      ...(status === 413 ? { connection: 'close' } : {}),
    },
  );
}

/**
 * `Retry-After` for a 503 (seconds): what the gateway cannot serve now (no instance, a breaker open,
 * a replica restarting, the gateway starting) heals within seconds, and without the header a client
 * cannot tell "try again shortly" from "broken". Nothing for a 504: the time ran out, and another
 * try at once is no worse than later.
 */
function retryAfter(status: number): Record<string, string> {
  return status === 503 ? { 'retry-after': '1' } : {};
}

/** Whether the connection this response would go out on is closed (the caller left). */
function callerGone(response: ServerResponse): boolean {
  return response.destroyed || !response.socket || response.socket.destroyed;
}
