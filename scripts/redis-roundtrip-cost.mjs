#!/usr/bin/env node
// What one Redis round trip costs on this machine, in CPU: N sequential SETs of a 10-byte, 1 KB and
// 10 KB value from one ioredis client, with this process's user and system CPU per round trip and
// Redis's own (INFO cpu, before and after). On a flowing stream every batch pays a few round trips
// (the ingest apply, the scoring's reads and write-back, the produce request), so their cost
// bounds the CPU per event of small batches (README "Benchmarks"). Redis's CPU is the whole
// server's: run it against a Redis nothing else uses.
//
//   node scripts/redis-roundtrip-cost.mjs [N]      # FORESIGHT_REDIS_URL (default redis://127.0.0.1:6379)
//
// Progress on stderr; the last line on stdout is one JSON object. Writes one key, removed at the end.
import Redis from 'ioredis';

const n = Number(process.argv[2] ?? 20000);
if (!Number.isInteger(n) || n < 1) {
  console.error('redis-roundtrip-cost: N must be a positive integer');
  process.exit(2);
}
const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
try {
  await redis.connect();
} catch (err) {
  console.error(`redis-roundtrip-cost: cannot reach ${process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379'}: ${err.message}`);
  process.exit(1);
}
const redisCpu = async () => {
  const info = await redis.info('cpu');
  const get = (k) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? NaN);
  return get('used_cpu_user') + get('used_cpu_sys');
};
const key = `foresight-rt-cost-${process.pid}`;
const out = { round_trips: n };
try {
for (const size of [10, 1000, 10000]) {
  const value = 'x'.repeat(size);
  await redis.set(key, value);
  const r0 = await redisCpu();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await redis.set(key, value);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const r = (await redisCpu()) - r0;
  const fig = {
    wall_us: +((1000 * wall) / n).toFixed(1),
    node_user_us: +(c.user / n).toFixed(1),
    node_sys_us: +(c.system / n).toFixed(1),
    redis_us: +((1e6 * r) / n).toFixed(1),
  };
  console.error(`SET of ${size} B: ${JSON.stringify(fig)} per round trip`);
  out[`set_${size}_bytes`] = fig;
}
} finally {
  await redis.del(key);
  await redis.quit();
}
console.log(JSON.stringify(out));
