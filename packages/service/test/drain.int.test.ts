/**
 * The end of a stop, with real servers on loopback: what still runs once the servers have closed
 * (handlers whose caller went away, requests cut at the end of the grace) must not lose its
 * clients or its spans.
 */
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { runInCallScope, silentLogger } from '@switchyard/core';
import { type GrpcClient, loadService } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import { type RunningService, startService } from '@switchyard/service';
import { describe, expect, it } from 'vitest';

const protosDir = fileURLToPath(new URL('../../../protos', import.meta.url));
const EchoService = loadService('switchyard/echo/v1/echo.proto', 'switchyard.echo.v1.Echo', {
  includeDirs: [protosDir],
});
type Echo = GrpcClient<typeof EchoService> & { say(request: object): Promise<{ message: string }> };
const RawEcho = grpc.makeGenericClientConstructor(EchoService, 'Echo');
const quiet = { handleSignals: false, tracing: false, logger: silentLogger } as const;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A downstream service for handlers to call. */
function startDownstream(registry: MemoryRegistry): Promise<RunningService> {
  return startService({
    name: 'downstream',
    registry,
    grpc: {
      port: 0,
      host: '127.0.0.1',
      services: [
        { definition: EchoService, implementation: { say: async ({ message }: { message: string }) => ({ message }) } },
      ],
    },
    drainDelayMs: 0,
    ...quiet,
  });
}

describe('stop(): what outlives the servers', () => {
  it('lets handlers whose caller went away finish their downstream calls before closing the clients', async () => {
    const registry = new MemoryRegistry();
    const downstream = await startDownstream(registry);
    const outcomes: string[] = [];
    let client: Echo | undefined;
    /**
     * Work that outlives its caller (a cancelled call, a closed connection) on purpose, then calls
     * downstream: outside the call's scope, or the call's cancellation would cancel it too.
     */
    const work = async (what: string): Promise<string> => {
      await pause(400);
      try {
        const reply = await runInCallScope({ deadline: Number.POSITIVE_INFINITY }, () =>
          (client as Echo).say({ message: what }),
        );
        outcomes.push(`${what}: ${reply.message}`);
      } catch (error) {
        outcomes.push(`${what}: ${(error as Error).name} ${(error as { code?: string }).code}`);
      }
      return what;
    };
    const service = await startService({
      name: 'upstream',
      registry,
      grpc: {
        port: 0,
        host: '127.0.0.1',
        services: [{ definition: EchoService, implementation: { say: async () => ({ message: await work('grpc') }) } }],
      },
      http: {
        port: 0,
        host: '127.0.0.1',
        handler: async (_request, response) => {
          response.end(await work('http'));
        },
      },
      drainDelayMs: 0,
      shutdownGraceMs: 5_000,
      ...quiet,
    });
    client = service.grpcClient(EchoService, 'downstream') as Echo;
    // Both callers leave (a hedge that lost, a client that gave up) while their handlers still work.
    const raw = new RawEcho(`127.0.0.1:${service.grpcPort}`, grpc.credentials.createInsecure());
    const call = raw.Say!({ message: 'x' }, () => {});
    const request = get({ host: '127.0.0.1', port: service.httpPort, path: '/x', agent: false }).on('error', () => {});
    await pause(100);
    call.cancel();
    request.destroy();
    await pause(50);
    await service.stop();
    raw.close();
    await expect.poll(() => outcomes.length, { timeout: 3_000 }).toBe(2);
    // Closing the clients as soon as the servers had no connection left failed both downstream
    // calls with ClientClosedError in the middle of the grace period.
    expect(outcomes.sort()).toEqual(['grpc: grpc', 'http: http']);
    await downstream.stop();
    await registry.close();
  });

  it('flushes the spans of HTTP requests cut at the end of the grace period', async () => {
    const registry = new MemoryRegistry();
    const service = await startService({
      name: 'cutweb',
      registry,
      http: {
        port: 0,
        host: '127.0.0.1',
        handler: (_request, response) => {
          setTimeout(() => response.end('too late'), 2_000).unref();
        },
      },
      drainDelayMs: 0,
      shutdownGraceMs: 200,
      ...quiet,
      tracing: { exporter: 'memory', batch: false },
    });
    // The memory exporter forgets its spans when shut down: note what reaches it.
    const exported: { name: string; code: unknown }[] = [];
    const exporter = service.tracing?.memoryExporter;
    if (!exporter) throw new Error('expected a memory exporter');
    const exportSpans = exporter.export.bind(exporter);
    exporter.export = (spans, done) => {
      for (const span of spans) exported.push({ name: span.name, code: span.attributes['http.response.status_code'] });
      exportSpans(spans, done);
    };
    const answered = fetch(`http://127.0.0.1:${service.httpPort}/slow`).then(
      (response) => response.status,
      () => 'cut',
    );
    await pause(100);
    await service.stop();
    expect(await answered).toBe('cut');
    // The span of the cut request ended as its connection closed, after telemetry had been
    // flushed and shut down: the one call worth seeing after a bad rollout was never exported.
    expect(exported).toEqual([expect.objectContaining({ name: expect.stringMatching(/^GET/) })]);
    await registry.close();
  });
});
