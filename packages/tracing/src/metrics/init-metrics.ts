import { createServer, type Server, type ServerResponse } from 'node:http';
import { diag, metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import {
  assertInteger,
  assertKnownKeys,
  assertObject,
  InvalidArgumentError,
  isListenAddressError,
  SwitchyardError,
  validateHost,
} from '@switchyard/core';
import { readEnv, sdkDisabled } from '../env.js';
import {
  resolveResourceAttributes,
  resourceAttributesFromEnv,
  serviceNameFromResourceAttributes,
} from '../tracing-options.js';
import { rebindFollowingMeters } from './global-following-meter-provider.js';
import { oneFamilyPerName } from './one-family-per-name.js';

// Set through serviceName, as initTracing requires (initMetrics has no serviceVersion option).
const METRICS_RESERVED_KEYS = { 'service.name': 'serviceName' };

/** Options of {@link initMetrics}. */
export interface MetricsOptions {
  /**
   * The `service.name` resource attribute.
   * @default OTEL_SERVICE_NAME, else `service.name` in OTEL_RESOURCE_ATTRIBUTES; required otherwise
   */
  serviceName?: string;
  /** Port of the Prometheus `/metrics` endpoint; 0 takes a free one. @default SWITCHYARD_METRICS_PORT, else 9464 */
  port?: number;
  /** Address the endpoint listens on. @default SWITCHYARD_LISTEN_HOST, else 0.0.0.0 */
  host?: string;
  /**
   * Extra resource attributes (e.g. `service.instance.id`), merged over OTEL_RESOURCE_ATTRIBUTES;
   * string values. `service.name` is refused (INVALID_ARGUMENT): set it with `serviceName`.
   * @default {}
   */
  resourceAttributes?: Record<string, string>;
}

/** A running metrics setup. */
export interface Metrics {
  /** The port `/metrics` is served on. */
  readonly port: number;
  /**
   * The Prometheus text a scrape would get now (for tests and the CLI). Rejects with UNAVAILABLE
   * once shut down, and with INTERNAL when the endpoint answers anything but 200.
   */
  scrape(): Promise<string>;
  /** Stops the endpoint and unregisters the global MeterProvider. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Registers an OpenTelemetry MeterProvider globally and serves its metrics in the Prometheus text
 * format at `http://<host>:<port>/metrics`. Every Switchyard package records into whatever global
 * provider exists, so this one call turns on call durations, in-flight requests, retries, breaker
 * changes, ejections and registry operations (see the README for the list); without it, recording
 * is a no-op. `OTEL_SDK_DISABLED=true` keeps it so: no provider is registered, and `/metrics` is
 * still served, without Switchyard's metrics. One per process (see `currentMetrics()`).
 *
 * @throws InvalidArgumentError (a rejection) naming the option or variable: an unknown option, no
 * service name, `service.name` among `resourceAttributes`, a port or host that cannot be listened on
 * (`port` / `SWITCHYARD_METRICS_PORT`, `host` / `SWITCHYARD_LISTEN_HOST`, the system error as
 * `cause`), or `metrics` when metrics were already started in this process.
 * @example
 * ```ts
 * const metrics = await initMetrics({ serviceName: 'catalog', port: 9464 });
 * process.once('SIGTERM', () => void metrics.shutdown());
 * ```
 */
export async function initMetrics(options: MetricsOptions = {}): Promise<Metrics> {
  assertObject('options', options as unknown);
  assertKnownKeys('options', options as Record<string, unknown>, ['serviceName', 'port', 'host', 'resourceAttributes']);
  // service.name comes from serviceName alone, as in initTracing: given here too it used to win
  // silently over serviceName (and initTracing refused the same input).
  const resourceAttributes = resolveResourceAttributes(options.resourceAttributes, '', METRICS_RESERVED_KEYS);
  // Its resource (target_info) is built from OTEL_RESOURCE_ATTRIBUTES in any case: one the SDK
  // would discard whole is INVALID_ARGUMENT naming it (see resourceAttributesFromEnv).
  resourceAttributesFromEnv();
  const serviceName = options.serviceName ?? readEnv('OTEL_SERVICE_NAME') ?? serviceNameFromResourceAttributes();
  if (serviceName === undefined || serviceName === '') {
    throw new InvalidArgumentError(
      'serviceName',
      'is required (or set OTEL_SERVICE_NAME, or service.name in OTEL_RESOURCE_ATTRIBUTES)',
    );
  }
  // As initTracing checks it: a number or a blank name used to become service.name as it was.
  if (typeof serviceName !== 'string' || serviceName.trim() === '') {
    throw new InvalidArgumentError('serviceName', `must be a non-empty string, got ${JSON.stringify(serviceName)}`);
  }
  // An empty variable is unset (Number('') is 0, which took a random port nobody scrapes).
  const fromEnv = process.env.SWITCHYARD_METRICS_PORT?.trim() || undefined;
  const port: number = options.port ?? Number(fromEnv ?? 9464);
  const portField = options.port !== undefined ? 'port' : 'SWITCHYARD_METRICS_PORT';
  // The variable's own text in the message: a value that is no number was reported as `got NaN`.
  if (options.port === undefined && fromEnv !== undefined && !Number.isInteger(port)) {
    throw new InvalidArgumentError(portField, `must be an integer from 0 to 65535, got ${JSON.stringify(fromEnv)}`);
  }
  assertInteger(portField, port, 0, 65_535);
  // Checked here, naming its setting: a bad host used to fail at listen() as `port`, and a blank
  // SWITCHYARD_LISTEN_HOST (' ') was taken as the host to listen on.
  const hostFromEnv = readEnv('SWITCHYARD_LISTEN_HOST');
  const hostField = options.host !== undefined ? 'host' : 'SWITCHYARD_LISTEN_HOST';
  const host: string = validateHost(options.host ?? hostFromEnv ?? '0.0.0.0', hostField);
  // One per process, OTEL_SDK_DISABLED or not: with no provider to register, nothing below refused
  // a second call, which started a second endpoint and orphaned the first (no longer current).
  if (registry().current !== undefined) {
    throw new InvalidArgumentError(
      'metrics',
      'initMetrics() already runs in this process and serves /metrics for all of it: use that one (currentMetrics()) instead of a second',
    );
  }
  // The exporter's own server is not used: ours can take port 0 and report what it bound.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({
    // Built as initTracing builds its own (SDK defaults, then OTEL_RESOURCE_ATTRIBUTES, then ours), so
    // metrics and spans describe the service alike: resourceFromAttributes alone dropped the variable.
    resource: defaultResource()
      .merge(detectResources({ detectors: [envDetector] }))
      .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, ...resourceAttributes })),
    readers: [exporter],
  });
  // OTEL_SDK_DISABLED turns metrics off too: no provider is registered, so recording stays the
  // API's no-op (nothing per call), while /metrics is still served (target_info only), so that
  // scrapes and anything else expecting the port do not fail.
  const disabled = sdkDisabled();
  // Switchyard records into whatever provider is global: a second one here would get nothing, and
  // its shutdown used to disable the first (someone else's, or an earlier initMetrics).
  if (!disabled && !metrics.setGlobalMeterProvider(provider)) {
    await provider.shutdown();
    throw new InvalidArgumentError(
      'metrics',
      'a MeterProvider is already registered in this process (an earlier initMetrics, or the NodeSDK) and Switchyard metrics go to it: use that one (currentMetrics()) instead of a second',
    );
  }
  // Tracing's own metrics (recorded through a GlobalFollowingMeterProvider) move here now.
  if (!disabled) rebindFollowingMeters();
  const server: Server = createServer((request, response) => {
    if (pathOf(request.url) === '/metrics') void answerScrape(exporter, response);
    else response.writeHead(404).end('not found');
  });
  let bound: number;
  try {
    bound = await new Promise<number>((resolve, reject) => {
      // Named after the setting that holds the value (a port from SWITCHYARD_METRICS_PORT was
      // reported as the `port` option); an address this machine does not have is the host's fault.
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new InvalidArgumentError(
            isListenAddressError(error.code) ? hostField : portField,
            `cannot serve metrics on ${host}:${port}: ${error.message}`,
            { cause: error },
          ),
        ),
      );
      server.listen(port, host, () => resolve((server.address() as { port: number }).port));
    });
  } catch (error) {
    if (!disabled) letGoOfGlobalProvider();
    await provider.shutdown();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  const running: Metrics = {
    port: bound,
    async scrape() {
      // The port is given back at shutdown: fetched anyway, scrape() read whatever listened there
      // next (another setup's endpoint, another process) and returned it as these metrics.
      if (stopped !== undefined) {
        throw new SwitchyardError('UNAVAILABLE', 'initMetrics() was shut down: its /metrics is no longer served', {
          retryable: false,
        });
      }
      const response = await fetch(`http://${scrapeHost(host)}:${bound}/metrics`);
      const text = await response.text();
      if (!response.ok) throw new SwitchyardError('INTERNAL', `/metrics answered ${response.status}: ${text}`);
      return text;
    },
    shutdown() {
      stopped ??= (async () => {
        if (registry().current === running) registry().current = undefined;
        // Only ours: never a provider registered after this one was let go of.
        if (metrics.getMeterProvider() === provider) letGoOfGlobalProvider();
        await closeServer(server);
        await provider.shutdown();
      })();
      return stopped;
    },
  };
  registry().current = running;
  return running;
}

