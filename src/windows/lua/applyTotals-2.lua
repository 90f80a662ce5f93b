--[[
  applyTotals-2: apply one Kafka batch of one partition to the per-series totals, and record
  the partition's applied offset, atomically. Re-applying an offset already applied is a no-op,
  which makes redelivery after a crash idempotent ("exactly-once in effect").

  KEYS[1]  string  last applied offset of the source partition   e.g. fs:{metrics.v1:3}:applied
  KEYS[2]  hash    per-series totals of the partition             e.g. fs:{metrics.v1:3}:totals
                   fields "<seriesId>|count" (integer) and "<seriesId>|sum" (float)
  ARGV[1]  string  cjson array of events: [[offset, seriesId, value], ...], offsets ascending
  ARGV[2]  string  last offset of the batch (covers dead-lettered messages too)

  Returns  { applied, skipped, appliedOffset }   appliedOffset as a string
  Errors   -1  ARGV[1] is not a JSON array
           -2  ARGV[2] is not an integer
]]
local ok, events = pcall(cjson.decode, ARGV[1])
if not ok or type(events) ~= 'table' then return -1 end
local last = tonumber(ARGV[2])
if not last then return -2 end

local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local applied, skipped = 0, 0
for i = 1, #events do
  local ev = events[i]
  local offset = tonumber(ev[1])
  if offset > current then
    redis.call('HINCRBY', KEYS[2], ev[2] .. '|count', 1)
    redis.call('HINCRBYFLOAT', KEYS[2], ev[2] .. '|sum', ev[3])
    applied = applied + 1
  else
    skipped = skipped + 1
  end
end
if last > current then
  redis.call('SET', KEYS[1], string.format('%d', last))
  current = last
end
return { applied, skipped, string.format('%d', current) }
