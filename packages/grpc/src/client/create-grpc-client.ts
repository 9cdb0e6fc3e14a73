import {
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  type ClientDuplexStream,
  type ClientWritableStream,
  connectivityState,
  Client as GrpcJsClient,
  credentials as grpcCredentials,
  type Metadata,
  type MethodDefinition,
  type ServiceDefinition,
  type ServiceError,
  status as Status,
} from '@grpc/grpc-js';
import {
  assertInteger,
  assertKnownKeys,
  assertObject,
  type CallScope,
  ClientClosedError,
  callSignal,
  currentCallScope,
  DeadlineExceededError,
  describeValue,
  ErrorCode,
  InvalidArgumentError,
  MAX_TIMER_MS,
  markDescribesThisSide,
  NO_DEADLINE,
  toCancelled,
  withDefaults,
} from '@switchyard/core';
import {
  awaitFirstSnapshot,
  type Discovery,
  failedInstancesOf,
  type Lease,
  noteFailedInstance,
  pickUntried,
  pickWithPort,
} from '@switchyard/discovery';
import {
  type AttemptContext,
  type CircuitBreakerPolicy,
  circuitBreaker,
  compose,
  createPolicy,
  type Policy,
  type RetryPolicy,
  retry,
} from '@switchyard/resilience';
import { assertChannelOptionValues } from '../channel-options.js';
import { assertServiceDefinition, serviceNameOf } from '../definitions.js';
import { DEFAULT_RETRYABLE_STATUSES, fromServiceError } from '../status.js';
import { ChannelPools, closedByPool, DEFAULT_CHANNEL_OPTIONS } from './channel-pool.js';
import { directUnaryCall } from './direct-unary-call.js';
import { cancelCall, type UnaryCallHandle } from './unary-outcome.js';
import { brokenReply, cardinalityWatch } from './response-cardinality.js';
import { observeClientMetrics } from '@switchyard/tracing';
import { recordAttempt } from './client-metrics.js';
import { type AttemptSpan, traceAttempt } from './client-tracing.js';
import { toMetadata } from './call-metadata.js';
import {
  certainlyNotSent,
  idempotentMethodsOf,
  mayHaveRunNote,
  notRetriedError,
  notRunBesideError,
  notSentFailure,
  sentByServer,
  unstartedStream,
} from './idempotency.js';
import { RequestSource } from './request-source.js';
import { describeNonRequest, isRequestObject, requestShapeCheck } from './request-shape.js';
import type { GrpcCallOptions, GrpcClient } from './grpc-client-types.js';

/** Options for {@link createGrpcClient}. */
export interface GrpcClientOptions<D extends ServiceDefinition> {
  /** The service definition (e.g. from loadService()). */
  definition: D;
  /** Where instances come from and how one is picked. */
  discovery: Discovery;
  /** The call policy around attempts. @default compose(retry(), circuitBreaker()); `false`: one attempt */
  policy?: Policy | false;
  /** A CLIENT span per attempt when a tracer is registered. @default true */
  tracing?: boolean;
  /** @default insecure (plaintext); use credentials.createSsl(ca, key, cert) for TLS / mTLS */
  credentials?: ChannelCredentials;
  /** The instance port to dial. @default 'grpc' */
  port?: string;
  /** Separate connections per instance; calls spread over them. @default 2 */
  channelsPerInstance?: number;
  /**
   * Extra grpc-js channel options, over Switchyard's (`grpc.enable_retries: 0`, keepalive every 20 s
   * while calls are in flight…; see the README). @default none beyond Switchyard's
   */
  channelOptions?: ChannelOptions;
  /** Deadline for calls that give none and inherit none. @default 10_000 */
  defaultDeadlineMs?: number;
  /**
   * Statuses that are safe to retry. A failure whose request certainly never reached a server
   * (refused connection, no connection, a stream the server refused unprocessed) is retried for
   * any method; one whose request may have run there (a connection reset or dropped mid-call, a
   * status the server replied, an attempt cut by a per-attempt timeout) only for an idempotent
   * method (see idempotentMethods). @default [UNAVAILABLE]
   */
  retryableStatuses?: readonly Status[];
  /**
   * Methods that may run twice, besides those the proto marks with the standard
   * `option idempotency_level = NO_SIDE_EFFECTS;` or `IDEMPOTENT`: proto names (`PlaceOrder`) or
   * client names (`placeOrder`). Only these are retried after a failure whose request may have
   * reached a server, and only these are hedged. A call's `idempotent` option overrides it.
   * @default [] (the proto's marks alone)
   */
  idempotentMethods?: readonly string[];
  /** How long channels to an instance that left the healthy view stay open. @default 15_000 */
  closeChannelsAfterMs?: number;
}

/** Defaults of {@link GrpcClientOptions}. */
export const DEFAULT_GRPC_CLIENT_OPTIONS = Object.freeze({
  tracing: true,
  port: 'grpc',
  channelsPerInstance: 2,
  defaultDeadlineMs: 10_000,
  closeChannelsAfterMs: 15_000,
});

const OPTION_KEYS = [
  'definition',
  'discovery',
  'policy',
  'tracing',
  'credentials',
  'port',
  'channelsPerInstance',
  'channelOptions',
  'defaultDeadlineMs',
  'retryableStatuses',
  'idempotentMethods',
  'closeChannelsAfterMs',
];
const CALL_OPTION_KEYS = ['deadlineMs', 'deadline', 'metadata', 'signal', 'key', 'idempotent'];
const CONNECTION_FAILURE =
  /no connection established|connection dropped|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|failed to connect|socket/i;

/**
 * A typed gRPC client for one service, through discovery: every attempt picks an instance (so a
 * retry goes elsewhere), runs under the call's policy and deadline, is traced, and reports its
 * outcome back to the balancer and outlier detection. Deadlines and trace context of the call
 * being served (see createGrpcServer) are inherited automatically.
 *
 * Retries (and hedges) follow gRPC's rule: a failure whose request certainly never reached a server
 * (connection refused, no connection, a stream the server refused unprocessed) is retried for any
 * method; one whose request may have run there (a connection reset mid-call, a status the server
 * replied, an attempt's timeout) only for an idempotent call: the proto's
 * `option idempotency_level = NO_SIDE_EFFECTS | IDEMPOTENT`, `idempotentMethods`, or the call's
 * `idempotent: true`. Any other call fails with that failure, `retryable: false`, its message saying
 * it may have run.
 *
 * @throws InvalidArgumentError naming the option: a missing or malformed `definition` or
 * `discovery`, an unknown option, a number out of its range, a `policy` that is not a Policy or
 * `false`, a channel option of the wrong type.
 * @example
 * ```ts
 * const catalog = createGrpcClient({ definition: CatalogService, discovery: createDiscovery({ registry, service: 'catalog' }) });
 * const { product } = await catalog.getProduct({ id: 'sku-1' }, { deadlineMs: 500 });
 * ```
 */
