import type {
  Metadata,
  MethodDefinition,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  UntypedServiceImplementation,
  sendUnaryData,
} from '@grpc/grpc-js';
import {
  type CallScope,
  CancelledError,
  DeadlineExceededError,
  ErrorCode,
  InvalidArgumentError,
  type Logger,
  runInCallScope,
  SwitchyardError,
  trackFromBaggage,
} from '@switchyard/core';
import { metricsActive, switchyardInstruments } from '@switchyard/tracing';
import { GrpcCallError, type GrpcReplyStatus, toGrpcStatus } from '../status.js';
import type {
  BidiStreamHandler,
  ClientStreamHandler,
  GrpcHandlerContext,
  ServerStreamHandler,
  UnaryHandler,
} from './handler-context.js';
import type { ServerSpanHandle, ServerTracing } from './server-tracing.js';

/** Counts in-flight calls, for graceful shutdown and metrics. */
export interface InFlight {
  count: number;
  onIdle?: () => void;
  /**
   * The calls being served (one entry per call, the record {@link begin} makes anyway), for
   * shutdown() to answer at the end of its grace (see {@link answerInFlight}).
   */
  readonly calls: Set<LiveCall>;
}

/** A call being served: its grpc-js call, the handler's context, and how to end it. */
interface LiveCall {
  readonly call: ServerCall;
  readonly handlerContext: GrpcHandlerContext;
  /** Aborts the handler's signal with `reason` (what its work then fails with). */
  abort(reason: Error): void;
  /** Counts the call out, once its handler has returned; the status the client saw, for metrics. */
  done(grpcStatus: number): void;
}

interface WrapContext {
  serviceName: string;
  logger: Logger;
  tracing: ServerTracing;
  inFlight: InFlight;
}

/**
 * A response grpc-js refused to send: `error` for the log and the span, `code` the status grpc-js
 * answered the client with in its place.
 */
interface RefusedResponse {
  error: unknown;
  code: number;
  /** What the server logs of it (at error: the handler's reply never reached the client). */
  logMessage: string;
}

const NOT_SERIALIZABLE = 'switchyard grpc: the response does not match its message type; the client got INTERNAL';
const OVER_SEND_LIMIT =
  "switchyard grpc: the response is over the server's grpc.max_send_message_length; the client got RESOURCE_EXHAUSTED";

/**
 * The last response grpc-js refused, set by the serializers of {@link guardResponseSerializers}.
 * grpc-js serializes a response synchronously inside the handler's `callback` / `write`, then
 * checks its size; it answers the call itself when either fails (INTERNAL, RESOURCE_EXHAUSTED) and
 * tells the handler nothing: reading this right after the send is how the server span and the log
 * learn of it.
 */
let lastRefusedResponse: RefusedResponse | undefined;

/**
 * A copy of `definition` whose response serializers record a response grpc-js will refuse (see
 * lastRefusedResponse): one that fails to serialize, before rethrowing its error to grpc-js
 * (which answers INTERNAL, as before), and one larger than `maxSendBytes` (the server's
 * `grpc.max_send_message_length`, -1 for none), which grpc-js answers RESOURCE_EXHAUSTED.
 */
export function guardResponseSerializers(definition: ServiceDefinition, maxSendBytes = -1): ServiceDefinition {
  // grpc-js's own test: no limit at -1, else the serialized message's length against it.
  const limit = maxSendBytes === -1 ? Number.POSITIVE_INFINITY : maxSendBytes;
  const guarded: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition) as [string, MethodDefinition<unknown, unknown>][]) {
    const serialize = method.responseSerialize;
    guarded[name] = {
      ...method,
      responseSerialize: (value: unknown): Buffer => {
        let bytes: Buffer;
        try {
          bytes = serialize(value);
        } catch (error) {
          lastRefusedResponse = { error, code: 13 /* INTERNAL */, logMessage: NOT_SERIALIZABLE };
          throw error;
        }
        if (bytes.byteLength > limit) lastRefusedResponse = overSendLimit(bytes.byteLength, limit);
        return bytes;
      },
    };
  }
  return guarded as ServiceDefinition;
}