/** Serializes as the exporter's own handler does: its default options (no prefix, no timestamps, scope labels, target_info). */
const serializer = new PrometheusSerializer();

/**
 * Answers a scrape. Not the exporter's handler: its text repeats a metric name once per scope that
 * records it (see oneFamilyPerName), and a failed collection was a 200 with no samples, which a
 * scraper takes for a healthy target whose every series vanished; it is a 500 here (`up` 0).
 */
async function answerScrape(exporter: PrometheusExporter, response: ServerResponse): Promise<void> {
  let text: string;
  try {
    const { resourceMetrics, errors } = await exporter.collect();
    if (errors.length > 0) diag.error('switchyard metrics: collection errors', ...errors);
    text = oneFamilyPerName(serializer.serialize(resourceMetrics));
  } catch (error) {
    response
      .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      .end(`# failed to export metrics: ${error}`);
    return;
  }
  response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text);
}

/** How long shutdown() lets a scrape being answered finish before it cuts the connection. */
const SCRAPE_GRACE_MS = 1_000;

/**
 * Stops the endpoint. server.close() alone waits for every open connection: one whose request
 * never completed (a scraper that stalled or vanished mid-request, a response its reader stopped
 * taking) held shutdown, and a service's stop, for Node's headersTimeout (60 s) or for good, past
 * a pod's termination grace period. Idle keep-alive connections close at once (close() does that);
 * the others get SCRAPE_GRACE_MS to finish a scrape, then are cut.
 */
