--[[
  applyCosts-n: apply one Kafka batch of one partition of billing rows to the cost windows
  (increments of hourly cost per workload, namespace and team, and of cost
  and quantity per node pool or resource for unit prices), and record the partition's
  applied offset, atomically. Same optimistic check as applyWindows-n: nothing is written
  unless the stored applied offset is the one the caller's view was based on.

  KEYS[1]      string  applied offset of the partition   fs:{billing.v1:0}:applied
  KEYS[2..]    hash    cost and price hashes touched      fs:{billing.v1:0}:cost:ns:shop:202611
                       (per month; a price's hourly quantities per day, fs:{billing.v1:0}:price:p1:cpu-core-hour:h20261130,
                       whose PEXPIREAT is nine days after the day began: one already past deletes the key at once)
  ARGV[1]      expected applied offset ("-1" when none)
  ARGV[2]      new applied offset
  ARGV[3 .. 2+K]   PEXPIREAT (ms) for KEYS[2..], K = #KEYS - 1
  ARGV[3+K ..]     triples: keyIndex (into KEYS), field, increment (a float)

  Returns  { 1, increments }   applied
           { -3, stored }      STALE
]]
local stored = redis.call('GET', KEYS[1]) or '-1'
if stored ~= ARGV[1] then
  return { -3, stored }
end
local nkeys = #KEYS - 1
local n = 0
local a = 3 + nkeys
while a <= #ARGV do
  redis.call('HINCRBYFLOAT', KEYS[tonumber(ARGV[a])], ARGV[a + 1], ARGV[a + 2])
  n = n + 1
  a = a + 3
end
for k = 1, nkeys do
  redis.call('PEXPIREAT', KEYS[k + 1], ARGV[2 + k])
end
redis.call('SET', KEYS[1], ARGV[2])
return { 1, n }
