import { type Logger, SwitchyardError, silentLogger, withDefaults } from '@switchyard/core';
import { openRedis, parseRedisUrl, redactUrl } from '@switchyard/registry';
import type { Cluster, Redis } from 'ioredis';
import {
  checkPositiveInteger,
  DEFAULT_HOLD_MS,
  DEFAULT_RESERVATION_TTL_MS,
  linesFingerprint,
  mergeLines,
  type ReleaseOutcome,
  type ReserveOptions,
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
  /** How long held units wait for their confirmation (Redis server clock). @default 60 s */
  holdMs?: number;
}

/** Defaults of {@link RedisStockStoreOptions}. */
export const DEFAULT_REDIS_STOCK_STORE_OPTIONS = Object.freeze({
  keyPrefix: 'shop:{stock}:',
  reservationTtlMs: DEFAULT_RESERVATION_TTL_MS,
  holdMs: DEFAULT_HOLD_MS,
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

// Held units expire by the server clock, so replicas' clocks never matter. Every script that
// touches holds starts with this: KEYS[1] levels hash, KEYS[2] holds (sorted set: order id →
// expiry, ms), KEYS[3] hold lines (hash: order id → JSON [fingerprint, product id, units, …]).
// It gives back the units of up to 100 expired holds (a backlog drains over later calls), so
// expiry needs no timer: any call sees (and any reservation can take) the units of a hold that
// expired. A record is "<fingerprint>|<answer>": a reservation made without hold, or confirmed
// ('reserved'), or a rejection ('short:<product id>').
const HOLDS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function giveBack(id)
  local held = redis.call('HGET', KEYS[3], id)
  if held then
    local hold = cjson.decode(held)
    for i = 2, #hold, 2 do redis.call('HINCRBY', KEYS[1], hold[i], tonumber(hold[i + 1])) end
    redis.call('HDEL', KEYS[3], id)
  end
  redis.call('ZREM', KEYS[2], id)
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)) do giveBack(id) end
local function answerOf(record)
  return string.sub(record, string.find(record, '|', 1, true) + 1)
end
`;

// KEYS: levels, holds, hold lines, reservation record, seed marker. ARGV: record TTL (ms), lines
// fingerprint, hold time (ms, 0 for none), order id, then product id / quantity pairs. All or
// nothing; the answer is recorded (a hold in the holds, until confirmed) so a retry gets the same
// answer and takes nothing more. Without the seed marker Redis has lost its data (a restart
// without persistence, FLUSHALL): every level would read 0, and that "out of stock" would be
// remembered for the order id, so the script answers 'unseeded' and records nothing.
const RESERVE = `${HOLDS}
local previous = redis.call('GET', KEYS[4])
if previous then
  local sep = string.find(previous, '|', 1, true)
  if string.sub(previous, 1, sep - 1) ~= ARGV[2] then return 'conflict' end
  return answerOf(previous)
end
local held = redis.call('HGET', KEYS[3], ARGV[4])
if held then
  if cjson.decode(held)[1] ~= ARGV[2] then return 'conflict' end
  return 'reserved'
end
if redis.call('EXISTS', KEYS[5]) == 0 then return 'unseeded' end
local answer = 'reserved'
for i = 5, #ARGV, 2 do
  local level = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if level < tonumber(ARGV[i + 1]) then
    answer = 'short:' .. ARGV[i]
    break
  end
end
if answer == 'reserved' then
  for i = 5, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], -tonumber(ARGV[i + 1])) end
  if tonumber(ARGV[3]) > 0 then
    local hold = { ARGV[2] }
    for i = 5, #ARGV do hold[#hold + 1] = ARGV[i] end
    redis.call('HSET', KEYS[3], ARGV[4], cjson.encode(hold))
    redis.call('ZADD', KEYS[2], string.format('%d', now + tonumber(ARGV[3])), ARGV[4])
    return answer
  end
end
redis.call('SET', KEYS[4], ARGV[2] .. '|' .. answer, 'PX', ARGV[1])
return answer
`;

// KEYS: levels, holds, hold lines, reservation record. ARGV: record TTL (ms), order id. A hold
// becomes a record as a reservation made without hold would have left; 1 when the order's units
// are taken for good, 0 when nothing is held (unknown, rejected, released, expired).
const CONFIRM = `${HOLDS}
local held = redis.call('HGET', KEYS[3], ARGV[2])
if held then
  redis.call('HDEL', KEYS[3], ARGV[2])
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('SET', KEYS[4], cjson.decode(held)[1] .. '|reserved', 'PX', ARGV[1])
  return 1
end
local previous = redis.call('GET', KEYS[4])
if previous and answerOf(previous) == 'reserved' then return 1 end
return 0
`;

// KEYS: levels, holds, hold lines, reservation record. ARGV: order id. Only a hold is given back;
// a record 'reserved' (confirmed, or reserved without hold) never is.
const RELEASE = `${HOLDS}
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then
  giveBack(ARGV[1])
  return 'released'
