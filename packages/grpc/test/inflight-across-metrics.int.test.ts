/**
 * The server's in-flight gauge (`switchyard.server.inflight_requests`, which deploy/'s autoscaling
 * reads) when metrics are set up again while a call is in flight: the call's -1 went to the new
 * provider, which never had its +1, and the gauge stayed at -1 there for good.
 */
import * as grpc from '@grpc/grpc-js';
import { createGrpcServer } from '@switchyard/grpc';
import { initMetrics } from '@switchyard/tracing';
import { expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';
import { cleanupsAfterEach } from './fixtures/cleanups.js';

const cleanups = cleanupsAfterEach();
const say = EchoService.Say as unknown as grpc.MethodDefinition<object, object>;

it('ends a call in the metrics it began in, so a provider set up meanwhile never goes negative', async () => {
  const first = await initMetrics({ serviceName: 'inflight-a', port: 0, host: '127.0.0.1' });
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let entered!: () => void;
  const inHandler = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const server = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          say: async () => {
            entered();
            await released;
            return { message: 'done' };
          },
        },
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanups.push(() => client.close());
  const call = new Promise<unknown>((resolve, reject) => {
    client.makeUnaryRequest(
      say.path,
      say.requestSerialize,
      say.responseDeserialize,
      { message: 'x' },
      (error, reply) => (error ? reject(error) : resolve(reply)),
    );
  });
  await inHandler;
  await first.shutdown();
  const second = await initMetrics({ serviceName: 'inflight-b', port: 0, host: '127.0.0.1' });
  cleanups.push(() => second.shutdown());
  release();
  await call;
  const gauge = (await second.scrape())
    .split('\n')
    .filter((line) => line.startsWith('switchyard_server_inflight_requests{') && line.includes('rpc_service='));
  // Before: `switchyard_server_inflight_requests{…} -1`.
  for (const line of gauge) expect(Number(line.slice(line.lastIndexOf(' ') + 1))).toBeGreaterThanOrEqual(0);
});

it('publishes each served service’s series at 0 once listening, before any call (an idle pod has one for the HPA)', async () => {
  const metrics = await initMetrics({ serviceName: 'inflight-idle', port: 0, host: '127.0.0.1' });
  cleanups.push(() => metrics.shutdown());
  const server = createGrpcServer({ services: [{ definition: EchoService, implementation: { say: () => ({}) } }] });
  await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  const gauge = (await metrics.scrape())
    .split('\n')
    .filter((line) => line.startsWith('switchyard_server_inflight_requests{'));
  // There was none until the first call: prometheus-adapter had nothing to serve for the pod.
  expect(gauge).toHaveLength(1);
  expect(gauge[0]).toMatch(/rpc_service="switchyard\.echo\.v1\.Echo".*\} 0$/);
});
