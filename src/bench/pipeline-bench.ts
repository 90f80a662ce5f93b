/**
 * `foresight bench pipeline`: with S series flowing, how long from the event that closes a
 * series' 5-minute step to the recommendation on the topic.
 *
 * 1. A policy repository (temporary Git checkout) that makes every workload-level `cpu_usage`
 *    series worth an HPA recommendation: 1 core per replica, no hysteresis or cooldown.
 * 2. The real processor (startProcessor, recommendations on) on fresh topics and a fresh
 *    Redis key prefix.
 * 3. Warm-up: one event per series (a new series closes no step). Then R rounds: one event
 *    per series in the next step, with rising demand, so each closes the previous step and the
 *    raise is published at once; a round's events are sent evenly over `spread` seconds (as
 *    collectors scraping every 30 s deliver them; 0 sends them in one burst, the worst case).
 *    Each event's send time is its Kafka timestamp.
 * 4. Latency of a recommendation = its Kafka timestamp − the send time of the event that
 *    closed its step (same series, same round). recommendations_per_s = recommendations over
 *    the time from the first closing event sent to the last recommendation.
 *
 * The last line printed is one JSON object.
 */
import type { Recommendation } from '../codec/generated-types.js';
import { produceRound, ProducerProcess, type RoundPart, type RoundSpec } from './round-producer.js';
import { seriesIdOf } from '../codec/metric-sample.js';
import { benchEnv, benchId } from './bench-env.js';
import { benchPolicyRepo } from './policy-repo.js';
import type { Consumer } from 'kafkajs';
import { startProcessor, type BatchObserver } from '../processor/processor.js';
import { createServiceContext, type RunningService, type ServiceContext } from '../service-runtime/runtime.js';
import { sleep } from '../util/retry.js';
import { createRedis } from '../windows/redis-client.js';
import { cpuBetween, CpuMeter, type CpuSnapshot } from './cpu.js';
import { ProcessorProcesses } from './processor-process.js';

import { STEP } from './round-producer.js';

export interface PipelineBenchOptions {
  series: number;
  rounds: number;
  /** seconds over which a round's closing events are sent (a collector's scrape interval); 0: all at once */
  spread: number;
  partitions: number;
  progress: (msg: string) => void;
}

/** The environment of a loop benchmark, with its policy repository. */
function loopEnv(id: string, partitions: number, recommend: boolean): NodeJS.ProcessEnv {
  return benchEnv(id, partitions, { FORESIGHT_RECOMMEND: String(recommend), FORESIGHT_POLICY_REPO: benchPolicyRepo() });
}

/**
 * What bench pipeline and bench scale share: the service context, S series whose round r
 * event closes their step of round r − 1, the real processor (started when asked), a reader
 * of the recommendations topic and the latencies from closing event to recommendation.
 */
export class LoopHarness {
  applied = 0;
  /** batches the processors handled (with `applied`: the events per batch) */
  batches = 0;
  scoredSeries = 0;
  readonly phases = { history: 0, models: 0, decide: 0, publish: 0 };
  /**
   * The recommendations read, as they arrived: their Avro is decoded by settle(), after a phase, not while the
   * processors run (decoding each as it came took ~half a core in a burst, beside the system measured)
   */
  readonly recs: { key: string; ts: number; value: Buffer; rec?: Recommendation }[] = [];
  /** `${seriesId}@${round}` → send time of the event that closed the series' step */
  readonly sentAt = new Map<string, number>();
  private service?: RunningService;
  private reader?: Consumer;
  private t0 = 0;

  /** events produced so far */
  produced = 0;
  /** the producer's own process (bench scale: its CPU stays out of this process's) */
  producer?: ProducerProcess;
  /** the processors' own processes (bench scale; bench pipeline runs its processor in this process) */
  processors?: ProcessorProcesses;

  private constructor(
    readonly id: string,
    readonly env: NodeJS.ProcessEnv,
    readonly ctx: ServiceContext,
    readonly series: number,
    readonly samplesPerStep: number,
  ) {}

  /**
   * `rounds`: how many 5-minute steps of event time the run will close (they end now);
   * `samplesPerStep`: samples per series per step (1: only the closing event; 20: one per 15 s);
   * `producerProcess`: produce from a child process instead of this one; `recommend`: false
   * runs the processor without scoring and recommendations (ingest alone).
   */
  static async create(series: number, partitions: number, rounds: number, samplesPerStep = 1, producerProcess = false, recommend = true): Promise<LoopHarness> {
    const id = benchId();
    const env = loopEnv(id, partitions, recommend);
    const h = new LoopHarness(id, env, await createServiceContext('bench', env), series, samplesPerStep);
    if (producerProcess) h.producer = await ProducerProcess.start(env);
    h.t0 = Math.floor(Date.now() / STEP) * STEP - (rounds + 1) * STEP;
    return h;
  }

