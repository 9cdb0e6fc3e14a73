import type { Agent } from 'node:http';
import {
  convertLegacyHttpOptions,
  type httpAgentFactoryFromOptions,
} from '@opentelemetry/otlp-exporter-base/node-http';
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
 * The official OTLP/HTTP trace export configuration (endpoint, headers, timeout, compression, TLS
 * files, all from the `OTEL_EXPORTER_OTLP_*` variables as initTracing() took them), with `headers`
 * required, and its agents' connections bounded by the export timeout (see withConnectTimeout):
 * what every exporter this package makes on the main thread sends with. (The exporting thread
 * builds the same in its own source: see export-thread.ts.)
 */
export function traceHttpOptions(
  otlp: OtlpEnvironment,
  headers: Record<string, string> = {},
): ReturnType<typeof convertLegacyHttpOptions> {
  const options = withOtlpEnvironment(otlp, () => convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', headers));
  return { ...options, agentFactory: withConnectTimeout(options.agentFactory, options.timeoutMillis) };
}
