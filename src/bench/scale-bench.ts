/**
 * `foresight bench scale --series N`: N workload series end to end on the running stack, with
 * event time compressed (each round is the next 5-minute step; rounds follow each other in
 * wall time). Each series sends `samplesPerStep` samples per step (20: one per 15 s of event
 * time, issue 16's workload), the first of a step closing the step before it
 * (LoopHarness.produceRound: each round's closing events are spread over the whole round).
 *
 * 1. Warm-up: the first round's samples (step 0, from each series' first sample on) are
 *    produced before the processor starts; the processor (recommendations on, LoopHarness)
 *    then catches up on them: its rate against plain kafkajs reading the same records
 *    (`ratio`, and `ratio_bound`: raw time ÷ the processor phase's CPU per core, as bench
 *    ingest), and the CPU microseconds per ingested event of Node and Redis together (ingest
 *    only: the warm-up closes no step). The events are produced by a child process
 *    (round-producer.ts), so this process's CPU is the processor's and the reader's.
 * 2. One round that warms the loop (the first scoring of every series; reported apart), then
 *    `rounds` flowing rounds sent over `spread` seconds each: p50/p99 latency from each
 *    closing event to its recommendation on the topic, and the CPU per ingested event of that
 *    phase, all in (ingest, scoring and recommendations: Node and Redis), with the broker's
 *    and the producer process's apart.
 *    With `recommend` false the processor ingests only, and the flowing figure is ingest's.
 * 3. A burst: the first `burst` series send their samples up to the closing one, then close
 *    their step at once: its p99.
 * 4. Memory: steady-state bytes per series (steady-state.ts: sample series written through the
 *    same window path over 37 days at one sample per 15 s) and that times N; and what the run's
 *    own keys take (a few steps of history, not steady state).
 * The processors run in `processors` child processes of their own, one consumer group
 * (processor-process.ts; Node's young generation set by `youngMb`, as the Dockerfile sets it):
 * the CPU figures' `node` is theirs, not this process's (the recommendations' reader); their
 * RSS is the sum of each one's peak (VmHWM), and the event loop's delay the worst of theirs.
 *
 * The last line printed is one JSON object.
 */
import { availableParallelism } from 'node:os';
import { cpuBetween, CpuMeter, cpuTotal, procCpuSeconds, type CpuSnapshot } from './cpu.js';
import { rawConsumeSeconds } from './ingest-bench.js';
import { LoopHarness, percentile } from './pipeline-bench.js';
import { youngArgs } from './processor-process.js';
import { memoryByType, steadyStateMemory } from './steady-state.js';
import { createRedis, deletePrefix } from '../windows/redis-client.js';

export interface ScaleBenchOptions {
  series: number;
  /** samples per series per 5-minute step (20: one per 15 s) */
  samplesPerStep: number;
  /** false: the processor ingests only (no scoring, no recommendations): the flowing CPU is ingest's alone */
  recommend: boolean;
  rounds: number;
  spread: number;
  burst: number;
  partitions: number;
  steadySeries: number;
  /** processor processes in the consumer group */
  processors: number;
  /** their young generation's semi-space in MB (--max-semi-space-size; 0: Node's default) */
  youngMb: number;
  /** more Node options for the processors, space-separated (a profiler's: Node refuses --cpu-prof in NODE_OPTIONS) */
  processorNodeArgs?: string;
  progress: (msg: string) => void;
}

/** `0s n=… p50/p99/max ms; 30s …`: one line of the flowing timeline. */
const timelineText = (t: ReturnType<LoopHarness['timeline']>): string => t.map((w) => `${w.fromS}s n=${w.n} ${w.p50}/${w.p99}/${w.max}`).join('; ');

const perEventUs = (cpu: CpuSnapshot, events: number): number => +((1e6 * ((cpu.node ?? 0) + (cpu.redis ?? 0))) / events).toFixed(2);