/** The record of a response of `size` bytes that grpc-js refuses to send: over the server's `limit`. */
function overSendLimit(size: number, limit: number): RefusedResponse {
  const error = new SwitchyardError(
    ErrorCode.RESOURCE_EXHAUSTED,
    `the response is ${size} bytes, over the server's grpc.max_send_message_length (${limit})`,
  );
  return { error, code: 8 /* RESOURCE_EXHAUSTED */, logMessage: OVER_SEND_LIMIT };
}

/**
 * The refused response recorded since the last call (and clears it). Called right after each send
 * (a grpc-js callback or write), so what it returns is that send's; with no closure, as the unary
 * path runs per call.
 */
function takeRefusedResponse(): RefusedResponse | undefined {
  const refused = lastRefusedResponse;
  lastRefusedResponse = undefined;
  return refused;
}

/**
 * The status a call that was cut short ended with, as the client saw it, once grpc-js has ended it:
 * DEADLINE_EXCEEDED when its deadline timer answered, CANCELLED when the client went away (the
 * handler's signal, aborted on grpc-js's 'cancelled', says which); undefined while the call is
 * live. Not the clock: past the deadline instant, grpc-js's timer may not have run yet (a busy
 * event loop), and a reply sent before it did reached the client.
 */
function cutShortStatus(handlerContext: GrpcHandlerContext): number | undefined {
  const { signal } = handlerContext;
  if (!signal.aborted) return undefined;
  if (signal.reason instanceof DeadlineExceededError) return 4; /* DEADLINE_EXCEEDED */
  // The status grpc-js ended the call with (see statusSentByGrpcJs).
  if (signal.reason instanceof GrpcCallError) return signal.reason.grpcCode;
  return 1; /* CANCELLED */
}

/**
 * The status grpc-js sent on `call`'s HTTP/2 stream itself, if it did (undefined when the client
 * reset the stream). Read from the stream's sent headers or trailers, through grpc-js internals
 * (the call's `call`, then `nextCall` through any interceptors, to the one holding the stream):
 * where they are not found, the call counts as cancelled by the client, as before.
 */
function statusSentByGrpcJs(call: ServerCall): { code: number; details: string } | undefined {
  let link = (call as { call?: unknown }).call as { stream?: unknown; nextCall?: unknown } | undefined;
  for (let depth = 0; depth < 8 && link !== undefined && link !== null; depth++) {
    const stream = link.stream as
      | { sentHeaders?: Record<string, unknown>; sentTrailers?: Record<string, unknown> }
      | undefined;
    if (stream !== undefined) {
      const sent = stream.sentTrailers?.['grpc-status'] !== undefined ? stream.sentTrailers : stream.sentHeaders;
      const code = Number(sent?.['grpc-status']);
      if (!Number.isInteger(code) || code === 0) return undefined;
      const message = sent?.['grpc-message'];
      return { code, details: typeof message === 'string' ? safeDecode(message) : '' };
    }
    link = link.nextCall as { stream?: unknown; nextCall?: unknown } | undefined;
  }
  return undefined;
}

/** grpc-js sends grpc-message percent-encoded. */
function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * For a handler that failed after its call was cut short (its deadline passed, or the client went
 * away): the failure is how such a call ends when the handler's work honours its signal (the
 * recommended pattern), not a handler failure. Its span ends with the status the client saw, and it
 * is logged at debug; it was an INTERNAL span and an error log line for every such call. Returns
 * that status (the span is then ended), or undefined while the call is live.
 */
function endedCutShort(
  handlerContext: GrpcHandlerContext,
  error: unknown,
  path: string,
  context: WrapContext,
  span: ServerSpanHandle | undefined,
): number | undefined {
  const cutShort = cutShortStatus(handlerContext);
  if (cutShort === undefined) return undefined;
  context.logger.debug({ err: error, method: path }, 'switchyard grpc: handler failed after its call was cut short');
  span?.end(cutShort, error);
  return cutShort;
}

/**
 * The status to send for a failed handler: logged as {@link reply} says, unless its call was cut
 * short (`cutShort`, logged at debug already). grpc-js drops a status sent after it ended the call.
 */
function failureStatus(error: unknown, path: string, logger: Logger, cutShort: number | undefined): GrpcReplyStatus {
  return cutShort === undefined ? reply(error, path, logger) : toGrpcStatus(error);
}