end
local previous = redis.call('GET', KEYS[4])
if previous and answerOf(previous) == 'reserved' then return 'confirmed' end
return 'none'
`;

// KEYS: levels, holds, hold lines. ARGV: product ids. A read gives back expired holds first.
const LEVELS = `${HOLDS}
return redis.call('HMGET', KEYS[1], unpack(ARGV))
`;

type Client = Redis | Cluster;
type HoldKeys = [levels: string, holds: string, holdLines: string];
interface Scripts {
  shopStockSeed(marker: string, levels: string, ...args: (string | number)[]): Promise<number>;
  shopStockReserve(
    ...keysAndArgs: [...HoldKeys, record: string, marker: string, ...(string | number)[]]
  ): Promise<string>;
  shopStockConfirm(...keysAndArgs: [...HoldKeys, record: string, ttlMs: number, orderId: string]): Promise<number>;
  shopStockRelease(...keysAndArgs: [...HoldKeys, record: string, orderId: string]): Promise<string>;
  shopStockLevels(...keysAndArgs: [...HoldKeys, ...string[]]): Promise<(string | null)[]>;
}

/**
 * Stock in Redis, shared by every catalog replica. Keys (readable with redis-cli):
 * `shop:{stock}:levels` (hash: product id → units), `shop:{stock}:seeded` (seed marker),
 * `shop:{stock}:reservation:<order id>` (the answer, expiring after the TTL), and for held
 * reservations `shop:{stock}:holds` (sorted set: order id → expiry, ms on the server clock) and
 * `shop:{stock}:hold-lines` (hash: order id → the held lines). Every change is one Lua script, so
 * concurrent replicas never give back a hold twice nor a confirmed order's units. Works on
 * standalone, Sentinel and Cluster. While Redis is unreachable, calls fail fast with UNAVAILABLE;
 * when it comes back empty (restarted without persistence), the store seeds it again.
 */
export class RedisStockStore implements StockStore {
  private readonly keyPrefix: string;
  private readonly ttlMs: number;
  private readonly holdMs: number;
  private readonly scripts: Scripts;
  private readonly ownsClient: boolean;
  private readonly label: string;
  private lastConnectionError: Error | undefined;
  private seeded: ReadonlyMap<string, number> | undefined;

  /**
   * Uses `client`; `close()` quits it only if `ownsClient`. `label` names it in errors (a redacted URL).
   * @throws InvalidArgumentError naming `holdMs` when it is not a positive integer (ms, at most a day).
   */
  constructor(
    private readonly client: Client,
    options: RedisStockStoreOptions & { ownsClient?: boolean; label?: string } = {},
  ) {
    const resolved = withDefaults(DEFAULT_REDIS_STOCK_STORE_OPTIONS, options);
    if (!/\{[^}]+\}/.test(resolved.keyPrefix)) {
      throw new TypeError(`RedisStockStore: keyPrefix "${resolved.keyPrefix}" needs a {hash tag}`);
    }
    this.keyPrefix = resolved.keyPrefix;
    this.ttlMs = resolved.reservationTtlMs;
    this.holdMs = checkPositiveInteger('holdMs', resolved.holdMs, 86_400_000);
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
    client.defineCommand('shopStockReserve', { numberOfKeys: 5, lua: RESERVE });
    client.defineCommand('shopStockConfirm', { numberOfKeys: 4, lua: CONFIRM });
    client.defineCommand('shopStockRelease', { numberOfKeys: 4, lua: RELEASE });
    client.defineCommand('shopStockLevels', { numberOfKeys: 3, lua: LEVELS });
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
    const read = () => this.run(() => this.scripts.shopStockLevels(...this.holdKeys(), ...productIds));
    let values = await read();
    // Not one seeded product has a level: Redis lost its data (see RESERVE). Seed it again rather
    // than show everything sold out until a reconnect (there may be none, e.g. after FLUSHALL).
    if (values.every((value) => value === null) && productIds.some((id) => this.seeded?.has(id))) {
      await this.seed(this.seeded as ReadonlyMap<string, number>);
      values = await read();
    }
    return new Map(productIds.map((id, index) => [id, Math.max(0, Number(values[index] ?? 0))]));
  }

  async reserve(
    orderId: string,
    lines: readonly StockRequestLine[],
    options: ReserveOptions = {},
  ): Promise<Reservation> {
    const merged = mergeLines(lines);
    const args = merged.flatMap((line) => [line.productId, line.quantity]);
    const reserve = () =>
      this.run(() =>
        this.scripts.shopStockReserve(
          ...this.holdKeys(),
          this.key(`reservation:${orderId}`),
          this.key('seeded'),
          this.ttlMs,
          linesFingerprint(merged),
          options.hold ? this.holdMs : 0,
          orderId,
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

  async confirm(orderId: string): Promise<boolean> {
    const confirmed = await this.run(() =>
      this.scripts.shopStockConfirm(...this.holdKeys(), this.key(`reservation:${orderId}`), this.ttlMs, orderId),
    );
    return confirmed === 1;
  }

  async release(orderId: string): Promise<ReleaseOutcome> {
    return (await this.run(() =>
      this.scripts.shopStockRelease(...this.holdKeys(), this.key(`reservation:${orderId}`), orderId),
    )) as ReleaseOutcome;
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.quit().catch(() => this.client.disconnect());
  }

  toString(): string {
    return `RedisStockStore(keyPrefix=${this.keyPrefix}, reservationTtlMs=${this.ttlMs}, holdMs=${this.holdMs})`;
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

  /** The keys every script that gives back expired holds starts with. */
  private holdKeys(): HoldKeys {
    return [this.key('levels'), this.key('holds'), this.key('hold-lines')];
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
