-- qr_issue.lua: show a new QR for an unlinked session (replacing this
-- socket's previous one), unless the session got linked meanwhile.
-- KEYS[1] session hash (P:{sim}:session:<sid>)  KEYS[2] new QR key (P:{sim}:qr:<value>)
-- KEYS[3] (optional) this socket's previous QR key
-- ARGV[1] sid  ARGV[2] QR value  ARGV[3] lifetime ms  ARGV[4] expiresAt ms
-- reply: {'ok', ''} | {'linked', number} | {'banned', number}
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'linked' or status == 'banned' then
  return {status, redis.call('HGET', KEYS[1], 'number') or ''}
end
if KEYS[3] then redis.call('DEL', KEYS[3]) end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
redis.call('HSET', KEYS[1], 'qr', ARGV[2], 'qrExpiresAt', ARGV[4])
return {'ok', ''}
