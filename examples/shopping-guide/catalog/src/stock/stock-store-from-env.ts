import { InvalidArgumentError, type Logger, silentLogger } from '@switchyard/core';
import { withRegistryCredentials } from '@switchyard/registry';
import { MemoryStockStore } from './memory-stock-store.js';
import { RedisStockStore } from './redis-stock-store.js';
import type { StockStore } from './stock-store.js';

const REDIS_SCHEMES = ['redis://', 'rediss://', 'redis-sentinel://', 'redis-cluster://'];

let processStore: MemoryStockStore | undefined;

/**
 * The stock store named by the environment:
 * - `CATALOG_STOCK_URL` if set: a Redis URL (any of the registry's forms) or `memory://`;
 * - else `SWITCHYARD_REGISTRY_URL` when it is a Redis URL: stock lives beside the registry, reached
 *   with the registry's credentials (`SWITCHYARD_REGISTRY_PASSWORD`, as the SDK does);
 * - else one in-memory store for this process, shared by every catalog started in it (the
 *   single-process `memory://` demo).
 *
 * `CATALOG_STOCK_HOLD_MS` sets how long held units wait for their confirmation (default 60 s).
 *
 * @throws InvalidArgumentError naming CATALOG_STOCK_URL for another scheme, or
 * CATALOG_STOCK_HOLD_MS for a value that is not a whole number of ms from 1 to a day.
 */
export function stockStoreFromEnv(env: NodeJS.ProcessEnv = process.env, logger: Logger = silentLogger): StockStore {
  const explicit = env.CATALOG_STOCK_URL || undefined;
  const registryUrl = env.SWITCHYARD_REGISTRY_URL ?? '';
  const url =
    explicit ??
    (REDIS_SCHEMES.some((scheme) => registryUrl.startsWith(scheme))
      ? withRegistryCredentials(registryUrl, env)
      : 'memory://');
  const holdMs = holdMsFromEnv(env.CATALOG_STOCK_HOLD_MS);
  if (REDIS_SCHEMES.some((scheme) => url.startsWith(scheme))) return RedisStockStore.fromUrl(url, { logger, holdMs });
  if (url.startsWith('memory://')) {
    processStore ??= new MemoryStockStore({ holdMs });
    return processStore;
  }
  // Only the scheme is echoed: the rest may hold a password. (Without '://' the slice took the
  // value's first two characters: `got "lo"` for `localhost:6379`.)
  const scheme = url.includes('://') ? `"${url.slice(0, url.indexOf('://') + 3)}"` : 'a value without a scheme';
  throw new InvalidArgumentError(
    'CATALOG_STOCK_URL',
    `must be a Redis URL (${REDIS_SCHEMES.join(', ')}) or memory://, got ${scheme}`,
  );
}

function holdMsFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(ms >= 1 && ms <= 86_400_000)) {
    throw new InvalidArgumentError(
      'CATALOG_STOCK_HOLD_MS',
      `must be a whole number of ms from 1 to 86400000, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}