/**
 * Turns Switchyard handlers (promise / async-iterable style) into grpc-js handlers that: run the
 * handler inside the call's scope (deadline and propagation headers inherited by outgoing calls),
 * open a server span when tracing is active, map thrown errors to statuses (unknown errors become
 * INTERNAL without leaking their message), and count calls in flight.
 *
 * Each method's handler is read as grpc-js reads it, `implementation[name]`, under the proto name
 * (`GetProduct`) or camelCase (`getProduct`): an own property, or a method of the implementation's
 * class. It runs with the implementation as `this`, bound once here. An own function under a name
 * that is no method is refused (a misspelt handler); other own properties (a class's injected
 * database, a logger) are the implementation's own business.
 */
export function wrapHandlers(
  definition: ServiceDefinition,
  implementation: object,
  field: string,
  context: WrapContext,
): UntypedServiceImplementation {
  assertHandlerNamesKnown(definition, implementation, field, context.serviceName);
  const wrapped: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition) as [string, MethodDefinition<unknown, unknown>][]) {
    const handler = boundHandlerOf(implementation, name, field);
    if (handler === undefined) continue; // grpc-js answers its calls UNIMPLEMENTED
    // A request-streaming method's handler takes the incoming messages in place of the one request.
    const requestOf = method.requestStream ? incomingMessages : theRequest;
    wrapped[name] = method.responseStream
      ? wrapServerStream(method.path, handler as ServerStreamHandler | BidiStreamHandler, context, requestOf)
      : wrapUnary(method.path, handler as UnaryHandler | ClientStreamHandler, context, requestOf);
  }
  return wrapped;
}

/**
 * Refuses an own function of `implementation` whose name is no method of the service (proto or
 * camelCase name): a misspelt handler, which would otherwise leave its method UNIMPLEMENTED
 * without a word. Own properties that are not functions are not handlers, and are left alone.
 */
function assertHandlerNamesKnown(
  definition: ServiceDefinition,
  implementation: object,
  field: string,
  serviceName: string,
): void {
  const names = Object.keys(definition);
  const known = new Set([...names, ...names.map(lowerFirst)]);
  for (const [key, value] of Object.entries(implementation)) {
    if (typeof value !== 'function' || known.has(key)) continue;
    throw new InvalidArgumentError(
      `${field}.${key}`,
      `is not a method of ${serviceName}; methods: ${names.join(', ')}`,
    );
  }
}

/**
 * The handler of method `name` (under its proto or camelCase name, own or inherited), bound to
 * `implementation` as grpc-js binds it; undefined when there is none.
 */
function boundHandlerOf(implementation: object, name: string, field: string): Handler | undefined {
  const camel = lowerFirst(name);
  // Both names: grpc-js would take the proto name's and leave the other unused without a word.
  if (
    camel !== name &&
    handlerAt(implementation, name) !== undefined &&
    handlerAt(implementation, camel) !== undefined
  ) {
    throw new InvalidArgumentError(
      `${field}.${camel}`,
      `and ${field}.${name} both implement ${name}; give one of the two`,
    );
  }
  const key = handlerAt(implementation, name) !== undefined ? name : camel;
  const handler = handlerAt(implementation, key);
  if (handler === undefined) return undefined;
  if (typeof handler !== 'function') throw new InvalidArgumentError(`${field}.${key}`, 'must be a function');
  return (handler as Handler).bind(implementation);
}

/** A handler of any of the four kinds. */
type Handler = UnaryHandler | ClientStreamHandler | ServerStreamHandler | BidiStreamHandler;

/**
 * `implementation[key]`, own or inherited, but not what every object inherits from
 * Object.prototype (`toString`, `valueOf`, a class's `constructor`): those implement no method, even
 * one its proto names `ToString`.
 */
function handlerAt(implementation: object, key: string): unknown {
  const value = (implementation as Record<string, unknown>)[key];
  if (!(key in Object.prototype) || Object.hasOwn(implementation, key)) return value;
  return key === 'constructor' || value === OBJECT_PROTOTYPE[key] ? undefined : value;
}

const OBJECT_PROTOTYPE = Object.prototype as unknown as Record<string, unknown>;

