/**
 * How the gateway answers failures that happen downstream while the shopper waits (in one process,
 * on loopback, the memory registry; the downstream is a stand-in service whose calls never end).
 */
import { get, request } from 'node:http';
import { MemoryStockStore, startCatalog } from '@shopping-guide/catalog';
import { startOrders as startOrdersService } from '@shopping-guide/orders';
import { OrdersService, SearchService } from '@shopping-guide/shared';
import { type LogFn, type Logger, silentLogger } from '@switchyard/core';
import { MemoryRegistry } from '@switchyard/registry';
import { GrpcStatus, grpcError } from '@switchyard/grpc';
import { startService } from '@switchyard/service';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from '../src/gateway.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const common = { tracing: false as const, handleSignals: false, drainDelayMs: 0, logger: silentLogger };

/** A promise and what resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * A search replica in `registry` whose calls go to `search` (a stand-in that never answers on its
 * own), with a 50 ms shutdown grace; stopped at cleanup.
 */
async function startSearch(
  registry: MemoryRegistry,
  search: (request: unknown, context: { signal: AbortSignal }) => Promise<unknown>,
): Promise<{ stop(): Promise<void> }> {
  const service = await startService({
    ...common,
    registry,
    name: 'search',
    shutdownGraceMs: 50,
    grpc: { port: 0, host: '127.0.0.1', services: [{ definition: SearchService, implementation: { search } }] },
  });
  cleanups.push(() => service.stop());
  return service;
}

/** An orders replica in `registry` whose PlaceOrder is `placeOrder` (GetOrder answers nothing); stopped at cleanup. */
async function startOrders(
  registry: MemoryRegistry,
  placeOrder: (
    request: { userId: string; idempotencyKey: string },
    context: { signal: AbortSignal },
  ) => Promise<unknown>,
): Promise<void> {
  const service = await startService({
    ...common,
    registry,
    name: 'orders',
    grpc: {
      port: 0,
      host: '127.0.0.1',
      services: [{ definition: OrdersService, implementation: { placeOrder, getOrder: async () => ({}) } }],
    },
  });
  cleanups.push(() => service.stop());
}

