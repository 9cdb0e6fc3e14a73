import {
  type Client,
  connectivityState,
  Metadata,
  type ServiceDefinition,
  type ServiceError,
  status as Status,
} from '@grpc/grpc-js';
import {
  CancelledError,
  DeadlineExceededError,
  describeValue,
  InvalidArgumentError,
  isExhaustedDownstream,
  markExhaustedDownstream,
  SwitchyardError,
} from '@switchyard/core';
import { GrpcCallError } from '../status.js';

/*
 * Which failed attempts may go again. gRPC's own rule (gRFC A6): a call that never left the client,
 * or that the server's HTTP/2 layer refused before any application saw it, may be sent again
 * whatever the method ("transparent retry"); one that may have reached the application is retried
 * only where the service owner said the method is safe to repeat. Here the owner says so with the
 * standard `option idempotency_level = NO_SIDE_EFFECTS | IDEMPOTENT;` on the rpc, the client's
 * `idempotentMethods`, or a call's `idempotent: true`.
 */

/** descriptor.proto's MethodOptions.IdempotencyLevel values that say a method may run twice, by name and number. */
const SAFE_LEVELS = new Set<unknown>(['NO_SIDE_EFFECTS', 'IDEMPOTENT', 1, 2]);

/**
 * Whether a method's proto marks it safe to run twice: `option idempotency_level = NO_SIDE_EFFECTS`
 * (a read) or `IDEMPOTENT`. @grpc/proto-loader (0.7 and 0.8) puts a method's options on its
 * definition as `options`, with `idempotency_level` as the name written in the proto
 * (`'IDEMPOTENCY_UNKNOWN'` when unset); a definition built by hand, or by grpc-js's
 * `loadPackageDefinition` from one without options, has none: not marked.
 */
export function markedIdempotent(method: unknown): boolean {
  const options = (method as { options?: Record<string, unknown> } | null)?.options;
  if (typeof options !== 'object' || options === null) return false;
  return SAFE_LEVELS.has(options.idempotency_level) || SAFE_LEVELS.has(options.idempotencyLevel);
}

/**
 * The proto names of the definition's methods that may be retried after their request may have
 * run: those its proto marks (see {@link markedIdempotent}) and those `listed` in the client's
 * `idempotentMethods` (proto names, `PlaceOrder`, or client names, `placeOrder`). Worked out once,
 * when the client is made.
 * @throws InvalidArgumentError naming `idempotentMethods` (not an array) or `idempotentMethods[i]`
 *   (not a method of the service, with the list).
 */
export function idempotentMethodsOf(
  definition: ServiceDefinition,
  listed: readonly string[] | undefined,
  clientNameOf: (name: string) => string,
): Set<string> {
  const names = Object.keys(definition);
  const safe = new Set(names.filter((name) => markedIdempotent(definition[name])));
  if (listed === undefined) return safe;
  if (!Array.isArray(listed)) {
    throw new InvalidArgumentError(
      'idempotentMethods',
      `must be an array of method names (e.g. ['PlaceOrder']), got ${describeValue(listed)}`,
    );
  }
  listed.forEach((entry: unknown, index) => {
    const name =
      typeof entry === 'string'
        ? names.find((candidate) => candidate === entry || clientNameOf(candidate) === entry)
        : undefined;
    if (name === undefined) {
      throw new InvalidArgumentError(
        `idempotentMethods[${index}]`,
        `must name a method of the service, got ${describeValue(entry)}; methods: ${names.join(', ')}`,
      );
    }
    safe.add(name);
  });
  return safe;
}

/** grpc-js's details for failures that come before the call has a stream on a connection. */
const BEFORE_ANY_STREAM =
  /^(?:round_robin: )?No connection established|^Name resolution failed|^Channel closed before call started$|^Subchannel not ready$/;
/** grpc-js's details for RST_STREAM REFUSED_STREAM: the server's HTTP/2 layer refused the stream, unprocessed (RFC 9113 §8.7). */
const REFUSED_STREAM = 'Stream refused by server';
/**
 * What grpc-js's own deadline timer says of a call that never had a stream (still waiting for its
 * channel's connection, or for name resolution); with a stream, it names its `remote_addr=`.
 */
const DEADLINE_BEFORE_ANY_STREAM =
  /(?:^|,)(?:Waiting for LB pick|waiting for name resolution|waiting for metadata filters)(?:,|$)/;
/** grpc-js's details (INTERNAL) when it could not open a stream on the connection it picked, which was going away. */
const STREAM_NOT_STARTED = /^Failed to start HTTP\/2 stream/;

/** Marks the failures Switchyard makes itself for a call grpc-js never started (see startFailure). */
const NOT_SENT = Symbol('switchyard.notSent');

/**
 * Whether the attempt's request certainly never reached a server's application: no connection
 * could be had (refused, unreachable, not resolved), the channel was closed before the call
 * started, grpc-js could not start it, the server refused the stream unprocessed, or grpc-js's own
 * deadline passed while the call still waited for a connection (`channel` is then not connected:
 * a server's reply, whatever its words, comes over a connected one). Any other failure (a reset or
 * dropped connection, any status a server replied, a deadline) may have come after the handler
 * ran. Read on the failure path only.
 */