/** A call that carries a single request (unary, server streaming). */
type SingleRequestCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;
/** A call whose requests stream in (client streaming, bidirectional). */
type RequestStreamCall = ServerReadableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>;

/** A call of any of the four kinds. */
type ServerCall = SingleRequestCall | RequestStreamCall;

/** What a handler takes first, from its call: the request, or the requests as they come. */
type RequestOf = (call: ServerCall, handlerContext: GrpcHandlerContext) => unknown;

const theRequest: RequestOf = (call) => (call as SingleRequestCall).request;

const incomingMessages: RequestOf = (call, handlerContext) => messagesOf(call as RequestStreamCall, handlerContext);

/**
 * The messages of a request stream, for `for await`. Read through `iterator({ destroyOnReturn:
 * false })`: a plain `for await` over the stream destroys it once the requests end, which for a
 * bidirectional call destroyed its response side too, so the call never sent its status. Once the
 * call is cancelled or past its deadline, the iteration throws the signal's reason
 * (CancelledError, DeadlineExceededError), as the handler's other work that honours its signal
 * does, rather than grpc-js's bare "premature close".
 */
async function* messagesOf(
  stream: RequestStreamCall,
  { signal, deadline, method }: GrpcHandlerContext,
): AsyncGenerator<unknown> {
  try {
    for await (const message of stream.iterator({ destroyOnReturn: false })) {
      if (signal.aborted) break;
      yield message;
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  if (signal.aborted) throw signal.reason;
  // grpc-js's client gives up a call by half-closing it and then resetting it, so the reset that
  // makes the call cancelled arrives after an end that looks like the client's last request. At
  // the deadline that end is the client giving up (a reply could not reach it any more): say so,
  // rather than let the handler take the requests so far for all of them. (Before the deadline a
  // cancel looks the same for a moment; the handler's signal then aborts an instant later.)
  if (Date.now() >= deadline - DEADLINE_TIMER_EARLY_MS) throw new DeadlineExceededError(`${method}: deadline exceeded`);
}

function wrapUnary(
  path: string,
  handler: UnaryHandler | ClientStreamHandler,
  context: WrapContext,
  requestOf: RequestOf,
) {
  return (
    call: ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>,
    callback: sendUnaryData<unknown>,
  ): void => {
    const { handlerContext, done } = begin(path, call, context);
    const span = context.tracing.start(path, call.metadata);
    let settled = false;
    const finish = (error: unknown, response?: unknown): void => {
      if (settled) return;
      settled = true;
      // The status the client saw, for the span and the duration metric.
      let code: number;
      if (error === undefined) {
        lastRefusedResponse = undefined;
        callback(null, response);
        const refused = takeRefusedResponse();
        if (refused !== undefined) {
          endRefused(refused, path, context.logger, span);
          code = refused.code;
        } else {
          code = cutShortStatus(handlerContext) ?? 0;
          span?.end(code);
        }
      } else {
        const cutShort = endedCutShort(handlerContext, error, path, context, span);
        // The handler's own status, even for a call cut short: grpc-js drops it if it answered already.
        const status = failureStatus(error, path, context.logger, cutShort);
        callback(status);
        if (cutShort === undefined) span?.end(status.code, error);
        code = cutShort ?? status.code;
      }
      done(code);
    };
    try {
      const result = span
        ? span.run(() =>
            runInCallScope(scopeOf(handlerContext, call.metadata, context), () =>
              handler(requestOf(call, handlerContext) as never, handlerContext),
            ),
          )
        : runInCallScope(scopeOf(handlerContext, call.metadata, context), () =>
            handler(requestOf(call, handlerContext) as never, handlerContext),
          );
      Promise.resolve(result).then(
        (response) => finish(undefined, response),
        (error: unknown) => finish(error ?? new Error('rejected')),
      );
    } catch (error) {
      finish(error ?? new Error('thrown'));
    }
  };
}

/**
 * Waits for the stream to drain, or for the call to end first. grpc-js calls no write callback
 * (so emits no 'drain') once a call is cancelled or past its deadline: waiting for 'drain' alone
 * left such a handler suspended for good, its generator never closed (its finally blocks never
 * ran), its span never ended and the server's in-flight count raised, which held up a drain.
 */
function drainedOrAborted(call: ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const settle = (): void => {
      call.off('drain', settle);
      signal.removeEventListener('abort', settle);
      resolve();
    };
    call.once('drain', settle);
    signal.addEventListener('abort', settle, { once: true });
  });
}