export function createGrpcClient<D extends ServiceDefinition>(options: GrpcClientOptions<D>): GrpcClient<D> {
  assertObject('options', options);
  assertKnownKeys('options', options as unknown as Record<string, unknown>, OPTION_KEYS);
  assertServiceDefinition('definition', options.definition);
  if (!options.discovery || typeof options.discovery.pick !== 'function') {
    throw new InvalidArgumentError('discovery', 'must be a Discovery (createDiscovery({ registry, service }))');
  }
  // Not a spread: an option given as undefined (an unset config value passed on) means its
  // default, as an absent one does; spread, `port: undefined` dialled no port at all.
  const resolved = withDefaults(DEFAULT_GRPC_CLIENT_OPTIONS, options);
  assertInteger('channelsPerInstance', resolved.channelsPerInstance, 1, 64);
  assertInteger('defaultDeadlineMs', resolved.defaultDeadlineMs, 1, 86_400_000);
  assertInteger('closeChannelsAfterMs', resolved.closeChannelsAfterMs, 0, 86_400_000);
  assertClientOptions(options);
  // Every method's client name is checked before anything is subscribed or opened.
  for (const name of Object.keys(options.definition)) grpcClientMethodName(name);
  // Which methods may run twice, decided once here (the proto's idempotency_level, and the
  // client's idempotentMethods): each call only looks its method up.
  const idempotentMethods = idempotentMethodsOf(options.definition, options.idempotentMethods, grpcClientMethodName);
  const discovery = options.discovery;
  const serviceName = serviceNameOf(options.definition);
  const retryable = new Set<number>(options.retryableStatuses ?? DEFAULT_RETRYABLE_STATUSES);
  // The default policy's parts are kept so their events feed the metrics.
  const defaultRetry = options.policy === undefined ? retry() : undefined;
  const defaultBreaker = options.policy === undefined ? circuitBreaker() : undefined;
  // `false`: one attempt, still under the call's deadline and signal (an empty policy).
  const policy =
    options.policy === false
      ? createPolicy([], 'single attempt')
      : (options.policy ?? compose(defaultRetry as RetryPolicy, defaultBreaker as CircuitBreakerPolicy));
  const pools = new ChannelPools(
    resolved.port,
    resolved.channelsPerInstance,
    options.credentials ?? grpcCredentials.createInsecure(),
    // A channel option given as undefined keeps Switchyard's value too (`'grpc.enable_retries':
    // undefined`, spread, turned grpc-js's own retries back on under the policy's).
    withDefaults(DEFAULT_CHANNEL_OPTIONS, options.channelOptions),
    resolved.closeChannelsAfterMs,
  );
  const subscription = discovery.onChange((instances) =>
    pools.retain(new Set(instances.map((instance) => instance.id))),
  );
  // grpc-js's exact words for a request over this client's own send limit (see requestFailedLocally).
  const sendLimitFailure = sendLimitFailureOf(options.channelOptions);
  const stopObserving = observeClientMetrics(discovery, { 'rpc.service': serviceName }, defaultRetry, defaultBreaker);
  let closed = false;

  const shapeChecks = new Map<string, ((request: object) => void) | undefined>();
  for (const [name, method] of Object.entries(options.definition)) {
    shapeChecks.set(name, requestShapeCheck(method as MethodDefinition<unknown, unknown>, name));
  }

  const closedError = (): ClientClosedError => new ClientClosedError(`gRPC client of ${serviceName}`);
  /** The channel to the leased instance (undefined: it has no such port); a failure ends the lease as failed. */
  const channelOf = (lease: Lease): Client | undefined => {
    try {
      return pools.channelFor(lease.instance);
    } catch (error) {
      lease.done({ ok: false, latencyMs: 0 });
      throw error;
    }
  };

  /** Checks a call and settles its deadline; `request` is STREAMED_REQUESTS for a call whose requests stream (checked as they go). */
  const prepare = (method: string, request: unknown, callOptions: GrpcCallOptions | undefined): PreparedCall => {
    if (closed) throw closedError();
    if (request !== STREAMED_REQUESTS) {
      if (!isRequestObject(request)) {
        throw new InvalidArgumentError(
          'request',
          `${method} needs a request object, got ${describeNonRequest(request)}`,
        );
      }
      shapeChecks.get(method)?.(request);
    }
    const now = Date.now();
    // The default applies only to a call that gives no deadline and inherits none (see below):
    // taken as the starting point, it cut an inherited deadline down to itself.
    let deadline: number | undefined;
    if (callOptions !== undefined) {
      assertObject('options', callOptions as unknown);
      assertKnownKeys('options', callOptions as unknown as Record<string, unknown>, CALL_OPTION_KEYS);
      const { deadlineMs, deadline: absolute, signal, key, idempotent } = callOptions;
      // Checked here, before the call scope's signal is linked to it (AbortSignal.any takes any
      // object with an `aborted` field, and throws a raw TypeError about `signals[0]` for others).
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        throw new InvalidArgumentError('options.signal', `must be an AbortSignal, got ${describeValue(signal)}`);
      }
      if (key !== undefined && typeof key !== 'string') {
        throw new InvalidArgumentError('options.key', `must be a string, got ${describeValue(key)}`);
      }
      if (idempotent !== undefined && typeof idempotent !== 'boolean') {
        throw new InvalidArgumentError('options.idempotent', `must be true or false, got ${describeValue(idempotent)}`);
      }
      if (deadlineMs !== undefined) {
        if (typeof deadlineMs !== 'number' || !(deadlineMs >= 0)) {
          throw new InvalidArgumentError(
            'options.deadlineMs',
            `must be a number >= 0, got ${describeValue(deadlineMs)}`,
          );
        }
        deadline = now + deadlineMs;
      }
      if (absolute !== undefined) {
        if (typeof absolute !== 'number' || Number.isNaN(absolute)) {
          throw new InvalidArgumentError('options.deadline', 'must be an absolute time in ms (a number)');
        }
        // Both given: the earlier wins, as in @switchyard/http (one must not extend the other).
        deadline = deadline === undefined ? absolute : Math.min(deadline, absolute);
      }
    }
    // Read once per call: the deadline here, the propagation headers and track in every attempt.
    const scope = currentCallScope();
    const inherited = scope?.deadline ?? NO_DEADLINE;
    if (deadline === undefined) deadline = inherited === NO_DEADLINE ? now + resolved.defaultDeadlineMs : inherited;
    else if (inherited < deadline) deadline = inherited;
    // No time left: fail here, without touching the network.
    if (deadline <= now)
      throw new DeadlineExceededError(`${method}: no time left (inherited or given deadline already passed)`);
    return {
      deadline,
      latestWireDeadline: now + MAX_TIMER_MS,
      metadata: toMetadata(callOptions?.metadata),
      scope,
      signal: callSignal(callOptions?.signal, scope),
      idempotent: callOptions?.idempotent ?? idempotentMethods.has(method),
      attemptsLive: 0,
    };
  };

  const attempt = <Response>(
    name: string,
    prepared: PreparedCall,
    callOptions: GrpcCallOptions | undefined,
    context: AttemptContext,
    start: (
      client: Client,
      metadata: Metadata,
      finish: (error: ServiceError | null, response?: Response, spanStaysOpen?: boolean) => void,
      /** For a call through grpc-js's Client methods, the attempt's end: its span and its metrics sample (see streamEnd). */
      span: AttemptSpan | undefined,
    ) => UnaryCallHandle,
    viaClientMethods = false,
    resends = 0,
    /** A request-streaming call's requests: whether a failed attempt may go again depends on them. */
    source?: RequestSource,
  ): Promise<Response> => {
    // Closed while this call waited to retry: fail it as closed, before picking (and blaming) an instance.
    if (closed) throw closedError();
    // Requests that failed, or were read once and sent (or are being sent by a hedged attempt).
    const refused = source?.refusal(`${serviceName}/${name}`);
    if (refused !== undefined) throw refused;
    // Requests read once cannot go on two attempts at a time: a hedge would be refused above, after
    // taking a token of its budget (and its slot, and a hedge in the metrics).
    if (source !== undefined && !source.replayable) context.disallowHedging();
    if (!prepared.idempotent) {
      // A method that must not run twice is not hedged: a hedge sends it again while the first
      // attempt may be running. Said before any hedge could start (see above).
      context.disallowHedging();
      // Nor sent again after an attempt that may have run (see refuseMoreAttempts): retry()
      // gives up by itself, and this refuses what a policy of one's own may ask for.
      const refused = context.furtherAttemptsRefused;
      if (refused !== undefined) throw refused;
      // Nor run beside an attempt of its own still out, or after one that succeeded: a policy of
      // one's own that runs attempts side by side (hedge() is told above) would send it twice.
      // The HTTP client refuses it too.
      if (prepared.attemptsLive > 0) throw notRunBesideError(`${serviceName}/${name}`, name);
    }
    const pickArgs = callOptions?.key !== undefined ? { key: callOptions.key } : undefined;
    // A retry or hedge passes over the instances the call's failed attempts used (and a keyed
    // call's own instance), while another is up: see pickUntried. The first attempt picks as ever.
    let lease: Lease =
      context.attempt > 1
        ? pickUntried(discovery, pickArgs, failedInstancesOf(prepared), resolved.port)
        : discovery.pick(pickArgs);
    let client = channelOf(lease);
    if (client === undefined) {
      // An instance registered without our port was never sent anything: picked past, unblamed.
      lease = pickWithPort(discovery, pickArgs, resolved.port, lease);
      client = channelOf(lease) as Client; // pickWithPort returns an instance with the port
    }
    // Each attempt sends its own copy: tracing headers differ per attempt.
    const metadata = prepared.metadata.clone();
    const span = traceAttempt(
      resolved.tracing,
      metadata,
      prepared.scope,
      {
        service: serviceName,
        method: name,
        host: lease.instance.host,
        port: lease.instance.ports[resolved.port] as number,
        attempt: context.attempt,
      },
      viaClientMethods,
    );
    const started = performance.now();
    // A stream's attempt succeeds at its first message but lasts until the stream ends: what the
    // stream is handed (see OpenedStream.span) ends the span and takes the attempt's one
    // `rpc.client.duration` sample then, with the status the stream ended with and its full
    // duration. Taken at the first message, every stream read as a success (status OK, its time to
    // the first message), whatever it ended with. Unary calls (viaClientMethods false) take the
    // span as it is, and their sample in finish: no closure on the hot path.
    const streamEnd: AttemptSpan | undefined = viaClientMethods
      ? {
          end: (grpcCode, error) => {
            recordAttempt(serviceName, name, grpcCode, performance.now() - started);
            span?.end(grpcCode, error);
          },
        }
      : span;
    return new Promise<Response>((resolve, reject) => {
      // Counted in attemptsLive, for a call that must not run twice, until it fails or is cut
      // short before it was sent (see abort).
      let counted = !prepared.idempotent;
      if (counted) prepared.attemptsLive++;
      let removeAbort: (() => void) | undefined;
      // Cut short by the policy (a timeout, the caller, a lost hedge): whether it may have run was
      // judged when it was (see abort), not from the CANCELLED or DEADLINE_EXCEEDED it ends with.
      let aborted = false;
      // A stream's attempt succeeds at its first message, but its span (and its metrics sample)
      // lasts until the stream ends: the stream finishes with spanStaysOpen and ends both through
      // streamEnd. Every other way this ends records the attempt's one sample here, once: none for
      // a part resent below (the same attempt goes on), and none twice.
      const finish = (failure: ServiceError | null, response?: Response, spanStaysOpen = false): void => {
        removeAbort?.();
        const latencyMs = performance.now() - started;
        // A stream grpc-js could not start on a connection going away was never sent: UNAVAILABLE.
        // A reply that broke the protocol (an empty OK) is the server's failure: INTERNAL.
        const error = failure === null ? null : (unstartedStream(failure) ?? brokenReply(failure) ?? failure);
        if (!error) {
          lease.done({ ok: true, latencyMs });
          if (!spanStaysOpen) {
            recordAttempt(serviceName, name, Status.OK, latencyMs);
            span?.end(Status.OK);
          }
          resolve(response as Response);
          return;
        }
        // Failed: no longer live (before a resend below starts the next one).
        if (counted) {
          counted = false;
          prepared.attemptsLive--;
        }
        const code = error.code;
        if (source?.failure !== undefined) {
          recordAttempt(serviceName, name, code, latencyMs);
          // The call was cancelled because its requests could not be read: the caller's failure
          // (the iterable threw, a request was malformed), not the instance's. The policy gets it
          // as CANCELLED, which it neither retries nor counts against the breaker; the caller gets
          // the failure itself (see the request-streaming methods).
          lease.done({ ok: true, latencyMs });
          span?.end(code, source.failure);
          reject(source.refusal(`${serviceName}/${name}`));
          return;
        }
        // Requests already sent from a one-shot iterable cannot be sent again: no retry, no resend.
        const replayable = source === undefined || source.canRetry();
        if (code === Status.UNAVAILABLE && error.details === CLOSED_BEFORE_START && closedByPool(client)) {
          // The call was still waiting for its connection when this client closed the channel (the
          // instance left the healthy view, or close()): it never reached the instance. Neither the
          // instance (balancer, outlier detection) nor the policy (breaker, retry budget) hears of
          // it; it goes again at once, on a fresh pick, within this attempt.
          lease.done({ ok: false, latencyMs, notSent: true });
          if (closed) {
            recordAttempt(serviceName, name, code, latencyMs);
            const closedNow = closedError();
            span?.end(code, closedNow);
            reject(closedNow);
            return;
          }
          if (resends < MAX_RESENDS && replayable) {
            // No time left (the deadline passed while it waited): sent again, it failed
            // DEADLINE_EXCEEDED at once, counted against an instance it never reached (ejected).
            const late =
              context.abortReason ??
              (context.deadline <= Date.now()
                ? new DeadlineExceededError(`${serviceName}/${name}: no time left to send the call again`)
                : undefined);
            if (late !== undefined) {
              recordAttempt(serviceName, name, code, latencyMs);
              span?.end(code, late);
              reject(late);
              return;
            }
            // No sample for this part: the call never left this client, and the resend below is
            // the same attempt, which records its one sample when it ends (it recorded two, the
            // first an UNAVAILABLE no server gave, which the breaker and discovery never hear of).
            span?.end(code, fromServiceError(error, `${serviceName}/${name}`, retryable));
            try {
              resolve(attempt(name, prepared, callOptions, context, start, viaClientMethods, resends + 1, source));
            } catch (thrown) {
              reject(thrown); // nothing left to pick
            }
            return;
          }
        }
        recordAttempt(serviceName, name, code, latencyMs);
        noteFailedInstance(prepared, lease.instance.id);
        // Our own request failed on this side (the instance never saw it): the caller's error, which
        // neither the instance's health nor the policy (retry, breaker) counts.
        const badRequest = requestFailedLocally(error, name, sendLimitFailure, source === undefined);
        // A failure whose request certainly never reached a server is retried for any method; one
        // that may have run there (a reset or dropped connection, a server's status) only for an
        // idempotent one, and for the others it says why not.
        const notSent = certainlyNotSent(error, client);
        // A response over this client's own receive limit: the instance answered, and the answer
        // is as large on any other (see overReceiveLimit).
        const overOwnLimit = overReceiveLimit(error);
        const retryableNow = replayable && (notSent || prepared.idempotent) ? retryable : NOT_RETRYABLE;
        const withheld = replayable && !notSent && !prepared.idempotent && retryable.has(code);
        lease.done({
          // Application answers (NOT_FOUND, INVALID_ARGUMENT…) say nothing bad about the instance.
          ok:
            badRequest !== undefined ||
            !(
              code === Status.UNAVAILABLE ||
              code === Status.INTERNAL ||
              code === Status.UNKNOWN ||
              code === Status.DEADLINE_EXCEEDED ||
              code === Status.DATA_LOSS
            ),
          latencyMs,
          overloaded: badRequest === undefined && code === Status.RESOURCE_EXHAUSTED && !overOwnLimit,
          connectionFailed: code === Status.UNAVAILABLE && CONNECTION_FAILURE.test(error.details ?? ''),
        });
        const mapped =
          badRequest ??
          fromServiceError(error, `${serviceName}/${name}`, retryableNow, withheld ? mayHaveRunNote(name) : undefined);
        if (overOwnLimit) markDescribesThisSide(mapped);
        if (badRequest === undefined && !notSent && !prepared.idempotent && !aborted)
          refuseMoreAttempts(context, mapped, serviceName, name);
        span?.end(code, mapped);
        reject(mapped);
      };
      let call: UnaryCallHandle;
      try {
        call = start(client, metadata, finish, streamEnd);
      } catch (error) {
        // grpc-js throws rather than failing the call in a few cases (a channel already shut down):
        // settle it like any failed attempt, so the lease, the span and the metrics are not left open.
        finish(notSentFailure(`call not started: ${error instanceof Error ? error.message : String(error)}`));
        return;
      }
      // onAbort instead of context.signal: the signal would allocate an AbortController per attempt.
      // A passed deadline ends the call as DEADLINE_EXCEEDED (a timeout counts against the instance);
      // anything else (the caller, a lost hedge) as CANCELLED.
      const abort = (reason: Error): void => {
        aborted = true;
        // An attempt cut short (a per-attempt timeout) may already be running on the server, unless
        // its channel never connected: grpc-js holds a call until it has a connection. Noted now,
        // before the policy can start another attempt, for a method that must not run twice.
        if (!prepared.idempotent) {
          if (client.getChannel().getConnectivityState(false) === connectivityState.READY) {
            refuseMoreAttempts(context, reason, serviceName, name);
          } else if (counted) {
            // Never sent: let go of at once (grpc-js reports the cancel a tick later), so the
            // attempt a policy starts next is not refused as beside it.
            counted = false;
            prepared.attemptsLive--;
          }
        }
        call.cancel((reason as { code?: unknown }).code === ErrorCode.DEADLINE_EXCEEDED);
      };
      if (context.abortReason) abort(context.abortReason);
      else removeAbort = context.onAbort(abort);
    });
  };

  /**
   * One attempt of a streaming call, for {@link serverStream}: the call `open` makes on the picked
   * channel, handed over at its first message, and for a call whose requests stream, those requests
   * written once it can take them.
   */
  const streamAttempt = (
    name: string,
    prepared: PreparedCall,
    callOptions: GrpcCallOptions | undefined,
    context: AttemptContext,
    onFirst: OnFirstMessage,
    open: (channel: Client, metadata: Metadata) => Stream,
    source?: RequestSource,
  ): Promise<OpenedStream> =>
    attempt<OpenedStream>(
      name,
      prepared,
      callOptions,
      context,
      (channel, metadata, finish, span) => {
        const call = open(channel, metadata);
        onFirst(call, finish, span);
        if (source !== undefined) {
          pumpWhenConnected(channel, call as ClientDuplexStream<unknown, unknown>, source, prepared.deadline);
        }
        return { cancel: (deadlineExceeded) => cancelStream(call, deadlineExceeded) };
      },
      true,
      0,
      source,
    );

  const execute = <Response>(
    policyKey: string,
    deadline: number,
    signal: AbortSignal | undefined,
    once: (context: AttemptContext) => Promise<Response>,
  ): Promise<Response> => policy.execute(once, { deadline, ...(signal ? { signal } : {}), key: policyKey });

  /**
   * Runs the call; a call made before discovery's first snapshot (a service that just started)
   * waits for it, within the call's deadline, instead of failing with NO_INSTANCES at once.
   */
  const run = <Response>(
    policyKey: string,
    prepared: PreparedCall,
    once: (context: AttemptContext) => Promise<Response>,
  ): Promise<Response> => {
    const { deadline, signal } = prepared;
    if (discovery.isReady) return execute(policyKey, deadline, signal, once);
    return awaitFirstSnapshot(discovery, deadline, signal).then(() => execute(policyKey, deadline, signal, once));
  };

  const client: Record<string, unknown> = {};
  const stream: Record<string, unknown> = {};
  const clientStream: Record<string, unknown> = {};
  const bidiStream: Record<string, unknown> = {};
  for (const [name, definition] of Object.entries(options.definition)) {
    const method = definition as MethodDefinition<unknown, unknown>;
    const camel = grpcClientMethodName(name);
    // The key keyed policies see (`circuitBreaker({ keyed: true })`): the method of this service,
    // as @switchyard/http's `service METHOD`. The method alone let a policy shared by the clients
    // of several services (every one has grpc.health.v1's Check) open one's breaker on another's
    // failures. Built once here, not per call.
    const policyKey = `${discovery.service} ${name}`;
    // How errors name the method (`echo.v1.Echo/Count: …`), as an attempt's errors do; built once here.
    const label = `${serviceName}/${name}`;
    const kind = callKindOf(method);
    // Each method is offered where its kind is; elsewhere it fails saying where to call it.
    const misplaced = (where: string): InvalidArgumentError =>
      new InvalidArgumentError(`${where}.${camel}`, `${name} is ${kind}; ${HOW_TO_CALL[kind](camel)} instead`);
    client[camel] = () => Promise.reject(misplaced('client'));
    stream[camel] = () => {
      throw misplaced('stream');
    };
    clientStream[camel] = () => Promise.reject(misplaced('clientStream'));
    bidiStream[camel] = () => {
      throw misplaced('bidiStream');
    };
    if (kind === 'unary') {
      client[camel] = (request: unknown, callOptions?: GrpcCallOptions): Promise<unknown> => {
        let prepared: PreparedCall;
        try {
          prepared = prepare(name, request, callOptions);
        } catch (error) {
          return Promise.reject(error);
        }
        return run(policyKey, prepared, (context) =>
          attempt(name, prepared, callOptions, context, (channel, metadata, finish) =>
            directUnaryCall(channel, method, request, metadata, wireDeadline(context, prepared), finish),
          ),
        );
      };
    } else if (kind === 'server-streaming') {
      stream[camel] = (request: unknown, callOptions?: GrpcCallOptions) =>
        serverStream(
          name,
          label,
          policyKey,
          request,
          callOptions,
          prepare,
          run,
          (context, prepared, onFirst) =>
            streamAttempt(name, prepared, callOptions, context, onFirst, (channel, metadata) =>
              channel.makeServerStreamRequest(
                method.path,
                method.requestSerialize,
                method.responseDeserialize,
                request,
                metadata,
                streamCallOptions(prepared),
              ),
            ),
          sendLimitFailure,
        );
    } else if (kind === 'client-streaming') {
      clientStream[camel] = (requests: unknown, callOptions?: GrpcCallOptions): Promise<unknown> => {
        let prepared: PreparedCall;
        let source: RequestSource;
        try {
          prepared = prepare(name, STREAMED_REQUESTS, callOptions);
        } catch (error) {
          // Refused before it started (no time left, bad options, a closed client): the caller's
          // requests are closed all the same, as when a call ends early (a bidirectional call's
          // are too), rather than a Node stream given as them (a file, an upload passed on) being
          // left open for good.
          closeRequests(requests, label);
          return Promise.reject(error);
        }
        try {
          source = new RequestSource(requests, shapeChecks.get(name), label);
        } catch (error) {
          return Promise.reject(error);
        }
        // Like a unary call, the attempt lasts until the response (or a failure).
        return run(policyKey, prepared, (context) =>
          attempt(
            name,
            prepared,
            callOptions,
            context,
            (channel, metadata, finish) => {
              const deadline = wireDeadline(context, prepared);
              // grpc-js makes up an UNIMPLEMENTED for a reply that broke the protocol (no message,
              // or two): the watch tells that from the same status sent by the server.
              const cardinality = cardinalityWatch();
              const call = channel.makeClientStreamRequest(
                method.path,
                method.requestSerialize,
                method.responseDeserialize,
                metadata,
                {
                  interceptors: [cardinality.interceptor],
                  ...(deadline === Number.POSITIVE_INFINITY ? {} : { deadline }),
                },
                (error, response) => finish(cardinality.judge(error), response),
              );
              pumpWhenConnected(channel, call, source, prepared.deadline);
              return { cancel: (deadlineExceeded) => cancelStream(call, deadlineExceeded) };
            },
            true,
            0,
            source,
          ),
        )
          .catch((error: unknown) => {
            throw source.failure ?? error;
          })
          .finally(() => source.close());
      };
    } else {
      bidiStream[camel] = (requests: unknown, callOptions?: GrpcCallOptions) =>
        bidiCall(requests, shapeChecks.get(name), label, (source) =>
          serverStream(
            name,
            label,
            policyKey,
            STREAMED_REQUESTS,
            callOptions,
            prepare,
            run,
            (context, prepared, onFirst) =>
              streamAttempt(
                name,
                prepared,
                callOptions,
                context,
                onFirst,
                (channel, metadata) =>
                  channel.makeBidiStreamRequest(
                    method.path,
                    method.requestSerialize,
                    method.responseDeserialize,
                    metadata,
                    streamCallOptions(prepared),
                  ),
                source,
              ),
            sendLimitFailure,
            () => source.failure,
          ),
        );
    }
  }
  Object.assign(client, {
    stream: guardUnknownMethods(stream, serviceName),
    clientStream: guardUnknownMethods(clientStream, serviceName),
    bidiStream: guardUnknownMethods(bidiStream, serviceName),
    async close() {
      closed = true;
      subscription.dispose();
      stopObserving();
      pools.closeAll();
    },
    openChannels: () => pools.openPools * resolved.channelsPerInstance,
    toString: () => `GrpcClient(${serviceName})`,
  });
  return guardUnknownMethods(client, serviceName) as unknown as GrpcClient<D>;
}

