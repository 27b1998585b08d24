-- drop.lua: end a link from the phone side: a logout (the number is freed) or
-- a ban (the number stays attached to the banned session).
-- KEYS[1] session hash (P:{sim}:session:<sid>)
-- ARGV[1] sid  ARGV[2] now ms  ARGV[3] key base 'P:{sim}:'  ARGV[4] event channel
-- ARGV[5] 'logged_out' | 'banned'
-- reply: {previous status} ('linked', 'banned', 'logged_out' or 'unlinked');
--        acts only on a linked session (a logout also on a banned one)
local status = redis.call('HGET', KEYS[1], 'status') or 'unlinked'
local mode = ARGV[5]
if status ~= 'linked' and not (mode == 'logged_out' and status == 'banned') then
  return {status}
end
if mode == 'logged_out' then
  local canon = redis.call('HGET', KEYS[1], 'canonical')
  if canon and redis.call('GET', ARGV[3] .. 'number:' .. canon) == ARGV[1] then
    redis.call('DEL', ARGV[3] .. 'number:' .. canon)
  end
  redis.call('HDEL', KEYS[1], 'number', 'canonical', 'socket', 'linkedAt', 'bannedAt')
  redis.call('HSET', KEYS[1], 'status', 'logged_out', 'loggedOutAt', ARGV[2])
else
  redis.call('HDEL', KEYS[1], 'socket')
  redis.call('HSET', KEYS[1], 'status', 'banned', 'bannedAt', ARGV[2])
end
redis.call('PUBLISH', ARGV[4], cjson.encode({type = mode}))
return {status}
