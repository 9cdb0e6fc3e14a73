import { type Logger, SwitchyardError, silentLogger } from '@switchyard/core';
import { openRedis, parseRedisUrl, redactUrl } from '@switchyard/registry';
import type { Cluster, Redis } from 'ioredis';
import {
  DEFAULT_RESERVATION_TTL_MS,
  linesFingerprint,
  mergeLines,
  type Reservation,
  ReservationConflictError,
  type StockRequestLine,
  type StockStore,
} from './stock-store.js';

/** Options for {@link RedisStockStore}. */
export interface RedisStockStoreOptions {
  /**
   * Prefix of every key. Its `{…}` hash tag puts all keys in one Redis Cluster slot, so one Lua
   * script can touch the levels and the reservation record together.
   * @default 'shop:{stock}:'
   */
  keyPrefix?: string;
  /** @default 24 h */
  reservationTtlMs?: number;
}

/** Defaults of {@link RedisStockStoreOptions}. */
export const DEFAULT_REDIS_STOCK_STORE_OPTIONS = Object.freeze({
  keyPrefix: 'shop:{stock}:',
  reservationTtlMs: DEFAULT_RESERVATION_TTL_MS,
});

// KEYS: seed marker, levels hash. ARGV: marker value, then product id / level pairs.
// The first seed writes every level (into an empty hash); later ones only add products the store
// has never seen. HSETNX either way: a marker lost while the levels stayed (evicted, deleted) must
// not put the initial levels back over the live ones (RESERVE seeds again when the marker is gone).
const SEED = `
local first = redis.call('SET', KEYS[1], ARGV[1], 'NX')
for i = 2, #ARGV, 2 do
  redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1])
end
if first then return 1 end
return 0
`;

// KEYS: levels hash, reservation record, seed marker. ARGV: record TTL (ms), lines fingerprint,
// then product id / quantity pairs. All or nothing; the answer is recorded as
// "<fingerprint>|<answer>" so a retry gets the same answer and takes nothing more. Without the
// seed marker Redis has lost its data (a restart without persistence, FLUSHALL): every level
// would read 0, and that "out of stock" would be remembered for the order id, so the script
// answers 'unseeded' and records nothing.
const RESERVE = `
local previous = redis.call('GET', KEYS[2])
if previous then
  local sep = string.find(previous, '|', 1, true)
  if string.sub(previous, 1, sep - 1) ~= ARGV[2] then return 'conflict' end
  return string.sub(previous, sep + 1)
end
if redis.call('EXISTS', KEYS[3]) == 0 then return 'unseeded' end
local answer = 'reserved'
for i = 3, #ARGV, 2 do
  local level = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if level < tonumber(ARGV[i + 1]) then
    answer = 'short:' .. ARGV[i]
    break
  end
end
if answer == 'reserved' then
  for i = 3, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], -tonumber(ARGV[i + 1])) end
end
redis.call('SET', KEYS[2], ARGV[2] .. '|' .. answer, 'PX', ARGV[1])
return answer
`;

type Client = Redis | Cluster;
interface Scripts {
  shopStockSeed(marker: string, levels: string, ...args: (string | number)[]): Promise<number>;
  shopStockReserve(levels: string, record: string, marker: string, ...args: (string | number)[]): Promise<string>;
}

/**
 * Stock in Redis, shared by every catalog replica. Keys (readable with redis-cli):
 * `shop:{stock}:levels` (hash: product id → units), `shop:{stock}:seeded` (seed marker) and
 * `shop:{stock}:reservation:<order id>` (the answer, expiring after the TTL). Works on
 * standalone, Sentinel and Cluster. While Redis is unreachable, calls fail fast with UNAVAILABLE;
 * when it comes back empty (restarted without persistence), the store seeds it again.
 */
export class RedisStockStore implements StockStore {
  private readonly keyPrefix: string;
  private readonly ttlMs: number;
  private readonly scripts: Scripts;
  private readonly ownsClient: boolean;
  private readonly label: string;
  private lastConnectionError: Error | undefined;
  private seeded: ReadonlyMap<string, number> | undefined;

