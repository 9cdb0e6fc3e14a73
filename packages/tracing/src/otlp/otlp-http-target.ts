import http from 'node:http';
import https from 'node:https';
import { convertLegacyHttpOptions } from '@opentelemetry/otlp-exporter-base/node-http';
import type { OtlpHttpTarget } from './otlp-http-send.js';

declare const __SWITCHYARD_VERSION__: string | undefined;
const USER_AGENT = `switchyard-tracing/${typeof __SWITCHYARD_VERSION__ === 'string' ? __SWITCHYARD_VERSION__ : '0.0.0-dev'}`;

/**
 * Where OTLP http/protobuf trace exports go, read from the standard `OTEL_EXPORTER_OTLP_*`
 * variables by the official configuration code, exactly as `@opentelemetry/exporter-trace-otlp-proto`
 * reads them: the traces endpoint (or the base endpoint + `/v1/traces`), headers, compression,
 * and the TLS files and keep-alive of its agent.
 */
export async function resolveOtlpHttpTarget(): Promise<OtlpHttpTarget> {
  const options = convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' });
  const url = new URL(options.url);
  const headers = { ...(await options.headers()) };
  headers['User-Agent'] = options.userAgent ? `${options.userAgent} ${USER_AGENT}` : USER_AGENT;
  return {
    url,
    headers,
    compression: options.compression,
    agent: await options.agentFactory(url.protocol),
    request: url.protocol === 'https:' ? https.request : http.request,
  };
}
