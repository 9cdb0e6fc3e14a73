import { InvalidArgumentError } from '@switchyard/core';

/** The header that carries a request's remaining deadline, in whole milliseconds. */
export const DEFAULT_DEADLINE_HEADER = 'x-switchyard-deadline-ms';

/** An HTTP token (RFC 9110): what a header name may be. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Header names a deadline header must not take: they already mean something to HTTP, undici or the
 * client. As the client's header, a per-connection one (`connection`, `transfer-encoding`…) made
 * undici refuse every request, `content-length` or `host` broke every request's framing or
 * addressing, and `content-type` or a trace header replaced (or was replaced by) the client's own;
 * as the server's, `content-length: 0` read as "no time left" and answered a bodyless POST 504.
 */
const RESERVED_HEADER_NAMES = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'accept',
  'authorization',
  'cookie',
  'traceparent',
  'tracestate',
  'baggage',
]);

/**
 * The lower-case form of a `deadlineHeader` option; throws INVALID_ARGUMENT naming `field` for a
 * value that is not a header name, or a name HTTP or the client already uses.
 */
export function checkDeadlineHeaderName(field: string, name: unknown): string {
  if (typeof name !== 'string' || !HEADER_NAME.test(name)) {
    throw new InvalidArgumentError(field, 'must be a header name (an HTTP token)');
  }
  const lower = name.toLowerCase();
  // An object's own names (`constructor`, `__proto__`): a Node request's headers object inherits
  // them, so a server read a function (or Object.prototype) as the header and failed every request
  // with 500; a client's header named `__proto__` was never sent.
  if (lower in Object.prototype) {
    throw new InvalidArgumentError(field, `must not be '${lower}', a name every JavaScript object already has`);
  }
  if (RESERVED_HEADER_NAMES.has(lower)) {
    throw new InvalidArgumentError(
      field,
      `must be a header of its own (such as 'x-switchyard-deadline-ms'), not '${lower}', which HTTP or the client already uses`,
    );
  }
  return lower;
}

/**
 * The largest budget the header carries (a day), both ways: a client sends a longer one as no
 * header at all, and a server reads more than this as none. A far deadline used to go out as
 * `String(ms)`, e.g. `1.7976931348623157e+308` or `1e+21`, which no server reads as a number. The
 * header is thus always `0`…`86400000`, whole milliseconds (at most 8 digits).
 */
export const MAX_DEADLINE_HEADER_MS = 86_400_000;

/**
 * The absolute deadline (ms, `Date.now()` clock) an incoming header value stands for, measured
 * from `receivedAt`; `Infinity` when the header is absent or malformed (a bad header never fails
 * a request, it just carries no deadline). A negative whole number (`-5`, `-0`) is a deadline that
 * had passed when the caller sent it: `receivedAt`, no time left, as `0` is. A header sent twice
 * (Node joins the values with ", ", or hands an array) means the smaller budget: the stricter
 * caller wins, as in gRPC.
 */
export function parseDeadlineHeader(value: string | string[] | undefined, receivedAt: number): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (typeof value === 'string' && !value.includes(',')) return deadlineOf(value, receivedAt);
  let earliest = Number.POSITIVE_INFINITY;
  for (const item of Array.isArray(value) ? value : [value]) {
    for (const part of item.split(',')) earliest = Math.min(earliest, deadlineOf(part.trim(), receivedAt));
  }
  return earliest;
}

function deadlineOf(text: string, receivedAt: number): number {
  // A budget below zero is a caller's deadline that passed before the request went out (a client
  // that sends `deadline - now` unclamped, a proxy that took its own time off): read as garbage, it
  // let the handler run unbounded for a caller that had given up. Any length: it only says "passed".
  if (/^-\d+$/.test(text)) return receivedAt;
  if (!/^\d{1,9}$/.test(text)) return Number.POSITIVE_INFINITY;
  const ms = Number(text);
  return ms > MAX_DEADLINE_HEADER_MS ? Number.POSITIVE_INFINITY : receivedAt + ms;
}