/** The client's own members (see GrpcClientMemberName). */
const CLIENT_MEMBERS = new Set(['close', 'stream', 'clientStream', 'bidiStream', 'openChannels', 'toString']);

/**
 * An attempt's request may have run on a server, and its method must not run twice: no policy
 * may start another attempt of the call (a per-attempt timeout() labels its expiry retryable, and
 * a retryOn of the caller's own may say yes to anything). Called on the failure path only, and not
 * for attempts that certainly never reached a server. The first failure stays the reason.
 */
function refuseMoreAttempts(context: AttemptContext, failure: Error, serviceName: string, name: string): void {
  if (context.furtherAttemptsRefused === undefined)
    context.refuseFurtherAttempts(notRetriedError(failure, `${serviceName}/${name}`, name));
}

/** The four kinds of gRPC method, by which side streams. */
type CallKind = 'unary' | 'server-streaming' | 'client-streaming' | 'bidirectional';

function callKindOf(method: MethodDefinition<unknown, unknown>): CallKind {
  if (method.requestStream) return method.responseStream ? 'bidirectional' : 'client-streaming';
  return method.responseStream ? 'server-streaming' : 'unary';
}

/** Where a method of each kind is called, for the error of one called elsewhere. */
const HOW_TO_CALL: Record<CallKind, (camel: string) => string> = {
  unary: (camel) => `call client.${camel}(request)`,
  'server-streaming': (camel) => `iterate client.stream.${camel}(request)`,
  'client-streaming': (camel) => `call client.clientStream.${camel}(requests)`,
  bidirectional: (camel) => `iterate client.bidiStream.${camel}(requests)`,
};

