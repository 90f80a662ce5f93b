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
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MetricSample, Recommendation } from '../codec/generated-types.js';
import { seriesIdOf } from '../codec/metric-sample.js';
import { benchEnv, benchId } from './bench-env.js';
import { gitEnv } from '../gitops/git-env.js';
import { startProcessor } from '../processor/processor.js';
import { createServiceContext } from '../service/runtime.js';
import { sleep } from '../util/retry.js';

const STEP = 300_000;

export interface PipelineBenchOptions {
  series: number;
  rounds: number;
  /** seconds over which a round's closing events are sent (a collector's scrape interval); 0: all at once */
  spread: number;
  partitions: number;
  progress: (msg: string) => void;
}

const POLICY = `apiVersion: foresight.dev/v1
kind: Policy
metadata: { name: bench }
spec:
  sloRisk: 0.01
  replicas: { min: 1, max: 1000, perReplicaCapacity: 1, targetUtilization: 1, metric: cpu_usage }
  change: { maxStepPercent: 1000, cooldownMinutes: 0, hysteresisPercent: 0 }
`;

function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

export async function benchPipeline(opts: PipelineBenchOptions): Promise<Record<string, number | string>> {
  const id = benchId();
  const repo = mkdtempSync(path.join(os.tmpdir(), 'foresight-bench-policy-'));
  mkdirSync(path.join(repo, 'policies'));
  writeFileSync(path.join(repo, 'policies', 'bench.yaml'), POLICY);
  const gitOpts = { env: gitEnv() }; // not the caller's GIT_DIR, EDITOR, …
  execFileSync('git', ['init', '-q', repo], gitOpts);
  execFileSync('git', ['-C', repo, 'add', '.'], gitOpts);
  execFileSync('git', ['-C', repo, '-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-qm', 'bench policy'], gitOpts);
  const env = benchEnv(id, opts.partitions, { FORESIGHT_RECOMMEND: 'true', FORESIGHT_POLICY_REPO: repo });

  const ctx = await createServiceContext('bench', env);
  const { cfg, codec } = ctx;
  let applied = 0;
  let scoredSeries = 0;
  const phases = { history: 0, models: 0, decide: 0, publish: 0 };
  const service = await startProcessor(ctx, (o) => {
    applied += o.messages;
    if (o.scoring) {
      scoredSeries += o.scoring.scored;
      for (const k of Object.keys(phases) as (keyof typeof phases)[]) phases[k] += o.scoring.timings[k];
    }
  });

  const t0 = Math.floor(Date.now() / STEP) * STEP - (opts.rounds + 1) * STEP;
  const sample = (s: number, round: number): MetricSample => ({
    cluster: 'bench',
    namespace: `ns${s % 50}`,
    kind: 'Deployment',
    name: `w${s}`,
    container: null,
    metric: 'cpu_usage',
    unit: '{cpu}',
    value: 2 + 2 * round + (s % 7) * 0.1,
    eventTime: t0 + round * STEP + 1_000,
    attributes: {},
  });
  const sentAt = new Map<string, number>(); // `${seriesId}@${round}` → send time
  const produceRound = async (round: number, spreadS: number): Promise<void> => {
    const chunk = spreadS > 0 ? 100 : 1000;
    const start = Date.now();
    for (let i = 0; i < opts.series; i += chunk) {
      const due = start + (spreadS * 1000 * i) / opts.series;
      if (due > Date.now()) await sleep(due - Date.now());
      const now = Date.now();
      const messages = [];
      for (let s = i; s < Math.min(opts.series, i + chunk); s++) {
        const smp = sample(s, round);
        const key = seriesIdOf(smp);
        if (round > 0) sentAt.set(`${key}@${round}`, now);
        messages.push({ key, value: codec.encode('MetricSample', smp), timestamp: String(now) });
      }
      await ctx.producer.send({ topic: cfg.topics.metrics, messages, acks: 1 });
    }
  };
  const waitApplied = async (n: number): Promise<void> => {
    const deadline = Date.now() + 600_000;
    while (applied < n) {
      if (Date.now() > deadline) throw new Error(`the processor applied ${applied} of ${n} events in 10 minutes`);
      await sleep(20);
    }
  };

  opts.progress(`warm-up: one event for each of ${opts.series} series...`);
  await produceRound(0, 0);
  await waitApplied(opts.series);
  const recs: { key: string; ts: number; rec: Recommendation }[] = [];
  const consumer = ctx.kafka.consumer({ groupId: `${id}-reader` });
  await consumer.connect();
  await consumer.subscribe({ topic: cfg.topics.recommendations, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      recs.push({ key: message.key!.toString(), ts: Number(message.timestamp), rec: await codec.decode<Recommendation>(message.value, 'Recommendation') });
    },
  });
  for (let r = 1; r <= opts.rounds; r++) {
    opts.progress(`round ${r}/${opts.rounds}: ${opts.series} events over ${opts.spread} s, each closing its series' step...`);
    await produceRound(r, opts.spread);
    await waitApplied(opts.series * (r + 1));
  }
  // let the last recommendations arrive
  let seen = -1;
  while (seen !== recs.length) {
    seen = recs.length;
    await sleep(2_000);
  }
  await consumer.disconnect();
  await service.stop();
  await ctx.producer.disconnect();
  await ctx.health.close();

  const latencies: number[] = [];
  for (const { ts, rec } of recs) {
    const round = Math.round((rec.createdAt - t0) / STEP);
    const sent = sentAt.get(`${seriesIdOf({ ...rec, container: null, metric: 'cpu_usage' })}@${round}`);
    if (sent !== undefined) latencies.push(ts - sent);
  }
  latencies.sort((a, b) => a - b);
  const firstSent = Math.min(...sentAt.values());
  const lastRec = Math.max(...recs.map((r) => r.ts));
  return {
    series: opts.series,
    rounds: opts.rounds,
    spread_s: opts.spread,
    partitions: opts.partitions,
    closing_events: opts.series * opts.rounds,
    recommendations: recs.length,
    matched: latencies.length,
    p50_ms: percentile(latencies, 0.5),
    p90_ms: percentile(latencies, 0.9),
    p99_ms: percentile(latencies, 0.99),
    max_ms: latencies.at(-1) ?? NaN,
    recommendations_per_s: +(recs.length / ((lastRec - firstSent) / 1000)).toFixed(1),
    // where the scoring time went, in µs per scored series
    scored_series: scoredSeries,
    us_per_series_history: +((phases.history * 1000) / scoredSeries).toFixed(1),
    us_per_series_models: +((phases.models * 1000) / scoredSeries).toFixed(1),
    us_per_series_decide: +((phases.decide * 1000) / scoredSeries).toFixed(1),
    us_per_series_publish: +((phases.publish * 1000) / scoredSeries).toFixed(1),
    topic: cfg.topics.recommendations,
  };
}
