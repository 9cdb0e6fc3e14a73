/**
 * The Lua scripts behind every registry mutation and read. Each runs atomically on the server and
 * reads the server clock (`TIME`), so leases never depend on the callers' clocks. KEYS are always,
 * in order: instances, gens, leases, tombstones, rev (see keys.ts); ARGV[1] is the events channel.
 *
 * Generations: every registration gets a generation (the server time in µs when it was created).
 * The `gens` hash says which generation owns an id; a tombstone `id|generation` ends a generation
 * for good (deregistered, evicted or replaced), so a late heartbeat from it can never write the
 * entry back, while a vanished entry (Redis restarted, flushed, lease expired) is rewritten.
 *
 * Leases: each registration owns a lease key `<prefix>lease:<id>:<generation>` with a native
 * Redis TTL (server clock). A heartbeat is a plain `PEXPIRE` of that key: no script, no payload,
 * the cheapest call Redis has, and it fails (returns 0) exactly when the generation no longer owns a
 * live lease. The `leases` sorted set is an index of *lower bounds* of lease expiries: a lease can
 * only be later than its index entry. Sweeps (and reads) look only at index entries that are due,
 * re-index the ones whose lease key is still alive (from its PTTL) and drop the rest as expired,
 * so expiry is detected within the TTL plus the sweep interval while heartbeats stay native.
 * Lease keys are derived from KEYS[1] (same hash tag, so the same Cluster slot).
 */

