import { metricsActive, switchyardInstruments } from '@switchyard/tracing';

/** One `rpc.client.duration` sample per attempt (a no-op without a MeterProvider). */
export function recordAttempt(service: string, method: string, grpcStatus: number, latencyMs: number): void {
  if (!metricsActive()) return;
  switchyardInstruments().rpcClientDuration.record(latencyMs, {
    'rpc.system': 'grpc',
    'rpc.service': service,
    'rpc.method': method,
    'rpc.grpc.status_code': grpcStatus,
  });
}
