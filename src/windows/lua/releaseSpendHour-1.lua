--[[
  Gives back a claim of claimSpendHour-1.lua whose alert could not be published (the send
  failed), so that the batch's retry claims the hour again and publishes its alert: the alert is
  published once, not at most once.

  KEYS[1]  <prefix>:spend:{<scope>}  (as claimSpendHour-1.lua)
  ARGV[1]  the hour index claimed
  ARGV[2]  "scored" before the claim ("" none)
  ARGV[3]  the quietUntil the claim set
  ARGV[4]  quietUntil before the claim ("" none)

  Returns
   1  given back
   0  a newer hour was claimed since: left as it is (that hour's check has moved on)
]]
if redis.call('HGET', KEYS[1], 'scored') ~= ARGV[1] then
  return 0
end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], 'scored')
else
  redis.call('HSET', KEYS[1], 'scored', ARGV[2])
end
if redis.call('HGET', KEYS[1], 'quietUntil') == ARGV[3] then
  if ARGV[4] == '' then
    redis.call('HDEL', KEYS[1], 'quietUntil')
  else
    redis.call('HSET', KEYS[1], 'quietUntil', ARGV[4])
  end
end
return 1
