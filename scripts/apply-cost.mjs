#!/usr/bin/env node
// What the windows' apply costs per event when every event of a batch is a different series, as in
// a flowing stream of many series (at 100,000 series a batch of ~25–90 events holds one sample of
// each): WindowStore.applyBatch (aggregation excluded) on batches of B events of distinct series,
// this process's CPU (user + system) per event and Redis's (INFO cpu, before and after). The first
// 300 batches warm up and are not counted; the series' ids wrap at 100,000, so later batches merge
// into buckets that exist, as in steady state. Redis's CPU is the whole server's: run it against a
// Redis nothing else uses.
//
//   npm run build && node scripts/apply-cost.mjs [B] [BATCHES] [ROOT]   # FORESIGHT_REDIS_URL (default redis://127.0.0.1:6379)
//
// ROOT is a checkout whose dist/ to measure (default: this one): run two checkouts in turn, several
// times each, to compare them on a shared machine. Node's young generation as the image sets it
// (--max-semi-space-size=64) makes the figures comparable with `bench scale`'s processors.
// Progress on stderr; the last line on stdout is one JSON object. Its keys are removed at the end.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Redis from 'ioredis';

const [perBatch = '88', batchesArg = '2500', rootArg] = process.argv.slice(2);
const B = Number(perBatch);
const BATCHES = Number(batchesArg);
if (!Number.isInteger(B) || B < 1 || !Number.isInteger(BATCHES) || BATCHES < 1) {
  console.error('apply-cost: B and BATCHES must be positive integers');
  process.exit(2);
}
const root = path.resolve(rootArg ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const load = (rel) => import(pathToFileURL(path.join(root, 'dist', 'src', rel)).href);
const { WindowStore, ExpiryCache } = await load('windows/window-store.js');
const { aggregateBatch } = await load('windows/aggregate.js');

const url = process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
try {
  await redis.connect();
} catch (err) {
  console.error(`apply-cost: cannot reach ${url}: ${err.message}`);
  process.exit(1);
}
const redisCpu = async () => {
  const info = await redis.info('cpu');
  const get = (k) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? NaN);
  return get('used_cpu_user') + get('used_cpu_sys');
};

const SERIES = 100_000;
const prefix = `apply-cost-${process.pid}`;
const store = new WindowStore(redis, prefix);
const partition = { topic: 'apply-cost.metrics', partition: 0 };
const expiring = new ExpiryCache();
const watermarks = new Map();
const t0 = Date.now() - 3_600_000;
let offset = -1n;
let sent = 0;

/** The next batch: one event of each of B consecutive series, 15 s of event time later each time a series comes round again. */
function nextBatch() {
  const events = [];
  for (let i = 0; i < B; i++, sent++) {
    const k = sent % SERIES;
    const round = Math.floor(sent / SERIES);
    events.push({ message: i, seriesId: `cost/ns${k % 50}/Deployment/w${k}/-/cpu_usage`, eventTime: t0 + round * 15_000 + (k % 1000), value: 2 + (k % 7) * 0.1 });
  }
  return aggregateBatch(events, watermarks, 600_000);
}

async function run(batches) {
  let cpu = 0;
  for (let b = 0; b < batches; b++) {
    const agg = nextBatch();
    for (const [s, t] of agg.watermarks) watermarks.set(s, t);
    const next = offset + BigInt(B);
    const c0 = process.cpuUsage();
    const out = await store.applyBatch(partition, offset, next.toString(), agg, 0, expiring);
    const c = process.cpuUsage(c0);
    cpu += c.user + c.system;
    if (out.status !== 'applied') throw new Error(`apply-cost: the batch was not applied: ${JSON.stringify(out)}`);
    offset = next;
  }
  return cpu;
}

try {
  console.error(`apply-cost: ${root}, batches of ${B} events of distinct series: 300 to warm up, then ${BATCHES}...`);
  await run(300);
  const r0 = await redisCpu();
  const nodeUs = await run(BATCHES);
  const redisS = (await redisCpu()) - r0;
  const events = B * BATCHES;
  console.log(
    JSON.stringify({
      root,
      events_per_batch: B,
      batches: BATCHES,
      node_us_per_event: +(nodeUs / events).toFixed(2),
      redis_us_per_event: +((redisS * 1e6) / events).toFixed(2),
    }),
  );
} finally {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}
