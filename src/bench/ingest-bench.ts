/**
 * `foresight bench ingest`: how fast the processor ingests, against how fast plain kafkajs
 * can merely consume the same topic on the same machine in the same run.
 *
 * 1. Produce N Avro MetricSamples over S series (one sample per series per minute of event
 *    time, ending now, series interleaved as real collectors send them) to a fresh topic.
 * 2. (a) Raw: a kafkajs consumer in a fresh group reads the topic with no processing.
 *    (b) Processor: the real processor (startProcessor) in a fresh group and a fresh Redis key
 *        prefix reads it: decode, validate, windows, dead letters, applied offsets.
 *    Each is timed from its first batch to its last.
 * 3. Redis memory: MEMORY USAGE of every key the processor wrote, divided by S (after the run:
 *    a few minutes of history), and `redis_bytes_per_series` at steady state (steady-state.ts:
 *    `steadySeries` series written through the same window path over 37 days of event time at
 *    one sample per 15 s, expired chunks gone).
 *
 * CPU seconds of this process, Redis and the local broker are taken around (a) and (b): where
 * each phase's CPU went, and `ratio_bound` — the ratio the processor could reach at best if
 * its phase's CPU were spread perfectly over the machine's cores (raw time ÷ processor CPU per
 * core).
 *
 * The last line printed is one JSON object with the figures.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { MetricSample } from '../codec/generated-types.js';
import { seriesIdOf } from '../codec/metric-sample.js';
import { availableParallelism } from 'node:os';
import { benchEnv, benchId } from './bench-env.js';
import { cpuBetween, CpuMeter, cpuTotal } from './cpu.js';
import { kafkaSecurityOptions } from '../kafka/client.js';
import type { KafkaConfig } from '../config/config.js';
import { startProcessor } from '../processor/processor.js';
import { createServiceContext } from '../service-runtime/runtime.js';
import { sleep } from '../util/retry.js';
import { createRedis, scanKeys } from '../windows/redis-client.js';
import { steadyStateMemory, type SteadyState } from './steady-state.js';
import { deletePrefix } from '../windows/redis-client.js';

export interface IngestBenchOptions {
  events: number;
  series: number;
  partitions: number;
  /** series written to steady state for redis_bytes_per_series (0: skip) */
  steadySeries: number;
  progress: (msg: string) => void;
}

function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

/**
 * Plain kafkajs consumption of the first `events` records of `topic` in a fresh group, with no
 * processing: seconds from its first batch to its last.
 */
export async function rawConsumeSeconds(kafkaCfg: KafkaConfig, group: string, topic: string, events: number, fetchMaxBytes: number): Promise<number> {
  const rawKafka = new Kafka({ brokers: kafkaCfg.brokers, ...kafkaSecurityOptions(kafkaCfg), clientId: group, logLevel: logLevel.NOTHING });
  // the processor's fetch sizes (batch-runner.ts), so both read the same batches
  const raw = rawKafka.consumer({ groupId: group, maxBytesPerPartition: fetchMaxBytes, maxBytes: Math.max(10 * 1024 * 1024, fetchMaxBytes) });
  await raw.connect();
  await raw.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let first = 0;
  let last = 0;
  await raw.run({
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      if (first === 0) first = performance.now();
      count += batch.messages.length;
      last = performance.now();
    },
  });
  while (count < events) await sleep(20);
  await raw.disconnect();
  return (last - first) / 1000;
}

