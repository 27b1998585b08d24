-- Prune expired workers and list the live ones.
-- KEYS[1]  workers sorted set  ${prefix}:workers  (score = expiry, ms, Redis clock)
-- ARGV     none
-- Reply:   array of live worker ids, soonest-expiring first.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
