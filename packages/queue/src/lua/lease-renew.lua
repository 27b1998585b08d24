-- Extend a lease only if it is still held by this worker under this epoch.
-- KEYS[1]  lease key  ${prefix}:lease:{sN}
-- ARGV[1]  expected value `${workerId}:${epoch}`
-- ARGV[2]  lease ttl in milliseconds
-- Reply:   1 if renewed, 0 if the lease expired or belongs to another holder/epoch.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