  /** Uses `client`; `close()` quits it only if `ownsClient`. `label` names it in errors (a redacted URL). */
  constructor(
    private readonly client: Client,
    options: RedisStockStoreOptions & { ownsClient?: boolean; label?: string } = {},
  ) {
    const resolved = { ...DEFAULT_REDIS_STOCK_STORE_OPTIONS, ...options };
    if (!/\{[^}]+\}/.test(resolved.keyPrefix)) {
      throw new TypeError(`RedisStockStore: keyPrefix "${resolved.keyPrefix}" needs a {hash tag}`);
    }
    this.keyPrefix = resolved.keyPrefix;
    this.ttlMs = resolved.reservationTtlMs;
    this.ownsClient = options.ownsClient ?? false;
    this.label = options.label ?? 'Redis';
    client.on('error', (error: Error) => {
      this.lastConnectionError = error;
    });
    client.on('ready', () => {
      this.lastConnectionError = undefined;
      // Self-healing: if Redis came back empty (restarted without persistence), seed it again.
      // Harmless otherwise: the seed marker is still there and nothing is overwritten.
      if (this.seeded) this.seed(this.seeded).catch(() => {});
    });
    client.defineCommand('shopStockSeed', { numberOfKeys: 2, lua: SEED });
    client.defineCommand('shopStockReserve', { numberOfKeys: 3, lua: RESERVE });
    this.scripts = client as unknown as Scripts;
  }

  /**
   * Connects to `redis://`, `rediss://`, `redis-sentinel://` or `redis-cluster://` (the registry's
   * URL forms). Commands fail fast while Redis is unreachable rather than queueing for long.
   */
  static fromUrl(url: string, options: RedisStockStoreOptions & { logger?: Logger } = {}): RedisStockStore {
    const { logger = silentLogger, ...storeOptions } = options;
    return new RedisStockStore(createClient(url, logger), { ...storeOptions, ownsClient: true, label: redactUrl(url) });
  }

  async seed(levels: ReadonlyMap<string, number>): Promise<boolean> {
    const args = [...levels].flat();
    this.seeded = levels;
    const seeded = await this.run(() =>
      this.scripts.shopStockSeed(this.key('seeded'), this.key('levels'), new Date().toISOString(), ...args),
    );
    return seeded === 1;
  }

  async levels(productIds: readonly string[]): Promise<Map<string, number>> {
    if (productIds.length === 0) return new Map();
    const read = () => this.run(() => this.client.hmget(this.key('levels'), ...productIds));
    let values = await read();
    // Not one seeded product has a level: Redis lost its data (see RESERVE). Seed it again rather
    // than show everything sold out until a reconnect (there may be none, e.g. after FLUSHALL).
    if (values.every((value) => value === null) && productIds.some((id) => this.seeded?.has(id))) {
      await this.seed(this.seeded as ReadonlyMap<string, number>);
      values = await read();
    }
    return new Map(productIds.map((id, index) => [id, Math.max(0, Number(values[index] ?? 0))]));
  }

  async reserve(orderId: string, lines: readonly StockRequestLine[]): Promise<Reservation> {
    const merged = mergeLines(lines);
    const args = merged.flatMap((line) => [line.productId, line.quantity]);
    const reserve = () =>
      this.run(() =>
        this.scripts.shopStockReserve(
          this.key('levels'),
          this.key(`reservation:${orderId}`),
          this.key('seeded'),
          this.ttlMs,
          linesFingerprint(merged),
          ...args,
        ),
      );
    let answer = await reserve();
    // Redis lost its data and this reservation got there before the reconnect's re-seed did (or
    // there was no reconnect): seed it again and reserve against real levels.
    if (answer === 'unseeded' && this.seeded) {
      await this.seed(this.seeded);
      answer = await reserve();
    }
    if (answer === 'unseeded') {
      throw new SwitchyardError('UNAVAILABLE', `stock store ${this.label} holds no stock levels (not seeded)`, {
        retryable: true,
      });
    }
    if (answer === 'reserved') return { reserved: true };
    if (answer === 'conflict') throw new ReservationConflictError(orderId);
    return { reserved: false, shortProductId: answer.slice('short:'.length) };
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.quit().catch(() => this.client.disconnect());
  }

  toString(): string {
    return `RedisStockStore(keyPrefix=${this.keyPrefix}, reservationTtlMs=${this.ttlMs})`;
  }

  /** Runs a command; while Redis is unreachable, fails with UNAVAILABLE naming the store and the connection error. */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      const connection = this.lastConnectionError;
      if (!connection) throw error;
      throw new SwitchyardError('UNAVAILABLE', `stock store ${this.label} is unreachable: ${connection.message}`, {
        retryable: true,
        cause: error,
      });
    }
  }

  private key(suffix: string): string {
    return `${this.keyPrefix}${suffix}`;
  }
}

const CLIENT_OPTIONS = { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000, lazyConnect: false };

function createClient(url: string, logger: Logger): Client {
  const client = openRedis(parseRedisUrl(url), CLIENT_OPTIONS);
  // Connection errors surface on the commands that fail (as UNAVAILABLE); ioredis reconnects by
  // itself. An outage after the first connection is logged once; before it, the failing seed
  // reports it (one line at start).
  let connected = false;
  let warned = false;
  client.on('error', (error: Error) => {
    if (!connected || warned) return;
    warned = true;
    logger.warn({ err: error, url: redactUrl(url) }, 'stock store: Redis unreachable');
  });
  client.on('ready', () => {
    connected = true;
    warned = false;
  });
  return client;
}