/**
 * Resolves once every message written to `call` has gone to grpc-js ('finish', after end()), or
 * the call ended first: cancelled, past its deadline, or a message refused (each aborts `signal`).
 */
function finishedOrAborted(call: ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted || call.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    const settle = (): void => {
      call.off('finish', settle);
      call.off('close', settle);
      signal.removeEventListener('abort', settle);
      resolve();
    };
    call.once('finish', settle);
    call.once('close', settle);
    signal.addEventListener('abort', settle, { once: true });
  });
}

function wrapServerStream(
  path: string,
  handler: ServerStreamHandler | BidiStreamHandler,
  context: WrapContext,
  requestOf: RequestOf,
) {
  // The write side is all this uses of a bidirectional call: typed as the server stream's.
  return (call: ServerWritableStream<unknown, unknown>): void => {
    const { handlerContext, done, abort } = begin(path, call, context);
    const span = context.tracing.start(path, call.metadata);
    // A message grpc-js refused (it failed to serialize, or is over the send limit) ended the
    // call: grpc-js answered INTERNAL or RESOURCE_EXHAUSTED and never completes that write.
    // Messages are serialized where the stream hands them to grpc-js (_write): at once, or later
    // when writes queue up. Watching there catches both, and ends the handler at once.
    let refused: RefusedResponse | undefined;
    const stream = call as unknown as WritableInternals;
    const handOver = stream._write;
    stream._write = (chunk, encoding, callback) => {
      lastRefusedResponse = undefined;
      handOver.call(stream, chunk, encoding, callback);
      const refusedNow = takeRefusedResponse();
      if (refusedNow !== undefined && refused === undefined) {
        refused = refusedNow;
        abort(new Error('a response was refused by grpc-js'));
      }
    };
    const run = async (): Promise<void> => {
      const iterable = handler(requestOf(call, handlerContext) as never, handlerContext);
      for await (const message of iterable as AsyncIterable<unknown>) {
        if (handlerContext.signal.aborted) return;
        const ready = call.write(message);
        // Aborted by that very write (refused): the handler makes no further message.
        if (handlerContext.signal.aborted) return;
        if (!ready) {
          await drainedOrAborted(call, handlerContext.signal);
          if (handlerContext.signal.aborted) return;
        }
      }
    };
    const execute = (): Promise<void> => runInCallScope(scopeOf(handlerContext, call.metadata, context), run);
    (span ? span.run(execute) : execute()).then(
      async () => {
        if (refused === undefined && cutShortStatus(handlerContext) === undefined) {
          call.end();
          // Messages still queued are handed to grpc-js (and may be refused) after the handler
          // returned: ended at once, the span said OK and nothing was logged while the client got
          // RESOURCE_EXHAUSTED. The call's outcome is known once they are all out, or it ended.
          await finishedOrAborted(call, handlerContext.signal);
        }
        if (refused !== undefined) {
          endRefused(refused, path, context.logger, span);
          done(refused.code);
          return;
        }
        const cutShort = cutShortStatus(handlerContext);
        span?.end(cutShort ?? 0);
        done(cutShort ?? 0);
      },
      (error: unknown) => {
        if (refused !== undefined) {
          // What the handler threw after (its signal's reason, say) changes nothing: the client got
          // grpc-js's status for the refused message.
          endRefused(refused, path, context.logger, span);
          done(refused.code);
          return;
        }
        const cutShort = endedCutShort(handlerContext, error, path, context, span);
        // The handler's own status, even for a call cut short: grpc-js drops it if it answered already.
        const status = failureStatus(error, path, context.logger, cutShort);
        call.emit('error', status);
        if (cutShort === undefined) span?.end(status.code, error);
        done(cutShort ?? status.code);
      },
    );
  };
}

/** The Writable hook a grpc-js server stream hands each message to grpc-js through. */
interface WritableInternals {
  _write(chunk: unknown, encoding: BufferEncoding, callback: (error?: Error | null) => void): void;
}

/** How early grpc-js's deadline timer may fire before Date.now() reaches the deadline. */
const DEADLINE_TIMER_EARLY_MS = 2;

