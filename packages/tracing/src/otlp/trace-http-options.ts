import type { Agent, ClientRequest } from 'node:http';
import {
  convertLegacyHttpOptions,
  type httpAgentFactoryFromOptions,
} from '@opentelemetry/otlp-exporter-base/node-http';
import type { ExportDeadlines } from './export-deadlines.js';
import { type OtlpEnvironment, withOtlpEnvironment } from './otlp-environment.js';

/** The official OTLP/HTTP configuration's `agentFactory` (its type is not exported by name). */
export type HttpAgentFactory = ReturnType<typeof httpAgentFactoryFromOptions>;

/**
 * `agentFactory`, with each connection its agents open timed out after `timeoutMillis` (the
 * export timeout, `OTEL_EXPORTER_OTLP_TIMEOUT`) if it is still being made: DNS lookup, TCP
 * connect.
 *
 * Why: the official transport bounds a request with `request.setTimeout()`, which Node starts only
 * once the socket is connected, and its agent sets no timeout of its own. A collector address
 * whose packets are dropped (its host gone, a firewall or network policy dropping rather than
 * refusing) left each export waiting for the kernel's connect timeout (about 2 minutes on Linux)
 * instead of `OTEL_EXPORTER_OTLP_TIMEOUT`, and `forceFlush()` and `shutdown()` with it: a
 * service's graceful stop ran past Kubernetes' termination grace. Timed out this way, the request
 * fails as an unanswered one does ("Request timed out", retryable within the export's deadline).
 *
 * Once connected, the request's own timeout takes over; a kept-alive idle socket is left as the
 * agent leaves it. The export thread (export-thread.ts) does the same in its own source.
 */
export function withConnectTimeout(agentFactory: HttpAgentFactory, timeoutMillis: number): HttpAgentFactory {
  return async (protocol) => {
    const agent: Agent = await agentFactory(protocol); // an https.Agent is one too
    const createConnection = agent.createConnection;
    // `timeout` is what `http.request({ timeout })` would pass: net.connect and tls.connect arm
    // the socket's timeout at once, before connecting, and the request times out through it.
    agent.createConnection = function (this: Agent, options, callback) {
      return createConnection.call(this, { ...options, timeout: options.timeout ?? timeoutMillis }, callback);
    };
    return agent;
  };
}

/**
 * `agentFactory`, with each request its agents carry given a deadline: the timeout the transport
 * sets on it (`request.setTimeout(ms)`) counted from when it is set, and at the latest the deadline
 * of the exports in flight (see ExportDeadlines). A request still unanswered then (its response not
 * complete) times out as if it had been idle that long: its own `'timeout'` handler runs, and it is
 * destroyed in any case.
 *
 * Why: the official transport bounds each request with `request.setTimeout()`, Node's idle
 * timeout, which every byte received starts again. A collector (or a proxy) that sends its headers
 * and then its body a byte every few seconds, or never finishes it, held the export for good, and
 * `forceFlush()` and `shutdown()`, which wait for it: a service's graceful stop ran past
 * Kubernetes' termination grace. At the deadline the transport's own timeout handler destroys the
 * request (its socket is not left open reading the trickle) and reports what it reports for any
 * timeout ("Request timed out", retryable; past the export's deadline, no retry is made, and the
 * export fails as the official exporter fails one: FAILED, `error.type` `export_failed`).
 *
 * Why the export's deadline too: the official retries pass each attempt what remained of the
 * export's timeout when the retry was scheduled, not when it starts, so a retry after a backoff
 * ran past the export's deadline by that backoff, as much as the timeout again.
 *
 * `addRequest` is how an agent is handed each request (not in Node's documentation or typings, but
 * what proxy agents such as `agent-base` build on); the transport sets the request's timeout right
 * after creating it.
 */
export function withRequestDeadlines(agentFactory: HttpAgentFactory, exports?: ExportDeadlines): HttpAgentFactory {
  return async (protocol) => {
    const agent = (await agentFactory(protocol)) as AgentWithAddRequest;
    const addRequest = agent.addRequest;
    agent.addRequest = function (this: Agent, request, options) {
      withDeadline(request, exports?.latest() ?? Number.POSITIVE_INFINITY);
      return addRequest.call(this, request, options);
    };
    return agent;
  };
}

/** Node's `Agent` as `ClientRequest` uses it (`addRequest` is not in its typings). */
type AgentWithAddRequest = Agent & { addRequest(request: ClientRequest, options: unknown): void };

/**
 * Times `request` out at `exportDeadline` (a `performance.now()` time), or sooner when its own
 * timeout, counted from when it is set, runs out first (see withRequestDeadlines).
 */
function withDeadline(request: ClientRequest, exportDeadline: number): void {
  let timer: NodeJS.Timeout | undefined;
  const expireAt = (at: number): void => {
    clearTimeout(timer);
    // Unreferenced, as a socket's timeout is: a request in flight holds the process by its socket.
    timer =
      at === Number.POSITIVE_INFINITY
        ? undefined
        : setTimeout(() => expire(request), Math.max(0, at - performance.now())).unref();
  };
  expireAt(exportDeadline);
  const setIdleTimeout = request.setTimeout;
  request.setTimeout = function (this: ClientRequest, msecs: number, callback?: () => void) {
    if (!this.destroyed) {
      // 0 turns the idle timeout off; the export's deadline stays.
      expireAt(Math.min(msecs > 0 ? performance.now() + msecs : Number.POSITIVE_INFINITY, exportDeadline));
    }
    return setIdleTimeout.call(this, msecs, callback);
  };
  request.once('close', () => clearTimeout(timer));
}

/** `request`'s deadline has passed: it times out, unless it is done already. */
function expire(request: ClientRequest): void {
  if (request.destroyed) return; // answered (and its socket kept alive or closed), or given up
  // Its own timeout handler: the official transport's destroys it and reports the timeout.
  request.emit('timeout');
  // Whatever that did, the request goes, its socket with it.
  if (!request.destroyed) request.destroy(new Error('Request timed out'));
}

/** The official OTLP/HTTP export configuration, as traceHttpOptions() returns it. */
export type TraceHttpOptions = ReturnType<typeof convertLegacyHttpOptions>;

/**
 * The official OTLP/HTTP trace export configuration (endpoint, headers, timeout, compression, TLS
 * files, all from the `OTEL_EXPORTER_OTLP_*` variables as initTracing() took them), with `headers`
 * required, and its agents' requests bounded by the export timeout: connecting included (see
 * withConnectTimeout), however slowly the collector answers, and at the latest by the deadline of
 * the `exports` in flight (see withRequestDeadlines). What every exporter this package makes on the
 * main thread sends with (see boundedMainThreadExporter). (The exporting thread builds the same in
 * its own source, connect timeout only: see export-thread.ts; OffThreadSpanExporter gives up an
 * export its thread has not answered in time and ends the thread at shutdown.)
 */
export function traceHttpOptions(
  otlp: OtlpEnvironment,
  headers: Record<string, string> = {},
  exports?: ExportDeadlines,
): TraceHttpOptions {
  const options = withOtlpEnvironment(otlp, () => convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', headers));
  return {
    ...options,
    agentFactory: withRequestDeadlines(withConnectTimeout(options.agentFactory, options.timeoutMillis), exports),
  };
}