export function certainlyNotSent(error: ServiceError, channel: Client): boolean {
  if ((error as unknown as Record<symbol, unknown>)[NOT_SENT] === true) return true;
  const details = error.details ?? '';
  if (error.code === Status.UNAVAILABLE) {
    // grpc-js's words, but not always grpc-js's status: a handler that failed calling its own
    // downstream through a plain grpc-js client (a cloud SDK, a legacy service) and let the error
    // through replies them as given, after it ran. Read by its words alone, such a reply was sent
    // again, on another instance, for a method that must not run twice.
    if (sentByServer(error)) return false;
    if (details === REFUSED_STREAM) return true; // an RST_STREAM, on a connection that is up
    // Before any stream there is no connection: a reply in these words came over one.
    return (
      BEFORE_ANY_STREAM.test(details) && channel.getChannel().getConnectivityState(false) !== connectivityState.READY
    );
  }
  if (error.code === Status.DEADLINE_EXCEEDED) {
    return (
      DEADLINE_BEFORE_ANY_STREAM.test(details) &&
      !details.includes('remote_addr=') &&
      channel.getChannel().getConnectivityState(false) !== connectivityState.READY
    );
  }
  return false;
}

/**
 * Whether a status came in a server's reply, by what only a reply carries: a status sent without a
 * response before it (Trailers-Only, how servers answer an error) comes in the response's headers,
 * with their `content-type` (the gRPC HTTP/2 protocol requires it there), which grpc-js keeps in
 * the status's metadata. The statuses grpc-js (and this client) make up for a call on this side (no
 * connection, a reset stream, a message over a limit) have empty metadata. For code that reads
 * grpc-js's words in a failure: a server may reply the same words (a handler passing on what its
 * own plain grpc-js client said), and its reply is its answer, whatever it says.
 */
export function sentByServer(error: ServiceError): boolean {
  return (error.metadata?.get('content-type').length ?? 0) > 0;
}

/**
 * An UNAVAILABLE ServiceError for a call that was never sent: grpc-js refused to start it (it threw),
 * or failed it with INTERNAL "Failed to start HTTP/2 stream" (the connection it picked was going
 * away; gRPC retries that transparently). Retryable elsewhere, whatever the method.
 */
export function notSentFailure(details: string): ServiceError {
  return Object.assign(new Error(`${Status.UNAVAILABLE} UNAVAILABLE: ${details}`), {
    code: Status.UNAVAILABLE,
    details,
    metadata: new Metadata(),
    [NOT_SENT]: true,
  });
}

/** grpc-js's INTERNAL for a stream it could not start, as the UNAVAILABLE it amounts to (see notSentFailure); else undefined. */
export function unstartedStream(error: ServiceError): ServiceError | undefined {
  return error.code === Status.INTERNAL && STREAM_NOT_STARTED.test(error.details ?? '') && !sentByServer(error)
    ? notSentFailure(`call not started: ${error.details}`)
    : undefined;
}

/** Why a failure of a method not known to be idempotent is not retried: said at the end of its message. */
export function mayHaveRunNote(method: string): string {
  return `not retried: the request may have reached the server and run there, and ${method} is not marked idempotent (idempotency_level in its proto, the client's idempotentMethods, or the call's idempotent: true)`;
}

/**
 * The error for an attempt a policy started while another attempt of the same call, which must
 * not run twice, was still out (a policy of one's own running attempts side by side; `hedge()`
 * starts none for such a call). CANCELLED, as a lost hedge is: the first attempt's outcome is the
 * call's.
 */
export function notRunBesideError(label: string, method: string): CancelledError {
  return new CancelledError(
    `${label}: not sent beside its attempt still out: ${method} is not marked idempotent, and must not run twice`,
  );
}

/**
 * The error for an attempt that will not run: a policy asked for another attempt (a per-attempt
 * `timeout()` relabels its expiry as retryable; a `retryOn` of the caller's own may ask too), but an
 * earlier attempt's request may have run on a server, and the method is not known to be
 * idempotent. It is that attempt's failure, not retryable, saying so.
 */
export function notRetriedError(previous: Error, label: string, method: string): Error {
  const note = mayHaveRunNote(method);
  let error: SwitchyardError;
  if (previous instanceof GrpcCallError) {
    error = new GrpcCallError(previous.grpcCode, previous.details, {
      ...(previous.metadata ? { metadata: previous.metadata } : {}),
      method: label,
      cause: previous,
      fromDownstream: true,
      note,
    });
  } else if (SwitchyardError.hasCode(previous, 'DEADLINE_EXCEEDED')) {
    error = new DeadlineExceededError(`${label}: deadline exceeded; ${note}`, { cause: previous });
  } else if (SwitchyardError.hasCode(previous, 'CANCELLED')) {
    error = new CancelledError(`${label}: cancelled; ${note}`, { cause: previous });
  } else {
    const code = SwitchyardError.isInstance(previous) ? previous.code : 'UNKNOWN';
    error = new SwitchyardError(code, `${label}: ${previous.message}; ${note}`, { cause: previous });
  }
  return isExhaustedDownstream(previous) ? markExhaustedDownstream(error) : error;
}
