-- Acquire a shard lease and stamp it with a fresh fencing epoch, atomically.
-- KEYS[1]  lease key  ${prefix}:lease:{sN}
-- KEYS[2]  epoch key  ${prefix}:epoch:{sN}   (same hash tag as KEYS[1])
-- ARGV[1]  worker id
-- ARGV[2]  lease ttl in milliseconds
-- ARGV[3]  durable floor: the highest epoch ever recorded outside Redis (decimal, "0" if none)
-- Reply:   the new epoch as a decimal string, or nil if the lease is held.
-- The epoch key never expires, so epochs keep increasing across lease expiry;
-- the floor keeps them increasing even when Redis lost the counter itself.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return false
end
local next = redis.call('INCR', KEYS[2])
if next <= tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], ARGV[3])
  redis.call('INCR', KEYS[2])
end
-- Read back as a string: Lua numbers are doubles and tostring() switches to
-- exponent notation for large integers.
local epoch = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. epoch, 'PX', ARGV[2])
return epoch
