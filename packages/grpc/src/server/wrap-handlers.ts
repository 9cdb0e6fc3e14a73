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
  InvalidArgumentError,
  type Logger,
  runInCallScope,
  trackFromBaggage,
} from '@switchyard/core';
import { metricsActive, switchyardInstruments } from '@switchyard/tracing';
import { toGrpcStatus } from '../status.js';
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
}

interface WrapContext {
  serviceName: string;
  logger: Logger;
  tracing: ServerTracing;
  inFlight: InFlight;
}

/**
 * The error of the last response that failed to serialize, set by the serializers of
 * {@link guardResponseSerializers}. grpc-js serializes a response synchronously inside the
 * handler's `callback` / `write`, answers INTERNAL itself when that throws and tells the handler
 * nothing: reading this right after the call is how the server span and the log learn of it.
 */
let lastSerializeFailure: { error: unknown } | undefined;

/**
 * A copy of `definition` whose response serializers record a failure (see lastSerializeFailure)
 * before rethrowing it to grpc-js, which turns it into INTERNAL as before.
 */
export function guardResponseSerializers(definition: ServiceDefinition): ServiceDefinition {
  const guarded: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition) as [string, MethodDefinition<unknown, unknown>][]) {
    const serialize = method.responseSerialize;
    guarded[name] = {
      ...method,
      responseSerialize: (value: unknown): Buffer => {
        try {
          return serialize(value);
        } catch (error) {
          lastSerializeFailure = { error };
          throw error;
        }
      },
    };
  }
  return guarded as ServiceDefinition;
}

/**
 * The serialization failure recorded since the last call (and clears it). Called right after each
 * send (a grpc-js callback or write), so what it returns is that send's; with no closure, as the
 * unary path runs per call.
 */
function takeSerializeFailure(): { error: unknown } | undefined {
  const failure = lastSerializeFailure;
  lastSerializeFailure = undefined;
  return failure;
}

/**
 * The status a call that was cut short ended with, as the client saw it: DEADLINE_EXCEEDED once
 * its deadline has passed (grpc-js's own timer answered it, and drops what the handler sends
 * after), CANCELLED when the client went away; undefined while the call is live.
 */
