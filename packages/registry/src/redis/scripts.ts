/**
 * The Lua scripts behind every registry mutation. Each runs atomically on the server and reads the
 * server clock (`TIME`), so leases never depend on the callers' clocks. KEYS are always, in order:
 * instances, gens, leases, tombstones, rev (see keys.ts); ARGV[1] is the events channel.
 *
 * Generations: every registration gets a generation (the server time in µs when it was created).
 * The `gens` hash says which generation owns an id; a tombstone `id|generation` ends a generation
 * for good (deregistered, evicted or replaced), so a late heartbeat from it can never write the
 * entry back, while a vanished entry (Redis restarted, flushed, lease expired) is rewritten.
 */

const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local channel = ARGV[1]
local function publish(body)
  local rev = redis.call('INCR', KEYS[5])
  redis.call('PUBLISH', channel, '{"rev":' .. rev .. ',' .. body .. '}')
end
local function drop(id)
  redis.call('HDEL', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
end
local function sweep(limit)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(expired) do
    drop(id)
    publish('"type":"down","id":' .. cjson.encode(id) .. ',"reason":"expired"')
  end
  return #expired
end
`;

/**
 * Heartbeat: ARGV id, generation, ttlMs. One round trip, no payload. Returns {status, serverNowMs}:
 * 1 refreshed; 0 entry missing (caller rewrites it in full); -1 superseded by another generation;
 * -2 this generation was ended (tombstone). Also sweeps a few expired peers, so expiry is noticed
 * even when nobody watches.
 */
export const HEARTBEAT = `${PRELUDE}
local id, gen, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4])
local owner = redis.call('HGET', KEYS[2], id)
local status
if owner == gen then
  if redis.call('HEXISTS', KEYS[1], id) == 1 then
    redis.call('ZADD', KEYS[3], now + ttl, id)
    status = 1
  else
    status = 0
  end
elseif owner then
  status = -1
elseif redis.call('ZSCORE', KEYS[4], id .. '|' .. gen) then
  status = -2
else
  status = 0
end
sweep(8)
return {status, now}
`;

/**
 * Register or rewrite: ARGV id, generation ('' for a new registration), instance JSON, ttlMs,
 * tombstoneTtlMs. A new registration takes the id from any previous owner (ending that owner's
 * generation with a tombstone). A rewrite (generation given) is refused if another generation owns
 * the id (-1) or this one was ended (-2). Returns {status, generation, serverNowMs}.
 */
export const REGISTER = `${PRELUDE}
local id, gen, json, ttl, tombTtl = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local owner = redis.call('HGET', KEYS[2], id)
if gen == '' then
  gen = t[1] .. string.rep('0', 6 - #t[2]) .. t[2]
  if owner then redis.call('ZADD', KEYS[4], now + tombTtl, id .. '|' .. owner) end
else
  if owner and owner ~= gen then return {-1, gen, now} end
  if redis.call('ZSCORE', KEYS[4], id .. '|' .. gen) then return {-2, gen, now} end
end
local existed = redis.call('HEXISTS', KEYS[1], id) == 1
redis.call('HSET', KEYS[1], id, json)
redis.call('HSET', KEYS[2], id, gen)
redis.call('ZADD', KEYS[3], now + ttl, id)
publish('"type":"' .. (existed and 'update' or 'up') .. '","instance":' .. json)
return {1, gen, now}
`;

/**
 * Update: ARGV id, generation, instance JSON. Returns 1 written; 0 missing (caller rewrites);
 * -1 superseded; -2 ended. Does not touch the lease.
 */
export const UPDATE = `${PRELUDE}
local id, gen, json = ARGV[2], ARGV[3], ARGV[4]
local owner = redis.call('HGET', KEYS[2], id)
if owner == gen and redis.call('HEXISTS', KEYS[1], id) == 1 then
  redis.call('HSET', KEYS[1], id, json)
  publish('"type":"update","instance":' .. json)
  return 1
elseif owner and owner ~= gen then
  return -1
elseif redis.call('ZSCORE', KEYS[4], id .. '|' .. gen) then
  return -2
end
return 0
`;

/**
 * Deregister: ARGV id, generation, tombstoneTtlMs. Ends the generation (tombstone) and removes the
 * entry if this generation owns it. Returns 1 removed, 0 not the owner (nothing removed).
 */
export const DEREGISTER = `${PRELUDE}
local id, gen, tombTtl = ARGV[2], ARGV[3], tonumber(ARGV[4])
redis.call('ZADD', KEYS[4], now + tombTtl, id .. '|' .. gen)
if redis.call('HGET', KEYS[2], id) == gen then
  drop(id)
  publish('"type":"down","id":' .. cjson.encode(id) .. ',"reason":"deregistered"')
  return 1
end
return 0
`;

/**
 * Evict (operator action): ARGV id, tombstoneTtlMs. Removes whatever generation owns the id and
 * ends it, so the evicted process cannot write itself back. Returns 1 removed, 0 unknown id.
 */
export const EVICT = `${PRELUDE}
local id, tombTtl = ARGV[2], tonumber(ARGV[3])
local owner = redis.call('HGET', KEYS[2], id)
if not owner and redis.call('HEXISTS', KEYS[1], id) == 0 then return 0 end
if owner then redis.call('ZADD', KEYS[4], now + tombTtl, id .. '|' .. owner) end
drop(id)
publish('"type":"down","id":' .. cjson.encode(id) .. ',"reason":"deregistered"')
return 1
`;

/**
 * List: returns {rev, ids, values} for unexpired leases, values from the instances hash (nil where
 * missing). HMGET runs in chunks so large services stay within Lua's unpack limit.
 */
export const LIST = `${PRELUDE}
local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. now, '+inf')
local values = {}
for i = 1, #ids, 500 do
  local chunk = {}
  for j = i, math.min(i + 499, #ids) do chunk[#chunk + 1] = ids[j] end
  local got = redis.call('HMGET', KEYS[1], unpack(chunk))
  for j = 1, #chunk do values[#values + 1] = got[j] end
end
return {redis.call('GET', KEYS[5]) or '0', ids, values}
`;

/** Sweep: ARGV limit. Removes expired entries (publishing `down`/`expired`) and old tombstones. */
export const SWEEP = `${PRELUDE}
local removed = sweep(tonumber(ARGV[2]))
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
return removed
`;

/** Live count: the number of unexpired leases. */
export const LIVE_COUNT = `${PRELUDE}
return redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')
`;
