import { metricsActive, observeClientMetrics, switchyardInstruments } from '@switchyard/tracing';
import { Readable } from 'node:stream';
import {
  assertObject,
  assertPlainObject,
  ClientClosedError,
  describeValue,
  InvalidArgumentError,
  markExhaustedDownstream,
  NO_DEADLINE,
  SwitchyardError,
} from '@switchyard/core';
import { AttemptAbort, SingleAttemptContext } from './attempt-abort.js';
import { UntakenResponses } from './untaken-responses.js';
import {
  awaitFirstSnapshot,
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
  type RetryPolicy,
  retry,
} from '@switchyard/resilience';
import type { Dispatcher } from 'undici';
import { HttpCallError } from '../status/http-call-error.js';
import { NO_RETRY_HEADER } from '../status/no-retry.js';
import {
  bodyFailureError,
  classifyFailure,
  failureError,
  failureOutcome,
  notHedged,
  notReplayable,
  notResent,
  responseOutcome,
} from './attempt-failure.js';
import { MAX_DEADLINE_HEADER_MS } from '../deadline-header.js';
import { type BufferedReply, exchangeBuffered, headersOf } from './buffered-exchange.js';
import { AttemptBody } from './attempt-body.js';
import { type AttemptSpan, traceAttempt } from './client-tracing.js';
import { type HttpClientOptions, resolveClientOptions } from './http-client-options.js';
import type { HttpClient, HttpRequest, HttpResponse, JsonRequestOptions } from './http-client-types.js';
import { HttpPools, originOf } from './http-pools.js';
import { RecentUrls } from './recent-urls.js';
import {
  copyHeaders,
  JSON_GET_HEADERS,
  JSON_POST_HEADERS,
  PLAIN_OBJECT,
  type PreparedRequest,
  prepareRequest,
  setHeader,
} from './prepare-request.js';
import { utf8Text } from './utf8-text.js';
import { BufferedBody, readBounded } from './response-body.js';

/** Per-call state shared by its attempts. */
interface CallState {
  sent: boolean;
  /** An attempt read from the call's stream body: it cannot be sent again (see AttemptBody). */
  bodyTaken?: boolean;
  lastError: unknown;
  /**
   * For a request that may not be sent twice: its attempts sent that have not failed (out now, or
   * answered). Another attempt is refused while there is one (see notHedged): after a success too,
   * as that request ran.
   */
  attemptsLive: number;
  /** Responses handed up with their bodies unread (request()), under a policy: made at the first. */
  responses?: UntakenResponses;
}

/**
 * How the JSON helpers turn a whole response body into their value, inside the attempt (so a
 * reply that cannot be parsed fails the attempt, as INTERNAL naming the request and the instance:
 * see parseReply). Given one, an attempt reads the response into memory through undici's dispatch
 * API instead of handing out a stream (see exchangeBuffered).
 */
type ParseBody<T> = (bytes: Buffer, status: number) => T;

// Error responses kept whole for `throwOnStatus: false` (handed back if retries run out).
const keptBodies = new WeakMap<HttpCallError, Buffer>();

