/**
 * Issue 10 with the real shopping-guide services (in one process, on loopback): a version split
 * of catalog traffic, and an A/B track that stays on its arm across gateway → recommendation →
 * catalog.
 */
import { SpanKind } from '@opentelemetry/api';
import { MemoryStockStore, startCatalog } from '@shopping-guide/catalog';
import { startOrders } from '@shopping-guide/orders';
import { startRecommendation } from '@shopping-guide/recommendation';
import { CatalogService } from '@shopping-guide/shared';
import { createDiscovery } from '@switchyard/discovery';
import { createGrpcClient } from '@switchyard/grpc';
import { MemoryRegistry } from '@switchyard/registry';
import type { RunningService } from '@switchyard/service';
import { initTracing, type Tracing } from '@switchyard/tracing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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

  it("places a user's order on the track that user is bucketed to by id, as their other requests are", async () => {
    // Its own system: catalog on the default arm has sku-1 sold out; catalog on track b has stock.
    const own = new MemoryRegistry();
    const started: RunningService[] = [];
    const soldOut = new MemoryStockStore();
    await soldOut.seed(new Map([['sku-1', 0]]));
    try {
      started.push(await startCatalog({ ...common, registry: own, stock: soldOut }));
      started.push(
        await startCatalog({ ...common, registry: own, stock: new MemoryStockStore(), metadata: { track: 'b' } }),
      );
      started.push(await startOrders({ ...common, registry: own }));
      const { grpc: _grpc, ...gatewayOptions } = common;
      const gateway = await startGateway({ ...gatewayOptions, registry: own, http: { port: 0, host: '127.0.0.1' } });
      started.push(gateway);
      const order = (key: string) =>
        fetch(`http://127.0.0.1:${gateway.httpPort}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ userId: 'ada', lines: [{ productId: 'sku-1', quantity: 1 }] }),
        });
      // Every user on the default arm: the order reaches the sold-out catalog.
      vi.stubEnv('GATEWAY_TRACK_B_PERCENT', '0');
      expect((await order('on-a')).status).toBe(409);
      // Every user bucketed to b by id: their order goes to track b, as GET /api/products/:id?user=ada
      // does (it was placed on the default arm, the body's userId never bucketed).
      vi.stubEnv('GATEWAY_TRACK_B_PERCENT', '100');
      expect((await order('on-b')).status).toBe(201);
    } finally {
      vi.unstubAllEnvs();
      for (const service of started.reverse()) await service.stop();
      await own.close();
    }
  });
});
