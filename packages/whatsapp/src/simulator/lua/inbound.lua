-- inbound.lua: a contact writes to a linked session. The message waits in the
-- session's inbox until an open, connected socket drains it.
-- KEYS[1] session hash (P:{sim}:session:<sid>)  KEYS[2] inbox list (P:{sim}:inbox:<sid>)
-- ARGV[1] message JSON  ARGV[2] event channel
-- reply: {status} — 'linked' when queued, else the status that refused it
local status = redis.call('HGET', KEYS[1], 'status') or 'unlinked'
if status ~= 'linked' then return {status} end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[2], cjson.encode({type = 'inbound'}))
return {status}
