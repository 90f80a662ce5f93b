-- mergeBucket(a, b): the sum of two packed window buckets (see src/windows/bucket-codec.ts):
--   u32 count | u32 zeros | f64 sum | f64 min | f64 max | { i16 binIndex | u32 binCount }*
-- Counts, zeros, sums and bins add; min and max combine. Order-independent.
local function mergeBucket(a, b)
  local ca, za, sa, mina, maxa, pa = struct.unpack('<I4I4ddd', a)
  local cb, zb, sb, minb, maxb, pb = struct.unpack('<I4I4ddd', b)
  local bins, order = {}, {}
  local function readBins(s, pos)
    local n = #s
    while pos <= n do
      local i, c
      i, c, pos = struct.unpack('<i2I4', s, pos)
      if bins[i] == nil then
        bins[i] = c
        order[#order + 1] = i
      else
        bins[i] = bins[i] + c
      end
    end
  end
  readBins(a, pa)
  readBins(b, pb)
  table.sort(order)
  local parts = { struct.pack('<I4I4ddd', ca + cb, za + zb, sa + sb, math.min(mina, minb), math.max(maxa, maxb)) }
  for k = 1, #order do
    parts[k + 1] = struct.pack('<i2I4', order[k], bins[order[k]])
  end
  return table.concat(parts)
end
