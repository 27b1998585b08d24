-- Record a tenant restriction, keeping the later end if one is already set.
-- KEYS[1]  ${p}:restrict:{sN}:${chatId}:${kind}   value = end (epoch ms), expires at that end (PXAT)
-- ARGV[1]  end of the restriction, epoch ms (integer)
-- Reply:   the end now in force (epoch ms, integer)
local untilMs = tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur >= untilMs then return cur end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[1])
return untilMs
