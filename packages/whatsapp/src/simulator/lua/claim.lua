-- claim.lua: a socket takes over a linked session (open, reconnect, or the
-- control's `replace`). The last claim wins; the others see 'claimed' and
-- become `replaced`, and send.lua refuses them.
-- KEYS[1] session hash (P:{sim}:session:<sid>)
-- ARGV[1] socket id  ARGV[2] event channel
-- reply: {'linked', number} | {status, ''} with status 'unlinked' | 'logged_out' | 'banned'
local status = redis.call('HGET', KEYS[1], 'status') or 'unlinked'
if status ~= 'linked' then return {status, ''} end
redis.call('HSET', KEYS[1], 'socket', ARGV[1])
redis.call('PUBLISH', ARGV[2], cjson.encode({type = 'claimed', socket = ARGV[1]}))
return {'linked', redis.call('HGET', KEYS[1], 'number') or ''}
