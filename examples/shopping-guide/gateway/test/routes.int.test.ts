/**
 * The gateway's REST routes against the real catalog, recommendation and orders services (in one
 * process, on loopback): what it sends downstream for odd requests, and what it answers.
 */
import { SpanKind } from '@opentelemetry/api';
import { startCatalog } from '@shopping-guide/catalog';
import { startOrders } from '@shopping-guide/orders';
import { startRecommendation } from '@shopping-guide/recommendation';
import { type LogFn, type Logger, silentLogger } from '@switchyard/core';
import { MemoryRegistry } from '@switchyard/registry';
import type { RunningService } from '@switchyard/service';
import { initTracing, type Tracing } from '@switchyard/tracing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../src/gateway.js';

const registry = new MemoryRegistry();
const services: RunningService[] = [];
let tracing: Tracing;
let base = '';
const logged: { level: string; err: unknown }[] = [];
/** Keeps what the gateway logs at warn and error (the error of a fields-first call, if any). */
const keep =
  (level: string): LogFn =>
  (first: Record<string, unknown> | string) => {
    logged.push({ level, err: typeof first === 'string' ? undefined : first.err });
  };
const gatewayLogger: Logger = { ...silentLogger, warn: keep('warn'), error: keep('error') };
const common = { registry, tracing: false as const, handleSignals: false, drainDelayMs: 0, logger: silentLogger };

beforeAll(async () => {
  tracing = initTracing({ serviceName: 'routes-test', exporter: 'memory' });
  const grpc = { port: 0, host: '127.0.0.1' };
  services.push(await startCatalog({ ...common, grpc }));
  // Two replicas, each with its own view history (as deployed).
  services.push(await startRecommendation({ ...common, grpc }));
  services.push(await startRecommendation({ ...common, grpc }));
  // Two orders replicas, each keeping its orders in memory (as deployed).
  services.push(await startOrders({ ...common, grpc }));
  services.push(await startOrders({ ...common, grpc }));
  const gateway = await startGateway({ ...common, logger: gatewayLogger, http: { port: 0, host: '127.0.0.1' } });
  services.push(gateway);
  base = `http://127.0.0.1:${gateway.httpPort}`;
});
afterAll(async () => {
  for (const service of services.reverse()) await service.stop();
  await registry.close();
  await tracing.shutdown();
});

/** The gateway's client spans for `method` (e.g. `RecordView`) so far. */
function callsTo(method: string): number {
  return tracing.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT && span.name.endsWith(`/${method}`))
    .length;
}

const placeOrder = (lines: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ userId: 'ada', lines }),
  });

