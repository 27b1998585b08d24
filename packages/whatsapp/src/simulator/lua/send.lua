-- send.lua: one outbound message through a session's socket, atomically:
-- link and socket checks, dedupe by clientMessageId, injected faults, record.
-- KEYS[1] session hash   (P:{sim}:session:<sid>)
-- KEYS[2] faults hash    (P:{sim}:faults:<sid>)
-- KEYS[3] msgs hash      (P:{sim}:msgs:<sid>)      clientMessageId -> waMessageId
-- KEYS[4] contacts set   (P:{sim}:contacts:<sid>)
-- KEYS[5] sent list      (P:{sim}:sent)
-- KEYS[6] seq counter    (P:{sim}:seq)
-- KEYS[7] dups hash      (P:{sim}:dups)
-- ARGV[1] sid  ARGV[2] socket id  ARGV[3] owner chat id  ARGV[4] to (digits)
-- ARGV[5] canonical to  ARGV[6] text  ARGV[7] clientMessageId  ARGV[8] new waMessageId
-- ARGV[9] now ms  ARGV[10] epoch  ARGV[11] transport instance id
-- reply: {'ok', waMessageId, seq} | {'dup', waMessageId}
--      | {'fault', kind, untilMs, retryAfterMs} | {'state', status} | {'replaced'}
local status = redis.call('HGET', KEYS[1], 'status') or 'unlinked'
if status ~= 'linked' then return {'state', status} end
if redis.call('HGET', KEYS[1], 'socket') ~= ARGV[2] then return {'replaced'} end

local existing = redis.call('HGET', KEYS[3], ARGV[7])
if existing then
  redis.call('HINCRBY', KEYS[7], ARGV[1], 1)
  return {'dup', existing}
end

local now = tonumber(ARGV[9])
local kind = redis.call('HGET', KEYS[2], 'kind')
if kind then
  local untilRaw = redis.call('HGET', KEYS[2], 'untilMs') or '0'
  local untilMs = tonumber(untilRaw)
  if untilMs > 0 and now >= untilMs then
    redis.call('DEL', KEYS[2])
  elseif kind ~= 'reachout_locked' or redis.call('SISMEMBER', KEYS[4], ARGV[5]) == 0 then
    local remaining = tonumber(redis.call('HGET', KEYS[2], 'remaining') or '0')
    local retryAfterMs = redis.call('HGET', KEYS[2], 'retryAfterMs') or '0'
    if remaining == 1 then
      redis.call('DEL', KEYS[2])
    elseif remaining > 1 then
      redis.call('HINCRBY', KEYS[2], 'remaining', -1)
    end
    return {'fault', kind, untilRaw, retryAfterMs}
  end
end

local seq = redis.call('INCR', KEYS[6])
redis.call('HSET', KEYS[3], ARGV[7], ARGV[8])
redis.call('SADD', KEYS[4], ARGV[5])
redis.call('RPUSH', KEYS[5], cjson.encode({
  seq = tostring(seq), at = ARGV[9], sessionId = ARGV[1], ownerChatId = ARGV[3],
  fromNumber = redis.call('HGET', KEYS[1], 'number') or '', to = ARGV[4], text = ARGV[6],
  clientMessageId = ARGV[7], waMessageId = ARGV[8], epoch = ARGV[10], instanceId = ARGV[11],
}))
return {'ok', ARGV[8], seq}
