-- Delete a lease only if it is still held by this worker under this epoch, so
-- a late release can never free a lease someone else has since acquired.
-- KEYS[1]  lease key  ${prefix}:lease:{sN}
-- ARGV[1]  expected value `${workerId}:${epoch}`
-- Reply:   1 if released, 0 if it was not ours (or already gone).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