describe('gateway routes', () => {
  it('records a view only of a product that exists', async () => {
    const before = callsTo('RecordView');
    expect((await fetch(`${base}/api/products/no-such-sku?user=ada`)).status).toBe(404);
    expect(callsTo('RecordView')).toBe(before);
    expect((await fetch(`${base}/api/products/sku-1?user=ada`)).status).toBe(200);
    expect(callsTo('RecordView')).toBe(before + 1);
  });

  it('answers a malformed escape 400 and a path below an id 404, without calling anything', async () => {
    const before = callsTo('GetProduct') + callsTo('GetOrder');
    const malformed = await fetch(`${base}/api/products/%E0%A4%A`);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect((await fetch(`${base}/api/orders/%ZZ`)).status).toBe(400);
    expect((await fetch(`${base}/api/orders/ord-1/anything`)).status).toBe(404);
    expect(callsTo('GetProduct') + callsTo('GetOrder')).toBe(before);
  });

  it('refuses order quantities protobuf would silently change, instead of placing a different order', async () => {
    for (const quantity of [4_294_967_297, 1.5, '2', -1]) {
      const reply = await placeOrder([{ productId: 'sku-1', quantity }]);
      expect(reply.status, `quantity ${JSON.stringify(quantity)}`).toBe(400);
      expect(await reply.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    }
    expect((await placeOrder([{ productId: 7, quantity: 1 }])).status).toBe(400);
  });

  it('gives an order without an Idempotency-Key a key of its own, so a retried PlaceOrder cannot place it twice', async () => {
    const reply = await placeOrder([{ productId: 'sku-2', quantity: 1 }]);
    expect(reply.status).toBe(201);
    const { order } = (await reply.json()) as { order: { id: string } };
    // Ids of keyed orders derive from the key (a retry finds the same order); unkeyed ones were random.
    expect(order.id).toMatch(/^ord-[0-9a-f]{24}$/);
    const keyed = (await (
      await placeOrder([{ productId: 'sku-2', quantity: 1 }], { 'idempotency-key': 'k-1' })
    ).json()) as {
      order: { id: string };
    };
    const again = (await (
      await placeOrder([{ productId: 'sku-2', quantity: 1 }], { 'idempotency-key': 'k-1' })
    ).json()) as {
      order: { id: string };
    };
    expect(again.order.id).toBe(keyed.order.id);
  });

  it("answers a downstream's 4xx in that service's own words, without naming its internal gRPC method", async () => {
    const missing = await fetch(`${base}/api/products/no-such-sku`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'product "no-such-sku" not found' } });
    const category = await fetch(`${base}/api/products?category=nope`);
    expect(category.status).toBe(400);
    const { error } = (await category.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/^category: unknown category "nope"/);
    expect((await placeOrder([{ productId: 'sku-nope', quantity: 1 }])).status).toBe(400);
    const reused = [{ productId: 'sku-5', quantity: 1 }];
    await placeOrder(reused, { 'idempotency-key': 'reused-key' });
    const conflict = await placeOrder([{ productId: 'sku-5', quantity: 2 }], { 'idempotency-key': 'reused-key' });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({
      // The header's name, not the protobuf field's (`idempotency_key`).
      error: { code: 'ALREADY_EXISTS', message: 'Idempotency-Key: already used for an order with different lines' },
    });
  });

  it('answers a downstream failure with the kind of failure only, and logs what it was', async () => {
    // No search service runs in this test: the call finds no instance of search, and fails at once.
    const reply = await fetch(`${base}/api/search?q=lamp`);
    expect(reply.status).toBe(503);
    expect(await reply.json()).toEqual({ error: { code: 'NO_INSTANCES', message: 'service unavailable' } });
    // Nothing downstream can answer now: a retrying caller is told not to multiply the calls.
    expect(reply.headers.get('x-switchyard-no-retry')).toBe('1');
    expect(logged.at(-1)).toMatchObject({ level: 'warn', err: expect.objectContaining({ code: 'NO_INSTANCES' }) });
  });

  it("sends a user's views and recommendations to the same replica, so they are based on those views", async () => {
    for (const user of ['kay', 'lee', 'max', 'noa', 'ola', 'pia']) {
      expect((await fetch(`${base}/api/products/sku-3?user=${user}`)).status).toBe(200);
      for (let ask = 0; ask < 4; ask++) {
        const { strategy } = (await (await fetch(`${base}/api/recommendations?user=${user}`)).json()) as {
          strategy: string;
        };
        expect(strategy, `${user}, ask ${ask}`).toMatch(/co-view/);
      }
    }
  });

  it('takes the user from the x-user-id header for recommendations too, as for views', async () => {
    const headers = { 'x-user-id': 'quinn' };
    expect((await fetch(`${base}/api/products/sku-3`, { headers })).status).toBe(200);
    const reply = await fetch(`${base}/api/recommendations`, { headers });
    expect(reply.status).toBe(200);
    expect(((await reply.json()) as { strategy: string }).strategy).toMatch(/co-view/);
  });

  it('finds a placed order whichever orders replica placed it', async () => {
    for (let n = 0; n < 8; n++) {
      const placed = await placeOrder([{ productId: 'sku-4', quantity: 1 }], { 'idempotency-key': `find-${n}` });
      expect(placed.status).toBe(201);
      const { order } = (await placed.json()) as { order: { id: string } };
      const found = await fetch(`${base}/api/orders/${order.id}`);
      expect(found.status, `order ${n}`).toBe(200);
    }
  });

  it('refuses an order body field it does not know 400, naming it, instead of placing the order without it', async () => {
    // An idempotency key sent in the body (not the header) was ignored: each retry placed, and
    // reserved stock for, another order. A misspelt `qty` ordered 1 instead of 3.
    const post = (body: unknown) =>
      fetch(`${base}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const before = callsTo('PlaceOrder');
    const keyed = await post({ userId: 'ada', lines: [{ productId: 'sku-6', quantity: 1 }], idempotencyKey: 'k-9' });
    expect(keyed.status).toBe(400);
    expect(await keyed.json()).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: 'idempotencyKey: is not a field of an order (send the key as the Idempotency-Key header)',
      },
    });
    const typo = await post({ userId: 'ada', lines: [{ productId: 'sku-6', quantity: 1, qty: 3 }] });
    expect(typo.status).toBe(400);
    expect(await typo.json()).toEqual({
      error: {
        code: 'INVALID_ARGUMENT',
        message: 'lines[0].qty: is not a field of an order line (productId, quantity)',
      },
    });
    expect(callsTo('PlaceOrder')).toBe(before);
  });

  it("names the REST field a downstream's 400 is about, not its protobuf name", async () => {
    const message = async (reply: Promise<Response>) => {
      const answer = await reply;
      expect(answer.status).toBe(400);
      return ((await answer.json()) as { error: { message: string } }).error.message;
    };
    const line = [{ productId: 'sku-6', quantity: 1 }];
    expect(await message(fetch(`${base}/api/products?pageToken=zzz`))).toMatch(/^pageToken: /);
    expect(await message(fetch(`${base}/api/recommendations?user=${'u'.repeat(129)}`))).toBe(
      'user: must be 1 to 128 characters',
    );
    expect(await message(placeOrder(line, { 'idempotency-key': 'k'.repeat(129) }))).toBe(
      'Idempotency-Key: must be 1 to 128 characters: the same key places one order, however often it is sent',
    );
    expect(await message(placeOrder([...line, { productId: '', quantity: 1 }]))).toBe(
      'lines[1].productId: must be 1 to 128 characters',
    );
    expect(await message(placeOrder([{ productId: 'sku-nope', quantity: 1 }]))).toBe(
      'lines[0].productId: unknown product "sku-nope"',
    );
    const long = await fetch(`${base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'u'.repeat(129), lines: line }),
    });
    expect(long.status).toBe(400);
    expect(await long.json()).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: 'userId: must be 1 to 128 characters' },
    });
  });

  it('tells a shopper when to try a 503 again (Retry-After)', async () => {
    // No search service runs in this test: the gateway answers 503 at once.
    const reply = await fetch(`${base}/api/search?q=lamp`);
    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toBe('1');
  });

  it('refuses body strings that are no well-formed Unicode (a lone surrogate) 400, naming the field', async () => {
    // JSON may escape a lone surrogate (`"\ud800"`); protobuf sends it as bytes orders decodes to
    // U+FFFD, so the order got another id than the one the gateway routed it by (GET answered 404
    // for about half of them), and users differing only in such a character shared one order.
    const post = (body: string) =>
      fetch(`${base}/api/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const before = callsTo('PlaceOrder');
    const user = await post('{"userId":"\\ud800ada","lines":[{"productId":"sku-1","quantity":1}]}');
    expect(user.status).toBe(400);
    expect(await user.json()).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: 'userId: must be well-formed Unicode (it holds a lone surrogate)' },
    });
    const line = await post('{"userId":"ada","lines":[{"productId":"sku-1\\udc00","quantity":1}]}');
    expect(line.status).toBe(400);
    expect(await line.json()).toMatchObject({ error: { message: expect.stringMatching(/^lines\[0\]\.productId: /) } });
    expect(callsTo('PlaceOrder')).toBe(before);
    // A well-formed pair (an emoji) is a character like any other.
    expect((await post('{"userId":"ada\\ud83d\\ude00","lines":[{"productId":"sku-1","quantity":1}]}')).status).toBe(
      201,
    );
  });
});
