/**
 * The shopping-guide services as separate processes (as `pnpm demo` runs them: scripts/demo/fleet.ts),
 * and virtual shoppers that drive the gateway's REST API through discovery.
 */
import type { HttpClient } from '@switchyard/http';
import { sdkEnv } from './echo-fleet.js';
import { repoRoot, type ServiceProcess, startProcess } from './processes.js';

export const SHOP_SERVICES = ['catalog', 'search', 'recommendation', 'orders', 'gateway'] as const;
export type ShopService = (typeof SHOP_SERVICES)[number];

let generation = 0;

/** Starts one replica of a shopping-guide service (resolve `started()` to wait for its registration). */
export function startShopService(service: ShopService, registryUrl: string): ServiceProcess {
  return startProcess({
    label: `${service}#${generation++}`,
    entry: `examples/shopping-guide/${service}/src/main.ts`,
    cwd: repoRoot,
    env: sdkEnv(registryUrl),
  });
}

const CATEGORIES = ['electronics', 'books', 'home', 'outdoor', 'toys', 'kitchen'];
const QUERIES = ['wireless', 'lamp', 'tent', 'puzzle', 'coffee', 'novel', 'headphones', 'knife', 'camera', 'garden'];

/**
 * One shopper step against the gateway: browse a category, view a product (which records the view
 * for recommendations), search, ask for recommendations, and every other round place an order with
 * an Idempotency-Key (a 409 for short stock is a correct answer). Resolves with the route name;
 * rejects on any other status or error.
 */
export async function shopperStep(web: HttpClient, shopper: number, step: number): Promise<string> {
  const user = `user-${shopper}`;
  const category = CATEGORIES[(shopper + step) % CATEGORIES.length] as string;
  const expect = async (route: string, status: number, ok: readonly number[], body: { text(): Promise<string> }) => {
    const text = await body.text();
    if (!ok.includes(status)) {
      throw Object.assign(new Error(`${route}: HTTP ${status} ${text.slice(0, 200)}`), { code: `HTTP_${status}` });
    }
    return text;
  };
  switch (step % 5) {
    case 0: {
      const response = await web.request({
        path: '/api/products',
        query: { category, pageSize: 5 },
        deadlineMs: 5_000,
        throwOnStatus: false,
      });
      await expect('browse', response.status, [200], response.body);
      return 'browse';
    }
    case 1: {
      const id = `sku-${1 + ((shopper * 7 + step) % 42)}`;
      const response = await web.request({
        path: `/api/products/${encodeURIComponent(id)}`,
        query: { user },
        deadlineMs: 5_000,
        throwOnStatus: false,
      });
      await expect('product', response.status, [200], response.body);
      return 'product';
    }
    case 2: {
      const response = await web.request({
        path: '/api/search',
        query: { q: QUERIES[(shopper * 3 + step) % QUERIES.length], limit: 5 },
        deadlineMs: 5_000,
        throwOnStatus: false,
      });
      await expect('search', response.status, [200], response.body);
      return 'search';
    }
    case 3: {
      const response = await web.request({
        path: '/api/recommendations',
        query: { user, limit: 4 },
        deadlineMs: 5_000,
        throwOnStatus: false,
      });
      await expect('recommend', response.status, [200], response.body);
      return 'recommend';
    }
    default: {
      if (Math.floor(step / 5) % 2 === 1) return shopperStep(web, shopper, step + 1); // orders: every other round
      const productId = `sku-${1 + ((shopper * 5 + step) % 42)}`;
      const response = await web.request({
        method: 'POST',
        path: '/api/orders',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${user}-${step}` },
        body: JSON.stringify({ userId: user, lines: [{ productId, quantity: 1 }] }),
        deadlineMs: 5_000,
        throwOnStatus: false,
      });
      await expect('order', response.status, [201, 409], response.body);
      return 'order';
    }
  }
}
