import {
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  metrics,
  type UpDownCounter,
} from '@opentelemetry/api';
import {
  type HttpClientSample,
  type HttpServerSample,
  httpClientMetricAttributes,
  httpServerMetricAttributes,
} from '../http-attributes.js';

/** The instruments Switchyard records. Names follow the OpenTelemetry conventions where one exists. */
export interface SwitchyardInstruments {
  /** `rpc.client.duration` (ms): one sample per physical attempt, by system, service, method, status. */
  readonly rpcClientDuration: Histogram;
  /** `rpc.server.duration` (ms): one sample per call served. */
  readonly rpcServerDuration: Histogram;
  /** `http.client.request.duration` (s): one sample per physical attempt. Record through {@link SwitchyardInstruments.recordHttpClientAttempt}. */
  readonly httpClientDuration: Histogram;
  /**
   * Records one `http.client.request.duration` sample (seconds) with the attributes the HTTP
   * conventions want, agreeing with the attempt's CLIENT span: `http.request.method` (`_OTHER` for
   * unknown methods: the raw method is unbounded cardinality), `service.peer.name` (which service
   * was called), `http.response.status_code` and, for a status of 400 or more or no response at
   * all, `error.type`. `server.address`/`server.port` are left out: they name the instance picked,
   * and instances come and go with every deployment, so a long-running client would pile up series
   * until the SDK's cardinality limit (2000 per instrument) folded new ones into an overflow series.
   */
  recordHttpClientAttempt(seconds: number, sample: HttpClientSample): void;
  /** `http.server.request.duration` (s): one sample per request served. Record through {@link SwitchyardInstruments.recordHttpServerRequest}. */
  readonly httpServerDuration: Histogram;
  /**
   * Records one `http.server.request.duration` sample (seconds) with the attributes the HTTP
   * conventions want, agreeing with the request's SERVER span: `http.request.method` (`_OTHER` for
   * unknown methods), `http.response.status_code`, `url.scheme`, `http.route` and, for a 5xx,
   * `error.type`.
   */
  recordHttpServerRequest(seconds: number, sample: HttpServerSample): void;
  /**
   * `switchyard.server.inflight_requests`: calls being served now (scale on it: see deploy/), by
   * `rpc.system` (and `rpc.service` for gRPC). Servers publish their series at 0 from their start
   * (a gRPC server once listening, an HTTP handler once made, when metrics are set up by then), so
   * an idle pod has one.
   */
  readonly serverInflight: UpDownCounter;
  /** `switchyard.client.retries`: retries started, by service. */
  readonly clientRetries: Counter;
  /** `switchyard.client.retry_budget.exhausted`: retries refused by the budget, by service. */
  readonly retryBudgetExhausted: Counter;
  /** `switchyard.circuit_breaker.transitions`: breaker state changes, by service and new state. */
  readonly breakerTransitions: Counter;
  /**
   * `switchyard.circuit_breaker.rejections`: attempts an open (or full half-open) breaker refused
   * with CIRCUIT_OPEN, by service. They reach no instance, so no duration sample counts them.
   */
  readonly breakerRejections: Counter;
  /** `switchyard.discovery.ejections`: outlier ejections, by service. */
  readonly ejections: Counter;
  /** `switchyard.registry.operations`: registry calls, by operation and outcome. */
  readonly registryOperations: Counter;
  /** `switchyard.registry.heartbeat.duration` (ms): heartbeat round trips (the lag an entry's lease sees). */
  readonly heartbeatDuration: Histogram;
}

let provider: unknown;
let cached: SwitchyardInstruments | undefined;

/**
 * The instruments, bound to the current global MeterProvider (re-created if it changed, because
 * OpenTelemetry's metrics API has no proxy: a meter taken before a provider exists stays a no-op).
 * Cheap to call per request: one global lookup and a comparison.
 */
export function switchyardInstruments(): SwitchyardInstruments {
  const current = metrics.getMeterProvider();
  if (current !== provider || !cached) {
    provider = current;
    cached = create(metrics.getMeter('@switchyard'));
  }
  return cached;
}

/**
 * The boundaries the HTTP semantic conventions give `http.{client,server}.request.duration`, in
 * seconds. Without them the SDK's defaults (0, 5, 10, … 10000), meant for milliseconds, put every
 * request under 5 s in one bucket.
 */
const HTTP_DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

function create(meter: Meter): SwitchyardInstruments {
  const httpServerDuration = meter.createHistogram('http.server.request.duration', {
    unit: 's',
    description: 'Duration of inbound HTTP requests',
    advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS_S },
  });
  const httpClientDuration = meter.createHistogram('http.client.request.duration', {
    unit: 's',
    description: 'Duration of outbound HTTP attempts',
    advice: { explicitBucketBoundaries: HTTP_DURATION_BUCKETS_S },
  });
  return {
    rpcClientDuration: meter.createHistogram('rpc.client.duration', {
      unit: 'ms',
      description: 'Duration of outbound RPC attempts',
    }),
    rpcServerDuration: meter.createHistogram('rpc.server.duration', {
      unit: 'ms',
      description: 'Duration of inbound RPCs',
    }),
    httpClientDuration,
    recordHttpClientAttempt: (seconds, sample) =>
      httpClientDuration.record(seconds, httpClientMetricAttributes(sample)),
    httpServerDuration,
    recordHttpServerRequest: (seconds, sample) =>
      httpServerDuration.record(seconds, httpServerMetricAttributes(sample)),
    serverInflight: meter.createUpDownCounter('switchyard.server.inflight_requests', {
      unit: '{request}',
      description: 'Calls being served',
    }),
    clientRetries: meter.createCounter('switchyard.client.retries', {
      unit: '{retry}',
      description: 'Retries started',
    }),
    retryBudgetExhausted: meter.createCounter('switchyard.client.retry_budget.exhausted', {
      unit: '{retry}',
      description: 'Retries refused by the retry budget',
    }),
    breakerTransitions: meter.createCounter('switchyard.circuit_breaker.transitions', {
      unit: '{transition}',
      description: 'Circuit breaker state changes',
    }),
    breakerRejections: meter.createCounter('switchyard.circuit_breaker.rejections', {
      unit: '{attempt}',
      description: 'Attempts refused by an open circuit breaker',
    }),
    ejections: meter.createCounter('switchyard.discovery.ejections', {
      unit: '{ejection}',
      description: 'Instances ejected by outlier detection',
    }),
    registryOperations: meter.createCounter('switchyard.registry.operations', {
      unit: '{operation}',
      description: 'Registry operations',
    }),
    heartbeatDuration: meter.createHistogram('switchyard.registry.heartbeat.duration', {
      unit: 'ms',
      description: 'Heartbeat round trips',
    }),
  };
}

let checkedProvider: unknown;
let checkedActive = false;

/**
 * Whether a real MeterProvider is registered (callers skip building attributes when not). Called on
 * every RPC: the verdict is cached per provider object, so it costs a global lookup and a compare.
 */
export function metricsActive(): boolean {
  const provider = metrics.getMeterProvider();
  if (provider !== checkedProvider) {
    checkedProvider = provider;
    // The API's no-op provider hands out the one no-op meter. Its class name is no test: a minified
    // bundle renames NoopMeterProvider, and every RPC then built attributes for the no-op.
    checkedActive = provider.getMeter('@switchyard') !== createNoopMeter();
  }
  return checkedActive;
}