function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), SCRAPE_GRACE_MS);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
  });
}

/** The Metrics initMetrics() set up in this process and not shut down yet, if any. */
export function currentMetrics(): Metrics | undefined {
  return registry().current;
}

// On globalThis, like the API's own registry, so two loaded copies (ESM and CJS) share it.
const REGISTRY_KEY = Symbol.for('switchyard.metrics');
function registry(): { current?: Metrics } {
  const holder = globalThis as { [REGISTRY_KEY]?: { current?: Metrics } };
  holder[REGISTRY_KEY] ??= {};
  return holder[REGISTRY_KEY];
}

/**
 * The path a request target names: the origin form (`/metrics?…`) or the absolute form
 * (`http://host:9464/metrics`), which an HTTP/1.1 server must accept (RFC 9112, 3.2.2) and a
 * forwarding proxy may pass on as it got it. Only the origin form was read, so a scrape in the
 * absolute form got 404 (the exporter's own server, which this one replaces, served it).
 */
function pathOf(target: string | undefined): string | undefined {
  if (target === undefined) return undefined;
  if (target.startsWith('/')) return target.split('?')[0];
  try {
    return new URL(target).pathname;
  } catch {
    return undefined; // `*` (OPTIONS) or no URL at all: not /metrics
  }
}

/** Where a scrape connects: the bound address, or loopback of its family for a wildcard. */
function scrapeHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** Unregisters the global MeterProvider; tracing's own metrics move to the no-op one with it. */
function letGoOfGlobalProvider(): void {
  metrics.disable();
  rebindFollowingMeters();
}
