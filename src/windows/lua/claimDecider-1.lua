--[[
  Claims the role of a workload's deciding series (recommend/model-server-recommendations.ts): a
  model server's HPA, SPOT and GPU sharing are decided from its demand series, and when two of its
  series carry the demand metric (two containers, or a workload-level series beside a container's)
  they land on different partitions and would both decide, overwriting each other's last proposal.
  A series of a higher rank takes the role from a lower one (a container's series from a
  workload-level one: the container's is the server's own); among equals the first to claim holds
  it. Each of the holder's steps renews it, so another series takes over after the holder has been
  silent for the expiry (a renamed or removed container).

  KEYS[1]  <prefix>:rec:{<workload>}:decider:<role>  string: "<rank>|<holding series id>"
  ARGV[1]  the calling series id
  ARGV[2]  the claim's expiry in ms (renewed on every call of the holder)
  ARGV[3]  the caller's rank (an integer; higher wins)

  Returns { 1, holder } when the caller holds the role (claimed now, taken over or renewed), { 0,
  holder } when another series does.
]]
local value = redis.call('GET', KEYS[1])
if value then
  local sep = string.find(value, '|', 1, true)
  local rank = sep and tonumber(string.sub(value, 1, sep - 1)) or 0
  local holder = sep and string.sub(value, sep + 1) or value
  if holder ~= ARGV[1] and rank >= tonumber(ARGV[3]) then
    return { 0, holder }
  end
end
redis.call('SET', KEYS[1], ARGV[3] .. '|' .. ARGV[1], 'PX', ARGV[2])
return { 1, ARGV[1] }
