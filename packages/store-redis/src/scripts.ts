/**
 * The Lua scripts: one per write, so an event's count, user and sum change together.
 *
 * The exact sum is T = Σ limb[i]·2^(32i) in units of 2^-1074, as in core's `ExactSumState`:
 * hash field i holds limb i, every limb but the last (66) in [0, 2^32), the last signed. A
 * write sends the increment as a normalised state (TypeScript computes it with core's
 * `ExactSum`, so the script never decomposes a double): `ARGV` limbs d[i] with d[i] in
 * [0, 2^32) except the last, |last| ≤ 2^52. The script adds and carries.
 *
 * Why every number stays below 2^53 (Lua numbers are doubles; integers are exact below it):
 * v = limb + d + carry with limb in [0, 2^32), |d| ≤ 2^52, |carry| ≤ 2^20 + 1, so |v| < 2^53;
 * the next carry is floor(v / 2^32), |carry| ≤ 2^21 (a division by a power of two, exact);
 * v − carry·2^32 is exact. limb 66 grows by at most one per 2^14 additions of ±MAX_VALUE (a
 * double is below 2^2098 units, limb 66 weighs 2^2112), the same bound core's accumulator has;
 * the read refuses a limb 66 past 2^52 (core's `merge` checks it). Redis turns a Lua number
 * argument into its decimal digits exactly ("%.17g"), and a reply field back with tonumber.
 *
 * `#!lua` (no `no-writes` flag) makes Redis 7 refuse a write script before it runs when it is
 * out of memory (`maxmemory` + `noeviction`): an OOM never leaves half a group applied.
 */

/**
 * KEYS: count, users, sum. ARGV: deadline (ms since the epoch), events, limbs L, d[0..L-1],
 * user ids… A script that starts after its deadline changes nothing: its caller has given up
 * (answered 503), so a write held up by a slow or paused server is not counted later.
 */
export const RECORD_SCRIPT = `#!lua
local now = redis.call('TIME')
if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > tonumber(ARGV[1]) then
  return redis.error_reply('EXPIRED the caller gave up on this write before it ran')
end
local n = tonumber(ARGV[2])
local L = tonumber(ARGV[3])
local TWO32 = 4294967296
local carry = 0
local i = 0
while i < L or (carry ~= 0 and i < 67) do
  local d = carry
  if i < L then d = d + tonumber(ARGV[4 + i]) end
  carry = 0
  if d ~= 0 then
    local v = tonumber(redis.call('HGET', KEYS[3], i) or '0') + d
    if i < 66 then
      carry = math.floor(v / TWO32)
      v = v - carry * TWO32
    end
    if v == 0 then redis.call('HDEL', KEYS[3], i) else redis.call('HSET', KEYS[3], i, v) end
  end
  i = i + 1
end
redis.call('INCRBY', KEYS[1], n)
local first = 4 + L
local last = #ARGV
-- unpack takes at most a few thousand values at a time (Lua's C stack).
while first <= last do
  local upto = math.min(first + 999, last)
  redis.call('SADD', KEYS[2], unpack(ARGV, first, upto))
  first = upto + 1
end
return n
`;

/** KEYS: count, users, sum. Returns { count, unique users, flat [field, limb, …] }. */
export const READ_SCRIPT = `#!lua flags=no-writes
return { redis.call('GET', KEYS[1]) or '0', redis.call('SCARD', KEYS[2]), redis.call('HGETALL', KEYS[3]) }
`;

/** KEYS: count, users, sum. Allowed when out of memory: it frees memory. */
export const RESET_SCRIPT = `#!lua flags=allow-oom
return redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
`;
