--[[
  applyWindows-n: apply one Kafka batch of one partition to the event-time windows, and
  record the partition's applied offset, atomically. The batch was pre-aggregated per
  (series, bucket) by the caller; each delta is merged into the stored bucket (or stored
  as is when the bucket is new). All keys share the partition's hash tag {<topic>:<p>}.

  Optimistic concurrency: the caller says which applied offset its view of the state was
  based on (it decided lateness from watermarks read at that offset and skipped offsets at or
  below it). If the stored offset differs, nothing is written and STALE is returned with the
  stored offset; the caller re-reads and retries. Re-applying a batch is therefore a no-op.

  KEYS[1]      string  applied offset of the partition          fs:{metrics.v1:3}:applied
  KEYS[2]      zset    series of the partition, score = watermark fs:{metrics.v1:3}:series
                       (newest event time of the series, ms)
  KEYS[3..]    hash    window chunks touched by the batch         fs:{metrics.v1:3}:w:<series>:m:<chunk>
                       field = bucket index, value = packed bucket
  ARGV[1]      expected applied offset ("-1" when none)
  ARGV[2]      new applied offset (the batch's last offset)
  ARGV[3]      trim: series whose watermark is below this (ms) leave the zset
  ARGV[4 .. 3+K]          PEXPIREAT (ms) for KEYS[3..], K = #KEYS - 2
  ARGV[4+K]               W, the number of watermark updates
  ARGV[5+K .. 4+K+2W]     pairs: seriesId, watermark (ms); only raised, never lowered
  ARGV[5+K+2W]            the deltas, packed one after another (one argument keeps the
                          command small for the client):
                          u32 keyIndex (into KEYS) | u32 bucket index (the field) |
                          u16 length | that many bytes of packed bucket   (little-endian)

  Returns  { 1, merged, created }      applied
           { -3, storedOffset }        STALE: the stored applied offset is not ARGV[1]
  Errors   -1  a malformed argument list
]]
--@include mergeBucket

local stored = redis.call('GET', KEYS[1]) or '-1'
if stored ~= ARGV[1] then
  return { -3, stored }
end

local nkeys = #KEYS - 2
local w = tonumber(ARGV[4 + nkeys])
if w == nil then return { -1 } end

local base = 5 + nkeys
for j = 0, w - 1 do
  redis.call('ZADD', KEYS[2], 'GT', ARGV[base + 2 * j + 1], ARGV[base + 2 * j])
end

local merged, created = 0, 0
local packed = ARGV[base + 2 * w]
if packed == nil then return { -1 } end
local pos, n = 1, #packed
while pos <= n do
  local ki, bucket, delta
  ki, bucket, delta, pos = struct.unpack('<I4I4Hc0', packed, pos)
  local key, field = KEYS[ki], tostring(bucket)
  -- most deltas open a new bucket: one HSETNX; only an existing bucket is read and merged
  if redis.call('HSETNX', key, field, delta) == 1 then
    created = created + 1
  else
    redis.call('HSET', key, field, mergeBucket(redis.call('HGET', key, field), delta))
    merged = merged + 1
  end
end

for k = 1, nkeys do
  redis.call('PEXPIREAT', KEYS[k + 2], ARGV[3 + k])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[3])
redis.call('SET', KEYS[1], ARGV[2])
return { 1, merged, created }
