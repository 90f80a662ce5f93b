--[[
  Claims a cost scope's newest hour for the spend-anomaly check (recommend/spend-anomalies.ts),
  atomically: the workloads of one namespace or team are checked from different partitions and
  processors, and exactly one of them scores each hour and publishes its alert.

  KEYS[1]  <prefix>:spend:{<scope>}  hash: scored (the last hour index scored), quietUntil (event
           time in ms until which the scope's alerts are suppressed)
  ARGV[1]  the hour index to score (event time / 1 h)
  ARGV[2]  the hash's expiry in ms (set on every claim)
  ARGV[3]  the hour's event time in ms (an alert is suppressed while quietUntil > it)
  ARGV[4]  the quietUntil to set when the hour alerts; "" when its score stays below the threshold

  Returns { code, scored before, quietUntil before } ("" where there was none); code:
   0  the hour (or a newer one) was scored already: nothing to do
   1  scored now, no alert (below the threshold, or within the suppression)
   2  scored now, and the alert is the caller's to publish (quietUntil set); if it cannot be
      published, the caller gives the claim back with releaseSpendHour-1.lua and the values before

  Invariant: "scored" only moves forward, so each hour is claimed once whatever the interleaving.
]]
local scored = redis.call('HGET', KEYS[1], 'scored')
local quiet = redis.call('HGET', KEYS[1], 'quietUntil')
local before = { scored or '', quiet or '' }
if scored and tonumber(scored) >= tonumber(ARGV[1]) then
  return { 0, before[1], before[2] }
end
redis.call('HSET', KEYS[1], 'scored', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if ARGV[4] == '' then
  return { 1, before[1], before[2] }
end
if quiet and tonumber(quiet) > tonumber(ARGV[3]) then
  return { 1, before[1], before[2] }
end
redis.call('HSET', KEYS[1], 'quietUntil', ARGV[4])
return { 2, before[1], before[2] }
