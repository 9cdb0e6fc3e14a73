/**
 * Issue 10 with the real shopping-guide services (in one process, on loopback): a version split
 * of catalog traffic, and an A/B track that stays on its arm across gateway → recommendation →
 * catalog.
 */
import { SpanKind } from '@opentelemetry/api';
import { startCatalog } from '@shopping-guide/catalog';
import { startRecommendation } from '@shopping-guide/recommendation';
import { CatalogService } from '@shopping-guide/shared';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import type { RunningService } from '@switchyard/service';
import { initTracing, type Tracing } from '@switchyard/tracing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../src/gateway.js';
import { silentLogger } from '@switchyard/core';

const registry = new MemoryRegistry();
const services: RunningService[] = [];
let tracing: Tracing;
const common = {
  registry,
  tracing: false as const,
  handleSignals: false,
  drainDelayMs: 0,
  logger: silentLogger,
  grpc: { port: 0, host: '127.0.0.1' },
};

beforeAll(() => {
  tracing = initTracing({ serviceName: 'traffic-test', exporter: 'memory' });
});
afterAll(async () => {
  for (const service of services.reverse()) await service.stop();
  await registry.close();
  await tracing.shutdown();
});

describe('traffic management with the real services', () => {
  it('splits catalog traffic 10 % to the canary version under a 10 % rule (10,000 calls), following rule changes live', async () => {
    services.push(await startCatalog({ ...common, version: '1.4.0' }));
    services.push(await startCatalog({ ...common, version: '1.4.0' }));
    services.push(await startCatalog({ ...common, version: '1.5.0' }));
    const discovery = createDiscovery({ registry, service: 'catalog' });
    const catalog = createGrpcClient({ definition: CatalogService, discovery });
    await discovery.ready();
    await registry.setRoute('catalog', { splits: { '1.4.0': 90, '1.5.0': 10 } });
    const before = discovery.versionOutcomes();
    const calls = 10_000;
    for (let batch = 0; batch < calls / 100; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => catalog.getProduct({ id: `sku-${(i % 40) + 1}` }).catch(() => undefined)),
      );
    }
    const after = discovery.versionOutcomes();
    const canaryCalls = (after.get('1.5.0')?.calls ?? 0) - (before.get('1.5.0')?.calls ?? 0);
    const stableCalls = (after.get('1.4.0')?.calls ?? 0) - (before.get('1.4.0')?.calls ?? 0);
    const share = canaryCalls / (canaryCalls + stableCalls);
    console.log(
      `split: ${canaryCalls} of ${canaryCalls + stableCalls} calls (${(share * 100).toFixed(2)} %) went to 1.5.0 under a 10 % rule`,
    );
    expect(canaryCalls + stableCalls).toBe(calls);
    expect(share).toBeGreaterThan(0.085);
    expect(share).toBeLessThan(0.115);
    await registry.setRoute('catalog', { splits: { '1.4.0': 100, '1.5.0': 0 } });
    const mark = discovery.versionOutcomes().get('1.5.0')?.calls ?? 0;
    for (let i = 0; i < 200; i++) await catalog.getProduct({ id: 'sku-1' });
    expect(discovery.versionOutcomes().get('1.5.0')?.calls ?? 0).toBe(mark);
    await catalog.close();
    await discovery.close();
    await registry.setRoute('catalog', undefined);
  });

  it('keeps a request entering the gateway with track b on b instances of recommendation and catalog, and untracked requests off them', async () => {
    services.push(await startCatalog({ ...common, version: '1.4.0' })); // the default arm
    const catalogB = await startCatalog({ ...common, version: '1.4.0', metadata: { track: 'b' } });
    services.push(catalogB);
    services.push(await startRecommendation({ ...common }));
    const previous = process.env.RECOMMENDATION_STRATEGY;
    process.env.RECOMMENDATION_STRATEGY = 'trending';
    services.push(await startRecommendation({ ...common, metadata: { track: 'b' } }));
    if (previous === undefined) delete process.env.RECOMMENDATION_STRATEGY;
    else process.env.RECOMMENDATION_STRATEGY = previous;
    const gateway = await startGateway({
      registry,
      tracing: false,
      handleSignals: false,
      drainDelayMs: 0,
      logger: silentLogger,
      http: { port: 0, host: '127.0.0.1' },
    } as never);
    services.push(gateway);
    const base = `http://127.0.0.1:${gateway.httpPort}`;
    await new Promise((resolve) => setTimeout(resolve, 200)); // the gateway's discoveries see every instance

    const catalogPortsUsed = (traceId: string): number[] =>
      tracing
        .getFinishedSpans()
        .filter(
          (span) =>
            span.spanContext().traceId === traceId &&
            span.kind === SpanKind.CLIENT &&
            span.name.startsWith('shop.catalog.v1.CatalogService/'),
        )
        .map((span) => Number(span.attributes['server.port']));
    const ask = async (track?: string): Promise<{ strategy: string; catalogPorts: number[] }> => {
      const response = await fetch(`${base}/api/recommendations?user=ab-user-${Math.random()}&limit=3`, {
        headers: track ? { 'x-switchyard-track': track } : {},
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { strategy: string };
      await tracing.forceFlush();
      const serverSpan = tracing
        .getFinishedSpans()
        .filter((span) => span.kind === SpanKind.SERVER && span.name.startsWith('GET'))
        .at(-1);
      return { strategy: body.strategy, catalogPorts: catalogPortsUsed(serverSpan?.spanContext().traceId ?? '') };
    };
    const tracked = await ask('b');
    expect(tracked.strategy).toMatch(/^trending/); // served by the track-b recommendation
    expect(tracked.catalogPorts.length).toBeGreaterThan(0); // its first call fills its cache from catalog…
    expect(tracked.catalogPorts.every((port) => port === catalogB.grpcPort)).toBe(true); // …on track b
    for (let i = 0; i < 20; i++) {
      const untracked = await ask();
      expect(untracked.strategy).not.toMatch(/^trending/);
      expect(untracked.catalogPorts).not.toContain(catalogB.grpcPort);
    }
  });
});
