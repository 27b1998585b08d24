-- One pacing decision for one message of one tenant, atomically: the tenant's
-- GCRA (rate + burst), the per-recipient spacing, then the daily first-contact
-- budget. If all pass the slot is BOOKED; otherwise nothing is booked and the
-- reply says when the message could pass and which limit decided.
-- All keys carry the tenant's shard hash tag {sN}, so this is Cluster-safe.
--
-- KEYS[1] tat    ${p}:pace:{sN}:${chatId}:tat          GCRA theoretical arrival time (ms); PX until it is in the past
-- KEYS[2] rcpt   ${p}:pace:{sN}:${chatId}:r:${hash}    last send to this recipient (ms); PX = spacing
-- KEYS[3] known  ${p}:pace:{sN}:${chatId}:known        SET of recipient hashes ever sent to; never expires
-- KEYS[4] fc     ${p}:pace:{sN}:${chatId}:fc:${day}    first contacts booked on `day`; PX to the day's end + 1 h
-- KEYS[5] park   ${p}:pace:{sN}:${chatId}:park         ZSET ticket -> promised wake time (ms) of rate-parked jobs
-- KEYS[6] fcq    ${p}:pace:{sN}:${chatId}:fcq:${day}   jobs turned away by the budget on `day` (spreads them over the next day)
-- ARGV[1]  now in ms, or "" to use Redis TIME (only tests pass a value)
-- ARGV[2]  GCRA interval ms (integer >= 1)
-- ARGV[3]  burst (integer >= 1)
-- ARGV[4]  recipient spacing ms (>= 0; 0 = none)
-- ARGV[5]  first-contact daily budget (>= 1)
-- ARGV[6]  "1" if the budget applies to this message, "0" if it is exempt
-- ARGV[7]  recipient hash (member of KEYS[3]); never a phone number
-- ARGV[8]  epoch ms at which `day` ends (next local midnight, computed in TS)
-- ARGV[9]  ticket: the job's id, or "" (then a refusal is not parked)
-- ARGV[10] ticket grace ms: a ticket whose wake time is this far past is dropped
-- Reply: { allowed 1|0, retryAtMs (0 if allowed), reason ""|"rate"|"recipient"|"first_contact",
--          firstContact 1|0, nowMs }
--
-- Parking (herd avoidance): a job refused by the rate takes a ticket at
-- max(allowAt, lineEnd), lineEnd = the latest other ticket + interval, so the
-- parked jobs of one tenant wake one interval apart instead of together.
--   * a ticket holder passes on the GCRA alone (its slot is its promise);
--   * a fresh job (no ticket) queues behind the line: it passes only if
--     max(allowAt, lineEnd) <= now;
--   * a holder that woke early (allowAt <= its ticket) retries at allowAt and
--     keeps its place; a holder whose slot was taken (late wake, limits
--     lowered) goes to the end of the line — distinct slots, never a herd.
-- Only the GCRA ever books a send, so the limit holds whatever the tickets say.

local function ms(x) return string.format('%d', x) end

local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local spacing = tonumber(ARGV[4])
local budget = tonumber(ARGV[5])
local applies = ARGV[6] == '1'
local rh = ARGV[7]
local dayEnd = tonumber(ARGV[8])
local ticket = ARGV[9]
local grace = tonumber(ARGV[10])

-- Tickets long past their wake time belong to jobs that are gone.
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. ms(now - grace))
local own = nil
if ticket ~= '' then
  local s = redis.call('ZSCORE', KEYS[5], ticket)
  if s then own = tonumber(s) end
end
local lineEnd = nil
local maxScore = nil
local top = redis.call('ZREVRANGE', KEYS[5], 0, 1, 'WITHSCORES')
for i = 1, #top, 2 do
  local score = tonumber(top[i + 1])
  if maxScore == nil then maxScore = score end
  if top[i] ~= ticket and lineEnd == nil then lineEnd = score + interval end
end

-- 1. tenant GCRA
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local allowAt = tat - (burst - 1) * interval
local rateOk
local rateRetry
if own ~= nil then
  rateOk = now >= allowAt
  if allowAt <= own then
    rateRetry = allowAt
  else
    rateRetry = math.max(allowAt, lineEnd or allowAt)
  end
else
  rateRetry = math.max(allowAt, lineEnd or allowAt)
  rateOk = rateRetry <= now
end

-- 2. per-recipient spacing
local rcptRetry = 0
if spacing > 0 then
  local last = redis.call('GET', KEYS[2])
  if last then
    local at = tonumber(last) + spacing
    if at > now then rcptRetry = at end
  end
end

-- 3. first-contact budget
local first = redis.call('SISMEMBER', KEYS[3], rh) == 0
local fcOut = false
if first and applies then
  local used = tonumber(redis.call('GET', KEYS[4]) or '0')
  fcOut = used >= budget
end

-- The latest refusing limit decides: that is the earliest time all could pass.
local retry, reason = 0, ''
if not rateOk then retry, reason = rateRetry, 'rate' end
if rcptRetry > retry then retry, reason = rcptRetry, 'recipient' end
if fcOut then
  -- Spread the turned-away jobs over the next day(s): k-th one wakes k
  -- intervals after midnight, `budget` per day.
  local k = tonumber(redis.call('GET', KEYS[6]) or '0')
  local fcAt = dayEnd + math.floor(k / budget) * 86400000 + (k % budget) * interval
  if fcAt >= retry then
    redis.call('INCR', KEYS[6])
    redis.call('PEXPIRE', KEYS[6], ms(math.max(1000, dayEnd - now + 3600000)))
    retry, reason = fcAt, 'first_contact'
  end
end

local firstFlag = 0
if first then firstFlag = 1 end

if reason ~= '' then
  if reason == 'rate' and ticket ~= '' then
    redis.call('ZADD', KEYS[5], ms(retry), ticket)
    local newMax = math.max(retry, maxScore or retry)
    redis.call('PEXPIRE', KEYS[5], ms(newMax - now + grace + 1000))
  elseif own ~= nil then
    -- Held back by something slower than the rate: leave the line.
    redis.call('ZREM', KEYS[5], ticket)
  end
  return { 0, retry, reason, firstFlag, now }
end

-- Book the slot.
local newTat = math.max(tat, now) + interval
redis.call('SET', KEYS[1], ms(newTat), 'PX', ms(newTat - now + 1000))
if spacing > 0 then
  redis.call('SET', KEYS[2], ms(now), 'PX', ms(spacing))
end
if first then
  redis.call('SADD', KEYS[3], rh)
  if applies then
    redis.call('INCR', KEYS[4])
    redis.call('PEXPIRE', KEYS[4], ms(math.max(1000, dayEnd - now + 3600000)))
  end
end
if own ~= nil then redis.call('ZREM', KEYS[5], ticket) end
return { 1, 0, '', firstFlag, now }