/**
 * An HTTP client for one discovered service, on undici: every attempt picks an instance (so a
 * retry goes elsewhere) and uses that instance's `Pool`, runs under the call's policy and
 * deadline (sent along in a header), is traced, and reports its outcome to the balancer and
 * outlier detection. Only requests that are safe to send twice are retried; error statuses
 * reject with HttpCallError. Deadline and trace context of the request being served (see
 * httpHandler, switchyardFastify, createGrpcServer) are inherited automatically.
 *
 * @throws InvalidArgumentError naming the option (`options.port`, `options.deadlineHeader`…): a
 * missing `discovery`, an unknown option, a value out of its range or of the wrong type.
 * @example
 * ```ts
 * const catalog = createHttpClient({ discovery: createDiscovery({ registry, service: 'catalog' }) });
 * const product = await catalog.getJson<Product>('/products/sku-1', { deadlineMs: 500 });
 * ```
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const resolved = resolveClientOptions(options);
  const discovery = resolved.discovery;
  const service = discovery.service;
  const retryableStatuses = new Set(resolved.retryableStatuses);
  const defaultRetry = resolved.policy === undefined ? retry() : undefined;
  const defaultBreaker = resolved.policy === undefined ? circuitBreaker() : undefined;
  const policy =
    resolved.policy === false
      ? undefined
      : (resolved.policy ?? compose(defaultRetry as RetryPolicy, defaultBreaker as CircuitBreakerPolicy));
  const pools = new HttpPools(
    resolved.scheme,
    resolved.port,
    resolved.poolOptions,
    resolved.closePoolsAfterMs,
    resolved.closeGraceMs,
  );
  const urls = new RecentUrls();
  const subscription = discovery.onChange((instances) => pools.retain(new Set(instances.map((item) => item.id))));
  const stopObserving = observeClientMetrics(discovery, { 'service.peer.name': service }, defaultRetry, defaultBreaker);
  let closed = false;
  /** close()'s work, shared by every call to close(): each resolves once the pools have closed. */
  let closing: Promise<void> | undefined;
  /**
   * Aborted by close(): wakes the calls still waiting for discovery's first snapshot (see
   * awaitSnapshot). Made by the first such call only, so a call to a ready discovery pays nothing.
   */
  let closeSignal: AbortController | undefined;

  async function attempt<T>(
    prepared: PreparedRequest,
    context: AttemptContext,
    state: CallState,
    parse: ParseBody<T> | undefined,
  ): Promise<T | HttpResponse> {
    // A stream body no attempt has read yet (their connections refused) can still be sent.
    if (state.sent && !prepared.replayable && (state.bodyTaken || !isUnread(prepared.body))) {
      throw notReplayable(state.lastError, labelOf(prepared));
    }
    // Nor, for a request that may not be sent twice, after an attempt that may have reached a
    // server (see refuseResend): retry() gives up by itself, and this refuses what a policy of
    // one's own may ask for.
    if (!prepared.idempotent) {
      const refused = context.furtherAttemptsRefused;
      if (refused !== undefined) throw refused;
    }
    // A request that may not be sent twice is not hedged: a second attempt while the first is out
    // (a hedge starts on a timer, whatever the request) would send it twice.
    if (state.attemptsLive > 0 && !prepared.idempotent) throw notHedged(labelOf(prepared));
    // Nor one whose body is read once. Said before any hedge could start: a hedge refused above has
    // taken a token of its budget (and a slot, and a hedge in the metrics) for nothing.
    if (!prepared.idempotent || !prepared.replayable) context.disallowHedging();
    // Closed while this call waited to retry: fail it as closed, before picking (and blaming) an instance.
    if (closed) throw closedError();
    const pickArgs = prepared.key === undefined ? undefined : { key: prepared.key };
    // A retry or hedge passes over the instances the call's failed attempts used (and a keyed
    // call's own instance), while another is up: see pickUntried. The first attempt picks as ever.
    let lease: Lease =
      context.attempt > 1
        ? pickUntried(discovery, pickArgs, failedInstancesOf(state), resolved.port)
        : discovery.pick(pickArgs);
    let pool = poolOf(lease);
    if (pool === undefined) {
      // An instance registered without our port was never sent anything: picked past, unblamed (it
      // was counted as a failed call, and ejected after five).
      lease = pickWithPort(discovery, pickArgs, resolved.port, lease);
      pool = poolOf(lease) as Dispatcher; // pickWithPort returns an instance with the port
    }
    const instance = lease.instance;
    const port = instance.ports[resolved.port] as number;
    // Each attempt sends its own copy: deadline and tracing headers differ per attempt.
    const headers = copyHeaders(prepared.headers);
    if (context.deadline !== NO_DEADLINE) {
      // Over a day is sent as none, as servers read it (not as `1.79e+308`): see MAX_DEADLINE_HEADER_MS.
      const leftMs = context.deadline - Date.now();
      if (leftMs <= MAX_DEADLINE_HEADER_MS) headers[resolved.deadlineHeader] = String(Math.max(0, Math.floor(leftMs)));
    }
    const span = traceAttempt(
      resolved.tracing,
      headers,
      prepared.scope,
      {
        service,
        method: prepared.method,
        host: instance.host,
        port,
        scheme: resolved.scheme,
        path: prepared.path,
        attempt: context.attempt,
      },
      urls,
    );
    // Cut short by the policy (a per-attempt timeout), a request that may not be sent twice may
    // already be running on the server: said at once, before retry() can decide on another attempt.
    // Not when it still waited for a connection (a full pool, a connect that hangs): nothing was
    // sent, and another instance may take it.
    // Counted in attemptsLive (a request that may not be sent twice) until it fails; one cut short
    // before it connected is let go of at once, so the attempt a policy starts next is not refused
    // as beside it.
    let counted = !prepared.idempotent;
    const abort: AttemptAbort = new AttemptAbort(
      context,
      prepared.signal,
      prepared.idempotent
        ? undefined
        : (reason) => {
            if (!abort.abortedBeforeConnect) refuseResend(context, reason, prepared);
            else if (counted) {
              counted = false;
              state.attemptsLive--;
            }
          },
    );
    // A stream body goes out through this attempt's own view of it (see AttemptBody).
    const sentBody = prepared.replayable
      ? (prepared.body as string | Uint8Array | null)
      : new AttemptBody(prepared.body as Readable, () => {
          state.bodyTaken = true;
        });
    state.sent = true;
    if (counted) state.attemptsLive++;
    const started = performance.now();
    let outcomeReported = false;
    // The status once a response arrived: a failure after it (a body that does not parse or breaks
    // off) still ends the span with the status the server sent.
    let received: number | undefined;
    try {
      const method = prepared.method as Dispatcher.HttpMethod;
      const body = sentBody;
      if (parse) {
        const exchange = { method, path: prepared.path, headers, body };
        // A redirect's body always within maxErrorBodyBytes: it only goes into an HttpCallError.
        const reply = await exchangeBuffered(
          pool,
          exchange,
          abort,
          errorBodyLimit(prepared),
          resolved.maxErrorBodyBytes,
        );
        abort.release();
        const status = reply.status;
        received = status;
        // Headers are parsed only for an error status: a success needs none of them. For the JSON
        // helpers a redirect is one too (undici follows none): getJson used to resolve a 301 as
        // undefined, or fail with "not JSON". 304 stays a success (a conditional GET's answer).
        const replyHeaders = status < 300 || status === 304 ? undefined : headersOf(reply);
        if (replyHeaders === undefined) {
          // A success whose body does not parse is this instance's fault: parse first, so a throw is its failure.
          const value = parseReply(parse, reply, prepared, instance.host, port);
          outcomeReported = reportStatus(lease, service, prepared.method, status, started);
          span?.end(status);
          return value;
        }
        // A redirect stays an HttpCallError (with its location): `throwOnStatus: false` hands back
        // error statuses (≥ 400) only.
        if (!prepared.throwOnStatus && status >= 400 && !isRetryable(prepared, status, replyHeaders)) {
          // An error status the caller asked to receive: the instance answered, whatever its body
          // holds (an HTML 404 page), so its outcome is the status, reported before parsing.
          outcomeReported = reportStatus(lease, service, prepared.method, status, started);
          try {
            const value = parseReply(parse, reply, prepared, instance.host, port);
            span?.end(status);
            return value;
          } catch (error) {
            span?.end(status, error);
            throw error;
          }
        }
        outcomeReported = reportStatus(lease, service, prepared.method, status, started);
        throw errorStatus(prepared, status, replyHeaders, reply.bytes, reply.truncated, span, state);
      }
      // undici accepts an EventEmitter as the signal (see AttemptAbort).
      const sent = { method, path: prepared.path, headers, body, signal: abort.asSignal() };
      const response = await untilAborted(
        // Only a request that may not be sent twice needs to know whether it was sent (see requestNotingConnect).
        prepared.idempotent ? pool.request(sent) : requestNotingConnect(pool, sent, abort),
        abort,
      );
      const status = response.statusCode;
      received = status;
      if (status < 400 || (!prepared.throwOnStatus && !isRetryable(prepared, status, response.headers))) {
        const value: HttpResponse = { status, headers: response.headers, body: response.body };
        translateBodyErrors(response.body, prepared, service, resolved.scheme, instance.host, port, status);
        if (prepared.signal && !hasNoBody(prepared.method, status, response.headers) && !response.body.closed) {
          // The caller's signal may still cancel reading the body, until it ends or closes.
          abort.releaseContext();
          const release = (): void => abort.release();
          response.body.once('close', release).once('end', release).once('error', release);
        } else {
          abort.release();
        }
        outcomeReported = reportStatus(lease, service, prepared.method, status, started);
        span?.end(status);
        if (policy) {
          // Only a policy runs more than one attempt of a call (see UntakenResponses).
          state.responses ??= new UntakenResponses();
          state.responses.add(value);
        }
        return value;
      }
      const { bytes, truncated } = await readBounded(response.body, errorBodyLimit(prepared));
      abort.release();
      outcomeReported = reportStatus(lease, service, prepared.method, status, started);
      throw errorStatus(prepared, status, response.headers, bytes, truncated, span, state);
    } catch (error) {
      if (counted) {
        counted = false;
        state.attemptsLive--;
      }
      noteFailedInstance(state, instance.id);
      if (outcomeReported) {
        if (!prepared.idempotent) refuseResend(context, error, prepared); // the server answered
        throw error;
      }
      abort.release();
      const kind = classifyFailure(error, abort.reason, sentBody);
      const mapped =
        SwitchyardError.isInstance(error) && kind === 'other'
          ? error
          : failureError(error, kind, abort.reason, {
              label: labelOf(prepared),
              origin: originOf(resolved.scheme, instance.host, port),
              idempotent: prepared.idempotent,
              // A stream body this attempt never read (its connection refused) can go to the next.
              replayable: prepared.replayable || !(sentBody as AttemptBody).takenSource,
            });
      lease.done(failureOutcome(kind, mapped, performance.now() - started));
      // With the status when one arrived (a body that did not parse), as the span below has it.
      recordAttempt(service, prepared.method, received, started, (mapped as { code?: string }).code);
      span?.end(received, mapped);
      state.lastError = mapped;
      // Only a refused connection, a request refused on this side, or one cut short while it
      // waited for a connection certainly reached no server.
      if (
        !prepared.idempotent &&
        kind !== 'connect' &&
        kind !== 'invalid' &&
        kind !== 'pool-options' &&
        !abort.abortedBeforeConnect
      )
        refuseResend(context, mapped, prepared);
      throw mapped;
    }
  }

  /** The HttpCallError for an error status (the attempt's outcome is already reported). */
  function errorStatus(
    prepared: PreparedRequest,
    status: number,
    headers: HttpResponse['headers'],
    bytes: Buffer,
    truncated: boolean,
    span: AttemptSpan | undefined,
    state: CallState,
  ): HttpCallError {
    const error = new HttpCallError({
      status,
      headers,
      body: utf8Text(bytes),
      bodyTruncated: truncated,
      request: labelOf(prepared),
      retryable: isRetryable(prepared, status, headers),
    });
    // The server's own downstream calls already retried: whoever relays this says so too.
    if (headers[NO_RETRY_HEADER] !== undefined) markExhaustedDownstream(error);
    // Handed back when retries run out (throwOnStatus: false): error statuses only, a redirect never.
    if (!prepared.throwOnStatus && status >= 400) keptBodies.set(error, bytes);
    span?.end(status, error);
    state.lastError = error;
    return error;
  }

  /**
   * How much of an error body to keep. Bounded when it only goes into an error; whole when the
   * response may be handed back to the caller (`throwOnStatus: false`), who would otherwise parse
   * a cut body, or read fewer bytes than its `content-length` says.
   */
  function errorBodyLimit(prepared: PreparedRequest): number {
    return prepared.throwOnStatus ? resolved.maxErrorBodyBytes : Number.POSITIVE_INFINITY;
  }

  /**
   * `parse` of a whole reply. A body it cannot read fails INTERNAL naming the request, the instance
   * and the reply's content-type (a catch-all's HTML page, a proxy's error page): the caller read
   * only "response (HTTP 200) is not valid JSON", unlike every other failure of the client, which
   * names them. Headers are parsed only then, as for an error status.
   */
  function parseReply<T>(
    parse: ParseBody<T>,
    reply: BufferedReply,
    prepared: PreparedRequest,
    host: string,
    port: number,
  ): T {
    try {
      return parse(reply.bytes, reply.status);
    } catch (cause) {
      throw unparsedReply(cause, labelOf(prepared), reply.status, headersOf(reply)['content-type'], {
        origin: originOf(resolved.scheme, host, port),
      });
    }
  }

  /** The pool of the leased instance (undefined: it has no such port); a failure ends the lease as failed. */
  function poolOf(lease: Lease): Dispatcher | undefined {
    try {
      return pools.poolFor(lease.instance);
    } catch (error) {
      lease.done({ ok: false, latencyMs: 0 });
      throw error;
    }
  }

  function closedError(): ClientClosedError {
    return new ClientClosedError(`HTTP client of ${service}`);
  }

  function labelOf(prepared: PreparedRequest): string {
    return `${service} ${prepared.method} ${prepared.path}`;
  }

  /**
   * An attempt of a request that may not be sent twice may have reached a server (it timed out, its
   * connection broke, a server answered): no policy may start another attempt of the call (a
   * per-attempt timeout() labels its expiry retryable, and a retryOn of the caller's own may say yes
   * to a 503; the gRPC client's rule too). Failure path only; the first failure stays the reason.
   */
  function refuseResend(context: AttemptContext, failure: unknown, prepared: PreparedRequest): void {
    if (context.furtherAttemptsRefused === undefined)
      context.refuseFurtherAttempts(notResent(failure, labelOf(prepared)));
  }

  /**
   * Waits for discovery's first snapshot within the call's deadline, until its signal aborts, or
   * until close(): a call still waiting when the client closed waited out its whole deadline (the
   * registry unreachable since the start) and then failed NO_INSTANCES, though close() promises
   * that what still waits fails with ClientClosedError.
   */
  async function awaitSnapshot(prepared: PreparedRequest): Promise<void> {
    closeSignal ??= new AbortController();
    const signal =
      prepared.signal === undefined ? closeSignal.signal : AbortSignal.any([prepared.signal, closeSignal.signal]);
    try {
      await awaitFirstSnapshot(discovery, prepared.deadline, signal);
    } catch (error) {
      if (closed) throw closedError();
      throw error;
    }
  }

  /** A server that says its own downstream calls already retried (NO_RETRY_HEADER) is not retried again. */
  function isRetryable(prepared: PreparedRequest, status: number, headers: HttpResponse['headers']): boolean {
    return (
      prepared.idempotent &&
      prepared.replayable &&
      retryableStatuses.has(status) &&
      headers[NO_RETRY_HEADER] === undefined
    );
  }

  async function send<T>(request: HttpRequest, parse?: ParseBody<T>): Promise<T | HttpResponse> {
    if (closed) {
      // Never sent: its stream body is released like any other (a file stream kept its descriptor).
      releaseBody((request as { body?: unknown } | undefined)?.body);
      throw closedError();
    }
    let prepared: PreparedRequest;
    try {
      prepared = prepareRequest(request, resolved.defaultDeadlineMs, resolved.throwOnStatus);
    } catch (error) {
      releaseBody((request as { body?: unknown } | undefined)?.body);
      throw error;
    }
    const state: CallState = { sent: false, lastError: undefined, attemptsLive: 0 };
    // A call made before discovery's first snapshot (a service that just started) waits for it,
    // within the deadline, instead of failing with NO_INSTANCES at once.
    try {
      // (within the deadline, or until the caller's signal aborts or the client closes)
      if (!discovery.isReady) await awaitSnapshot(prepared);
      if (policy) {
        const value = await policy.execute((context) => attempt(prepared, context, state, parse), {
          deadline: prepared.deadline,
          key: `${service} ${prepared.method}`,
          ...(prepared.signal ? { signal: prepared.signal } : {}),
        });
        state.responses?.settle(value);
        return value;
      }
      const context = new SingleAttemptContext(prepared.deadline, prepared.signal);
      try {
        return await attempt(prepared, context, state, parse);
      } finally {
        context.dispose();
      }
    } catch (error) {
      state.responses?.settle(undefined);
      // throwOnStatus: false: when retries ran out on an error status, hand back that last response.
      const last = error instanceof HttpCallError ? error : (error as { cause?: unknown })?.cause;
      const bytes = last instanceof HttpCallError ? keptBodies.get(last) : undefined;
      if (last instanceof HttpCallError && bytes !== undefined) {
        if (parse) {
          try {
            return parse(bytes, last.status);
          } catch (cause) {
            // Which instance sent it is the last attempt's, which the error does not keep.
            throw unparsedReply(cause, labelOf(prepared), last.status, last.headers['content-type'], {});
          }
        }
        return { status: last.status, headers: last.headers, body: new BufferedBody(bytes) };
      }
      // A stream body the call never got to write is the client's to release: one never sent, and
      // one whose request failed while it waited for its connection (its deadline passed queued
      // behind a busy connection), which undici leaves as it is. Left open, a file stream would hold
      // its descriptor for good. A body undici began to read is undici's: it destroys it when the
      // request fails, and finishes sending it after an early answer (a 413).
      if (!state.sent || isUnread(prepared.body)) releaseBody(prepared.body);
      throw error;
    }
  }

  /**
   * A JSON helper's call. A request it cannot build (options that are not an object, a value JSON
   * cannot hold) is a rejected promise, like every other failure of the call, never a throw.
   */
  function sendJson<T>(
    jsonOptions: JsonRequestOptions | undefined,
    method: 'GET' | 'POST',
    path: string,
    value?: unknown,
  ): Promise<T> {
    let request: HttpRequest;
    try {
      request =
        method === 'GET'
          ? jsonRequest(jsonOptions, method, path, undefined, JSON_GET_HEADERS)
          : jsonRequest(jsonOptions, method, path, jsonBody(value), JSON_POST_HEADERS);
    } catch (error) {
      return Promise.reject(error);
    }
    return send(request, parseJson) as Promise<T>;
  }

  return {
    request: (request) => send(request) as Promise<HttpResponse>,
    getJson: <T>(path: string, jsonOptions?: JsonRequestOptions) => sendJson<T>(jsonOptions, 'GET', path),
    postJson: <T>(path: string, value: unknown, jsonOptions?: JsonRequestOptions) =>
      sendJson<T>(jsonOptions, 'POST', path, value),
    get openPools() {
      return pools.size;
    },
    close() {
      if (closing === undefined) {
        closed = true;
        closeSignal?.abort();
        subscription.dispose();
        stopObserving();
        closing = pools.closeAll();
      }
      return closing;
    },
    toString: () => `HttpClient(${service}, ${policy ? policy.toString() : 'no policy'})`,
  };
}

