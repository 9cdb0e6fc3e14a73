/**
 * A trace and its baggage survive a hop whose server and client disagree about tracing: the server's
 * tracing off and the client's on (the client started a new trace, dropping the caller's baggage),
 * or the other way round (nothing was forwarded at all).
 */
import * as grpc from '@grpc/grpc-js';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, type GrpcHandlerContext } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { initTracing } from '@switchyard/tracing';
import { afterEach, expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Say = (request: { message: string }) => Promise<unknown>;

it.each([
  ['server tracing off, client tracing on', false, true],
  ['server tracing on, client tracing off', true, false],
])('forwards trace context and baggage: %s', async (_label, serverTracing, clientTracing) => {
  const tracing = initTracing({ serviceName: 'mixed', exporter: 'memory' });
  cleanups.push(() => tracing.shutdown());
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  // B records what reached it.
  let seen: { traceparent?: unknown; baggage?: unknown } = {};
  const b = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          say: async (_request: object, context: GrpcHandlerContext) => {
            seen = { traceparent: context.metadata.get('traceparent')[0], baggage: context.metadata.get('baggage')[0] };
            return { message: 'b', servedBy: 'b' };
          },
        },
      },
    ],
  });
  const portB = await b.listen(0, '127.0.0.1');
  cleanups.push(() => b.shutdown(100));
  await registry.register({ id: 'b', service: 'b', host: '127.0.0.1', ports: { grpc: portB } });
  const discoveryB = createDiscovery({ registry, service: 'b' });
  cleanups.push(() => discoveryB.close());
  const toB = createGrpcClient({
    definition: EchoService,
    discovery: discoveryB,
    tracing: clientTracing,
  }) as unknown as {
    say: Say;
    close(): Promise<void>;
  };
  cleanups.push(() => toB.close());
  // A calls B from its handler.
  const a = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          say: async () => {
            await toB.say({ message: 'hop' });
            return { message: 'a', servedBy: 'a' };
          },
        },
      },
    ],
    tracing: serverTracing,
  });
  const portA = await a.listen(0, '127.0.0.1');
  cleanups.push(() => a.shutdown(100));
  // A plain grpc-js caller with its own trace and baggage.
  const Echo = grpc.makeGenericClientConstructor(EchoService, 'Echo');
  const plain = new Echo(`127.0.0.1:${portA}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Say(request: object, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null) => void): void;
  };
  cleanups.push(() => plain.close());
  const metadata = new grpc.Metadata();
  metadata.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  metadata.set('baggage', 'tenant=acme');
  await new Promise<void>((resolve, reject) =>
    plain.Say({ message: 'x' }, metadata, (error) => (error ? reject(error) : resolve())),
  );
  expect(String(seen.traceparent)).toContain('0af7651916cd43dd8448eb211c80319c');
  expect(String(seen.baggage)).toContain('tenant=acme');
});