/** The `request` that {@link PreparedCall}'s checks skip: a call whose requests stream is checked as they go. */
const STREAMED_REQUESTS = Symbol('streamed requests');

/** The retryable statuses once an attempt's requests cannot be sent again: none. */
const NOT_RETRYABLE: ReadonlySet<number> = new Set();

/**
 * The options the integer checks above do not cover. `retryableStatuses: ['UNAVAILABLE']` used to
 * be accepted and turned every retry off; `14` threw a raw TypeError; `tracing: 'yes'` and
 * `port: 5` passed.
 */
function assertClientOptions(options: GrpcClientOptions<ServiceDefinition>): void {
  const { policy, tracing, credentials, port, channelOptions, retryableStatuses } = options;
  if (
    policy !== undefined &&
    policy !== false &&
    (typeof policy !== 'object' || policy === null || typeof (policy as Policy).execute !== 'function')
  ) {
    throw new InvalidArgumentError('policy', 'must be a resilience Policy (compose(retry(), …)) or false');
  }
  if (tracing !== undefined && typeof tracing !== 'boolean') {
    throw new InvalidArgumentError('tracing', `must be true or false, got ${JSON.stringify(tracing)}`);
  }
  if (
    credentials !== undefined &&
    (typeof credentials !== 'object' || credentials === null || typeof credentials.compose !== 'function')
  ) {
    throw new InvalidArgumentError('credentials', 'must be grpc-js ChannelCredentials (credentials.createSsl(…))');
  }
  if (port !== undefined && (typeof port !== 'string' || port === '')) {
    throw new InvalidArgumentError(
      'port',
      `must be the name of a registered port, e.g. 'grpc', got ${JSON.stringify(port)}`,
    );
  }
  if (channelOptions !== undefined) {
    assertObject('channelOptions', channelOptions);
    assertChannelOptions(channelOptions, credentials ?? grpcCredentials.createInsecure());
  }
  if (retryableStatuses !== undefined) {
    if (!Array.isArray(retryableStatuses)) {
      throw new InvalidArgumentError(
        'retryableStatuses',
        'must be an array of gRPC status numbers (status.UNAVAILABLE…)',
      );
    }
    retryableStatuses.forEach((code, index) => {
      if (!Number.isInteger(code) || (code as number) < 0 || (code as number) > 16) {
        throw new InvalidArgumentError(
          `retryableStatuses[${index}]`,
          `must be a gRPC status number from 0 to 16 (status.UNAVAILABLE is 14), got ${JSON.stringify(code)}`,
        );
      }
    });
  }
}