/** Server clock, channel and key prefix: every script starts with these. */
const CLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local channel = ARGV[1]
local prefix = string.sub(KEYS[1], 1, -10)
local function leaseKey(id, gen) return prefix .. 'lease:' .. id .. ':' .. gen end
local routeKey = prefix .. 'route'
`;

/**
 * A gap between watcher sweeps longer than this (or than 3 of their intervals, when they sweep
 * less often) means Redis (or every sweeper) was stalled.
 */
const STALL_MS = 2_000;
/**
 * How long the mark a watcher sweep leaves lasts. Only a mark shows that watchers were sweeping,
 * so only a stall shorter than this gets a grace period; and once the last watcher has gone, reads
 * (which leave no mark) stop reading the silence as a stall after this long.
 */
const SWEEP_MARK_TTL_MS = 120_000;
/**
 * How long a vacant service's revision outlives it (see retired()): a day, as the default tombstone,
 * so a service that comes back within it continues its count and one that does not leaves nothing.
 */
const RETIRED_REVISION_TTL_MS = 86_400_000;
/** How long a lease that expired during a stall waits for its owner to write it back. */
const GRACE_MS = 5_000;

/** Due entries a sweep reads generations and writes bounds for per call (2 × this stays within unpack's limit). */
const SWEEP_CHUNK = 500;

/** Helpers for scripts that change entries. */
const HELPERS = `
-- A missing revision (Redis restarted or flushed, without a reconnect every watcher saw) starts
-- again from the server time in µs, never from 1: watchers ignore revisions at or below their
-- own, so counting from 1 again hid every change until the count passed theirs, and a periodic
-- check that met the same number by chance called the stale view current. (%d: Lua would print
-- a 16-digit number in exponent form.)
-- The message that starts a count says so ("first"), so a watcher that listed while there was no
-- count (a new service: revision 0) takes it as the next change, not as a gap to resync over.
local function publish(body)
  local rev, first = 0, ''
  if redis.call('GET', KEYS[5]) then
    rev = redis.call('INCR', KEYS[5])
    -- A change after the service was found vacant: the revision lives for good again (see retired;
    -- a SET, which ends a TTL, rather than PERSIST: no command beyond the documented ACL's).
    if redis.call('PTTL', KEYS[5]) >= 0 then redis.call('SET', KEYS[5], string.format('%d', rev)) end
  else
    rev = tonumber(t[1]) * 1000000 + tonumber(t[2])
    first = '"first":true,'
    redis.call('SET', KEYS[5], string.format('%d', rev))
  end
  redis.call('PUBLISH', channel, '{"rev":' .. string.format('%d', rev) .. ',' .. first .. body .. '}')
end
-- How long a silence since the last watcher sweep (watchers sweeping every \`every\` ms) must last
-- before it counts as a Redis stall; sweeps and FORGET_SWEEPS must agree on it.
local function stallAfter(every)
  return math.max(${STALL_MS}, 3 * every)
end
-- Tombstones past their time go with any write that adds one: a service nobody watches (so no
-- sweep runs) otherwise kept one per deregistration for good.
local function trimTombstones()
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
end
-- Ends a generation for good (see the file's comment): trims the old tombstones first, and keeps
-- the set's own TTL at its latest tombstone's expiry, so a service nobody writes to again (retired)
-- does not keep the set for good either; Redis deleting it then is what trimming would do.
local function addTombstone(id, gen, ttl)
  trimTombstones()
  redis.call('ZADD', KEYS[4], now + ttl, id .. '|' .. gen)
  -- This one's expiry, unless one expires later (the set's TTL is then that one's already; a set
  -- written by an older version, with none, keeps none until its latest tombstone is added).
  if redis.call('ZCOUNT', KEYS[4], '(' .. (now + ttl), '+inf') == 0 then redis.call('PEXPIRE', KEYS[4], ttl) end
end
-- Under maxmemory with the noeviction policy, Redis refuses a script's write of a command that may
-- grow memory (SET, ZADD, SADD, INCR) if it is the script's first write, and lets every later write
-- of a script that has written through (it cannot stop a script halfway). Sweeps only rewrite what is
-- there (index bounds, marks) or remove entries, and they must go on then: when a sweep's first write
-- was a ZADD or a SET, every read failed with OOM as soon as a live entry fell due (list(), services(),
-- the first list of a new watch, so a new discovery never got ready), and watchers swept nothing
-- (a crashed instance stayed in every view until memory was freed). So a sweep that writes starts
-- with trimTombstones (ZREMRANGEBYSCORE, which only frees memory): real work, and it lets the rest
-- through. A sweep with nothing to write writes nothing (a read-only user can still list then).
local writing = false
local function startWriting()
  if writing then return end
  writing = true
  trimTombstones()
end
local function drop(id)
  local gen = redis.call('HGET', KEYS[2], id)
  if gen then redis.call('DEL', leaseKey(id, gen)) end
  redis.call('HDEL', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  -- A grace given during a stall goes with the entry: left behind, the id (used again by a
  -- restarted instance) got no grace in a later stall.
  redis.call('SREM', prefix .. 'graced', id)
end
-- Looks at index entries that are due: re-indexes live leases, drops (and announces) dead ones.
-- Returns how many due entries it looked at (a full batch means more may be due).
-- If watchers were sweeping and then no sweep ran for a while (Redis was frozen or unreachable,
-- so owners could not heartbeat while its clock ran on), a lease found expired is given one grace
-- period before it is dropped: its owner writes it back as soon as it can reach Redis again.
-- Only watcher sweeps (given their interval) leave the marks: \`swept\` (when) and \`sweepEvery\`
-- (their interval; two keys, so that a client of an earlier version still reads \`swept\` as a
-- number). A read leaves none, so reads alone (nobody watches) are never taken for a stall,
-- however far apart: they used to be, and a dead instance then stayed listed for a grace period.
-- Entries the index lost (the whole \`leases\` key evicted under an allkeys-* maxmemory policy, an
-- idle key being a first candidate, or deleted by hand) are indexed again as due, so the sweep below
-- re-indexes each one from its lease or drops it as expired. Without this an instance whose index
-- entry was gone was never listed again, though its heartbeats (a PEXPIRE of its lease) went on
-- succeeding, and one that died stayed in the instances hash and in watchers' views for good.
-- Two O(1) calls when nothing is lost. (pcall: an instances key of another type is garbage that the
-- reads around it already skip; it must not fail the sweep here.)
local function reindexLost()
  local entries = redis.pcall('HLEN', KEYS[1])
  if type(entries) ~= 'number' or entries <= redis.call('ZCARD', KEYS[3]) then return end
  startWriting()
  for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do
    if not redis.call('ZSCORE', KEYS[3], id) then redis.call('ZADD', KEYS[3], now, id) end
  end
end
-- Entries the instances hash lost (the whole key evicted, an idle key under allkeys-*, or deleted)
-- while their owners live on: each heartbeat (a PEXPIRE of the lease) kept succeeding, so nothing
-- wrote them back until some list() came by, and until then every list() and new watch found the
-- service empty. Their generations are forgotten and their leases ended (as LIST does for one
-- entry), so each owner's next heartbeat finds no lease and writes its entry back in full; its index
-- entry stays, so an owner that never comes back is announced down/expired when it falls due. Two
-- O(1) calls when nothing is lost (gens and instances are written and removed together). (pcall:
-- keys of another type are garbage the reads already skip.)
local function forgetLost()
  local entries, owned = redis.pcall('HLEN', KEYS[1]), redis.pcall('HLEN', KEYS[2])
  if type(entries) ~= 'number' or type(owned) ~= 'number' or entries >= owned then return end
  startWriting()
  for _, id in ipairs(redis.call('HKEYS', KEYS[2])) do
    if redis.call('HEXISTS', KEYS[1], id) == 0 then
      redis.call('DEL', leaseKey(id, redis.call('HGET', KEYS[2], id)))
      redis.call('HDEL', KEYS[2], id)
    end
  end
end
-- Whether nothing is left that the service's name in the services index stands for: no entry, no
-- index entry (a lease in its stall grace period is one) and no stored route rule (a rule applies
-- again as soon as an instance comes back, so its service stays named; '' is a cleared rule). The
-- caller then asks the index to drop the name (see INDEX_SERVICE). (pcall: a key of another type is
-- garbage; such a service is not vacant, so nothing is removed on a guess.)
local function vacant()
  if redis.pcall('HLEN', KEYS[1]) ~= 0 or redis.pcall('ZCARD', KEYS[3]) ~= 0 then return false end
  local rule = redis.pcall('GET', routeKey)
  return rule == false or rule == ''
end
-- vacant(), for a script that writes: a vacant service's revision (and cleared rule) expire after
-- RETIRED_REVISION_TTL_MS, so a retired service leaves nothing behind for good (its tombstones
-- expire on their own: see addTombstone). A change before then persists it again (publish); one
-- after starts a new count from the server time, which watchers take as such ("first").
local function retired()
  if not vacant() then return false end
  redis.call('PEXPIRE', KEYS[5], ${RETIRED_REVISION_TTL_MS})
  -- A cleared rule's '' (which tells watchers it was cleared, not lost) goes with it: by then every
  -- watcher has resynced many times over. A rule set again is a plain SET, which ends the TTL.
  if redis.call('GET', routeKey) == '' then redis.call('PEXPIRE', routeKey, ${RETIRED_REVISION_TTL_MS}) end
  return true
end
-- Entries this script dropped as expired (a sweep that empties the service says so, see SWEEP).
local dropped = 0
local function sweep(limit, interval)
  reindexLost()
  forgetLost()
  local sweptKey, everyKey, gracedKey = prefix .. 'swept', prefix .. 'sweepEvery', prefix .. 'graced'
  local last = tonumber(redis.call('GET', sweptKey) or '0') or 0
  local every = tonumber(redis.call('GET', everyKey) or '0') or 0
  if interval then
    startWriting()
    every = math.max(every, interval)
    redis.call('SET', sweptKey, now, 'PX', ${SWEEP_MARK_TTL_MS})
    redis.call('SET', everyKey, interval, 'PX', ${SWEEP_MARK_TTL_MS})
  end
  local stalled = last > 0 and now - last > stallAfter(every)
  local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, limit)
  if #due == 0 then return 0 end
  startWriting()
  -- A stall's backlog can take more than one call: a watcher sweeps it in batches, and a read may
  -- come between them. Only the first call still sees the old mark (a watcher's renews it), so it
  -- remembers the stall for one grace period; without that, every lease after the first batch was
  -- dropped as expired (a flood of \`down\` events for live instances after Redis froze).
  local stallKey = prefix .. 'stall'
  if stalled then
    redis.call('SET', stallKey, now, 'PX', ${GRACE_MS})
  elseif redis.call('GET', stallKey) then
    stalled = true
  end
  -- Almost always empty: then a live lease needs no SREM (one call fewer per re-indexed entry).
  -- (SMEMBERS, not EXISTS: it is already in the registry's least-privilege ACL; the set is tiny.)
  local anyGraced = #redis.call('SMEMBERS', gracedKey) > 0
  -- In chunks (Lua's unpack limit), one HMGET of the generations and one ZADD of every live
  -- lease's new bound per chunk: a due entry then costs one PTTL of its own, not three calls.
  for first = 1, #due, ${SWEEP_CHUNK} do
    local ids = {}
    for i = first, math.min(first + ${SWEEP_CHUNK - 1}, #due) do ids[#ids + 1] = due[i] end
    local gens = redis.call('HMGET', KEYS[2], unpack(ids))
    local bounds = {}
    for i, id in ipairs(ids) do
      local gen = gens[i]
      local ttl = gen and redis.call('PTTL', leaseKey(id, gen)) or -2
      if ttl > 0 then
        bounds[#bounds + 1] = now + ttl
        bounds[#bounds + 1] = id
        if anyGraced then redis.call('SREM', gracedKey, id) end
      elseif stalled and gen and redis.call('SADD', gracedKey, id) == 1 then
        redis.call('ZADD', KEYS[3], now + ${GRACE_MS}, id)
      else
        drop(id) -- (which also takes the id out of the graced set)
        dropped = dropped + 1
        publish('"type":"down","id":' .. cjson.encode(id) .. ',"reason":"expired"')
      end
    end
    if #bounds > 0 then redis.call('ZADD', KEYS[3], unpack(bounds)) end
  end
  return #due
end
`;

/**
 * Whether `owner`, the generation the gens hash names for `id`, is *older* than generation `gen`,
 * which asks to keep or rewrite the entry. A newer registration always ends the older one (the
 * gen '' path of REGISTER tombstones it), so an older owner can only be there again because Redis
 * lost that takeover: a restart without persistence, a restore from an older snapshot, a lagging
 * replica promoted. After a restart the older registration may even heartbeat first and write its
 * entry back, live lease and all. The newer generation then takes the id over (and ends the older
 * one), instead of being told it was superseded and stopping for good while its process is healthy.
 * (A newer owner always wins: that is a real replacement.)
 */
const OLDER_OWNER = `
local function olderOwner(owner, gen)
  return tonumber(owner) ~= nil and tonumber(gen) ~= nil and tonumber(owner) < tonumber(gen)
end
`;

const PRELUDE = CLOCK + HELPERS + OLDER_OWNER;

/** How many due index entries a read looks at per call (all of them, in practice). */
const READ_SWEEP_LIMIT = 100_000;

/**
 * Slow heartbeat, for when the fast `PEXPIRE` found no lease: ARGV id, generation, ttlMs. Returns
 * 1 lease written again (the owner stalled past its TTL but was not swept yet); 0 entry missing
 * (caller rewrites it in full); -1 superseded by another generation; -2 this generation was ended.
 */
export const HEARTBEAT = `${CLOCK}${OLDER_OWNER}
local id, gen, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4])
local owner = redis.call('HGET', KEYS[2], id)
-- An older generation owns the id again (see OLDER_OWNER): the caller rewrites the entry in full,
-- and REGISTER's rewrite takes the id over from it.
if owner and owner ~= gen and olderOwner(owner, gen) then return 0 end
if owner == gen then
  if redis.call('HEXISTS', KEYS[1], id) == 0 then return 0 end
  redis.call('SET', leaseKey(id, gen), ttl, 'PX', ttl)
  redis.call('ZADD', KEYS[3], now + ttl, id)
  return 1
elseif owner then
  return -1
elseif redis.call('ZSCORE', KEYS[4], id .. '|' .. gen) then
  return -2
end
return 0
`;

/**
 * Register or rewrite: ARGV id, generation ('' for a new registration), instance JSON, ttlMs,
 * tombstoneTtlMs. A new registration takes the id from any previous owner (ending that owner's
 * generation with a tombstone and deleting its lease). A rewrite (generation given) is refused if
 * another generation owns the id (-1) or this one was ended (-2). Returns {status, generation}.
 */
export const REGISTER = `${PRELUDE}
local id, gen, json, ttl, tombTtl = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local owner = redis.call('HGET', KEYS[2], id)
if gen == '' then
  gen = t[1] .. string.rep('0', 6 - #t[2]) .. t[2]
  if owner then
    addTombstone(id, owner, tombTtl)
    redis.call('DEL', leaseKey(id, owner))
  end
else
  if owner and owner ~= gen and not olderOwner(owner, gen) then return {-1, gen} end
  -- Refused before anything is written (Redis does not undo a script's writes when it returns): an
  -- ended generation used to end an older owner first, then be refused itself. Generations are
  -- server time, which can step back (NTP, a failover to a master whose clock is behind), so the
  -- owner may be a live newcomer: its lease was deleted and a tombstone barred it for good.
  if redis.call('ZSCORE', KEYS[4], id .. '|' .. gen) then return {-2, gen} end
  if owner and owner ~= gen then
    -- Take the id back from an older generation Redis brought back: end it, as a new registration would.
    addTombstone(id, owner, tombTtl)
    redis.call('DEL', leaseKey(id, owner))
  end
end
local existed = redis.call('HEXISTS', KEYS[1], id) == 1
redis.call('HSET', KEYS[1], id, json)
redis.call('HSET', KEYS[2], id, gen)
redis.call('SET', leaseKey(id, gen), ttl, 'PX', ttl)
redis.call('ZADD', KEYS[3], now + ttl, id)
publish('"type":"' .. (existed and 'update' or 'up') .. '","instance":' .. json)
return {1, gen}
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
elseif owner and owner ~= gen and not olderOwner(owner, gen) then
  return -1
elseif redis.call('ZSCORE', KEYS[4], id .. '|' .. gen) then
  return -2
end
return 0
`;

/**
 * Deregister: ARGV id, generation, tombstoneTtlMs. Ends the generation (tombstone, lease deleted)
 * and removes the entry if this generation owns it. Returns {1 removed | 0 not the owner, vacant}:
 * vacant 1 when nothing of the service is left (the caller then takes its name out of the index).
 */
export const DEREGISTER = `${PRELUDE}
local id, gen, tombTtl = ARGV[2], ARGV[3], tonumber(ARGV[4])
addTombstone(id, gen, tombTtl)
redis.call('DEL', leaseKey(id, gen))
local removed = 0
if redis.call('HGET', KEYS[2], id) == gen then
  drop(id)
  publish('"type":"down","id":' .. cjson.encode(id) .. ',"reason":"deregistered"')
  removed = 1
end
-- Vacant also when not the owner: an entry already swept as expired leaves nobody else to say so.
return {removed, retired() and 1 or 0}
`;

/**
 * Evict (operator action): ARGV id, tombstoneTtlMs, expected generation ('' for any). Removes the
 * generation that owns the id and ends it, so the evicted process cannot write itself back; an
 * expected generation that owns nothing any more (expired and swept) is ended too.
 * Returns {status, vacant}: status 1 removed, 0 unknown id, -1 owned by another generation than
 * the one expected (nothing removed: the registration an operator confirmed was replaced meanwhile,
 * e.g. a restarted pod that kept its id, and evicting the newcomer would take a healthy process out
 * for good); vacant as DEREGISTER's.
 */
export const EVICT = `${PRELUDE}
local id, tombTtl, expected = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local owner = redis.call('HGET', KEYS[2], id)
-- The generation confirmed owns nothing any more: its lease ran out and a sweep dropped it (an
-- instance an operator evicts is often one hung past its TTL, which expires while the prompt waits).
-- It is barred all the same: a dropped generation writes its entry back at its next heartbeat (see
-- HEARTBEAT), so the eviction used to remove nothing, bar nothing, and the hung process came back
-- once it ran again. Nothing else is touched (the answer stays 0, or -1 for an entry of another).
if expected ~= '' and not owner then addTombstone(id, expected, tombTtl) end
if not owner and redis.call('HEXISTS', KEYS[1], id) == 0 then return {0, retired() and 1 or 0} end
if expected ~= '' and owner ~= expected then return {-1, 0} end
trimTombstones()
if owner then addTombstone(id, owner, tombTtl) end
drop(id)
publish('"type":"down","id":' .. cjson.encode(id) .. ',"reason":"deregistered"')
return {1, retired() and 1 or 0}
`;

/**
 * Withdraw a registration whose REGISTER timed out (Redis hung or slow): ARGV id, the instance JSON
 * it sent, tombstoneTtlMs. Sent right behind it on the same connection, so it runs after that
 * REGISTER if the REGISTER runs at all; removes the entry (ending its generation) only if it is
 * exactly the one sent. Without it, a register that timed out but ran once Redis caught up left an
 * entry nobody heartbeated (a service whose start failed on it), listed `up` for a whole TTL.
 * Returns {1 removed | 0 nothing of ours there, vacant} (vacant as DEREGISTER's).
 */
export const WITHDRAW = `${PRELUDE}
local id, json, tombTtl = ARGV[2], ARGV[3], tonumber(ARGV[4])
if redis.call('HGET', KEYS[1], id) ~= json then return {0, 0} end
local owner = redis.call('HGET', KEYS[2], id)
trimTombstones()
if owner then addTombstone(id, owner, tombTtl) end
drop(id)
publish('"type":"down","id":' .. cjson.encode(id) .. ',"reason":"deregistered"')
return {1, retired() and 1 or 0}
`;

/**
 * List: sweeps due index entries first (so the index is exact for every live lease), then returns
 * {rev, ids, values, route} for the indexed ids (route: the rule JSON; '' once cleared; nil when there is no
 * route key at all), values from the instances hash (nil where missing, which
 * also drops that id's generation so its owner writes it back). HMGET runs in chunks so large
 * services stay within Lua's unpack limit.
 */
export const LIST = `${PRELUDE}
sweep(${READ_SWEEP_LIMIT})
local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. now, '+inf')
local values = {}
for i = 1, #ids, 500 do
  local chunk = {}
  for j = i, math.min(i + 499, #ids) do chunk[#chunk + 1] = ids[j] end
  local got = redis.call('HMGET', KEYS[1], unpack(chunk))
  for j = 1, #chunk do
    values[#values + 1] = got[j]
    -- An entry deleted by hand: end its lease and forget its generation (no tombstone), so the
    -- owner's next heartbeat finds nothing and writes the entry back in full.
    if not got[j] then
      local gen = redis.call('HGET', KEYS[2], chunk[j])
      if gen then redis.call('DEL', leaseKey(chunk[j], gen)) end
      redis.call('HDEL', KEYS[2], chunk[j])
    end
  end
end
-- The route: its JSON, '' once cleared, nil (no key) when none was ever set or Redis lost it.
return {redis.call('GET', KEYS[5]) or '0', ids, values, redis.call('GET', routeKey)}
`;

/**
 * Set route: ARGV rule JSON ('' clears), and the revision the caller checked the rule at ('' for
 * none: a clear is never checked). Writes `<prefix>route` and publishes a `route` message with the
 * same revision counter as instance changes, so watchers order both consistently. Returns 1
 * written, 0 already stored, -1 not written because the service changed since that revision.
 *
 * The check against the instances (no version without a live instance, not all traffic to draining
 * ones: see route-check.ts) is the caller's, on what LIST returned; every change of an instance or of
 * the rule bumps the revision, so a write at the revision checked is a write of a rule that passed
 * against exactly what Redis holds now, and the caller checks again otherwise. Without it, an
 * instance that left or started draining between the check and the write let a rule through that
 * the check refuses. (A lease that lapses in that window without a sweep moves no revision: that is
 * the same as it lapsing just after the write, which no check can prevent.) Only a GET of a key of
 * the service's own slot: no new command, and nothing that Cluster would need in another slot.
 *
 * A clear also replaces a route key of the wrong type (a list, say, written by hand), which every
 * read of the service refuses (WRONGTYPE): clearing the route is the operator's repair for it.
 *
 * A clear leaves the key holding '' rather than deleting it: that is how a watcher coming back
 * from an outage tells a rule someone cleared meanwhile (the key holds '') from one Redis lost
 * (no key at all, after a restart without persistence or a flush), which it writes back
 * (RESTORE_ROUTE). Readers take '' for no rule, as they always did.
 */
export const SET_ROUTE = `${PRELUDE}
local rule, checkedAt = ARGV[2], ARGV[3]
local stored = redis.pcall('GET', routeKey)
-- A route key of the wrong type (written by hand or by a foreign tool): a clear writes over it (the
-- DEL and SET below), so clearing the route (switchyard route clear) repairs it; a rule is never
-- written over it unseen (the caller's list fails first, naming the key).
if type(stored) == 'table' and stored.err then
  if rule ~= '' then return redis.error_reply(stored.err) end
  stored = false
end
if stored == rule then return 0 end
-- (LIST answers '0' for a missing revision, so a missing one is '0' here too.)
if checkedAt and checkedAt ~= '' and (redis.call('GET', KEYS[5]) or '0') ~= checkedAt then return -1 end
if rule == '' then
  -- DEL first: under maxmemory with noeviction, Redis refuses a script's first write of a command
  -- that may grow memory (SET), and a clear (a rollback) must go through while memory is short,
  -- as it did when a clear was a DEL. Any write lets the script's later ones through.
  redis.call('DEL', routeKey)
  redis.call('SET', routeKey, '')
  publish('"type":"route","rule":null')
  retired()
else
  redis.call('SET', routeKey, rule)
  publish('"type":"route","rule":' .. rule)
end
return 1
`;

/**
 * Restore route: ARGV rule JSON (the last rule a watcher held). Writes it only if the key is
 * missing altogether (Redis lost it), never over a rule or a clear ('') written since; so of many
 * watchers racing to restore it, one writes and publishes, and the others find it there.
 * Returns 1 written back, 0 the key was there.
 */
export const RESTORE_ROUTE = `${PRELUDE}
local rule = ARGV[2]
if not redis.call('SET', routeKey, rule, 'NX') then return 0 end
publish('"type":"route","rule":' .. rule)
return 1
`;

/**
 * Canary record (see canary-record.ts): `<prefix>canary`, a STRING of JSON beside the route, in the
 * service's slot. Neither script publishes or moves the revision: nothing watches the record, and
 * the instances and rule a watcher holds do not change with it.
 *
 * SET_CANARY: ARGV the record's fields as JSON ('' clears), the revision expected ('' unconditional,
 * '0' none stored), the owner's lease (ms), the key's TTL (ms). The registry's fields (revision + 1,
 * updatedAt and the lease's expiry, on the server clock) are set here, so the check and the write
 * are one step. Returns {1, json written ('' when cleared), now} or {-1, revision found (0 none, -1
 * unreadable)}.
 */
export const SET_CANARY = `${CLOCK}
local key = prefix .. 'canary'
local fields, expected, leaseMs, ttlMs = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local stored = redis.call('GET', key)
local found = 0
if stored then
  -- Only what the client reads as a revision is one: a JSON integer from 1 to 2^53 - 2 (so that +1
  -- is still exact in JavaScript). Anything else (3.5, -4, "7", 1e300, written by hand) is a record
  -- that cannot be read (-1): a write expecting none fails, and one that replaces it starts again at
  -- revision 1. (It was taken as it came: 3.5 matched an expected 3 and was stored as 4.5, and 1e300
  -- as 1e+300, records the client could never read again.)
  local ok, record = pcall(cjson.decode, stored)
  local revision = ok and type(record) == 'table' and record.revision
  if type(revision) == 'number' and revision >= 1 and revision <= 9007199254740990
    and revision == math.floor(revision) then
    found = revision
  else
    found = -1
  end
end
if expected ~= '' and string.format('%d', found) ~= expected then return {-1, string.format('%d', found)} end
if fields == '' then
  redis.call('DEL', key)
  return {1, '', now}
end
-- The client's fields (JSON.stringify of a checked object, so never '{}') with the registry's added
-- as integer text. Not cjson.encode: it writes numbers with 14 significant digits, so a revision past
-- 14 digits was stored rounded (123456789012346 as 1.2345678901235e+14), and every later write
-- stored that same number again: two controllers expecting it both wrote.
local json = string.sub(fields, 1, -2) .. string.format(',"revision":%d,"updatedAt":%d,"leaseUntil":%d}',
  math.max(found, 0) + 1, now, now + leaseMs)
redis.call('SET', key, json, 'PX', ttlMs)
return {1, json, now}
`;

/** GET_CANARY: the record's JSON (false when none) and the server time, to tell whether its lease runs. */
export const GET_CANARY = `${CLOCK}
return {redis.call('GET', prefix .. 'canary') or '', now}
`;

/**
 * Sweep: ARGV limit, the watchers' sweep interval (ms). Re-indexes or removes due entries (publishing
 * `down`/`expired`), drops old tombstones. Returns {handled, emptied}: how many due entries it
 * handled (a full batch means the caller should go on), and 1 when it dropped the service's last
 * entry (the caller then takes its name out of the index: an expiry has no deregister to do it).
 */
export const SWEEP = `${PRELUDE}
local handled = sweep(tonumber(ARGV[2]), tonumber(ARGV[3])) -- (a watcher's sweep trims the tombstones first)
return {handled, (dropped > 0 and retired()) and 1 or 0}
`;

/**
 * Forget sweeps: a watcher that stops shortens the mark watcher sweeps leave so that it lapses just
 * before a read would take the silence for a Redis stall. Left for its 120 s, the mark made every
 * read after the last watcher left look like the end of a stall, and a dead instance stayed listed
 * for a grace period. Any watcher still sweeping marks again (for 120 s) well before that; and a
 * mark that already shows a stall is left alone, so the others still give its leases their grace.
 */
export const FORGET_SWEEPS = `${PRELUDE}
local sweptKey, everyKey = prefix .. 'swept', prefix .. 'sweepEvery'
local last = tonumber(redis.call('GET', sweptKey) or '0') or 0
local every = tonumber(redis.call('GET', everyKey) or '0') or 0
local threshold = stallAfter(every)
if last > 0 and now - last <= threshold then
  local left = math.max(1, last + threshold - now)
  redis.call('PEXPIRE', sweptKey, left)
  redis.call('PEXPIRE', everyKey, left)
end
return 1
`;

/**
 * What services() needs of one service, after sweeping due entries: {live, routed, vacant}: the
 * live instance count; 1 when a route rule is stored (malformed or not: it is there, and an operator
 * must be able to find it); 1 when nothing is left of the service (see vacant()).
 */
export const SERVICE_STATE = `${PRELUDE}
sweep(${READ_SWEEP_LIMIT})
local live = redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')
local rule = redis.pcall('GET', routeKey)
return {live, (type(rule) == 'string' and rule ~= '') and 1 or 0, vacant() and 1 or 0}
`;

/**
 * The services index: KEYS \`<ns>:services\` (the SET of names, as every version has kept it) and
 * \`<ns>:{<ns>:services}:indexed\` (HASH name → how many times a registration has claimed the name),
 * which shares the SET's Cluster slot (its hash tag is the SET's whole name). Per-service keys live
 * in other slots, so no script can check a service and change the index at once. A name is taken
 * out in three steps instead: read its claim count, check the service is vacant (SERVICE_STATE, or
 * the vacant answer of the script that emptied it), then UNINDEX_SERVICE removes the name only if
 * the count is still the one read. A register writes its entry before it claims the name (this
 * script), so one that the check missed claims after the count was read, and the removal leaves the
 * name; one that claims after the removal adds the name back. Neither is ever lost from the index.
 * ARGV[1] is the service name.
 */
export const INDEX_SERVICE = `
redis.call('SADD', KEYS[1], ARGV[1])
local claims = tonumber(redis.call('HGET', KEYS[2], ARGV[1])) or 0
redis.call('HSET', KEYS[2], ARGV[1], string.format('%d', claims + 1))
return 1
`;

/**
 * Removes a vacant service's name from the index (see INDEX_SERVICE): ARGV name, the claim count read
 * before the service was found vacant ('' when there was none). Returns 1 removed; 0 claimed since
 * (a register raced the check: the name stays).
 */
export const UNINDEX_SERVICE = `
if (redis.call('HGET', KEYS[2], ARGV[1]) or '') ~= ARGV[2] then return 0 end
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`;
