-- mergeBucket(a, b): the sum of two packed window buckets (see src/windows/bucket-codec.ts):
--   varint count | varint zeros | f64 sum | f32 min | f32 max | [ zigzag-varint firstBin | run* ]
--   run = varint binCount (> 0: the next bin's count) | 0, varint g (the next g bins are empty)
-- Counts, zeros, sums and bins add; min and max combine (both already f32: exact).
-- Order-independent. Bytes: 18–20 of header, then 1–3 for the first bin, 1–2 per occupied
-- bin and 2–3 per stretch of empty bins (bucket-codec.ts has the whole layout).
-- A bucket under 18 bytes is the short form of a resolution without sketch (five-minute):
--   varint count | f64 sum | f32 max            13–17 bytes (13 for a count under 128)
-- whose counts and sums add and maxima combine.
local function readVarint(s, pos)
  local n, mul = 0, 1
  while true do
    local b = string.byte(s, pos)
    if b == nil then return nil, pos end
    pos = pos + 1
    if b < 128 then return n + b * mul, pos end
    n = n + (b - 128) * mul
    mul = mul * 128
  end
end

local function varint(n)
  if n < 128 then return string.char(n) end
  local out = {}
  while n >= 128 do
    out[#out + 1] = string.char(n % 128 + 128)
    n = math.floor(n / 128)
  end
  out[#out + 1] = string.char(n)
  return table.concat(out)
end

local function readHeader(s)
  local count, zeros, pos
  count, pos = readVarint(s, 1)
  zeros, pos = readVarint(s, pos)
  local sum, mn, mx
  sum, mn, mx, pos = struct.unpack('<dff', s, pos)
  return count, zeros, sum, mn, mx, pos
end

local function mergeShort(a, b)
  local ca, pa = readVarint(a, 1)
  local cb, pb = readVarint(b, 1)
  local sa, maxa = struct.unpack('<df', a, pa)
  local sb, maxb = struct.unpack('<df', b, pb)
  return varint(ca + cb) .. struct.pack('<df', sa + sb, math.max(maxa, maxb))
end

-- The common case of a flowing series (one sample a batch): b's values fall in one bin that a
-- already holds, or are all zeros. a's bytes are kept but for its header and that bin's count:
-- the same bytes as the general merge below. nil when it is not that case.
local function mergeIntoOneBin(a, b)
  local ca, za, sa, mina, maxa, pa = readHeader(a)
  local cb, zb, sb, minb, maxb, pb = readHeader(b)
  local head = varint(ca + cb) .. varint(za + zb) .. struct.pack('<dff', sa + sb, math.min(mina, minb), math.max(maxa, maxb))
  local nb, na = #b, #a
  if pb > nb then return head .. string.sub(a, pa) end
  local z, p = readVarint(b, pb)
  local target = (z % 2 == 0) and z / 2 or -(z + 1) / 2
  local k
  k, p = readVarint(b, p)
  if k == nil or k == 0 or p <= nb or pa > na then return nil end
  local q
  z, q = readVarint(a, pa)
  local i = (z % 2 == 0) and z / 2 or -(z + 1) / 2
  while q <= na do
    local start = q
    local c
    c, q = readVarint(a, q)
    if c == nil then return nil end
    if c == 0 then
      local g
      g, q = readVarint(a, q)
      if g == nil then return nil end
      i = i + g
      if i > target then return nil end
    else
      if i == target then return head .. string.sub(a, pa, start - 1) .. varint(c + k) .. string.sub(a, q) end
      if i > target then return nil end
      i = i + 1
    end
  end
  return nil
end

local function mergeBucket(a, b)
  if #a < 18 then return mergeShort(a, b) end
  local one = mergeIntoOneBin(a, b)
  if one then return one end
  local ca, za, sa, mina, maxa, pa = readHeader(a)
  local cb, zb, sb, minb, maxb, pb = readHeader(b)
  local bins, lo, hi = {}, nil, nil
  local function readBins(s, pos)
    local n = #s
    if pos > n then return end
    local z
    z, pos = readVarint(s, pos)
    local i = (z % 2 == 0) and z / 2 or -(z + 1) / 2
    if lo == nil or i < lo then lo = i end
    while pos <= n do
      local c
      c, pos = readVarint(s, pos)
      if c == 0 then
        local g
        g, pos = readVarint(s, pos)
        i = i + g
      else
        bins[i] = (bins[i] or 0) + c
        if hi == nil or i > hi then hi = i end
        i = i + 1
      end
    end
  end
  readBins(a, pa)
  readBins(b, pb)
  local parts = { varint(ca + cb), varint(za + zb), struct.pack('<dff', sa + sb, math.min(mina, minb), math.max(maxa, maxb)) }
  if lo ~= nil then
    parts[4] = varint(lo >= 0 and 2 * lo or -2 * lo - 1)
    local gap = 0
    for i = lo, hi do
      local c = bins[i]
      if c == nil then
        gap = gap + 1
      else
        if gap > 0 then
          parts[#parts + 1] = '\0' .. varint(gap)
          gap = 0
        end
        parts[#parts + 1] = varint(c)
      end
    end
  end
  return table.concat(parts)
end