/**
 * Checks channel options before any channel is made from them. grpc-js reads most of them only
 * when a call is made: a number as `grpc.default_authority` failed every call with an unhandled
 * rejection inside grpc-js (the call itself hung until its deadline), a `grpc.service_config` that
 * is not JSON threw a bare SyntaxError out of every attempt (reported as the instance's failure),
 * and a string as a number option was ignored without a word. Values are checked (see
 * assertChannelOptionValues); then a channel is made with them (grpc-js validates the service
 * config there; a channel connects only for a call) and closed.
 */
function assertChannelOptions(channelOptions: ChannelOptions, credentials: ChannelCredentials): void {
  assertChannelOptionValues('channelOptions', channelOptions);
  let probe: Client;
  try {
    probe = new GrpcJsClient('127.0.0.1:1', credentials, withDefaults(DEFAULT_CHANNEL_OPTIONS, channelOptions));
  } catch (error) {
    throw new InvalidArgumentError('channelOptions', (error as Error).message, { cause: error });
  }
  probe.close();
}

/**
 * An RPC's name on a {@link createGrpcClient} client (and under `client.stream`): camelCased
 * (`GetProduct` → `getProduct`), or its proto name when that would be one of the client's own
 * members (`rpc Close` stays `Close`, so it cannot replace `client.close()`). For tools that call
 * methods by their proto name, such as the CLI's `switchyard call`.
 * @throws InvalidArgumentError for an RPC named exactly like a client member (`close`…).
 */
