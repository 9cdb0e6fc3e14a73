import { createCanaryController, createDiscovery } from '@switchyard/discovery';
import { createGrpcClient, createGrpcServer, GrpcStatus, grpcError } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { afterAll, describe, expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';

const registry = new MemoryRegistry();
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await registry.close();
});

/** An echo instance of `version` that fails `errorRate` of its calls with INTERNAL. */
async function start(id: string, version: string, errorRate: number): Promise<void> {
  const server = createGrpcServer({
    services: [
      {
        definition: EchoService,
        implementation: {
          say: (request: { message: string }) => {
            if (Math.random() < errorRate) throw grpcError(GrpcStatus.INTERNAL, 'injected failure');
            return { message: request.message, servedBy: id, remainingMs: 0, traceId: '' };
          },
        },
      },
    ],
  });
  const port = await server.listen(0, '127.0.0.1');
  cleanups.push(() => server.shutdown(100));
  await registry.register({ id, service: 'catalog', version, host: '127.0.0.1', ports: { grpc: port } });
}

describe('canary release over real gRPC calls', () => {
  it('rolls a canary with 20 % injected errors back to 0 % within one analysis window, and reports the user-visible failures', async () => {
    await start('stable-1', '1.4.0', 0);
    await start('stable-2', '1.4.0', 0);
    await start('canary-1', '1.5.0', 0.2);
    const discovery = createDiscovery({ registry, service: 'catalog', outlierDetection: false });
    const client = createGrpcClient({ definition: EchoService, discovery }) as unknown as {
      say(request: object): Promise<{ servedBy: string }>;
      close(): Promise<void>;
    };
    cleanups.push(async () => {
      await client.close();
      await discovery.close();
    });
    await discovery.ready();
    const controller = createCanaryController({
      registry,
      discovery,
      stable: '1.4.0',
      canary: '1.5.0',
      steps: [10, 50, 100],
      minCalls: 40,
      windowMs: 60_000,
    });
    await controller.start();
    let failures = 0;
    let toCanary = 0;
    const calls = 1_500;
    for (let i = 0; i < calls; i++) {
      try {
        if ((await client.say({ message: String(i) })).servedBy === 'canary-1') toCanary++;
      } catch {
        failures++;
      }
    }
    const decision = await controller.evaluate();
    console.log(
      `canary: ${failures} user-visible failures of ${calls} calls during the 10 % step (${toCanary} successful canary calls); decision: ${decision.action} (${decision.reason})`,
    );
    expect(decision.action).toBe('rollback');
    expect(await registry.getRoute('catalog')).toEqual({ splits: { '1.4.0': 100, '1.5.0': 0 } });
    expect(failures).toBeLessThan(calls * 0.1 * 0.2 * 2); // bounded by step share × error rate (× 2 for noise)
    for (let i = 0; i < 100; i++) expect((await client.say({ message: 'after' })).servedBy).not.toBe('canary-1');
  });
});