/** What the JSON helpers set themselves: given in their options, it was silently replaced. */
const JSON_HELPER_FIELDS = ['method', 'path', 'body'];

/** `value` as a JSON body; INVALID_ARGUMENT naming `value` when JSON cannot hold it (a cycle, a BigInt). */
function jsonBody(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (cause) {
    throw new InvalidArgumentError('value', `must be serialisable as JSON: ${(cause as Error).message}`);
  }
}

/**
 * A JSON helper's request: the caller's options (validated later by prepareRequest, unknown keys
 * included), then method, path, body and headers (the helper's own, under the caller's).
 *
 * Built with Object.assign and plain stores on purpose: on Node 20's V8 a literal that spreads an
 * object and then adds properties (`{ ...options, method, path }`) takes a slow path costing
 * about half a microsecond per added property, a visible share of a loopback call.
 */
function jsonRequest(
  options: JsonRequestOptions | undefined,
  method: string,
  path: string,
  body: string | undefined,
  ownHeaders: Readonly<Record<string, string>>,
): HttpRequest {
  // Checked here, before the helper's own fields are merged in: Object.assign skipped options that
  // are not an object (a number) and the merge below turned headers that are not one into an
  // object, so both were ignored without a word (prepareRequest never saw them).
  if (options !== undefined) {
    assertObject('options', options);
    // Object.assign below takes an own `__proto__` key (JSON.parse makes one) for the request's
    // prototype: an unknown option went unnoticed, and an object's properties became options unchecked.
    if (Object.hasOwn(options, '__proto__')) {
      throw new InvalidArgumentError('options.__proto__', 'unknown option');
    }
    for (const own of JSON_HELPER_FIELDS) {
      if (Object.hasOwn(options, own)) {
        throw new InvalidArgumentError(
          `options.${own}`,
          `is set by the JSON helper itself (use request() to choose it)`,
        );
      }
    }
    if (options.headers !== undefined) assertPlainObject('request.headers', options.headers, PLAIN_OBJECT);
  }
  const request: HttpRequest = Object.assign({ path }, options);
  request.method = method;
  request.path = path;
  if (body !== undefined) request.body = body;
  const extra = options?.headers;
  request.headers = extra === undefined ? ownHeaders : callerHeadersOver(ownHeaders, extra);
  return request;
}

