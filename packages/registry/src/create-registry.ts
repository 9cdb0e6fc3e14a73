import { assertKnownKeys, assertObject, InvalidArgumentError, type Logger } from '@switchyard/core';
import { MemoryRegistry } from './memory/memory-registry.js';
import { MemoryStore, namedMemoryStore } from './memory/memory-store.js';
import { parseRedisUrl, redactUrl } from './redis/connection-url.js';
import { OPTION_KEYS, RedisRegistry, type RedisRegistryOptions } from './redis/redis-registry.js';
import type { Registry } from './registry.js';

/** Options for {@link createRegistry}: the Redis tuning applies to Redis URLs only. */
export type CreateRegistryOptions = Omit<RedisRegistryOptions, 'url'> & { logger?: Logger };

const SCHEMES = ['memory', 'redis', 'rediss', 'redis-sentinel', 'redis-cluster'];

/**
 * Creates a registry from a URL, for configuration files and environment variables
 * (`SWITCHYARD_REGISTRY_URL`). In code, constructing `RedisRegistry` or `MemoryRegistry` is
 * equally fine.
 *
 * - `memory://` a private in-process registry; `memory://<name>` one shared by every
 *   `createRegistry('memory://<name>')` in the process (a single-process demo)
 * - `redis://[user:pass@]host:port[/db]`, `rediss://…` standalone Redis, TLS
 * - `redis-sentinel://h1:26379,h2:26379/<master-name>`
 * - `redis-cluster://h1:7000,h2:7001`
 *
 * @throws InvalidArgumentError for an unknown scheme (listing the known ones) or a malformed URL.
 * @example
 * ```ts
 * const registry = createRegistry(process.env.SWITCHYARD_REGISTRY_URL ?? 'memory://');
 * ```
 */
export function createRegistry(url: string, options: CreateRegistryOptions = {}): Registry {
  const scheme = registryScheme(url, 'url');
  // null (or a string) failed below with a TypeError for memory:// and was ignored for Redis.
  assertObject('options', options);
  if (scheme === 'memory') {
    // The Redis backend's option names are accepted (and its Redis-only ones ignored), a misspelt one is not.
    assertKnownKeys(
      'options',
      options as unknown as Record<string, unknown>,
      OPTION_KEYS.filter((key) => key !== 'url'),
    );
    const name = url.slice('memory://'.length);
    return new MemoryRegistry({
      store: name ? namedMemoryStore(name) : new MemoryStore(),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.defaultTtlMs !== undefined ? { defaultTtlMs: options.defaultTtlMs } : {}),
    });
  }
  return new RedisRegistry({ ...options, url });
}

/**
 * Checks a registry URL the way {@link createRegistry} reads it, without connecting: its scheme
 * and, for Redis, its form. `field` names the setting in the error, so that a service can refuse a
 * malformed `SWITCHYARD_REGISTRY_URL` by that name when it reads its configuration, instead of
 * failing later, at start, on a `url` that is none of its settings. `field` defaults to `'url'`.
 *
 * @throws InvalidArgumentError naming `field`.
 */
export function validateRegistryUrl(url: unknown, field = 'url'): asserts url is string {
  if (registryScheme(url, field) === 'memory') return;
  try {
    parseRedisUrl(url as string);
  } catch (error) {
    if (error instanceof InvalidArgumentError && error.field === 'url' && field !== 'url') {
      throw new InvalidArgumentError(field, error.rule, { cause: error });
    }
    throw error;
  }
}

/** The URL's scheme, one of {@link SCHEMES}, or an InvalidArgumentError naming `field`. */
function registryScheme(url: unknown, field: string): string {
  if (typeof url !== 'string' || !url.includes('://')) {
    throw new InvalidArgumentError(
      field,
      `must be a registry URL such as redis://127.0.0.1:6379 or memory://, got ${typeof url === 'string' ? JSON.stringify(redactUrl(url)) : typeof url}`,
    );
  }
  const scheme = url.slice(0, url.indexOf('://'));
  if (!SCHEMES.includes(scheme)) {
    throw new InvalidArgumentError(
      field,
      `unknown registry scheme "${scheme}://"; expected one of ${SCHEMES.map((s) => `${s}://`).join(', ')}`,
    );
  }
  return scheme;
}