export function grpcClientMethodName(name: string): string {
  const camel = name.charAt(0).toLowerCase() + name.slice(1);
  if (!CLIENT_MEMBERS.has(camel)) return camel;
  if (CLIENT_MEMBERS.has(name)) {
    throw new InvalidArgumentError(
      'definition',
      `method "${name}" has the name of the client's own ${name}(); rename it in the definition`,
    );
  }
  return name;
}

// Properties JavaScript itself probes (await, JSON, inspection) must read as absent, not throw.
const PASSTHROUGH = new Set(['then', 'toJSON', 'constructor', 'inspect', 'asymmetricMatch', '$$typeof', 'nodeType']);

/** Makes a misspelt method name fail with INVALID_ARGUMENT listing the methods, instead of "is not a function". */
function guardUnknownMethods(client: Record<string, unknown>, serviceName: string): Record<string, unknown> {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (typeof property === 'symbol' || property in target || PASSTHROUGH.has(property)) {
        return Reflect.get(target, property, receiver);
      }
      const methods = Object.keys(target).filter(
        (name) => typeof target[name] === 'function' && !CLIENT_MEMBERS.has(name),
      );
      throw new InvalidArgumentError(
        'method',
        `${serviceName} has no method "${property}"; methods: ${methods.join(', ')}`,
      );
    },
  });
}

/** grpc-js's details for a call failed by `close()` while it waited for its channel's connection. */
const CLOSED_BEFORE_START = 'Channel closed before call started';
/** How often one attempt is sent again after its channel was closed under it (see attempt()). */
const MAX_RESENDS = 3;

/** How grpc-js (and directUnaryCall) report a request that could not be serialized, on this side. */
const LOCAL_SERIALIZATION_FAILURE = /^Request message serialization failure/;

/**
 * grpc-js's details, exactly, for a message over the channel's `grpc.max_send_message_length`: its
 * compression filter fails the call with them (RESOURCE_EXHAUSTED) instead of sending the message.
 * Undefined when the channel has no send limit (grpc-js's default, -1).
 */
function sendLimitFailureOf(channelOptions: ChannelOptions | undefined): string | undefined {
  const limit = channelOptions?.['grpc.max_send_message_length'];
  return typeof limit === 'number' && limit !== -1
    ? `Attempted to send message with a size larger than ${limit}`
    : undefined;
}

/**
 * The caller's INVALID_ARGUMENT for an attempt whose request failed on this side and never left:
 * it did not serialize, or it is over the client's own send limit (`sendLimitFailure`, see
 * sendLimitFailureOf); undefined for any other failure. Neither says anything about the instance
 * or the service: taken for the instance's INTERNAL or overload, oversized requests opened the
 * breaker for every call. Only grpc-js's exact words count, in a status grpc-js made (see
 * sentByServer): a server's own INTERNAL ("Error serializing response") or RESOURCE_EXHAUSTED,
 * even in those words, is its answer, not a bad request. `singleRequest`:
 * the call takes one `request` (unary, server streaming), else it streams `requests`.
 */
function requestFailedLocally(
  error: ServiceError,
  method: string,
  sendLimitFailure: string | undefined,
  singleRequest: boolean,
): InvalidArgumentError | undefined {
  // The same words in a server's reply (its own client's failure, passed on) are the server's.
  if (sentByServer(error)) return undefined;
  const details = error.details ?? '';
  const field = singleRequest ? 'request' : 'requests';
  if (error.code === Status.INTERNAL && LOCAL_SERIALIZATION_FAILURE.test(details)) {
    return new InvalidArgumentError(field, `${method}: the request does not match the message type: ${details}`);
  }
  if (error.code === Status.RESOURCE_EXHAUSTED && details === sendLimitFailure) {
    return new InvalidArgumentError(
      field,
      `${method}: the request is larger than the client's channelOptions 'grpc.max_send_message_length' allows: ${details}`,
    );
  }
  return undefined;
}

/**
 * A server stream's options: the call's deadline, not the attempt's. The policy covers a stream
 * up to its first message, and a per-attempt timeout (`timeout({ ms })` in the policy) cuts an
 * attempt that has not got there (see the attempt's abort); sent as the stream's deadline, it cut
 * a stream that was delivering short at that timeout (DEADLINE_EXCEEDED after 2 messages of 8).
 */
function streamCallOptions(prepared: PreparedCall): { deadline?: number } {
  return prepared.deadline <= prepared.latestWireDeadline ? { deadline: prepared.deadline } : {};
}