/**
 * The helper's own headers (lower case) with the caller's over them, whatever case the caller
 * used: `{ 'Content-Type': 'application/merge-patch+json' }` replaces the helper's
 * `content-type`, instead of both going out as a repeated header (the server then saw the first).
 */
function callerHeadersOver(
  own: Readonly<Record<string, string>>,
  extra: NonNullable<HttpRequest['headers']>,
): NonNullable<HttpRequest['headers']> {
  const merged: Record<string, unknown> = Object.assign({}, own);
  const names = Object.keys(extra);
  for (const name of names) {
    const lower = name.toLowerCase();
    if (lower !== name && Object.hasOwn(own, lower)) delete merged[lower];
  }
  // Not Object.assign: it dropped a header named `__proto__` (see setHeader).
  for (const name of names) setHeader(merged, name, extra[name]);
  return merged as NonNullable<HttpRequest['headers']>;
}

/**
 * `request` unless the attempt aborts first. undici applies a signal only once the request has a
 * connection: one queued behind a busy connection, or stuck connecting, would wait past its
 * deadline (the default policy races the deadline itself; a client with `policy: false` did not).
 */
async function untilAborted<T>(request: Promise<T>, abort: AttemptAbort): Promise<T> {
  const aborted = abort.rejection();
  try {
    return await Promise.race([request, aborted.promise]);
  } finally {
    aborted.dispose();
  }
}