  async startProcessor(observe?: BatchObserver): Promise<void> {
    this.service = await startProcessor(this.ctx, (o) => {
      this.applied += o.messages;
      this.batches++;
      if (o.scoring) {
        this.scoredSeries += o.scoring.scored;
        for (const k of Object.keys(this.phases) as (keyof typeof this.phases)[]) this.phases[k] += o.scoring.timings[k];
      }
      observe?.(o);
    });
  }

  /** `count` processors in processes of their own (processor-process.ts), run with the Node options `nodeArgs`. */
  async startProcessorProcesses(count: number, nodeArgs: string[], onBatch?: (messages: number) => void): Promise<void> {
    this.processors = new ProcessorProcesses(this.env, count, nodeArgs, (messages, batches) => {
      this.applied += messages;
      this.batches += batches;
      onBatch?.(messages);
    });
    await this.processors.ready;
  }

  /**
   * Round `round` for the first `count` series (round-producer.ts has the schedule), sent evenly
   * over `spreadS` seconds (0: at once); by the producer process when the harness has one.
   */
  async produceRound(round: number, spreadS: number, count = this.series, part: RoundPart = 'all'): Promise<void> {
    const spec: RoundSpec = { t0: this.t0, samplesPerStep: this.samplesPerStep, round, spreadS, count, part };
    const { produced, closing } = this.producer
      ? await this.producer.produce(spec)
      : await produceRound(spec, this.ctx.codec, (messages) => this.ctx.producer.send({ topic: this.ctx.cfg.topics.metrics, messages, acks: 1 }));
    for (const [key, at] of closing) this.sentAt.set(`${key}@${round}`, at);
    this.produced += produced;
  }

  async waitApplied(n: number): Promise<void> {
    const deadline = Date.now() + 600_000;
    while (this.applied < n) {
      if (Date.now() > deadline) throw new Error(`the processor applied ${this.applied} of ${n} events in 10 minutes`);
      await sleep(20);
    }
  }

  async startReader(): Promise<void> {
    const { cfg } = this.ctx;
    this.reader = this.ctx.kafka.consumer({ groupId: `${this.id}-reader` });
    await this.reader.connect();
    await this.reader.subscribe({ topic: cfg.topics.recommendations, fromBeginning: true });
    await this.reader.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) this.recs.push({ key: m.key!.toString(), ts: Number(m.timestamp), value: m.value! });
      },
    });
  }

  /** Waits until no recommendation has arrived for 2 s, then decodes those not decoded yet. */
  async settle(): Promise<void> {
    let seen = -1;
    while (seen !== this.recs.length) {
      seen = this.recs.length;
      await sleep(2_000);
    }
    for (const r of this.recs) r.rec ??= await this.ctx.codec.decode<Recommendation>(r.value, 'Recommendation');
  }

  /** Sorted latencies (ms) of the recommendations of the given rounds (all when omitted). */
  latencies(rounds?: Set<number>): number[] {
    return this.matched(rounds)
      .map((m) => m.latency)
      .sort((a, b) => a - b);
  }

  /** Each recommendation of the given rounds (all when omitted) with the send time of its closing event. */
  private matched(rounds?: Set<number>): { sent: number; latency: number }[] {
    const out: { sent: number; latency: number }[] = [];
    for (const { ts, rec } of this.recs) {
      if (!rec) continue; // arrived after the last settle(): not in the phase measured
      const round = Math.round((rec.createdAt - this.t0) / STEP);
      if (rounds && !rounds.has(round)) continue;
      const sent = this.sentAt.get(`${seriesIdOf({ ...rec, container: null, metric: 'cpu_usage' })}@${round}`);
      if (sent !== undefined) out.push({ sent, latency: ts - sent });
    }
    return out;
  }

  /**
   * The latencies of the given rounds by when their closing event was sent, in windows of
   * `windowMs` from the first: whether a tail is spread over the round (queueing) or gathered
   * in a few windows (a stall).
   */
  timeline(rounds: Set<number>, windowMs: number): { fromS: number; n: number; p50: number; p99: number; max: number }[] {
    const all = this.matched(rounds);
    if (all.length === 0) return [];
    const start = all.reduce((min, m) => Math.min(min, m.sent), Infinity); // no spread: 200,000 arguments overflow the stack
    const windows = new Map<number, number[]>();
    for (const m of all) {
      const w = Math.floor((m.sent - start) / windowMs);
      const list = windows.get(w);
      if (list) list.push(m.latency);
      else windows.set(w, [m.latency]);
    }
    return [...windows.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([w, l]) => {
        l.sort((a, b) => a - b);
        return { fromS: (w * windowMs) / 1000, n: l.length, p50: percentile(l, 0.5), p99: percentile(l, 0.99), max: l.at(-1)! };
      });
  }

  async stop(): Promise<void> {
    await this.producer?.stop();
    await this.reader?.disconnect();
    await this.service?.stop();
    await this.processors?.stop();
    await this.ctx.producer.disconnect();
    await this.ctx.health.close();
  }
}

