import { Metadata, type ServiceError, status as Status } from '@grpc/grpc-js';
import {
  CancelledError,
  codeInWords,
  DeadlineExceededError,
  describesThisSide,
  describeValue,
  type ErrorCode,
  InvalidArgumentError,
  isExhaustedDownstream,
  markExhaustedDownstream,
  SwitchyardError,
} from '@switchyard/core';
import { fitsOneHeader, MAX_HEADER_STRING_BYTES } from './header-size.js';
import { relayedHttpDetail } from './server/relayed-http-detail.js';

/** gRPC status number → Switchyard code (the canonical names). */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  [Status.CANCELLED]: 'CANCELLED',
  [Status.UNKNOWN]: 'UNKNOWN',
  [Status.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [Status.DEADLINE_EXCEEDED]: 'DEADLINE_EXCEEDED',
  [Status.NOT_FOUND]: 'NOT_FOUND',
  [Status.ALREADY_EXISTS]: 'ALREADY_EXISTS',
  [Status.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [Status.RESOURCE_EXHAUSTED]: 'RESOURCE_EXHAUSTED',
  [Status.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [Status.ABORTED]: 'ABORTED',
  [Status.OUT_OF_RANGE]: 'OUT_OF_RANGE',
  [Status.UNIMPLEMENTED]: 'UNIMPLEMENTED',
  [Status.INTERNAL]: 'INTERNAL',
  [Status.UNAVAILABLE]: 'UNAVAILABLE',
  [Status.DATA_LOSS]: 'DATA_LOSS',
  [Status.UNAUTHENTICATED]: 'UNAUTHENTICATED',
};

/** Switchyard code → gRPC status (what a server replies for a thrown error). */
const STATUS_BY_CODE: Partial<Record<ErrorCode, Status>> = {
  ...Object.fromEntries(Object.entries(CODE_BY_STATUS).map(([status, code]) => [code, Number(status) as Status])),
  NO_INSTANCES: Status.UNAVAILABLE,
  CIRCUIT_OPEN: Status.UNAVAILABLE,
  BULKHEAD_FULL: Status.RESOURCE_EXHAUSTED,
  RETRY_BUDGET_EXHAUSTED: Status.UNAVAILABLE,
  RETRY_EXHAUSTED: Status.UNAVAILABLE,
  REGISTRY_UNAVAILABLE: Status.UNAVAILABLE,
  // The serving instance's registration was lost: it is going out of rotation, another can serve.
  REGISTRATION_LOST: Status.UNAVAILABLE,
};

/**
 * The status codes retried by default. A failure whose request certainly never reached a server
 * (refused connection, no connection, a stream the server refused) is retried for any method; one
 * whose request may have run there only for a method known to be idempotent (see createGrpcClient).
 */
export const DEFAULT_RETRYABLE_STATUSES: readonly Status[] = Object.freeze([Status.UNAVAILABLE]);

/**
 * A failed gRPC call, as a Switchyard error: `code` is the canonical status name, `grpcCode` the
 * number, `details` the server's message, `metadata` its trailers, `retryAfterMs` the server's
 * pushback (`grpc-retry-pushback-ms`) when it sent one. Thrown by a handler (not `fromDownstream`),
 * it is the reply: `details` and `metadata` are sent as the status's message and trailers.
 */
export class GrpcCallError extends SwitchyardError {
  /** The numeric gRPC status (`status.UNAVAILABLE` = 14). */
  readonly grpcCode: Status;
  /** The status message, as the server sent it (or as a handler's reply sends it). */
  readonly details: string;
  /** The server's trailers (or a handler's to send); `undefined` when there were none. */
  readonly metadata: Metadata | undefined;
  /**
   * The server's pushback in ms (`grpc-retry-pushback-ms`); -1 for one that is no whole number (do
   * not retry); `undefined` when none was sent.
   */
  readonly retryAfterMs: number | undefined;
  /** True when a call made by this process failed (rather than a handler choosing the status). */
  readonly fromDownstream: boolean;

  /**
   * For a handler's reply: `new GrpcCallError(status.NOT_FOUND, 'no such product')`. `code` is the
   * status's canonical name; `retryable` defaults to `false`; `method` prefixes the message.
   */
  constructor(
    grpcCode: Status,
    details: string,
    options: {
      metadata?: Metadata;
      retryable?: boolean;
      method?: string;
      cause?: unknown;
      fromDownstream?: boolean;
      /** Said after the details in the message (why a client did not retry the call), never in `details`. */
      note?: string;
    },
  ) {
    const code = CODE_BY_STATUS[grpcCode] ?? 'UNKNOWN';
    const note = options.note ? `; ${options.note}` : '';
    super(code, `${options.method ? `${options.method}: ` : ''}${code}: ${details}${note}`, {
      retryable: options.retryable ?? false,
      cause: options.cause,
    });
    this.grpcCode = grpcCode;
    this.details = details;
    this.metadata = options.metadata;
    const pushback = options.metadata?.get('grpc-retry-pushback-ms')[0];
    this.retryAfterMs = pushback === undefined ? undefined : pushbackMs(pushback);
    this.fromDownstream = options.fromDownstream ?? false;
  }
}

/**
 * A `grpc-retry-pushback-ms` value: a whole number of ms, or -1 (do not retry) for anything else,
 * as the gRPC retry design says of a value that does not parse. `Number()` read '' as 0 (retry at
 * once) and 'abc' as NaN (ignored: the policy's backoff).
 */
function pushbackMs(value: string | Buffer): number {
  const text = String(value).trim();
  return /^\d{1,10}$/.test(text) ? Number(text) : -1;
}

/**
 * Maps a grpc-js client error to a Switchyard error (DEADLINE_EXCEEDED and CANCELLED get their own
 * classes), retryable when its status is in `retryable`. `note`, when given, ends the message: why
 * the client did not retry it (the request may have run, and the method is not idempotent).
 */
export function fromServiceError(
  error: ServiceError,
  method: string,
  retryable: ReadonlySet<number>,
  note?: string,
): SwitchyardError {
  // Retryable only when listed in retryableStatuses (neither is by default): a server's own
  // DEADLINE_EXCEEDED may be worth another instance while the call's deadline lasts. The retry
  // policy never retries past the call's deadline or after the caller cancelled.
  const said = note ? `; ${note}` : '';
  if (error.code === Status.DEADLINE_EXCEEDED) {
    return new DeadlineExceededError(`${method}: deadline exceeded${said}`, {
      cause: error,
      retryable: retryable.has(error.code),
    });
  }
  if (error.code === Status.CANCELLED) {
    return new CancelledError(`${method}: cancelled${said}`, { cause: error, retryable: retryable.has(error.code) });
  }
  const mapped = new GrpcCallError(error.code, error.details || error.message, {
    metadata: error.metadata,
    retryable: retryable.has(error.code),
    method,
    cause: error,
    fromDownstream: true,
    ...(note ? { note } : {}),
  });
  // The server said not to retry (its own calls already did): whoever relays this says so too.
  return mapped.retryAfterMs === -1 ? markExhaustedDownstream(mapped) : mapped;
}

/**
 * The trailers of a reply: the handler's own (`own`, when it chose the status and gave some), and
 * `grpc-retry-pushback-ms: -1` when the failure is one its own calls already retried (`exhausted`).
 * That marking tells the caller not to retry, so that retries happen at one layer, the hop nearest
 * the failure, instead of multiplying at every hop (3 × 3 × 3 …). `own` is copied before it is
 * marked: it is the handler's object. Undefined when there is nothing to send.
 */
function trailersOf(own: Metadata | undefined, exhausted: boolean): Metadata | undefined {
  if (!exhausted) return own;
  const trailers = own?.clone() ?? new Metadata();
  trailers.set('grpc-retry-pushback-ms', '-1');
  return trailers;
}

/**
 * What a reply with these codes says instead of the error's own text, which describes this side
 * (downstream addresses and bodies, internal messages). The same words as @switchyard/http's 5xx.
 */
const PUBLIC_DETAILS: Partial<Record<number, string>> = {
  [Status.INTERNAL]: 'internal error',
  [Status.UNKNOWN]: 'internal error',
  [Status.DATA_LOSS]: 'internal error',
  [Status.UNAVAILABLE]: 'service unavailable',
  [Status.DEADLINE_EXCEEDED]: 'deadline exceeded',
};

/** A server's reply to a failed handler. */
export interface GrpcReplyStatus {
  code: Status;
  details: string;
  /** The trailers to send with the status. */
  metadata?: Metadata;
  /** The details are not the error's own (they would describe this side): the server logs those. */
  masked?: boolean;
  /**
   * The details are a downstream's own words, taken from the relayed call error's fields rather
   * than its message (which names the downstream's service, path and body): the server logs that
   * message at debug.
   */
  relayed?: boolean;
  /** The details were cut to fit one HTTP/2 header (see withinOneHeader): the server logs the error. */
  detailsTruncated?: boolean;
  /** Trailers left out, each too large for one HTTP/2 header (see trailersWithinOneHeader): the server logs them. */
  droppedTrailers?: string[];
}

/** `reply` with `trailers`, when there are any. */
function withTrailers(reply: GrpcReplyStatus, trailers: Metadata | undefined): GrpcReplyStatus {
  return trailers === undefined ? reply : { ...reply, metadata: trailers };
}

/** The reply to a downstream's failure passed on: its own words, unless its code says they describe this side. */
function maskedOr(code: Status, details: string): GrpcReplyStatus {
  const generic = PUBLIC_DETAILS[code];
  return generic === undefined ? { code, details } : { code, details: generic, masked: true };
}

/**
 * The reply to a Switchyard error (not a GrpcCallError), by its code: generic words for the
 * server-side codes; the code in words for an error a client marked as describing its own side;
 * for a relayed HTTP call error, the downstream's own words (see relayedHttpDetail); else the
 * error's message, which for a client-side code is about the request.
 */
function switchyardReply(error: SwitchyardError, code: Status): GrpcReplyStatus {
  if (PUBLIC_DETAILS[code] !== undefined) return maskedOr(code, error.message);
  // CANCELLED from a live call (the server replies only then) is not its caller's doing but a
  // downstream's (a server cancelling its calls at the end of its grace): its message names that
  // downstream's method, and was sent unlogged. The code in words, and logged at warn.
  if (describesThisSide(error) || code === Status.CANCELLED) return { code, details: codeInWords(error), masked: true };
  const detail = relayedHttpDetail(error);
  if (detail !== undefined) return { code, details: detail, relayed: true };
  return { code, details: error.message };
}

/**
 * What a server replies for an error thrown by a handler: its status, a message safe to send, and
 * its trailers.
 * - `grpcError(code, details)` or a GrpcCallError the handler made, and grpc-js's own status shape
 *   (`{ code, details, metadata? }`, as handlers pass to `callback()`), reply as given, with the
 *   trailers they carry (`grpc-retry-pushback-ms`, `grpc-status-details-bin`, application keys).
 * - Other Switchyard errors reply by their code; a downstream's GrpcCallError by its status, never
 *   with the downstream's trailers. For the server-side codes (INTERNAL, UNKNOWN, DATA_LOSS,
 *   UNAVAILABLE, DEADLINE_EXCEEDED) the details are generic: their text describes this side, and
 *   the server logs it instead. So for an error a client marked as describing its own side (see
 *   describesThisSide), whatever its code: the details are the code in words. A relayed HTTP call
 *   error (@switchyard/http's HttpCallError) replies with what the downstream's body said, or the
 *   code in words, never its message (which names the downstream's service, path and body).
 * - A failure the handler's own calls already retried, or whose server said not to retry,
 *   carries `grpc-retry-pushback-ms: -1`.
 * - Anything else (including third-party errors with a numeric `code`, such as a database
 *   driver's) is INTERNAL `internal error`, never its message.
 */
export function toGrpcStatus(error: unknown): GrpcReplyStatus {
  return sendable(replyStatusOf(error));
}

/** Built-in since Node 20 (ES2024), not yet in the TypeScript lib this package compiles against. */
type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string };

/**
 * The status with details and trailers grpc-js can send, and the client's HTTP/2 can take:
 * - grpc-js passes the details through `encodeURI`, which throws on a lone surrogate (an error
 *   message quoting a caller's input, which JSON may carry as `\ud800`), and the reply never left:
 *   the caller waited out its whole deadline, for ever without one. Such a unit becomes U+FFFD.
 * - One header over what Node's HTTP/2 decodes (see MAX_HEADER_STRING_BYTES; `grpc-message`, or a
 *   trailer the handler gave) wedged the client's connection: this call, every call in flight
 *   beside it and the next ones on it waited out their deadlines. Details that long are cut (see
 *   withinOneHeader), and such a trailer is left out; the status goes as the handler chose it.
 */
function sendable(reply: GrpcReplyStatus): GrpcReplyStatus {
  const given = reply.details as WellFormedString;
  // Not a string (a GrpcCallError built from plain JavaScript): grpc-js sends what it makes of it.
  const wellFormed = typeof given !== 'string' || given.isWellFormed() ? given : given.toWellFormed();
  const details = typeof wellFormed === 'string' ? withinOneHeader(wellFormed) : wellFormed;
  const trailers = reply.metadata === undefined ? undefined : trailersWithinOneHeader(reply.metadata);
  if (details === given && trailers?.dropped === undefined) return reply;
  return {
    ...reply,
    details,
    ...(details !== wellFormed ? { detailsTruncated: true } : {}),
    ...(trailers?.dropped === undefined ? {} : { metadata: trailers.metadata, droppedTrailers: trailers.dropped }),
  };
}

/** What ends details cut to fit one header. */
const TRUNCATED = '… (truncated)';

/**
 * `details`, or as much of it as fits one HTTP/2 header once grpc-js has percent-encoded it
 * (`encodeURI`) for `grpc-message`, followed by {@link TRUNCATED}. Cut by the encoded length, which
 * HPACK never makes longer; whole code points only.
 */
function withinOneHeader(details: string): string {
  // Each UTF-16 unit percent-encodes to at most 9 characters: short details always fit.
  if (details.length * 9 <= MAX_HEADER_STRING_BYTES || fitsOneHeader(encodeURI(details))) return details;
  const budget = MAX_HEADER_STRING_BYTES - encodeURI(TRUNCATED).length;
  let used = 0;
  let end = 0;
  for (const character of details) {
    used += encodeURI(character).length;
    if (used > budget) break;
    end += character.length;
  }
  return details.slice(0, end) + TRUNCATED;
}

/**
 * `metadata` without the entries too large for one HTTP/2 header as grpc-js sends them (a `-bin`
 * value base64-encoded), and their keys (`dropped`, undefined when none was: `metadata` is then
 * returned as it is, not copied). Read through `toHttp2Headers()`, what grpc-js itself sends, so the
 * Metadata of another copy of grpc-js is checked too; the one left out is removed from a `clone()`.
 */
function trailersWithinOneHeader(metadata: Metadata): { metadata: Metadata; dropped?: string[] } {
  let dropped: string[] | undefined;
  for (const [key, value] of Object.entries(metadata.toHttp2Headers())) {
    const values = Array.isArray(value) ? value : [value];
    if (fitsOneHeader(key) && values.every((sent) => fitsOneHeader(String(sent)))) continue;
    dropped ??= [];
    dropped.push(key);
  }
  if (dropped === undefined) return { metadata };
  const kept = metadata.clone();
  for (const key of dropped) kept.remove(key);
  return { metadata: kept, dropped };
}

function replyStatusOf(error: unknown): GrpcReplyStatus {
  if (error instanceof GrpcCallError) {
    if (!error.fromDownstream) {
      const reply = { code: error.grpcCode, details: error.details };
      return withTrailers(reply, trailersOf(error.metadata, isExhaustedDownstream(error)));
    }
    // The downstream's trailers are its own business (its pushback is about it, not this server).
    const exhausted = error.retryable || isExhaustedDownstream(error);
    return withTrailers(maskedOr(error.grpcCode, error.details), trailersOf(undefined, exhausted));
  }
  if (SwitchyardError.isInstance(error)) {
    const code = STATUS_BY_CODE[error.code] ?? Status.UNKNOWN;
    return withTrailers(switchyardReply(error, code), trailersOf(undefined, isExhaustedDownstream(error)));
  }
  const candidate = error as {
    code?: unknown;
    details?: unknown;
    message?: unknown;
    name?: unknown;
    metadata?: unknown;
  };
  if (typeof candidate?.code === 'number' && CODE_BY_STATUS[candidate.code] !== undefined && isDeliberate(candidate)) {
    const details = typeof candidate.details === 'string' ? candidate.details : String(candidate.message ?? '');
    return withTrailers({ code: candidate.code as Status, details }, metadataOrUndefined(candidate.metadata));
  }
  // Unknown errors never leak their message (it may hold internals); the server logs them.
  return { code: Status.INTERNAL, details: 'internal error', masked: true };
}

/**
 * `value` when it is grpc-js Metadata, else undefined. Read by what grpc-js calls on trailers
 * (`clone`, `toHttp2Headers`), so that the Metadata of another copy of grpc-js is sent too; anything
 * else would fail inside grpc-js as it answers.
 */
function metadataOrUndefined(value: unknown): Metadata | undefined {
  if (value instanceof Metadata) return value;
  const candidate = value as Partial<Metadata> | null | undefined;
  return typeof candidate?.clone === 'function' && typeof candidate.toHttp2Headers === 'function'
    ? (value as Metadata)
    : undefined;
}

/**
 * Whether an error with a gRPC-range numeric `code` was made to be a gRPC status by the handler's
 * author: grpc-js's own shape (`details` a string, as passed to `callback()`), a plain object
 * (`{ code, message }`), or a plain `Error` given a code (`Object.assign(new Error(…), { code })`).
 * A library's error class (a database driver's `MongoServerError` with its own code 14) is not:
 * taken for UNAVAILABLE it was retried and its message sent to the caller.
 */
function isDeliberate(candidate: { details?: unknown; name?: unknown }): boolean {
  if (typeof candidate.details === 'string') return true;
  const prototype = Object.getPrototypeOf(candidate);
  if (prototype === Object.prototype || prototype === null) return true;
  return prototype === Error.prototype && candidate.name === 'Error';
}

/**
 * Throw this from a handler to reply with a specific status: `grpcError(Status.NOT_FOUND, 'no such
 * product')`, or by the status's name, `grpcError('NOT_FOUND', …)`.
 * @throws InvalidArgumentError naming `code` for anything else: a name grpc-js does not know, or a
 * number outside 0–16, was replied as UNKNOWN "Unknown Error", unlogged, the intended status lost.
 */
export function grpcError(code: Status | keyof typeof Status, details: string): GrpcCallError {
  return new GrpcCallError(statusOf(code), details, {});
}

function statusOf(code: unknown): Status {
  if (
    typeof code === 'string' &&
    Object.hasOwn(Status, code) &&
    typeof Status[code as keyof typeof Status] === 'number'
  ) {
    return Status[code as keyof typeof Status];
  }
  if (typeof code === 'number' && CODE_BY_STATUS[code as Status] !== undefined) return code as Status;
  throw new InvalidArgumentError(
    'code',
    `must be a gRPC error status (Status.NOT_FOUND, 5) or its name ('NOT_FOUND'), got ${describeValue(code)}`,
  );
}