export async function benchIngest(opts: IngestBenchOptions): Promise<Record<string, number | string>> {
  const id = benchId();
  // ingest alone: scoring is measured by bench score and bench pipeline
  const env = benchEnv(id, opts.partitions, { FORESIGHT_RECOMMEND: 'false' });

  const ctx = await createServiceContext('bench', env);
  const { cfg, codec } = ctx;
  const topic = cfg.topics.metrics;

  // 1. produce
  opts.progress(`producing ${opts.events} events over ${opts.series} series to ${topic} (${opts.partitions} partitions)...`);
  const perSeries = Math.ceil(opts.events / opts.series);
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const tProduce = performance.now();
  const chunk = 20_000;
  for (let i = 0; i < opts.events; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(opts.events, i + chunk); j++) {
      const s = j % opts.series;
      const k = Math.floor(j / opts.series);
      const sample: MetricSample = {
        cluster: 'bench',
        namespace: `ns${s % 50}`,
        kind: 'Deployment',
        name: `w${s}`,
        container: 'app',
        metric: 'cpu_usage',
        unit: '{cpu}',
        value: 0.1 + ((j * 7919) % 1000) / 250,
        eventTime: end - (perSeries - k) * 60_000,
        attributes: {},
      };
      messages.push({ key: seriesIdOf(sample), value: codec.encode('MetricSample', sample) });
    }
    await ctx.producer.send({ topic, messages, acks: 1 });
    if ((i / chunk) % 10 === 0) opts.progress(`  produced ${Math.min(opts.events, i + chunk)}`);
  }
  const produceS = (performance.now() - tProduce) / 1000;
  opts.progress(`produced in ${produceS.toFixed(1)} s`);

  const cpuRedis = createRedis(cfg.redis, ctx.log);
  await cpuRedis.connect();
  const cpu = new CpuMeter(cpuRedis);

  // 2a. raw consumption
  opts.progress('measuring raw kafkajs consumption...');
  const rawCpu0 = await cpu.snapshot();
  const rawS = await rawConsumeSeconds(cfg.kafka, `${id}-raw`, topic, opts.events, cfg.ingest.fetchMaxBytes);
  const rawCpu = cpuBetween(rawCpu0, await cpu.snapshot());
  opts.progress(`raw: ${opts.events} events in ${rawS.toFixed(2)} s`);

  // 2b. the processor
  opts.progress('measuring the processor...');
  const batches: { ms: number; trips: number; messages: number }[] = [];
  const stages = { decode: 0, window: 0, redis: 0, deadLetter: 0 };
  let applied = 0;
  let first = 0;
  let last = 0;
  const procCpu0 = await cpu.snapshot();
  const service = await startProcessor(ctx, (o) => {
    if (first === 0) first = performance.now() - o.ms;
    batches.push({ ms: o.ms, trips: o.redisRoundTrips, messages: o.messages });
    for (const k of Object.keys(stages) as (keyof typeof stages)[]) stages[k] += o.timings[k];
    applied += o.messages;
    last = performance.now();
  });
  while (applied < opts.events) await sleep(20);
  const procCpu = cpuBetween(procCpu0, await cpu.snapshot());
  cpuRedis.disconnect();
  await service.stop();
  const procS = (last - first) / 1000;
  opts.progress(`processor: ${opts.events} events in ${procS.toFixed(2)} s over ${batches.length} batches`);

  // 3. memory
  const redis = createRedis(cfg.redis, ctx.log);
  await redis.connect();
  let bytes = 0;
  let keys = 0;
  for await (const { node, keys: ks } of scanKeys(redis, `${id}:*`)) {
    const pipeline = node.pipeline();
    for (const k of ks) pipeline.memory('USAGE', k, 'SAMPLES', '0');
    for (const [, v] of (await pipeline.exec()) ?? []) bytes += Number(v ?? 0);
    keys += ks.length;
  }
  let steady: SteadyState | undefined;
  if (opts.steadySeries > 0) {
    opts.progress(`steady-state memory: ${opts.steadySeries} series, 37 days at one sample per 15 s...`);
    steady = await steadyStateMemory(redis, { prefix: `${id}-steady`, series: opts.steadySeries, intervalS: 15 });
    await deletePrefix(redis, `${id}-steady`);
  }
  redis.disconnect();
  await ctx.producer.disconnect();
  await ctx.health.close();

  const ms = batches.map((b) => b.ms).sort((a, b) => a - b);
  const rawRate = opts.events / rawS;
  const procRate = opts.events / procS;
  return {
    events: opts.events,
    series: opts.series,
    partitions: opts.partitions,
    batches: batches.length,
    mean_batch_events: Math.round(opts.events / batches.length),
    produce_s: +produceS.toFixed(2),
    raw_events_per_s: Math.round(rawRate),
    processor_events_per_s: Math.round(procRate),
    ratio: +(procRate / rawRate).toFixed(3),
    redis_roundtrips_per_batch: +(batches.reduce((a, b) => a + b.trips, 0) / batches.length).toFixed(3),
    redis_roundtrips_per_batch_max: Math.max(...batches.map((b) => b.trips)),
    redis_keys: keys,
    redis_bytes: bytes,
    redis_bytes_per_series_after_run: Math.round(bytes / opts.series),
    redis_bytes_per_series: steady?.bytesPerSeries ?? 'not measured (--steady-series 0)',
    p50_batch_ms: +percentile(ms, 0.5).toFixed(2),
    p99_batch_ms: +percentile(ms, 0.99).toFixed(2),
    // where the processor's time went, in µs per event
    us_per_event_decode: +((stages.decode * 1000) / opts.events).toFixed(2),
    us_per_event_window: +((stages.window * 1000) / opts.events).toFixed(2),
    us_per_event_redis: +((stages.redis * 1000) / opts.events).toFixed(2),
    us_per_event_total: +((1e6 * procS) / opts.events).toFixed(2),
    // CPU seconds per phase and process (broker: the local one, when found)
    cpu_s_raw_node: rawCpu.node,
    cpu_s_raw_broker: rawCpu.broker ?? 'unknown',
    cpu_s_processor_node: procCpu.node,
    cpu_s_processor_redis: procCpu.redis ?? 'unknown',
    cpu_s_processor_broker: procCpu.broker ?? 'unknown',
    cores: availableParallelism(),
    ratio_bound: +(rawS / (cpuTotal(procCpu) / availableParallelism())).toFixed(3),
    topic,
  };
}
