-- Mark a worker alive until Redis-now + ttl, prune expired workers, count the rest.
-- KEYS[1]  workers sorted set  ${prefix}:workers  (score = expiry, ms, Redis clock)
-- ARGV[1]  worker id
-- ARGV[2]  ttl in milliseconds
-- Reply:   number of live workers, this one included.
-- Redis TIME, not the callers' clocks, so skewed hosts agree on who is alive.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
