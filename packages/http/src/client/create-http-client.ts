import { metricsActive, switchyardInstruments } from '@switchyard/tracing';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NO_DEADLINE, SwitchyardError, NoInstancesError } from '@switchyard/core';
import { AttemptAbort, SingleAttemptContext } from './attempt-abort.js';
import type { Lease } from '@switchyard/discovery';
import { type AttemptContext, circuitBreaker, compose, retry } from '@switchyard/resilience';
import type { Dispatcher } from 'undici';
import { HttpCallError } from '../status/http-call-error.js';
import { NO_RETRY_HEADER } from '../status/no-retry.js';
import { classifyFailure, failureError, failureOutcome, notReplayable, responseOutcome } from './attempt-failure.js';
import { traceAttempt } from './client-tracing.js';
import { type HttpClientOptions, resolveClientOptions } from './http-client-options.js';
import type { HttpClient, HttpRequest, HttpResponse, JsonRequestOptions } from './http-client-types.js';
import { HttpPools, originOf } from './http-pools.js';
import { type PreparedRequest, prepareRequest } from './prepare-request.js';
import { BufferedBody, readBounded } from './response-body.js';

/** Per-call state shared by its attempts. */
interface CallState {
  sent: boolean;
  lastError: unknown;
}

/** What an attempt does with a successful response before the attempt ends (the JSON helpers parse it). */
type Consume<T> = (response: HttpResponse) => Promise<T>;

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
  const policy = resolved.policy === false ? undefined : (resolved.policy ?? compose(retry(), circuitBreaker()));
  const pools = new HttpPools(resolved.scheme, resolved.port, resolved.poolOptions, resolved.closePoolsAfterMs);
  const subscription = discovery.onChange((instances) => pools.retain(new Set(instances.map((item) => item.id))));
  let closed = false;

  async function attempt<T>(
    prepared: PreparedRequest,
    context: AttemptContext,
    state: CallState,
    consume: Consume<T> | undefined,
  ): Promise<T | HttpResponse> {
    if (state.sent && !prepared.replayable) throw notReplayable(state.lastError);
    const lease: Lease = discovery.pick(prepared.key === undefined ? undefined : { key: prepared.key });
    const instance = lease.instance;
    let pool: Dispatcher;
    try {
      pool = pools.poolFor(instance);
    } catch (error) {
      lease.done({ ok: false, latencyMs: 0 });
      throw error;
    }
    const port = instance.ports[resolved.port] as number;
    // Each attempt sends its own copy: deadline and tracing headers differ per attempt.
    const headers = { ...prepared.headers };
    if (context.deadline !== NO_DEADLINE) {
      headers[resolved.deadlineHeader] = String(Math.max(0, Math.floor(context.deadline - Date.now())));
    }
    const span = traceAttempt(resolved.tracing, headers, {
      service,
      method: prepared.method,
      host: instance.host,
      port,
      scheme: resolved.scheme,
      path: prepared.path,
      attempt: context.attempt,
    });
    const abort = new AttemptAbort(context, prepared.signal);
    state.sent = true;
    const started = performance.now();
    let outcomeReported = false;
    try {
      const response = await pool.request({
        method: prepared.method as Dispatcher.HttpMethod,
        path: prepared.path,
        headers,
        body: prepared.body as string | Uint8Array | Readable | null,
        // undici accepts an EventEmitter as the signal (see AttemptAbort).
        signal: abort,
      });
      const status = response.statusCode;
      if (status < 400 || (!prepared.throwOnStatus && !isRetryable(prepared, status, response.headers))) {
        const result: HttpResponse = { status, headers: response.headers, body: response.body };
        let value: T | HttpResponse = result;
        if (consume) {
          value = await consume(result);
          abort.release();
        } else if (prepared.signal) {
          // The caller's signal may still cancel reading the body, until it closes.
          abort.releaseContext();
          response.body.once('close', () => abort.release());
        } else {
          abort.release();
        }
        lease.done(responseOutcome(status, performance.now() - started));
        recordAttempt(prepared.method, status, started);
        outcomeReported = true;
        span?.end(status);
        return value;
      }
      const { bytes, truncated } = await readBounded(response.body, resolved.maxErrorBodyBytes);
      abort.release();
      lease.done(responseOutcome(status, performance.now() - started));
      recordAttempt(prepared.method, status, started);
      outcomeReported = true;
      const error = new HttpCallError({
        status,
        headers: response.headers,
        body: bytes.toString('utf8'),
        bodyTruncated: truncated,
        request: labelOf(prepared),
        retryable: isRetryable(prepared, status, response.headers),
      });
      if (!prepared.throwOnStatus) keptBodies.set(error, bytes);
      span?.end(status, error);
      state.lastError = error;
      throw error;
    } catch (error) {
      if (outcomeReported) throw error;
      abort.release();
      const kind = classifyFailure(error, abort.reason);
      const mapped =
        SwitchyardError.isInstance(error) && kind === 'other'
          ? error
          : failureError(error, kind, abort.reason, {
              label: labelOf(prepared),
              origin: originOf(resolved.scheme, instance.host, port),
              idempotent: prepared.idempotent,
              replayable: prepared.replayable,
            });
      lease.done(failureOutcome(kind, mapped, performance.now() - started));
      recordAttempt(prepared.method, undefined, started);
      span?.end(undefined, mapped);
      state.lastError = mapped;
      throw mapped;
    }
  }

  function labelOf(prepared: PreparedRequest): string {
    return `${service} ${prepared.method} ${prepared.path}`;
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

  async function send<T>(request: HttpRequest, consume?: Consume<T>): Promise<T | HttpResponse> {
    if (closed) throw new SwitchyardError('UNAVAILABLE', `HttpClient(${service}) is closed`);
    const prepared = prepareRequest(request, resolved.defaultDeadlineMs, resolved.throwOnStatus);
    const state: CallState = { sent: false, lastError: undefined };
    // A call made before discovery's first snapshot (a service that just started) waits for it,
    // within the deadline, instead of failing with NO_INSTANCES at once.
    if (!discovery.isReady) {
      await discovery.ready({ timeoutMs: Math.max(0, prepared.deadline - Date.now()) }).catch(() => {
        throw new NoInstancesError(service, 'no snapshot from the registry before the deadline');
      });
    }
    try {
      if (policy) {
        return await policy.execute((context) => attempt(prepared, context, state, consume), {
          deadline: prepared.deadline,
          key: `${service} ${prepared.method}`,
          ...(prepared.signal ? { signal: prepared.signal } : {}),
        });
      }
      const context = new SingleAttemptContext(prepared.deadline, prepared.signal);
      try {
        return await attempt(prepared, context, state, consume);
      } finally {
        context.dispose();
      }
    } catch (error) {
      // throwOnStatus: false: when retries ran out on an error status, hand back that last response.
      const last = error instanceof HttpCallError ? error : (error as { cause?: unknown })?.cause;
      const bytes = last instanceof HttpCallError ? keptBodies.get(last) : undefined;
      if (last instanceof HttpCallError && bytes !== undefined) {
        const response = { status: last.status, headers: last.headers, body: new BufferedBody(bytes) };
        return consume ? consume(response) : response;
      }
      throw error;
    }
  }

  return {
    request: (request) => send(request) as Promise<HttpResponse>,
    getJson: <T>(path: string, jsonOptions?: JsonRequestOptions) =>
      send({ ...jsonOptions, method: 'GET', path, headers: withAccept(jsonOptions?.headers) }, parseJson) as Promise<T>,
    postJson: <T>(path: string, value: unknown, jsonOptions?: JsonRequestOptions) => {
      let body: string;
      try {
        body = JSON.stringify(value) ?? 'null';
      } catch (cause) {
        return Promise.reject(
          new InvalidArgumentError('value', `must be serialisable as JSON: ${(cause as Error).message}`),
        );
      }
      const headers = { 'content-type': 'application/json', ...withAccept(jsonOptions?.headers) };
      return send({ ...jsonOptions, method: 'POST', path, body, headers }, parseJson) as Promise<T>;
    },
    get openPools() {
      return pools.size;
    },
    async close() {
      closed = true;
      subscription.dispose();
      await pools.closeAll();
    },
    toString: () => `HttpClient(${service}, ${policy ? policy.toString() : 'no policy'})`,
  };
}

function withAccept(headers: JsonRequestOptions['headers']): NonNullable<JsonRequestOptions['headers']> {
  return { accept: 'application/json', ...headers };
}

async function parseJson(response: HttpResponse): Promise<unknown> {
  const text = await response.body.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new SwitchyardError('INTERNAL', `response (HTTP ${response.status}) is not valid JSON`, { cause });
  }
}

/** One sample of `http.client.request.duration` per attempt (a no-op without a MeterProvider). */
function recordAttempt(method: string, status: number | undefined, started: number): void {
  if (!metricsActive()) return;
  switchyardInstruments().httpClientDuration.record((performance.now() - started) / 1_000, {
    'http.request.method': method,
    ...(status === undefined ? { 'error.type': 'connection' } : { 'http.response.status_code': status }),
  });
}
