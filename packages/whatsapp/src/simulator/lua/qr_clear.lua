-- qr_clear.lua: stop showing a QR (it expired for good, or its socket closed).
-- KEYS[1] session hash (P:{sim}:session:<sid>)  KEYS[2] the QR key (P:{sim}:qr:<value>)
-- ARGV[1] QR value
-- reply: 1
redis.call('DEL', KEYS[2])
if redis.call('HGET', KEYS[1], 'qr') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'qr', 'qrExpiresAt')
end
return 1