/**
 * Whether grpc-js failed the call because the response is over this client's
 * `grpc.max_receive_message_length` (RESOURCE_EXHAUSTED, in grpc-js's own words). That is the
 * client's limit, not the instance's overload nor the service's failure: taken for them, 20 such
 * replies from one method opened the breaker for every call to the service, and the instance
 * was reported overloaded. Marked as about this side of the call (markDescribesThisSide), it is
 * left out of the breaker's count (isServerFailure) and relayed by a server as the code in words.
 */
function overReceiveLimit(error: ServiceError): boolean {
  return (
    error.code === Status.RESOURCE_EXHAUSTED &&
    RECEIVE_LIMIT_FAILURE.test(error.details ?? '') &&
    // A server's reply in these words (its own client's limit, passed on) is its failure.
    !sentByServer(error)
  );
}
const RECEIVE_LIMIT_FAILURE = /^Received message larger than max \(/;

/**
 * The deadline to send on the wire: the attempt's, or none (`Infinity`) when it is more than
 * {@link MAX_TIMER_MS} (~24.8 days) past the call's start. A grpc-js server turns `grpc-timeout`
 * into milliseconds with `| 0`, so from 2^31 ms on it wraps negative there and the call fails at
 * once with DEADLINE_EXCEEDED (counted against a healthy instance); grpc-js's own client timer
 * fires after 1 ms for such a delay; and far enough out (8 digits) grpc-js refuses the call with
 * an unhandled rejection. The policy's own timer still enforces the real deadline. Measured from
 * the call's start (the attempt's clock is not read again): never more time left than that.
 */
function wireDeadline(context: AttemptContext, prepared: PreparedCall): number {
  const deadline = context.deadline;
  return deadline <= prepared.latestWireDeadline ? deadline : Number.POSITIVE_INFINITY;
}

type Stream = import('@grpc/grpc-js').ClientReadableStream<unknown>;

/** Whether `error` is a DEADLINE_EXCEEDED (what toCancelled makes of a timeout signal's reason). */
function isDeadlineError(error: Error): boolean {
  return (error as { code?: unknown }).code === ErrorCode.DEADLINE_EXCEEDED;
}

/**
 * Cancels a streaming call: DEADLINE_EXCEEDED once its deadline has passed (a timeout counts
 * against the instance), else CANCELLED. The stream's own cancel() always ends it CANCELLED, so
 * its inner call is cancelled instead, when it has one.
 */
function cancelStream(call: { cancel(): void }, deadlineExceeded = false): void {
  const inner = (call as { call?: { cancelWithStatus(code: number, details: string): void } }).call;
  if (inner) cancelCall(inner, deadlineExceeded);
  else call.cancel();
}

/**
 * A bidirectional call: `stream` (a {@link serverStream} whose attempts also send the requests)
 * over one {@link RequestSource}, read once for the whole call; an iterable the call did not read
 * to its end is closed when the call ends.
 */
async function* bidiCall(
  requests: unknown,
  check: ((request: object) => void) | undefined,
  label: string,
  stream: (source: RequestSource) => AsyncGenerator<unknown>,
): AsyncGenerator<unknown> {
  const source = new RequestSource(requests, check, label);
  try {
    yield* stream(source);
  } catch (error) {
    // The requests' own failure, as the caller raised it (the policy saw it as CANCELLED).
    throw source.failure ?? error;
  } finally {
    source.close();
  }
}

/** Closes the requests of a call that never started (see RequestSource.close); not requests at all: nothing. */
function closeRequests(requests: unknown, label: string): void {
  try {
    new RequestSource(requests, undefined, label).close();
  } catch {
    // Not an (async) iterable: nothing to close (the call's own error is what the caller gets).
  }
}

/**
 * Starts writing a call's requests (cancelling the call if they fail): at once for an array, or on
 * a channel already connected; for requests read once on a channel still connecting, only once it
 * connects. grpc-js takes writes before the connection exists, so a call to an instance that turns
 * out to be down would otherwise have used up requests that never left, and could not fail over.
 */
function pumpWhenConnected(
  channel: Client,
  call: ClientWritableStream<unknown> | ClientDuplexStream<unknown, unknown>,
  source: RequestSource,
  deadline: number,
): void {
  const cancel = (): void => call.cancel();
  const grpcChannel = channel.getChannel();
  if (source.replayable || grpcChannel.getConnectivityState(true) === connectivityState.READY) {
    source.pump(call, cancel);
    return;
  }
  let ended = false;
  const onEnd = (): void => {
    ended = true;
  };
  call.once('status', onEnd);
  const awaitReady = (state: connectivityState): void => {
    if (ended) return;
    if (state === connectivityState.READY) {
      call.off('status', onEnd);
      // Another attempt of the call (a hedge that started while this one waited) may have taken
      // the requests meanwhile, or sent some already: this one then goes no further, rather than
      // send them twice or hand its instance the rest as if they were all.
      if (source.mayStart()) source.pump(call, cancel);
      else cancel();
      return;
    }
    // A channel being closed (the instance left, or close()) tells its watchers before it fails
    // its waiting calls, and refuses to be watched: the call's own end follows.
    if (state === connectivityState.SHUTDOWN) return;
    // Until the state changes, the call ends (its own failure or deadline), or the deadline passes.
    // grpc-js times the watch with a plain setTimeout: never past Node's longest timer (MAX_TIMER_MS,
    // ~24.8 days), which Node fires after 1 ms instead. Given a deadline further off, the watch gave
    // up at once and the requests were never sent: the call hung, its server waiting for them, until
    // that deadline. A watch so capped is renewed when it ends; one to the deadline itself is not.
    const capped = Date.now() + MAX_TIMER_MS < deadline;
    const watchUntil = capped ? Date.now() + MAX_TIMER_MS : deadline;
    grpcChannel.watchConnectivityState(state, watchUntil, (error) => {
      if (error === undefined || capped) awaitReady(grpcChannel.getConnectivityState(false));
    });
  };
  awaitReady(grpcChannel.getConnectivityState(false));
}

/** What opening a server stream yields: its first message, the call, and its attempt's span, still open. */
interface OpenedStream {
  first: IteratorResult<unknown>;
  call: Stream;
  /**
   * Ends the attempt once the stream ends, exactly once: its span (if traced) and its
   * `rpc.client.duration` sample, with the status the stream ended with (see attempt's streamEnd).
   */
  span: AttemptSpan | undefined;
  /** The first error the stream emitted after its first message (see serverStream). */
  failedLater?: ServiceError;
}

/** Hands a stream's attempt to {@link serverStream}, which settles it at the stream's first message. */
type OnFirstMessage = (
  call: Stream,
  finish: (error: ServiceError | null, response?: OpenedStream, spanStaysOpen?: boolean) => void,
  span: AttemptSpan | undefined,
) => void;

/**
 * Ends a stream whose attempt succeeded but which the call did not take (see serverStream): its
 * span and metrics sample as CANCELLED, and the call itself, so the instance stops sending.
 */
function dropUntaken(opened: OpenedStream): void {
  opened.span?.end(Status.CANCELLED);
  cancelStream(opened.call);
}

/** A call checked and settled before its first attempt. */
interface PreparedCall {
  deadline: number;
  /** The latest deadline that may go on the wire (see wireDeadline), fixed when the call starts. */
  latestWireDeadline: number;
  /** The caller's metadata; each attempt sends its own copy. */
  metadata: Metadata;
  /** The call scope inherited from the request being served, if any. */
  scope: CallScope | undefined;
  /** What cancels the call: the caller's `signal`, the inherited scope's (its call ended), or both. */
  signal: AbortSignal | undefined;
  /** Whether the call may run twice: the call's `idempotent`, else its method's (see idempotentMethodsOf). */
  idempotent: boolean;
  /**
   * For a call that may not run twice: its attempts started that have not failed (out now, or
   * succeeded; at most one). Another attempt is refused while there is one.
   */
  attemptsLive: number;
}

/**
 * A server stream as an async iterable. The policy (retries) covers opening the stream up to its
 * first message; after that, messages are delivered as they come and an error ends the iteration
 * (a stream that already delivered data is never replayed).
 */
async function* serverStream(
  name: string,
  label: string,
  policyKey: string,
  request: unknown,
  callOptions: GrpcCallOptions | undefined,
  prepare: (method: string, request: unknown, callOptions: GrpcCallOptions | undefined) => PreparedCall,
  run: <R>(policyKey: string, prepared: PreparedCall, once: (context: AttemptContext) => Promise<R>) => Promise<R>,
  open: (context: AttemptContext, prepared: PreparedCall, onFirst: OnFirstMessage) => Promise<OpenedStream>,
  /** See sendLimitFailureOf: a bidirectional call's request over the limit fails as the caller's, here too. */
  sendLimitFailure: string | undefined,
  /** Why the call's own requests failed, for a bidirectional call: thrown instead of the CANCELLED it caused. */
  requestFailure: () => Error | undefined = () => undefined,
): AsyncGenerator<unknown> {
  const prepared = prepare(name, request, callOptions);
  // The streams whose attempts succeeded (a first message came) before the call knew which it takes.
  // Usually one; a hedge that came in the same turn, or a policy of the caller's own that ran
  // attempts side by side and chose among them, leaves others, which must not stay open to their
  // deadline with their spans never ended. `undefined` once the call has taken its stream.
  let unclaimed: Set<OpenedStream> | undefined = new Set();
  const dropUnclaimed = (kept: OpenedStream | undefined): void => {
    const opened = unclaimed;
    unclaimed = undefined;
    for (const other of opened ?? []) if (other !== kept) dropUntaken(other);
  };
  let taken: OpenedStream;
  try {
    taken = await run(policyKey, prepared, (context) =>
      open(context, prepared, (stream, finish, attemptSpan) => {
        // The attempt succeeds at its first message (or a clean end); it fails on an error before that.
        // Past the first message, the span stays open until the stream ends (see below).
        const onData = (message: unknown): void => {
          stream.pause();
          cleanup();
          const opened: OpenedStream = { first: { value: message, done: false }, call: stream, span: attemptSpan };
          // An error after the first message, while nobody iterates (the consumer is busy with a
          // message, or kept only the first): grpc-js emits it at once, and with no listener it
          // would be thrown out of the event loop and end the process. Held on the stream's own
          // record (a dropped stream's goes with it), it is thrown to the consumer in order.
          stream.on('error', (error: ServiceError) => {
            opened.failedLater ??= error;
          });
          finish(null, opened, true);
          if (unclaimed === undefined) dropUntaken(opened);
          else unclaimed.add(opened);
        };
        const onEnd = (): void => {
          cleanup();
          finish(null, { first: { value: undefined, done: true }, call: stream, span: undefined });
        };
        const onError = (error: ServiceError): void => {
          cleanup();
          finish(error);
        };
        const cleanup = (): void => {
          stream.off('data', onData);
          stream.off('end', onEnd);
          stream.off('error', onError);
        };
        stream.on('data', onData);
        stream.on('end', onEnd);
        stream.on('error', onError);
      }),
    );
  } catch (error) {
    dropUnclaimed(undefined);
    throw error;
  }
  // Whichever the call took, the others end now, cancelled.
  dropUnclaimed(taken);
  const { first, call, span } = taken;
  if (first.done) return;
  // The attempt (and with it the policy's hold on the caller's signal) ended at the first message:
  // from here the caller's signal must still cancel the stream, as `signal` promises.
  const signal = prepared.signal;
  // The stream then fails as a call cancelled before its first message does (toCancelled): a
  // timeout signal as DEADLINE_EXCEEDED, any other with the caller's reason as the cause. It was
  // grpc-js's CANCELLED, "Cancelled on client", whatever the reason.
  const cancelOnAbort = (): void => cancelStream(call, isDeadlineError(toCancelled(signal?.reason)));
  if (signal?.aborted) cancelOnAbort();
  else signal?.addEventListener('abort', cancelOnAbort, { once: true });
  // The span and the attempt's metrics sample end once, with how the stream ended: OK after its
  // last message, the status of an error after the first one, CANCELLED when the consumer stopped
  // reading early.
  let spanEnded = false;
  const endSpanOnce = (code: number, error?: unknown): void => {
    if (spanEnded) return;
    spanEnded = true;
    span?.end(code, error);
  };
  try {
    yield first.value;
    call.resume();
    for await (const message of call) {
      // Once the caller's signal aborted, no more messages: grpc-js still hands over those it
      // buffered before the cancel (up to its high-water mark, 16), so a consumer that aborted
      // while busy with one message went on getting a dozen more before the CANCELLED. Thrown to
      // the catch below, which ends the stream as the abort says (CANCELLED or DEADLINE_EXCEEDED).
      if (signal?.aborted) throw signal.reason;
      yield message;
    }
    // grpc-js ends the stream, then emits the error: one that came while nobody was iterating
    // left the messages before it buffered, and is thrown after them.
    if (taken.failedLater !== undefined) throw taken.failedLater;
    endSpanOnce(Status.OK);
  } catch (error) {
    const failure = requestFailure();
    if (failure !== undefined) {
      endSpanOnce(Status.CANCELLED, failure);
      throw failure;
    }
    if (signal?.aborted) {
      const cancelled = toCancelled(signal.reason);
      endSpanOnce(isDeadlineError(cancelled) ? Status.DEADLINE_EXCEEDED : Status.CANCELLED, cancelled);
      throw cancelled;
    }
    const serviceError = error as ServiceError;
    if (typeof serviceError?.code === 'number') {
      // Named `service/Method`, as the errors of the attempts before the first message are.
      const mapped =
        requestFailedLocally(serviceError, name, sendLimitFailure, request !== STREAMED_REQUESTS) ??
        fromServiceError(serviceError, label, NOT_RETRYABLE);
      endSpanOnce(serviceError.code, mapped);
      throw mapped;
    }
    endSpanOnce(Status.UNKNOWN, error);
    throw error;
  } finally {
    endSpanOnce(Status.CANCELLED);
    signal?.removeEventListener('abort', cancelOnAbort);
    call.cancel(); // a consumer that stops early must not leave the stream running
    // Later errors (the cancel's own CANCELLED) still find a listener: never an uncaught 'error'.
  }
}