/** What a streamed request waits as until undici connects it: its abort settles through untilAborted. */
const UNSENT = { onError(): void {} };

/**
 * `pool.request(options)`, telling `abort` when undici hands the request a connection, as the
 * buffered exchange does (see AttemptAbort.abortedBeforeConnect). Without it, a `request()` that is
 * not idempotent, cut short (a per-attempt timeout) while it was still queued behind a busy
 * connection or connecting, was taken as one that may have run and was never sent again, though
 * undici drops such a request unsent when it connects; `postJson` went on to another instance.
 * undici's `request()` only calls `this.dispatch(options, handler)`: here that dispatch wraps the
 * handler's `onConnect`, which undici calls just before it writes the request.
 */
function requestNotingConnect(
  pool: Dispatcher,
  options: Dispatcher.RequestOptions,
  abort: AttemptAbort,
): Promise<Dispatcher.ResponseData> {
  abort.failOnAbort(UNSENT);
  const noting = {
    dispatch(dispatchOptions: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
      const onConnect = handler.onConnect;
      handler.onConnect = function (this: Dispatcher.DispatchHandlers, ...args) {
        abort.failOnAbort(undefined);
        return onConnect?.apply(this, args);
      } as Dispatcher.DispatchHandlers['onConnect'];
      return pool.dispatch(dispatchOptions, handler);
    },
  };
  return (pool.request as (this: unknown, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>).call(
    noting,
    options,
  );
}

/** The JSON helpers' value of a whole body (`undefined` when empty); throws JSON.parse's SyntaxError (see unparsedReply). */
function parseJson(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  return JSON.parse(utf8Text(bytes));
}

/**
 * INTERNAL for a reply the JSON helpers cannot parse: `<service> <METHOD> <path>: the HTTP 200
 * response from <instance> is not valid JSON (content-type "text/html"): <JSON.parse's words>`,
 * the SyntaxError as `cause`.
 */
function unparsedReply(
  cause: unknown,
  label: string,
  status: number,
  contentType: string | string[] | undefined,
  where: { origin?: string },
): SwitchyardError {
  const from = where.origin === undefined ? '' : ` from ${where.origin}`;
  const type = contentType === undefined ? 'no content-type' : `content-type ${describeValue(contentType)}`;
  return new SwitchyardError(
    'INTERNAL',
    `${label}: the HTTP ${status} response${from} is not valid JSON (${type}): ${(cause as Error)?.message ?? String(cause)}`,
    { cause },
  );
}

/** Tells discovery how an attempt that got a response went, and records it; returns true (reported). */
function reportStatus(lease: Lease, service: string, method: string, status: number, started: number): true {
  lease.done(responseOutcome(status, performance.now() - started));
  recordAttempt(service, method, status, started, undefined);
  return true;
}

/**
 * One sample of `http.client.request.duration` per attempt (a no-op without a MeterProvider), with
 * the service called, the status when a response arrived, and for a failure what failed (the
 * error's code, as its span's `error.type`): every failure without a response used to read
 * `connection`, deadlines included.
 */
function recordAttempt(
  service: string,
  method: string,
  status: number | undefined,
  started: number,
  errorType: string | undefined,
): void {
  if (!metricsActive()) return;
  switchyardInstruments().recordHttpClientAttempt((performance.now() - started) / 1_000, {
    service,
    method,
    status,
    errorType,
  });
}

/**
 * Makes a streamed response body fail with Switchyard errors, as every other failure of the call
 * does: undici destroys the body with its own error (`UND_ERR_SOCKET` for a connection reset
 * mid-body, `UND_ERR_BODY_TIMEOUT`), which `json()`, `text()`, iteration and 'error' listeners then
 * report; that error becomes UNAVAILABLE / DEADLINE_EXCEEDED naming the request, instance and
 * status (see bodyFailureError), built only when the body fails.
 *
 * A body that fails while nobody reads it (a caller that looked at the status and has not read
 * yet, or never will) keeps its error instead of emitting it to no listener: an 'error' event
 * nobody listens to is thrown, and would end the process (raw undici does exactly that when a
 * peer resets mid-body). The error is not lost: `body.errored` holds it and a later `text()`,
 * `json()` or iteration rejects with it.
 */
function translateBodyErrors(
  body: Readable,
  prepared: PreparedRequest,
  service: string,
  scheme: string,
  host: string,
  port: number,
  status: number,
): void {
  const destroy = body.destroy;
  body.destroy = (error?: Error) => {
    // Also for a destroy() with no error (Node's way to throw the rest of a stream away): undici
    // turns it into an AbortError, which nobody listening would have ended the process.
    if (body.listenerCount('error') === 0) body.once('error', keptOnTheBody);
    if (error === undefined || error === null) return destroy.call(body, error);
    return destroy.call(
      body,
      bodyFailureError(error, {
        label: `${service} ${prepared.method} ${prepared.path}`,
        origin: originOf(scheme, host, port),
        status,
      }),
    );
  };
}

/** The 'error' listener of a body nobody was reading when it failed: the error stays in `body.errored`. */
function keptOnTheBody(): void {}

/** Destroys a stream body that was never sent (a string or bytes need nothing). */
function releaseBody(body: unknown): void {
  const stream = body as Readable | null | undefined;
  if (stream && typeof stream.destroy === 'function' && typeof stream.pipe === 'function' && !stream.destroyed)
    stream.destroy();
}

/** A stream body nothing has read from yet (strings and bytes are not streams: false). */
function isUnread(body: unknown): boolean {
  return body instanceof Readable && !body.readableDidRead;
}

/**
 * A response with no body, by protocol (HEAD, 204, 304) or as it says (`content-length: 0`, as a
 * 201 often is): nothing will be read, so its body may never emit 'close', and the caller's signal
 * has nothing left to cancel.
 */
function hasNoBody(method: string, status: number, headers: HttpResponse['headers']): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || headers['content-length'] === '0';
}
