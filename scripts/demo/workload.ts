/**
 * Virtual shoppers: each browses a category, looks at products (which records views), searches,
 * asks for recommendations and now and then places an order — against the gateway, in a closed
 * loop, until the time is up. Every request is recorded with its latency and outcome.
 */
export interface RequestRecord {
  at: number;
  route: string;
  status: number;
  ok: boolean;
  latencyMs: number;
  traceId?: string;
  error?: string;
}

const CATEGORIES = ['electronics', 'books', 'home', 'outdoor', 'toys', 'kitchen'];
const QUERIES = ['wireless', 'lamp', 'tent', 'puzzle', 'coffee', 'novel', 'headphones', 'knife', 'camera', 'garden'];

export async function runShoppers(options: {
  gatewayUrl: string;
  shoppers: number;
  durationMs: number;
  records: RequestRecord[];
}): Promise<void> {
  const until = Date.now() + options.durationMs;
  const call = async (route: string, path: string, init?: RequestInit): Promise<unknown> => {
    const started = performance.now();
    let status = 0;
    try {
      const response = await fetch(`${options.gatewayUrl}${path}`, { ...init, signal: AbortSignal.timeout(5_000) });
      status = response.status;
      const body = (await response.json()) as unknown;
      // An order rejected for stock is a correct answer (409 with the order), not a failure; any
      // other 409 (an idempotency key reused with other lines: ALREADY_EXISTS) is one.
      const outOfStock =
        route === 'order' && status === 409 && (body as { order?: { status?: string } })?.order?.status === 'rejected';
      const ok = response.ok || outOfStock;
      options.records.push({
        at: Date.now(),
        route,
        status,
        ok,
        latencyMs: performance.now() - started,
        ...(ok ? {} : { error: JSON.stringify(body).slice(0, 200) }),
      });
      return body;
    } catch (error) {
      options.records.push({
        at: Date.now(),
        route,
        status,
        ok: false,
        latencyMs: performance.now() - started,
        error: (error as Error).message,
      });
      return undefined;
    }
  };
  const shopper = async (id: number): Promise<void> => {
    const user = `user-${id}`;
    let round = 0;
    while (Date.now() < until) {
      round++;
      const category = CATEGORIES[(id + round) % CATEGORIES.length] as string;
      const listed = (await call('browse', `/api/products?category=${category}&pageSize=5`)) as
        | { products?: { id: string }[] }
        | undefined;
      const product = listed?.products?.[round % Math.max(1, listed.products.length)];
      if (product) await call('product', `/api/products/${encodeURIComponent(product.id)}?user=${user}`);
      await call('search', `/api/search?q=${QUERIES[(id * 3 + round) % QUERIES.length]}&limit=5`);
      await call('recommend', `/api/recommendations?user=${user}&limit=4`);
      if (product && round % 4 === 0) {
        await call('order', '/api/orders', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `${user}-${round}` },
          body: JSON.stringify({ userId: user, lines: [{ productId: product.id, quantity: 1 }] }),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: options.shoppers }, (_, index) => shopper(index)));
}
