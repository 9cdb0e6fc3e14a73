import { describe, expect, it, vi } from 'vitest';
import { endRpcSpan, initTracing, semconvStability, startClientAttemptSpan, type Tracing } from './index.js';
import { resetOpenTelemetryAfterEach } from './test-support/reset-open-telemetry.js';

let tracing: Tracing | undefined;
resetOpenTelemetryAfterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

/** Inits tracing with the opt-in, then records one failed gRPC attempt and one HTTP attempt. */
function record(optIn: string): { grpc: Record<string, unknown>; http: Record<string, unknown> } {
  vi.stubEnv('OTEL_SEMCONV_STABILITY_OPT_IN', optIn);
  tracing = initTracing({ serviceName: 'gateway', exporter: 'memory' });
  const grpc = startClientAttemptSpan({ system: 'grpc', service: 'shop.search.v1.SearchService', method: 'Search' });
  endRpcSpan(grpc, { grpcStatusCode: 4 });
  const http = startClientAttemptSpan({
    system: 'http',
    service: 'catalog',
    method: 'GET',
    url: 'http://catalog:8080/products',
    serverAddress: 'catalog',
    serverPort: 8080,
  });
  endRpcSpan(http, { httpStatusCode: 500 });
  const [grpcSpan, httpSpan] = tracing.getFinishedSpans();
  return { grpc: { ...grpcSpan?.attributes }, http: { ...httpSpan?.attributes } };
}

const OLD_RPC = {
  'rpc.system': 'grpc',
  'rpc.service': 'shop.search.v1.SearchService',
  'rpc.method': 'Search',
  'rpc.grpc.status_code': 4,
};
const STABLE_RPC = {
  'rpc.system.name': 'grpc',
  'rpc.method': 'shop.search.v1.SearchService/Search',
  'rpc.status_code': 'DEADLINE_EXCEEDED',
  'error.type': 'DEADLINE_EXCEEDED',
};
const STABLE_HTTP = {
  'http.request.method': 'GET',
  'url.full': 'http://catalog:8080/products',
  'server.address': 'catalog',
  'server.port': 8080,
  'http.response.status_code': 500,
  'error.type': '500',
};
const OLD_HTTP = {
  'http.method': 'GET',
  'http.url': 'http://catalog:8080/products',
  'net.peer.name': 'catalog',
  'net.peer.port': 8080,
  'http.status_code': 500,
};
const COMMON = { 'switchyard.attempt': 1 };
const HTTP_COMMON = { ...COMMON, 'service.peer.name': 'catalog' };

describe('OTEL_SEMCONV_STABILITY_OPT_IN', () => {
  it('unset: old RPC names (as instrumentation-grpc), stable HTTP names', () => {
    expect(semconvStability()).toEqual({ rpc: 'old', http: 'stable' });
    const { grpc, http } = record('');
    expect(grpc).toEqual({ ...OLD_RPC, ...COMMON });
    expect(http).toEqual({ ...STABLE_HTTP, ...HTTP_COMMON });
  });

  it('rpc: stable RPC names only', () => {
    const { grpc } = record('rpc');
    expect(semconvStability()).toEqual({ rpc: 'stable', http: 'stable' });
    expect(grpc).toEqual({ ...STABLE_RPC, ...COMMON });
  });

  it('rpc/dup: both, rpc.method taking the stable fully-qualified value; dup wins over rpc', () => {
    const { grpc } = record(' database , rpc, rpc/dup ');
    expect(semconvStability().rpc).toBe('dup');
    expect(grpc).toEqual({ ...OLD_RPC, ...STABLE_RPC, ...COMMON });
  });

  it('http/dup: the pre-1.21 HTTP names as well', () => {
    const { grpc, http } = record('http/dup');
    expect(semconvStability()).toEqual({ rpc: 'old', http: 'dup' });
    expect(grpc).toEqual({ ...OLD_RPC, ...COMMON });
    expect(http).toEqual({ ...STABLE_HTTP, ...OLD_HTTP, ...HTTP_COMMON });
  });

  it('is read lazily: a change is seen after the next initTracing()', async () => {
    expect(record('rpc').grpc).toHaveProperty('rpc.system.name');
    vi.stubEnv('OTEL_SEMCONV_STABILITY_OPT_IN', '');
    expect(semconvStability().rpc).toBe('stable');
    await tracing?.shutdown();
    expect(record('').grpc).toHaveProperty('rpc.system');
  });
});