/**
 * Publishes the in-flight gauge's series of each service a server serves at 0 (when a
 * MeterProvider is set up), the label sets its calls are counted under (see begin()): with no
 * series until a first call, an idle pod had none, prometheus-adapter had nothing to serve for it,
 * and an HPA scaling on the gauge (deploy/) could not scale down. Adding 0 changes no count.
 */
export function publishServedInflight(serviceNames: readonly string[]): void {
  if (!metricsActive()) return;
  const { serverInflight } = switchyardInstruments();
  for (const serviceName of serviceNames) serverInflight.add(0, { 'rpc.system': 'grpc', 'rpc.service': serviceName });
}

function begin(path: string, call: ServerCall, context: WrapContext): LiveCall {
  context.inFlight.count++;
  // The instruments the call started with end it too: looked up again at its end, a provider set
  // up or replaced meanwhile took the -1 without the +1, and the in-flight gauge (which deploy/'s
  // autoscaling reads) stayed negative there for good.
  const metrics = metricsActive()
    ? {
        instruments: switchyardInstruments(),
        attributes: { 'rpc.system': 'grpc', 'rpc.service': context.serviceName },
        startedAt: performance.now(),
      }
    : undefined;
  metrics?.instruments.serverInflight.add(1, metrics.attributes);
  const controller = new AbortController();
  const rawDeadline = call.getDeadline();
  const deadline = rawDeadline instanceof Date ? rawDeadline.getTime() : Number(rawDeadline);
  let finished = false;
  // The handler's signal says why its call ended early: DEADLINE_EXCEEDED once the deadline has
  // passed (work it passes the signal to then reports that, not a cancellation), else CANCELLED.
  // grpc-js also emits 'cancelled' as a finished call's stream closes: that aborts nothing.
  (call as ServerUnaryCall<unknown, unknown>).once('cancelled', () => {
    if (finished) return;
    if (Date.now() >= deadline - DEADLINE_TIMER_EARLY_MS) {
      controller.abort(new DeadlineExceededError(`${path}: deadline exceeded`));
      return;
    }
    // grpc-js ends a call itself (a request over the receive limit, or one it cannot decode) with
    // a status of its own, reported as 'cancelled' like a client's reset: say which it was.
    const sent = statusSentByGrpcJs(call);
    controller.abort(
      sent === undefined
        ? new CancelledError(`${path}: cancelled by the client`)
        : new GrpcCallError(sent.code, sent.details, { method: `${path}: ended by grpc-js` }),
    );
  });
  const handlerContext: GrpcHandlerContext = {
    metadata: call.metadata,
    deadline: Number.isFinite(deadline) ? deadline : Number.POSITIVE_INFINITY,
    signal: controller.signal,
    method: path,
    peer: call.getPeer(),
  };
  // The record the wrappers use is also the entry of InFlight.calls: no allocation of its own.
  const live: LiveCall = {
    call,
    handlerContext,
    abort: (reason) => controller.abort(reason),
    done: (grpcStatus) => {
      if (finished) return;
      finished = true;
      context.inFlight.count--;
      context.inFlight.calls.delete(live);
      if (metrics) {
        const { instruments, attributes, startedAt } = metrics;
        instruments.serverInflight.add(-1, attributes);
        instruments.rpcServerDuration.record(performance.now() - startedAt, {
          ...attributes,
          'rpc.method': path.slice(path.lastIndexOf('/') + 1),
          'rpc.grpc.status_code': grpcStatus,
        });
      }
      if (context.inFlight.count === 0) context.inFlight.onIdle?.();
    },
  };
  context.inFlight.calls.add(live);
  return live;
}

/**
 * Answers every call still being served with UNAVAILABLE and `details`, for shutdown() at the end
 * of its grace, before grpc-js's forceShutdown() closes the connections. That alone reset each
 * stream (RST_STREAM CANCEL), which clients read as CANCELLED, their caller's own cancellation: not
 * retried even where the method is idempotent, not counted by a breaker or outlier detection, a
 * streaming consumer not reconnecting. UNAVAILABLE is what grpc-go's Stop() leaves its clients
 * with: this server went away, try another. Each handler's signal aborts first (a GrpcCallError
 * UNAVAILABLE, so its span and metrics say what the client got), so its clean-up runs; what it
 * replies, writes or throws afterwards is dropped by grpc-js (the call is over) and logged at most
 * at debug. A call that already ended (its caller cancelled, its deadline passed) is left as it is.
 * Returns how many calls were answered.
 */
