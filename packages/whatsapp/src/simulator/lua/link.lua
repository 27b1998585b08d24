-- link.lua: link a session to a number (a QR scan). With ARGV[7] set it is a
-- scan of that QR value and only succeeds while the QR is the session's live one.
-- KEYS[1] session hash             (P:{sim}:session:<sid>)
-- KEYS[2] number key of the number (P:{sim}:number:<canonical>)
-- ARGV[1] sid  ARGV[2] number digits  ARGV[3] canonical number  ARGV[4] now ms
-- ARGV[5] key base 'P:{sim}:' (old number / QR keys are built from it)
-- ARGV[6] event channel of the session  ARGV[7] expected QR value or ''
-- ARGV[8] '1': a companion link (the phone links one more device although the
--         number is linked elsewhere, as real WhatsApp allows); the number key
--         then stays with its first session
-- reply: {'ok'} | {'same'} (already linked to this number) | {'taken'} (number
--        linked to another session) | {'already_linked'} (to another number) | {'no_qr'}
local sid, base = ARGV[1], ARGV[5]
if ARGV[7] ~= '' then
  local current = redis.call('HGET', KEYS[1], 'qr')
  if current ~= ARGV[7] or redis.call('EXISTS', base .. 'qr:' .. ARGV[7]) == 0 then
    return {'no_qr'}
  end
end
local owner = redis.call('GET', KEYS[2])
local companion = ARGV[8] == '1'
if owner and owner ~= sid and not companion then return {'taken'} end
local status = redis.call('HGET', KEYS[1], 'status')
local oldCanon = redis.call('HGET', KEYS[1], 'canonical')
if status == 'linked' then
  if oldCanon == ARGV[3] then return {'same'} end
  return {'already_linked'}
end
if oldCanon and oldCanon ~= ARGV[3] and redis.call('GET', base .. 'number:' .. oldCanon) == sid then
  redis.call('DEL', base .. 'number:' .. oldCanon)
end
local qr = redis.call('HGET', KEYS[1], 'qr')
if qr then redis.call('DEL', base .. 'qr:' .. qr) end
redis.call('HDEL', KEYS[1], 'qr', 'qrExpiresAt', 'socket', 'bannedAt', 'loggedOutAt')
redis.call('HSET', KEYS[1], 'status', 'linked', 'number', ARGV[2], 'canonical', ARGV[3], 'linkedAt', ARGV[4])
if not (owner and owner ~= sid) then redis.call('SET', KEYS[2], sid) end
redis.call('PUBLISH', ARGV[6], cjson.encode({type = 'linked', number = ARGV[2]}))
return {'ok'}