export function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

export async function benchPipeline(opts: PipelineBenchOptions): Promise<Record<string, number | string>> {
  const h = await LoopHarness.create(opts.series, opts.partitions, opts.rounds);
  const { cfg } = h.ctx;
  const redis = createRedis(cfg.redis, h.ctx.log);
  await redis.connect();
  const cpu = new CpuMeter(redis);
  await h.startProcessor();
  opts.progress(`warm-up: one event for each of ${opts.series} series...`);
  await h.produceRound(0, 0);
  await h.waitApplied(opts.series);
  await h.startReader();
  // CPU per round, from its first closing event sent to its last series scored (ingest of the closing event included)
  const roundCpu: CpuSnapshot[] = [];
  for (let r = 1; r <= opts.rounds; r++) {
    opts.progress(`round ${r}/${opts.rounds}: ${opts.series} events over ${opts.spread} s, each closing its series' step...`);
    const c0 = await cpu.snapshot();
    await h.produceRound(r, opts.spread);
    await h.waitApplied(opts.series * (r + 1));
    roundCpu.push(cpuBetween(c0, await cpu.snapshot()));
  }
  await h.settle(); // let the last recommendations arrive
  await h.stop();
  await redis.quit();
  const perSeriesUs = (s: number | undefined): number => (s === undefined ? NaN : Math.round((s * 1e6) / opts.series));
  // the first round is each series' first scoring; later rounds are the steady state
  const later = roundCpu.slice(1);
  const mean = (xs: (number | undefined)[]): number | undefined =>
    xs.length && xs.every((x) => x !== undefined) ? xs.reduce((a, b) => a! + b!, 0)! / xs.length : undefined;

  const latencies = h.latencies();
  // loops, not spreads: 300,000 arguments overflow the stack
  let [firstSent, lastRec] = [Infinity, -Infinity];
  for (const t of h.sentAt.values()) firstSent = Math.min(firstSent, t);
  for (const r of h.recs) lastRec = Math.max(lastRec, r.ts);
  const { phases, scoredSeries } = h;
  return {
    series: opts.series,
    rounds: opts.rounds,
    spread_s: opts.spread,
    partitions: opts.partitions,
    closing_events: opts.series * opts.rounds,
    recommendations: h.recs.length,
    matched: latencies.length,
    p50_ms: percentile(latencies, 0.5),
    p90_ms: percentile(latencies, 0.9),
    p99_ms: percentile(latencies, 0.99),
    max_ms: latencies.at(-1) ?? NaN,
    recommendations_per_s: +(h.recs.length / ((lastRec - firstSent) / 1000)).toFixed(1),
    // where the scoring time went, in µs per scored series
    scored_series: scoredSeries,
    us_per_series_history: +((phases.history * 1000) / scoredSeries).toFixed(1),
    us_per_series_models: +((phases.models * 1000) / scoredSeries).toFixed(1),
    us_per_series_decide: +((phases.decide * 1000) / scoredSeries).toFixed(1),
    us_per_series_publish: +((phases.publish * 1000) / scoredSeries).toFixed(1),
    // CPU per closing event (its ingest, scoring and recommendation): this process (the processor, the producer and the reader), and Redis
    node_cpu_us_per_series_first_round: perSeriesUs(roundCpu[0]?.node),
    redis_cpu_us_per_series_first_round: perSeriesUs(roundCpu[0]?.redis),
    node_cpu_us_per_series_later_rounds: perSeriesUs(mean(later.map((c) => c.node))),
    redis_cpu_us_per_series_later_rounds: perSeriesUs(mean(later.map((c) => c.redis))),
    p99_ms_first_round: percentile(h.latencies(new Set([1])), 0.99),
    p99_ms_later_rounds: percentile(h.latencies(new Set(Array.from({ length: opts.rounds - 1 }, (_, i) => i + 2))), 0.99),
    topic: cfg.topics.recommendations,
  };
}
