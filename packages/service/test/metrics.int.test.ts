import { silentLogger } from '@switchyard/core';
import { fileURLToPath } from 'node:url';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, GrpcStatus, grpcError, loadService } from '@switchyard/grpc';
import { createHttpClient } from '@switchyard/http';
import { RedisRegistry } from '@switchyard/registry';
import { type RunningService, startService } from '@switchyard/service';
import { throwawayRedis } from './throwaway-redis.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { currentTracing } from '@switchyard/tracing';
import { describe, expect, it, vi } from 'vitest';

const protosDir = fileURLToPath(new URL('../../../protos', import.meta.url));
const EchoService = loadService('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', {
  includeDirs: [protosDir],
});
const redis = throwawayRedis();

/** The value of one Prometheus series (name and label substring), or undefined. */
function series(text: string, name: string, labels = ''): number | undefined {
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith(name) && candidate.includes(labels) && !candidate.startsWith('#'));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** The sum of every series of `name` (each label set). */
function seriesTotal(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** The Echo service on a free loopback port with metrics on: NOT_FOUND for `missing`, else the message back. */
function startEcho(registry: RedisRegistry, tracing: false | { exporter: 'otlp' }): Promise<RunningService> {
  return startService({
    name: 'echo',
    registry,
    grpc: {
      services: [
        {
          definition: EchoService,
          implementation: {
            say: (request: { message: string }) => {
              if (request.message === 'missing') throw grpcError(GrpcStatus.NOT_FOUND, 'no such thing');
              return { message: request.message, servedBy: 'm', remainingMs: 0, traceId: '' };
            },
          },
        },
      ],
      port: 0,
      host: '127.0.0.1',
    },
    metrics: { port: 0 },
    tracing,
    handleSignals: false,
    drainDelayMs: 0,
    logger: silentLogger,
  });
}

describe('metrics', () => {
  it('exposes call durations, in-flight requests, retries and registry operations at /metrics', async () => {
    const namespace = `m${Date.now()}`;
    const registry = new RedisRegistry({ url: redis.url, namespace });
    const service = await startEcho(registry, false);
    // One registered instance with nothing listening: the first pick that lands there is retried.
    await registry.register({ id: 'dead', service: 'echo', host: '127.0.0.1', ports: { grpc: 1 } });
    const discovery = createDiscovery({ registry, service: 'echo', balancer: 'round-robin' });
    await discovery.ready();
    const client = createGrpcClient({ definition: EchoService, discovery }) as unknown as {
      say(request: object): Promise<unknown>;
      close(): Promise<void>;
    };
    // Two more clients on the same discovery: an ejection is the discovery's, counted once.
    const sameDiscovery = createGrpcClient({ definition: EchoService, discovery });
    const httpClient = createHttpClient({ discovery, port: 'grpc' });
    for (let i = 0; i < 5; i++) await client.say({ message: `ok-${i}` });
    await expect(client.say({ message: 'missing' })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const text = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
    // Each served call under the status it ended with, as the client's samples are.
    expect(series(text, 'rpc_server_duration_count', 'rpc_grpc_status_code="0"')).toBe(5);
    expect(series(text, 'rpc_server_duration_count', 'rpc_grpc_status_code="5"')).toBe(1);
    expect(series(text, 'rpc_server_duration_count', 'rpc_service="switchyard.echo.v1.Echo"')).toBeGreaterThan(0);
    expect(series(text, 'switchyard_server_inflight_requests', 'rpc_system="grpc"')).toBe(0);
    // 6 calls reached the server; every attempt at the dead instance failed (UNAVAILABLE = 14) and was retried.
    expect(series(text, 'rpc_client_duration_count', 'rpc_grpc_status_code="0"')).toBe(5);
    expect(series(text, 'rpc_client_duration_count', 'rpc_grpc_status_code="5"')).toBe(1);
    const unavailable = series(text, 'rpc_client_duration_count', 'rpc_grpc_status_code="14"') ?? 0;
    expect(unavailable).toBeGreaterThanOrEqual(1);
    expect(series(text, 'switchyard_client_retries_total')).toBe(unavailable);
    expect(series(text, 'switchyard_discovery_ejections_total', 'service_peer_name="echo"')).toBe(1);
    expect(seriesTotal(text, 'switchyard_discovery_ejections_total')).toBe(1);
    expect(series(text, 'switchyard_registry_operations_total', 'operation="register"')).toBeGreaterThanOrEqual(1);

    await client.close();
    await sameDiscovery.close();
    await httpClient.close();
    await discovery.close();
    await service.stop();
    await registry.close();
  });

  it('publishes the in-flight gauge at 0 from the start, before any call (an idle pod still has a series for the HPA)', async () => {
    const namespace = `m${Date.now()}`;
    const registry = new RedisRegistry({ url: redis.url, namespace });
    const service = await startService({
      name: 'idle',
      registry,
      grpc: {
        services: [{ definition: EchoService, implementation: { say: (request: object) => request } }],
        port: 0,
        host: '127.0.0.1',
      },
      http: { port: 0, host: '127.0.0.1' },
      metrics: { port: 0 },
      tracing: false,
      handleSignals: false,
      drainDelayMs: 0,
      logger: silentLogger,
    });
    try {
      const text = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
      // No series at all until the first call: prometheus-adapter had nothing to serve for a pod
      // that had served none (an idle service after a deploy), and the catalog HPA, which scales
      // on it (deploy/k8s/overlays/production/hpa.yaml), could not scale down.
      // One series per served service and one for HTTP, the label sets calls are counted under.
      expect(series(text, 'switchyard_server_inflight_requests', 'rpc_service="switchyard.echo.v1.Echo"'), text).toBe(
        0,
      );
      expect(series(text, 'switchyard_server_inflight_requests', 'rpc_system="http"'), text).toBe(0);
      // Not one per method (nor for the health service, whose calls are not counted).
      expect(text.split('\n').filter((line) => line.startsWith('switchyard_server_inflight_requests{'))).toHaveLength(
        2,
      );
    } finally {
      await service.stop();
      await registry.close();
    }
  });

  it("exposes tracing's own health (spans processed, exported) when tracing exports over OTLP", async () => {
    // A collector that takes every export.
    let exports = 0;
    const collector = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        exports++;
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `http://127.0.0.1:${(collector.address() as AddressInfo).port}`);
    const namespace = `m${Date.now()}`;
    const registry = new RedisRegistry({ url: redis.url, namespace });
    const service = await startEcho(registry, { exporter: 'otlp' });
    try {
      const discovery = createDiscovery({ registry, service: 'echo' });
      await discovery.ready();
      const client = createGrpcClient({ definition: EchoService, discovery }) as unknown as {
        say(request: object): Promise<unknown>;
        close(): Promise<void>;
      };
      for (let i = 0; i < 3; i++) await client.say({ message: `ok-${i}` });
      await currentTracing()?.forceFlush();
      expect(exports).toBeGreaterThanOrEqual(1);
      const text = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
      // Each call: the client's attempt span and the server's span, all in this one process.
      expect(series(text, 'otel_sdk_processor_span_processed_total', 'batching_span_processor')).toBe(6);
      expect(series(text, 'otel_sdk_exporter_span_exported_total', 'otlp_http_span_exporter')).toBe(6);
      await client.close();
      await discovery.close();
    } finally {
      await service.stop();
      await registry.close();
      collector.close();
      vi.unstubAllEnvs();
    }
  });
});