export async function benchScale(opts: ScaleBenchOptions): Promise<Record<string, number | string>> {
  const burst = Math.min(opts.burst, opts.series);
  const h = await LoopHarness.create(opts.series, opts.partitions, opts.rounds + 2, opts.samplesPerStep, true, opts.recommend);
  const producerCpu = (): number => procCpuSeconds(h.producer?.pid) ?? NaN;
  const { cfg } = h.ctx;
  const redis = createRedis(cfg.redis, h.ctx.log);
  await redis.connect();
  const cpu = new CpuMeter(redis, () => h.processors?.pids ?? []);
  try {
    // 1. warm-up, produced before the processor starts; then its catch-up rate and CPU
    opts.progress(`warm-up: step 0 of ${opts.series} series, ${opts.samplesPerStep} samples per step, then the processor catches up...`);
    await h.produceRound(0, 0);
    const warmupEvents = h.produced;
    // the catch-up is measured from the end of the first batch applied once every processor is ready: a
    // processor's start (models, policies, group join) is not ingest; with several, the later ones start while
    // the first already ingests. When most of the backlog is gone before that, from the first batch of any (start-ups in).
    type Mark = { at: number; applied: number; cpu: Promise<CpuSnapshot> };
    let firstAny: Mark | undefined;
    let firstReady: Mark | undefined;
    let last = 0;
    await h.startProcessorProcesses(opts.processors, [...youngArgs(opts.youngMb), ...(opts.processorNodeArgs ?? '').split(' ').filter(Boolean)], () => {
      const mark = (): Mark => ({ at: performance.now(), applied: h.applied, cpu: cpu.snapshot() }); // the processors' CPU at once, Redis's a moment later
      firstAny ??= mark();
      if (!firstReady && h.processors?.allReady) firstReady = mark();
      last = performance.now();
    });
    await h.waitApplied(h.produced);
    // from the first batch with all ready, unless most of the backlog was gone by then (one processor caught up alone)
    const fromAllReady = firstReady !== undefined && warmupEvents - firstReady.applied >= warmupEvents / 2;
    const from = fromAllReady ? firstReady! : firstAny!;
    const catchUpCpu = cpuBetween(await from.cpu, await cpu.snapshot());
    const caughtUp = warmupEvents - from.applied;
    const procS = (last - from.at) / 1000;
    opts.progress(
      `  processors: ${caughtUp} events after ${fromAllReady ? 'their first batch with all of them ready' : 'the first batch (most of the backlog was gone before every processor was ready: start-ups and the rebalance included)'} in ${procS.toFixed(2)} s; raw kafkajs on the same records...`,
    );
    const rawS = await rawConsumeSeconds(cfg.kafka, `${h.id}-raw`, cfg.topics.metrics, warmupEvents, cfg.ingest.fetchMaxBytes);
    await h.startReader();

    // 2. flowing rounds; round 1 warms the loop (first model sessions, policies, the series' first scoring) and is reported apart
    let cpu1 = await cpu.snapshot();
    let producer1 = producerCpu();
    let flowing0 = h.produced;
    let batches0 = h.batches;
    // how long each processor's event loop was held up (a stall delays every partition's batches of that processor)
    for (let r = 1; r <= opts.rounds + 1; r++) {
      opts.progress(`round ${r}/${opts.rounds + 1}: ${opts.series} series, closing events over ${opts.spread} s${r === 1 ? ' (warms the loop)' : ''}...`);
      await h.produceRound(r, opts.spread);
      await h.waitApplied(h.produced);
      if (r === 1) {
        await h.settle();
        cpu1 = await cpu.snapshot();
        producer1 = producerCpu();
        flowing0 = h.produced;
        batches0 = h.batches;
        h.processors!.loopDelayStart();
      }
    }
    await h.settle();
    const loopDelay = await h.processors!.loopDelayStop();
    const flowingCpu = cpuBetween(cpu1, await cpu.snapshot());
    const flowingProducer = +(producerCpu() - producer1).toFixed(2);
    const flowingEvents = h.produced - flowing0;
    // a flowing stream comes in small batches, and what each batch costs once (round trips, a model run) is paid per batch
    const eventsPerBatch = +(flowingEvents / Math.max(1, h.batches - batches0)).toFixed(1);
    const warmRound = h.latencies(new Set([1]));
    const flowingRounds = new Set(Array.from({ length: opts.rounds }, (_, i) => i + 2));
    const flowing = h.latencies(flowingRounds);
    opts.progress(`  flowing latency by when the closing event was sent (30 s windows): ${timelineText(h.timeline(flowingRounds, 30_000))}`);
    opts.progress(`  flowing: ${h.batches - batches0} batches, ${eventsPerBatch} events per batch`);

    // 3. a burst: the burst series' samples before their closing one, then every closing event at once
    const b = opts.rounds + 2;
    opts.progress(`burst: ${burst} series close their step at once...`);
    await h.produceRound(b, 0, burst, 'before-close');
    await h.waitApplied(h.produced);
    await h.produceRound(b, 0, burst, 'close');
    await h.waitApplied(h.produced);
    await h.settle();
    const bursty = h.latencies(new Set([b]));
    opts.progress(`  burst latency by when the closing event was sent (250 ms windows): ${timelineText(h.timeline(new Set([b]), 250))}`);
    const rssPeak = h.processors!.peakRssBytes().reduce((a, b) => a + b, 0);
    await h.stop();

    // 4. memory
    const run = await memoryByType(redis, cfg.redis.keyPrefix);
    opts.progress(`steady-state memory: ${opts.steadySeries} sample series, 37 days at one sample per 15 s...`);
    const steady = await steadyStateMemory(redis, { prefix: `${h.id}-steady`, series: opts.steadySeries, intervalS: 15 });
    await deletePrefix(redis, `${h.id}-steady`);

    return {
      series: opts.series,
      samples_per_step: opts.samplesPerStep,
      recommend: String(opts.recommend),
      partitions: opts.partitions,
      rounds: opts.rounds,
      spread_s: opts.spread,
      burst,
      events: h.produced,
      recommendations: h.recs.length,
      redis_bytes_per_series_steady: steady.bytesPerSeries,
      redis_bytes_total_steady: steady.bytesPerSeries * opts.series,
      redis_bytes_per_series_run: Math.round(run.bytes / opts.series),
      processors: opts.processors,
      processor_young_mb: opts.youngMb || 'default',
      processor_rss_bytes_peak: rssPeak,
      cpu_us_per_event_ingest: perEventUs(catchUpCpu, caughtUp),
      catch_up_from: fromAllReady ? 'all-ready' : 'first-batch',
      cpu_s_ingest_node: catchUpCpu.node,
      cpu_s_ingest_redis: catchUpCpu.redis ?? 'unknown',
      cpu_s_ingest_broker: catchUpCpu.broker ?? 'unknown',
      cpu_us_per_event_flowing: perEventUs(flowingCpu, flowingEvents),
      cpu_us_per_event_flowing_broker: flowingCpu.broker === undefined ? 'unknown' : +((1e6 * flowingCpu.broker) / flowingEvents).toFixed(2),
      flowing_events: flowingEvents,
      flowing_events_per_batch: eventsPerBatch,
      cpu_s_flowing_producer: Number.isNaN(flowingProducer) ? 'unknown' : flowingProducer,
      cpu_s_flowing_node: flowingCpu.node,
      cpu_s_flowing_redis: flowingCpu.redis ?? 'unknown',
      cpu_s_flowing_redis_forks: flowingCpu.redisForks ?? 'unknown',
      cpu_s_flowing_broker: flowingCpu.broker ?? 'unknown',
      p50_ms: percentile(flowing, 0.5),
      p99_ms: percentile(flowing, 0.99),
      matched: flowing.length,
      event_loop_delay_p99_ms: Math.max(...loopDelay.map((d) => d.p99Ms)),
      event_loop_delay_max_ms: Math.max(...loopDelay.map((d) => d.maxMs)),
      warm_round_p50_ms: percentile(warmRound, 0.5),
      warm_round_p99_ms: percentile(warmRound, 0.99),
      burst_p50_ms: percentile(bursty, 0.5),
      burst_p99_ms: percentile(bursty, 0.99),
      burst_matched: bursty.length,
      raw_events_per_s: Math.round(warmupEvents / rawS),
      processor_events_per_s: Math.round(caughtUp / procS),
      ratio: +(caughtUp / procS / (warmupEvents / rawS)).toFixed(3),
      ratio_bound: +(rawS / warmupEvents / (cpuTotal(catchUpCpu) / caughtUp / availableParallelism())).toFixed(3),
      cores: availableParallelism(),
      topic: cfg.topics.metrics,
    };
  } finally {
    redis.disconnect();
    await h.processors?.stop(5_000); // after an error: no processor left running (each also exits when this process goes)
  }
}