describe('gateway, downstream failures', () => {
  it('answers a call cut short by a replica stopping past its grace 503 and logs it, not 499 as if the shopper had left', async () => {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    // The only search replica, whose calls never finish: stopping it ends them once its grace is
    // over (a rolling restart during a slow call), and there is no other replica to retry on.
    const arrived = deferred();
    const search = await startSearch(registry, () => {
      arrived.resolve();
      return new Promise<never>(() => {});
    });
    const { logged, logger } = codesLogged();
    const gateway = await startGateway({ ...common, registry, logger, http: { port: 0, host: '127.0.0.1' } });
    cleanups.push(() => gateway.stop());

    const answer = fetch(`http://127.0.0.1:${gateway.httpPort}/api/search?q=lamp`);
    await arrived.promise;
    await search.stop();
    const reply = await answer;
    // The shopper is still there: the failure is the system's, not theirs (499 says "client
    // closed request"), and no internal gRPC method is named.
    expect(reply.status).toBe(503);
    expect(await reply.json()).toEqual({ error: { code: 'NO_INSTANCES', message: 'service unavailable' } });
    expect(logged).toContainEqual({ level: 'warn', code: 'NO_INSTANCES' });
  });

  it('retries a search cut short by a replica stopping past its grace on another replica: the shopper gets the results', async () => {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    // Two replicas; the first call to reach either never finishes there, every other is answered.
    const arrived = deferred();
    let first = true;
    const hangFirst = () => {
      if (!first) return Promise.resolve({ hits: [] });
      first = false;
      arrived.resolve();
      return new Promise<never>(() => {});
    };
    const stuck: { stop(): Promise<void> }[] = [];
    for (let replica = 0; replica < 2; replica++) {
      let service: { stop(): Promise<void> } | undefined;
      service = await startSearch(registry, () => {
        if (first && service) stuck.push(service);
        return hangFirst();
      });
    }
    const gateway = await startGateway({ ...common, registry, http: { port: 0, host: '127.0.0.1' } });
    cleanups.push(() => gateway.stop());

    const answer = fetch(`http://127.0.0.1:${gateway.httpPort}/api/search?q=lamp`);
    await arrived.promise;
    expect(stuck).toHaveLength(1);
    // The replica holding the call restarts: at the end of its grace it answers the call
    // UNAVAILABLE (a reset stream read as CANCELLED was never retried), and Search, which has no
    // side effects, is sent to the other replica.
    await stuck[0]?.stop();
    const reply = await answer;
    expect(reply.status).toBe(200);
    expect(await reply.json()).toEqual({ hits: [] });
  });

  it('cancels its downstream call when the shopper goes away, rather than working on until its own deadline', async () => {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    const arrived = deferred();
    const cancelled = deferred();
    const downstreamCancelled = cancelled.promise.then(() => 'cancelled' as const);
    // A slow search replica: its call ends only when the gateway cancels it (or its deadline passes).
    await startSearch(registry, (_request, context) => {
      arrived.resolve();
      return new Promise<never>((_resolve, reject) => {
        context.signal.addEventListener('abort', () => {
          cancelled.resolve();
          reject(context.signal.reason);
        });
      });
    });
    const gateway = await startGateway({ ...common, registry, http: { port: 0, host: '127.0.0.1' } });
    cleanups.push(() => gateway.stop());

    // node:http, whose destroy() closes the connection at once (an aborted fetch leaves undici's
    // socket open until its keep-alive timeout, which only delays the gateway's stop).
    const shopper = get(`http://127.0.0.1:${gateway.httpPort}/api/search?q=lamp`, { agent: false });
    shopper.on('error', () => undefined);
    await arrived.promise;
    shopper.destroy();
    // It ran on for the client's default deadline (10 s), holding a search handler nobody waits for.
    const timeout = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 2_000));
    expect(await Promise.race([downstreamCancelled, timeout])).toBe('cancelled');
  });

  /**
   * A shopper who sends an order (`headers` beside its JSON content type) to a gateway over a slow
   * orders replica, and goes away once orders has it; what orders saw of that call.
   */
  async function shopperLeavesPlacing(headers: Record<string, string>): Promise<string[]> {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    const arrived = deferred();
    const finish = deferred();
    const outcome: string[] = [];
    // A slow orders replica: it answers once told to, unless its call is cancelled first.
    await startOrders(
      registry,
      (_request, context) =>
        new Promise((resolve, reject) => {
          arrived.resolve();
          context.signal.addEventListener('abort', () => {
            outcome.push('cancelled');
            reject(context.signal.reason);
          });
          void finish.promise.then(() => {
            if (context.signal.aborted) return;
            outcome.push('placed');
            resolve({ order: { id: 'ord-1', status: 'placed' } });
          });
        }),
    );
    const gateway = await startGateway({ ...common, registry, http: { port: 0, host: '127.0.0.1' } });
    cleanups.push(() => gateway.stop());

    const shopper = request(`http://127.0.0.1:${gateway.httpPort}/api/orders`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', ...headers },
    });
    shopper.on('error', () => undefined);
    shopper.end(JSON.stringify({ userId: 'ada', lines: [{ productId: 'sku-1', quantity: 1 }] }));
    await arrived.promise;
    shopper.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    finish.resolve();
    await expect.poll(() => outcome.length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    return outcome;
  }

  it("leaves an order placement with the shopper's own key to finish when the shopper goes away, so the retry with that key finds it", async () => {
    // The call inherited the shopper's signal from the request's call scope: cancelling it
    // stopped the placement (releasing its stock), and the retry had to place the order anew.
    expect(await shopperLeavesPlacing({ 'idempotency-key': 'k-1' })).toEqual(['placed']);
  });

  it('cancels a placement under a key of its own when the shopper goes away: nobody could ever ask for that order', async () => {
    expect(await shopperLeavesPlacing({})).toEqual(['cancelled']);
  });

  it("retries a placement orders answers ABORTED (its hold was given back by another attempt's compensation), rather than answering the shopper 409", async () => {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    const keys: string[] = [];
    // What orders answers when another attempt at the same order released its hold between this
    // attempt's reservation and its confirmation: the next attempt with the same key places it.
    await startOrders(registry, async (placing) => {
      keys.push(placing.idempotencyKey);
      if (keys.length === 1) {
        throw grpcError(GrpcStatus.ABORTED, 'order ord-1: its stock was given back before it was confirmed; retry');
      }
      return { order: { id: 'ord-1', userId: placing.userId, status: 'placed' } };
    });
    const gateway = await startGateway({ ...common, registry, http: { port: 0, host: '127.0.0.1' } });
    cleanups.push(() => gateway.stop());

    const reply = await fetch(`http://127.0.0.1:${gateway.httpPort}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' },
      body: JSON.stringify({ userId: 'ada', lines: [{ productId: 'sku-1', quantity: 1 }] }),
    });
    // It was a 409 ABORTED: a conflict to any REST client, which does not retry it.
    expect(reply.status).toBe(201);
    expect(keys).toEqual(['k-1', 'k-1']);
  });

  it("answers a downstream's RESOURCE_EXHAUSTED (the shop's capacity, not the shopper's rate) 503 with Retry-After, without the downstream's words", async () => {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    const grpc = { port: 0, host: '127.0.0.1' };
    // The real catalog and orders; catalog's in-memory stock store keeps one reservation at most,
    // so the second order finds it full: catalog answers RESOURCE_EXHAUSTED, and orders passes it on.
    const catalog = await startCatalog({
      ...common,
      registry,
      grpc,
      stock: new MemoryStockStore({ maxReservations: 1 }),
    });
    cleanups.push(() => catalog.stop());
    const orders = await startOrdersService({ ...common, registry, grpc });
    cleanups.push(() => orders.stop());
    const { logged, logger } = codesLogged();
    const gateway = await startGateway({ ...common, registry, logger, http: { port: 0, host: '127.0.0.1' } });
    cleanups.push(() => gateway.stop());

    const order = (key: string) =>
      fetch(`http://127.0.0.1:${gateway.httpPort}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ userId: 'ada', lines: [{ productId: 'sku-1', quantity: 1 }] }),
      });
    expect((await order('k-1')).status).toBe(201);
    const full = await order('k-2');
    // It was a 429 "too many requests" (the shopper's doing, to any client) without Retry-After,
    // its message catalog's description of its stock store (`MemoryStockStore(products=42, …)`).
    expect({ status: full.status, retryAfter: full.headers.get('retry-after') }).toEqual({
      status: 503,
      retryAfter: '1',
    });
    expect(await full.json()).toEqual({ error: { code: 'RESOURCE_EXHAUSTED', message: 'service unavailable' } });
    expect(logged).toContainEqual({ level: 'warn', code: 'RESOURCE_EXHAUSTED' });
  });
});

/** A logger keeping the level and the error code of each warning and error it is given. */
function codesLogged(): { logged: { level: string; code: unknown }[]; logger: Logger } {
  const logged: { level: string; code: unknown }[] = [];
  const keep =
    (level: string): LogFn =>
    (first: Record<string, unknown> | string) => {
      const err = typeof first === 'string' ? undefined : (first.err as { code?: unknown } | undefined);
      logged.push({ level, code: err?.code });
    };
  return { logged, logger: { ...silentLogger, warn: keep('warn'), error: keep('error') } };
}
