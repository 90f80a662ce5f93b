--[[
  applyWindows-n: apply one Kafka batch of one partition to the event-time windows, and
  record the partition's applied offset, atomically. The batch was pre-aggregated per
  (series, bucket) by the caller; each delta is merged into the stored bucket (or stored
  as is when the bucket is new). All keys share the partition's hash tag {<topic>:<p>}.

  Invariant kept here: a series' stored buckets all lie at or before its watermark, which
  this script raises in the same call. So a bucket after the series' watermark as it was
  before the batch cannot exist yet: the caller says so ("new"), and it is written without
  being read. Any other bucket is read and merged; so is every bucket of a series whose
  watermark the caller does not know (never seen, or trimmed from the zset).

  Optimistic concurrency: the caller says which applied offset its view of the state was
  based on (it decided lateness from watermarks read at that offset and skipped offsets at or
  below it). If the stored offset differs, nothing is written and STALE is returned with the
  stored offset; the caller re-reads and retries. Re-applying a batch is therefore a no-op.

  KEYS[1]      string  applied offset of the partition          fs:{metrics.v1:3}:applied
  KEYS[2]      zset    series of the partition, score = watermark fs:{metrics.v1:3}:series
                       (newest event time of the series, ms)
  KEYS[3..]    hash    window chunks touched by the batch         fs:{metrics.v1:3}:w2:<series>:m:<chunk>
                       field = bucket offset in its chunk, value = packed bucket
  ARGV[1]      expected applied offset ("-1" when none)
  ARGV[2]      new applied offset (the batch's last offset)
  ARGV[3]      trim: series whose watermark is below this (ms) leave the zset
  ARGV[4]      the watermark updates, packed, little-endian: u32 W, then W times
               u16 length | that many bytes of seriesId | u8 length | the watermark (ms) in
               decimal digits, as ZADD takes it; only raised, never lowered
  ARGV[5]      the deltas, grouped by chunk key, packed one after another, little-endian:
                          per key, one group each, in KEYS order:
                                      u32 keyIndex (into KEYS: 3, 4, …) | u16 F, the number of buckets
                                      | u16 C, how many of them (the first C) may exist
                                      | f64 PEXPIREAT (ms) for the key, 0 = leave the expiry
                                      alone (the caller saw this script set it already)
                          per bucket: u32 bucket offset in its chunk (the field) | u16 length | that many
                                      bytes of packed bucket
                          the last F - C buckets are new (after the series' watermark).
                          F ≤ 240 is checked (a chunk holds at most 120 buckets), since
                          HMGET/HSET take the fields as Lua call arguments.
               Packed rather than one argument per key, expiry and watermark: each argument costs
               the client a RESP frame to build (ioredis: ~1.5 µs for each, ~4 µs per series of a
               batch) and Redis an argument object, and a flowing batch at 100,000 series holds one
               event of each of its series.

  Bytes per stored bucket (packed form in includes/mergeBucket.lua and bucket-codec.ts): where
  the resolution keeps a sketch (minute, hour, 6-hour), 18–20 of header (varint count and
  zeros, f64 sum, f32 min and max) plus 1–3 for the first bin and 1–2 per bin of the occupied
  span; the five-minute buckets keep the short form, varint count, f64 sum, f32 max: 13 bytes.
  At one sample per 15 s of data like the README's, a minute bucket ~22 bytes, a five-minute
  bucket 13, an hour bucket ~30–50, a 6-hour bucket ~40–70. In a listpack chunk a field adds
  ~4 bytes (README "Windows and costs in Redis" has the measured bytes per series).

  Returns  { 1, merged, created }      applied
           { -3, storedOffset }        STALE: the stored applied offset is not ARGV[1]
           { -1 }                      MALFORMED: a packed argument does not parse (truncated,
                                       a key's group missing or out of KEYS order, F or C out
                                       of range, an expiry that is not a time, a bucket shorter
                                       than the shortest form, a watermark not a number); the
                                       layout is checked whole before anything is written, so
                                       nothing is written then (a bucket's own bytes are read
                                       only when merged)
]]
--@include mergeBucket

local stored = redis.call('GET', KEYS[1]) or '-1'
if stored ~= ARGV[1] then
  return { -3, stored }
end

local wpacked, packed = ARGV[4], ARGV[5]
if wpacked == nil or packed == nil then return { -1 } end

-- Both packed arguments are checked whole before anything is written: a malformed call returns
-- MALFORMED having changed nothing (a retry or a restart then finds the state as it was).
local wn, n = #wpacked, #packed
if wn < 4 then return { -1 } end
local w, wpos = struct.unpack('<I4', wpacked, 1)
local zargs = {}
for k = 1, w do
  if wpos + 1 > wn then return { -1 } end
  local len = struct.unpack('<H', wpacked, wpos)
  if wpos + 2 + len > wn then return { -1 } end
  local tlen = string.byte(wpacked, wpos + 2 + len)
  if tlen == 0 or wpos + 2 + len + tlen > wn then return { -1 } end
  zargs[2 * k], zargs[2 * k - 1], wpos = struct.unpack('<Hc0Bc0', wpacked, wpos)
  if not string.find(zargs[2 * k - 1], '^%-?%d+%.?%d*$') then return { -1 } end
end
if wpos ~= wn + 1 then return { -1 } end
local pos, nextKey = 1, 3
while pos <= n do
  if pos + 15 > n then return { -1 } end
  local ki, f, c, at
  ki, f, c, at, pos = struct.unpack('<I4I2I2d', packed, pos)
  if ki ~= nextKey or f == 0 or f > 240 or c > f or not (at >= 0 and at < 2^53) then return { -1 } end
  nextKey = nextKey + 1
  for _ = 1, f do
    if pos + 5 > n then return { -1 } end
    local len = struct.unpack('<H', packed, pos + 4)
    if len < 13 then return { -1 } end
    pos = pos + 6 + len
    if pos > n + 1 then return { -1 } end
  end
end
if nextKey ~= #KEYS + 1 then return { -1 } end

-- the watermarks in ZADD calls of up to 1000 members (one command each, not one per series)
for j = 1, 2 * w, 2000 do
  redis.call('ZADD', KEYS[2], 'GT', unpack(zargs, j, math.min(2 * w, j + 1999)))
end

local merged, written = 0, 0
pos = 1
-- per chunk key: one HMGET (HGET for one bucket) for the buckets that may exist, one HSET with all new or merged values
while pos <= n do
  local ki, f, c, at
  ki, f, c, at, pos = struct.unpack('<I4I2I2d', packed, pos)
  local key = KEYS[ki]
  if f == 1 then
    -- one bucket (a flowing series' one sample in the batch): no argument tables
    local bucket, value
    bucket, value, pos = struct.unpack('<I4Hc0', packed, pos)
    local field = tostring(bucket)
    if c == 1 then
      local stored = redis.call('HGET', key, field)
      if stored then
        value = mergeBucket(stored, value)
        merged = merged + 1
      end
    end
    redis.call('HSET', key, field, value)
    written = written + 1
  else
    local args = {}
    for j = 1, f do
      local bucket
      bucket, args[2 * j], pos = struct.unpack('<I4Hc0', packed, pos)
      args[2 * j - 1] = tostring(bucket)
    end
    if c > 0 then
      local fields = {}
      for j = 1, c do fields[j] = args[2 * j - 1] end
      local stored = redis.call('HMGET', key, unpack(fields))
      for j = 1, c do
        if stored[j] then
          args[2 * j] = mergeBucket(stored[j], args[2 * j])
          merged = merged + 1
        end
      end
    end
    redis.call('HSET', key, unpack(args))
    written = written + f
  end
  if at ~= 0 then redis.call('PEXPIREAT', key, string.format('%.0f', at)) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[3])
redis.call('SET', KEYS[1], ARGV[2])
return { 1, merged, written - merged }