export function answerInFlight(inFlight: InFlight, details: string): number {
  let answered = 0;
  for (const live of [...inFlight.calls]) {
    const { signal, method } = live.handlerContext;
    if (signal.aborted) continue;
    live.abort(
      new GrpcCallError(14 /* UNAVAILABLE */, details, { method: `${method}: ended by the server's shutdown` }),
    );
    if (sendStatusDirectly(live.call, 14 /* UNAVAILABLE */, details)) answered++;
  }
  return answered;
}

/**
 * Sends a status on `call` through grpc-js's own call (the call's `call`, which every kind of call
 * has, the interceptors' entry), so that it goes out at once: a stream's public `emit('error')`
 * sends it only after the messages still queued in the Writable, so never while the client reads
 * nothing. False where that internal is missing (the call then ends as forceShutdown() ends it) or
 * sending threw (the stream already gone).
 */
function sendStatusDirectly(call: ServerCall, code: number, details: string): boolean {
  const internal = (call as unknown as { call?: { sendStatus?: unknown } }).call;
  if (typeof internal?.sendStatus !== 'function') return false;
  try {
    (internal.sendStatus as (status: { code: number; details: string; metadata: null }) => void).call(internal, {
      code,
      details,
      metadata: null,
    });
    return true;
  } catch {
    return false;
  }
}

const PROPAGATION_HEADERS = ['traceparent', 'tracestate', 'baggage'];

function scopeOf(handlerContext: GrpcHandlerContext, metadata: Metadata, context: WrapContext): CallScope {
  const track = trackFromBaggage(metadata.get('baggage')[0] as string | undefined);
  const withTrack = track === undefined ? {} : { track };
  // The handler's signal: the calls it makes stop when its own call is cancelled (see CallScope.signal).
  const { deadline, signal } = handlerContext;
  // With a tracer the OTel context carries trace and baggage; without one, forward the raw headers.
  if (context.tracing.active) return { deadline, signal, ...withTrack };
  const propagation: Record<string, string> = {};
  for (const header of PROPAGATION_HEADERS) {
    const value = metadata.get(header)[0];
    if (typeof value === 'string') propagation[header] = value;
  }
  return { deadline, signal, propagation, ...withTrack };
}

/**
 * The status to send for a handler's error (see toGrpcStatus), logging what the reply does not say:
 * at error for internal failures, at warn for other masked details, and a relayed downstream
 * error's full message (its service, path and body) at debug.
 */
function reply(error: unknown, path: string, logger: Logger): GrpcReplyStatus {
  const { masked, relayed, detailsTruncated, droppedTrailers, ...status } = toGrpcStatus(error);
  // What the reply could not carry (see toGrpcStatus): the client would have lost its connection.
  if (droppedTrailers !== undefined) {
    logger.error(
      { err: error, method: path, trailers: droppedTrailers },
      `switchyard grpc: trailers too large for one HTTP/2 header were left out of the reply: ${droppedTrailers.join(', ')}`,
    );
  }
  if (detailsTruncated) {
    logger.warn({ err: error, method: path }, 'switchyard grpc: the reply details were cut to fit one HTTP/2 header');
  }
  if (status.code === 13 /* INTERNAL */ || status.code === 2 /* UNKNOWN */) {
    logger.error({ err: error, method: path }, 'switchyard grpc: handler failed');
  } else if (masked) {
    logger.warn({ err: error, method: path }, 'switchyard grpc: handler failed');
  } else if (relayed) {
    logger.debug(
      { err: error, method: path },
      'switchyard grpc: handler failed with a downstream error; replying with its detail',
    );
  }
  return status;
}

/** Logs a response grpc-js refused, and ends its call's span with the status the client got instead. */
function endRefused(refused: RefusedResponse, path: string, logger: Logger, span: ServerSpanHandle | undefined): void {
  logger.error({ err: refused.error, method: path }, refused.logMessage);
  span?.end(refused.code, refused.error);
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
