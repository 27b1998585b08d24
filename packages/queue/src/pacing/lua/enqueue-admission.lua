-- Admission at enqueue (fairness, issue 4): spreads a tenant's new jobs over
-- time by its own rate + burst, so a burst of thousands lands in the delayed
-- set one interval apart instead of at the head of the shard's waiting list.
-- A virtual GCRA of its own (KEYS[1]); it never books a send: the worker's
-- tenant-pace.lua still decides at send time. The key carries the shard hash
-- tag {sN}, so this is Cluster-safe.
--
-- KEYS[1] admit  ${p}:pace:{sN}:${chatId}:admit   admission TAT (ms); PX until it is in the past (+1 s)
-- ARGV[1] now in ms, or "" to use Redis TIME (only tests pass a value)
-- ARGV[2] GCRA interval ms (integer >= 1)
-- ARGV[3] burst (integer >= 1)
-- ARGV[4] how many jobs (integer >= 1), in enqueue order
-- Reply: { nowMs, delay_1, ..., delay_n }   delay_i = admission time of job i - now (ms, >= 0)

local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local tolerance = (burst - 1) * interval

local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local out = { now }
for i = 1, n do
  local at = math.max(now, tat - tolerance)
  tat = math.max(tat, at) + interval
  out[i + 1] = at - now
end
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', string.format('%d', tat - now + 1000))
return out
