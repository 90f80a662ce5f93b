--[[
  Claims the role of a workload's deciding series (recommend/model-server-recommendations.ts): a
  model server's HPA, SPOT and GPU sharing are decided from its demand series, and when two of its
  series carry the demand metric (two containers, or a workload-level series beside a container's)
  they land on different partitions and would both decide, overwriting each other's last proposal.
  The first to claim holds the role; each of its steps renews it, so another series takes over
  only after the holder has been silent for the expiry (a renamed or removed container).

  KEYS[1]  <prefix>:rec:{<workload>}:decider:<role>  string: the holding series id
  ARGV[1]  the calling series id
  ARGV[2]  the claim's expiry in ms (renewed on every call of the holder)

  Returns { 1, holder } when the caller holds the role (claimed now or renewed), { 0, holder } when
  another series does.
]]
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  return { 0, holder }
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return { 1, ARGV[1] }