function cutShortStatus(handlerContext: GrpcHandlerContext): number | undefined {
  if (Date.now() >= handlerContext.deadline) return 4; // DEADLINE_EXCEEDED
  return handlerContext.signal.aborted ? 1 /* CANCELLED */ : undefined;
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
 * Turns Switchyard handlers (promise / async-iterable style) into grpc-js handlers that: run the
 * handler inside the call's scope (deadline and propagation headers inherited by outgoing calls),
 * open a server span when tracing is active, map thrown errors to statuses (unknown errors become
 * INTERNAL without leaking their message), and count calls in flight.
 * Implementation keys may be the proto names (`GetProduct`) or camelCase (`getProduct`).
 */
export function wrapHandlers(
  definition: ServiceDefinition,
  implementation: Record<string, unknown>,
  field: string,
  context: WrapContext,
): UntypedServiceImplementation {
  const methods = new Map<string, [string, MethodDefinition<unknown, unknown>]>();
  for (const [name, method] of Object.entries(definition)) {
    methods.set(name, [name, method as MethodDefinition<unknown, unknown>]);
    methods.set(lowerFirst(name), [name, method as MethodDefinition<unknown, unknown>]);
  }
  const wrapped: UntypedServiceImplementation = {};
  for (const [key, handler] of Object.entries(implementation)) {
    const entry = methods.get(key);
    if (!entry) {
      throw new InvalidArgumentError(
        `${field}.${key}`,
        `is not a method of ${context.serviceName}; methods: ${Object.keys(definition).join(', ')}`,
      );
    }
    if (typeof handler !== 'function') throw new InvalidArgumentError(`${field}.${key}`, 'must be a function');
    const [name, method] = entry;
    // A request-streaming method's handler takes the incoming messages in place of the one request.
    const requestOf = method.requestStream ? incomingMessages : theRequest;
    wrapped[name] = method.responseStream
      ? wrapServerStream(method.path, handler as ServerStreamHandler | BidiStreamHandler, context, requestOf)
      : wrapUnary(method.path, handler as UnaryHandler | ClientStreamHandler, context, requestOf);
  }
  return wrapped;
}

/** A call that carries a single request (unary, server streaming). */
type SingleRequestCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;
/** A call whose requests stream in (client streaming, bidirectional). */
type RequestStreamCall = ServerReadableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>;

/** A call of any of the four kinds. */
type ServerCall = SingleRequestCall | RequestStreamCall;

/** What a handler takes first, from its call: the request, or the requests as they come. */
type RequestOf = (call: ServerCall, handlerContext: GrpcHandlerContext) => unknown;

const theRequest: RequestOf = (call) => (call as SingleRequestCall).request;

const incomingMessages: RequestOf = (call, handlerContext) =>
  messagesOf(call as RequestStreamCall, handlerContext.signal);

/**
 * The messages of a request stream, for `for await`. Read through `iterator({ destroyOnReturn:
 * false })`: a plain `for await` over the stream destroys it once the requests end, which for a
 * bidirectional call destroyed its response side too, so the call never sent its status. Once the
 * call is cancelled or past its deadline, the iteration throws the signal's reason
 * (CancelledError, DeadlineExceededError), as the handler's other work that honours its signal
 * does, rather than grpc-js's bare "premature close".
 */
async function* messagesOf(stream: RequestStreamCall, signal: AbortSignal): AsyncGenerator<unknown> {
  try {
    for await (const message of stream.iterator({ destroyOnReturn: false })) {
      if (signal.aborted) break;
      yield message;
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  if (signal.aborted) throw signal.reason;
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
      if (error === undefined) {
        lastSerializeFailure = undefined;
        callback(null, response);
        const failure = takeSerializeFailure();
        if (failure !== undefined) {
          logSerializeFailure(failure.error, path, context.logger);
          span?.end(13 /* INTERNAL */, failure.error);
        } else {
          span?.end(cutShortStatus(handlerContext) ?? 0);
        }
      } else {
        const cutShort = endedCutShort(handlerContext, error, path, context, span);
        if (cutShort !== undefined) {
          // grpc-js has answered already; this reply is dropped, as anything sent after is.
          callback({ code: cutShort, details: 'call ended before the handler' });
        } else {
          const status = reply(error, path, context.logger);
          callback({
            code: status.code,
            details: status.details,
            ...(status.metadata ? { metadata: status.metadata } : {}),
          });
          span?.end(status.code, error);
        }
      }
      done();
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
    // A message that failed to serialize ended the call: grpc-js answered INTERNAL and never
    // completes that write. Messages are serialized where the stream hands them to grpc-js
    // (_write): at once, or later when writes queue up. Watching there catches both, and ends
    // the handler at once.
    let failure: { error: unknown } | undefined;
    const stream = call as unknown as WritableInternals;
    const handOver = stream._write;
    stream._write = (chunk, encoding, callback) => {
      lastSerializeFailure = undefined;
      handOver.call(stream, chunk, encoding, callback);
      const failed = takeSerializeFailure();
      if (failed !== undefined && failure === undefined) {
        failure = failed;
        abort(new Error('a response failed to serialize'));
      }
    };
    const run = async (): Promise<void> => {
      const iterable = handler(requestOf(call, handlerContext) as never, handlerContext);
      for await (const message of iterable as AsyncIterable<unknown>) {
        if (handlerContext.signal.aborted) return;
        if (!call.write(message)) {
          await drainedOrAborted(call, handlerContext.signal);
          if (handlerContext.signal.aborted) return;
        }
      }
    };
    const execute = (): Promise<void> => runInCallScope(scopeOf(handlerContext, call.metadata, context), run);
    (span ? span.run(execute) : execute()).then(
      () => {
        if (failure !== undefined) {
          logSerializeFailure(failure.error, path, context.logger);
          span?.end(13 /* INTERNAL */, failure.error);
        } else {
          const cutShort = cutShortStatus(handlerContext);
          if (cutShort === undefined) call.end();
          span?.end(cutShort ?? 0);
        }
        done();
      },
      (error: unknown) => {
        if (failure === undefined && endedCutShort(handlerContext, error, path, context, span) !== undefined) {
          done();
          return;
        }
        const status = reply(error, path, context.logger);
        call.emit('error', {
          code: status.code,
          details: status.details,
          ...(status.metadata ? { metadata: status.metadata } : {}),
        });
        span?.end(status.code, error);
        done();
      },
    );
  };
}

/** The Writable hook a grpc-js server stream hands each message to grpc-js through. */
interface WritableInternals {
  _write(chunk: unknown, encoding: BufferEncoding, callback: (error?: Error | null) => void): void;
}

function begin(
  path: string,
  call: ServerCall,
  context: WrapContext,
): { handlerContext: GrpcHandlerContext; done: () => void; abort: (reason: Error) => void } {
  context.inFlight.count++;
  const observed = metricsActive();
  const startedAt = observed ? performance.now() : 0;
  const metricAttributes = observed ? { 'rpc.system': 'grpc', 'rpc.service': context.serviceName } : undefined;
  if (metricAttributes) switchyardInstruments().serverInflight.add(1, metricAttributes);
  const controller = new AbortController();
  const rawDeadline = call.getDeadline();
  const deadline = rawDeadline instanceof Date ? rawDeadline.getTime() : Number(rawDeadline);
  let finished = false;
  // The handler's signal says why its call ended early: DEADLINE_EXCEEDED once the deadline has
  // passed (work it passes the signal to then reports that, not a cancellation), else CANCELLED.
  // grpc-js also emits 'cancelled' as a finished call's stream closes: that aborts nothing.
  (call as ServerUnaryCall<unknown, unknown>).once('cancelled', () => {
    if (finished) return;
    controller.abort(
      // grpc-js's deadline timer may fire a moment before Date.now() reaches it.
      Date.now() >= deadline - 2
        ? new DeadlineExceededError(`${path}: deadline exceeded`)
        : new CancelledError(`${path}: cancelled by the client`),
    );
  });
  const handlerContext: GrpcHandlerContext = {
    metadata: call.metadata,
    deadline: Number.isFinite(deadline) ? deadline : Number.POSITIVE_INFINITY,
    signal: controller.signal,
    method: path,
    peer: call.getPeer(),
  };
  return {
    handlerContext,
    abort: (reason) => controller.abort(reason),
    done: () => {
      if (finished) return;
      finished = true;
      context.inFlight.count--;
      if (metricAttributes) {
        const instruments = switchyardInstruments();
        instruments.serverInflight.add(-1, metricAttributes);
        instruments.rpcServerDuration.record(performance.now() - startedAt, {
          ...metricAttributes,
          'rpc.method': path.slice(path.lastIndexOf('/') + 1),
        });
      }
      if (context.inFlight.count === 0) context.inFlight.onIdle?.();
    },
  };
}

const PROPAGATION_HEADERS = ['traceparent', 'tracestate', 'baggage'];

function scopeOf(handlerContext: GrpcHandlerContext, metadata: Metadata, context: WrapContext): CallScope {
  const track = trackFromBaggage(metadata.get('baggage')[0] as string | undefined);
  const withTrack = track === undefined ? {} : { track };
  // With a tracer the OTel context carries trace and baggage; without one, forward the raw headers.
  if (context.tracing.active) return { deadline: handlerContext.deadline, ...withTrack };
  const propagation: Record<string, string> = {};
  for (const header of PROPAGATION_HEADERS) {
    const value = metadata.get(header)[0];
    if (typeof value === 'string') propagation[header] = value;
  }
  return { deadline: handlerContext.deadline, propagation, ...withTrack };
}

function reply(error: unknown, path: string, logger: Logger): { code: number; details: string; metadata?: Metadata } {
  const { masked, ...status } = toGrpcStatus(error);
  // What the reply does not say is logged: at error for internal failures, else at warn.
  if (status.code === 13 /* INTERNAL */ || status.code === 2 /* UNKNOWN */) {
    logger.error({ err: error, method: path }, 'switchyard grpc: handler failed');
  } else if (masked) {
    logger.warn({ err: error, method: path }, 'switchyard grpc: handler failed');
  }
  return status;
}

function logSerializeFailure(error: unknown, path: string, logger: Logger): void {
  logger.error(
    { err: error, method: path },
    'switchyard grpc: the response does not match its message type; the client got INTERNAL',
  );
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
