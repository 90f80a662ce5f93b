/**
 * Closing the loop on the real stack (issue 13 §1): one processor, one workload.
 *   1. A day of flat demand (3 cores) → an HPA recommendation raising minReplicas from the
 *      manifest's 1.
 *   2. The change is committed into the processor's checkout (as the committer and a pull
 *      would); the processor sees the new HEAD.
 *   3. Demand jumps to 12 cores 15 minutes later: over the 75-minute after window the change
 *      under-provisions far beyond the policy's 1% SLO risk. The outcome is published on
 *      outcomes.v1 and recorded in Redis, with figures the test computes from the demand it
 *      produced; the verdict is regressed: the workload's calibration is tightened, an alert is
 *      on alerts.v1, and the next recommendation cites the outcome.
 *   4. Forecasts made before the jump miss it: rolling coverage leaves the band, a drift alert
 *      names the workload and the model version.
 *   5. Two other kinds of change land in the same commit and get their outcomes from the same
 *      engine (outcomes/measures.ts): RESOURCES (container app uses 0.5 cores per replica, 0.7
 *      after the jump, against its requests.cpu lowered from 1) and SPOT (the same replicas moved to
 *      spot capacity, against the workload's demand), each checked against a hand-computed case.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { AnomalyAlert, ChangeOutcome, MetricSample, Recommendation } from '../../../src/codec/generated-types.js';
import { listOutcomes } from '../../../src/outcomes/store.js';
import { waitFor } from '../../../src/util/retry.js';
import { workloadStateKey } from '../../../src/windows/redis-keys.js';
import { startCli } from '../../helpers/cli.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { committedOffsets, readTopic, testKafka } from '../../helpers/kafka.js';
import { produceSamples, testCodec } from '../../helpers/produce.js';
import { tempDir } from '../../helpers/temp-dir.js';

const POLICIES = `apiVersion: foresight.dev/v1
kind: Policy
metadata: { name: defaults }
spec:
  sloRisk: 0.01
  sloAdaptation: 0
  replicas: { min: 1, max: 100, perReplicaCapacity: 1, targetUtilization: 1, metric: cpu_usage, peakMargin: 10 }
  change: { maxStepPercent: 1000, cooldownMinutes: 60, hysteresisPercent: 10 }
  critical: { changePercentAbove: 1000, monthlyCostIncreaseAbove: 1000000 }
`;
const manifest = (min: string, max: string, cpu = '1', spot = false): string => `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop, annotations: { foresight.dev/managed: 'true' } }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:${spot ? "\n      nodeSelector: { 'karpenter.sh/capacity-type': spot }" : ''}
      containers:
        - name: app
          image: web:1
          resources: { requests: { cpu: '${cpu}', memory: 1Gi } }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: web, namespace: shop }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  minReplicas: ${min}
  maxReplicas: ${max}
`;

const MIN = 60_000;
const STEP = 5 * MIN;
const PERIOD = 75 * MIN; // longer than the forecaster's 1-hour horizon: forecasts made early in the after window are checked within it
const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

const sample = (value: number, t: number, container: string | null = null): MetricSample => ({
  cluster: 'test',
  namespace: 'shop',
  kind: 'Deployment',
  name: 'web',
  container,
  metric: 'cpu_usage',
  unit: '{cpu}',
  value,
  eventTime: t,
  attributes: {},
});

describe('outcomes of changes', () => {
  const repo = tempDir('foresight-outcomes-');
  const git = (...args: string[]): string => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' });
  const end = Math.floor(Date.now() / STEP) * STEP;
  const t1 = end - 130 * MIN; // the change lands here
  const jump = t1 + 15 * MIN; // demand 3 → 12
  const demand = (t: number): number => (t >= jump ? 12 : 3);
  const usage = (t: number): number => (t >= jump ? 0.7 : 0.5); // container app, per replica (one pod's sample)
  // a day of 5-minute samples (27 h: SPOT needs 24 hourly means before t1), then minute samples for the last 4 hours (the outcome's windows read minutes)
  const phase1: number[] = [];
  for (let t = end - 27 * 60 * MIN; t < end - 4 * 60 * MIN; t += STEP) phase1.push(t);
  for (let t = end - 4 * 60 * MIN; t < t1; t += MIN) phase1.push(t);
  const phase2: number[] = [];
  for (let t = t1; t < end; t += MIN) phase2.push(t);

  it('publishes the outcome of a landed change from the windows, tightens a regressed one, alerts, and detects drift', async () => {
    mkdirSync(path.join(repo, 'policies'));
    mkdirSync(path.join(repo, 'apps'));
    writeFileSync(path.join(repo, 'policies', 'policies.yaml'), POLICIES);
    writeFileSync(path.join(repo, 'apps', 'web.yaml'), manifest('1', '4'));
    writeFileSync(path.join(repo, 'foresight-mapping.yaml'), 'apiVersion: foresight.dev/v1\nkind: Mapping\ninclude: [apps]\nworkloads: []\n');
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    git('add', '.');
    git('commit', '-qm', 'seed');
    const env = testEnv({
      FORESIGHT_TOPIC_PARTITIONS: '1',
      FORESIGHT_POLICY_REPO: repo,
      FORESIGHT_POLICY_REFRESH_MS: '200',
      FORESIGHT_REPLAY_HISTORY: 'true',
      FORESIGHT_OUTCOME_PERIOD_MS: String(PERIOD),
      FORESIGHT_QUALITY_WINDOW_MS: String(PERIOD),
      FORESIGHT_DRIFT_PERIOD_MS: String(STEP),
    });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    const decodeAll = async <T>(topic: string, schema: 'Recommendation' | 'ChangeOutcome' | 'AnomalyAlert'): Promise<T[]> =>
      Promise.all((await readTopic(kafka, topic)).map((m) => codec.decode<T>(m.message.value, schema)));
    // the processor commits a batch's offset after its scoring: everything produced so far was scored
    const scored = (n: number) => async (): Promise<boolean> =>
      ((await committedOffsets(kafka, cfg.processorGroup, cfg.topics.metrics)).get(0) ?? -1n) >= BigInt(n);
    const proc = startCli(['processor'], env);
    try {
      await produceSamples(
        kafka,
        cfg,
        codec,
        phase1.flatMap((t) => [sample(demand(t), t), sample(usage(t), t, 'app')]),
      );
      assert.ok(await waitFor(scored(2 * phase1.length), 60_000, 200), proc.output().slice(-3000));
      const proposed = (await decodeAll<Recommendation>(cfg.topics.recommendations, 'Recommendation')).filter((r) => r.type === 'HPA').at(-1);
      assert.ok(proposed, `an HPA recommendation: ${proc.output().slice(-2000)}`);
      const min = proposed.changes.find((c) => c.field === 'minReplicas')!;
      const max = proposed.changes.find((c) => c.field === 'maxReplicas')!;
      assert.equal(min.current, '1');
      assert.ok(Number(min.proposed) >= 3, `raised for 3 cores: ${min.proposed}`);
      const all = await decodeAll<Recommendation>(cfg.topics.recommendations, 'Recommendation');
      const resources = all.filter((r) => r.type === 'RESOURCES').at(-1);
      const spot = all.filter((r) => r.type === 'SPOT').at(-1);
      assert.ok(resources && spot, JSON.stringify(all.map((r) => [r.type, r.changes])));
      const cpu = resources.changes.find((c) => c.field === 'requests.cpu')!;
      assert.equal(cpu.current, '1');
      assert.deepEqual(
        spot.changes.map((c) => ({ ...c })),
        [{ field: 'nodeSelector.karpenter.sh/capacity-type', current: null, proposed: 'spot' }],
      );

      // the changes land in the processor's checkout (one commit, as the committer makes them)
      writeFileSync(path.join(repo, 'apps', 'web.yaml'), manifest(min.proposed, max.proposed, cpu.proposed, true));
      git('commit', '-qam', `foresight: ${proposed.id}`);
      await proc.waitForOutput(git('rev-parse', 'HEAD').trim(), 15_000);
      await produceSamples(
        kafka,
        cfg,
        codec,
        phase2.flatMap((t) => [sample(demand(t), t), sample(usage(t), t, 'app')]),
      );
      assert.ok(await waitFor(scored(2 * (phase1.length + phase2.length)), 60_000, 200), proc.output().slice(-3000));

      const outcomes = await decodeAll<ChangeOutcome>(cfg.topics.outcomes, 'ChangeOutcome');
      const o = outcomes.find((x) => x.recommendationId === proposed.id);
      assert.ok(o, `an outcome for ${proposed.id}: ${JSON.stringify(outcomes)}\n${proc.output().slice(-3000)}`);
      // in force at the first step closed after the new HEAD; decided one period later
      assert.ok(o.inForceAt >= t1 && o.inForceAt <= jump && o.inForceAt % STEP === 0, new Date(o.inForceAt).toISOString());
      assert.equal(o.decidedAt, o.inForceAt + PERIOD);
      assert.deepEqual(
        o.fields.map((f) => ({ ...f })),
        [
          { field: 'minReplicas', before: '1', after: min.proposed },
          { field: 'maxReplicas', before: '4', after: max.proposed },
        ],
      );
      // the figures, by hand from the demand produced: a sample every minute, so every 5-minute step has data (its mean)
      const steps = (from: number, f = demand): number[] => Array.from({ length: PERIOD / STEP }, (_, i) => f(from + i * STEP));
      // a window: `capacity` per step against the demand `f`, holding `amount` per hour
      const expect = (from: number, capacity: number, f = demand, amount = capacity) => {
        const d = steps(from, f);
        return {
          startMs: from,
          endMs: from + PERIOD,
          intervals: d.length,
          underProvisionedShare: d.filter((x) => x > capacity).length / d.length,
          meanSlack: d.reduce((s, x) => s + (capacity - x) / capacity, 0) / d.length,
          capacityHours: (amount * PERIOD) / 3_600_000,
          cost: null, // no billing rows: unknown, never 0
          secondaryOverShare: null, // a model server's queue, or memory beside CPU
        };
      };
      const near = (a: unknown, b: unknown): boolean =>
        JSON.stringify(a, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(9)) : v)) ===
        JSON.stringify(b, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(9)) : v));
      assert.ok(near(o.before, expect(o.inForceAt - PERIOD, 1)), JSON.stringify([o.before, expect(o.inForceAt - PERIOD, 1)]));
      assert.ok(near(o.after, expect(o.inForceAt, Number(min.proposed))), JSON.stringify([o.after, expect(o.inForceAt, Number(min.proposed))]));
      assert.match(o.costUnknown ?? '', /cost unknown: no billing rows/);
      assert.equal(o.verdict, 'regressed');
      assert.equal(o.quantile, 0.99);
      assert.ok(o.coverage !== null && o.coverage >= 0 && o.coverage <= 1 && o.pinballLoss !== null && o.pinballLoss >= 0, JSON.stringify(o));
      assert.equal(o.measure, 'cpu_usage against minReplicas × 1 per replica');

      // RESOURCES: usage per replica against the request; core-hours of request × replicas in force
      const replicas = Number(min.proposed);
      const r = outcomes.find((x) => x.recommendationId === resources.id);
      assert.ok(r, `an outcome for the RESOURCES change: ${JSON.stringify(outcomes.map((x) => x.type))}`);
      assert.equal(r.measure, 'cpu_usage of container app per replica against requests.cpu');
      assert.equal(r.container, 'app');
      assert.ok(r.inForceAt >= t1 && r.inForceAt <= jump, new Date(r.inForceAt).toISOString());
      const req = Number(cpu.proposed.replace(/m$/, '')) / (cpu.proposed.endsWith('m') ? 1000 : 1);
      assert.ok(near(r.before, expect(r.inForceAt - PERIOD, 1, usage, replicas)), JSON.stringify([r.before, expect(r.inForceAt - PERIOD, 1, usage, replicas)]));
      assert.ok(near(r.after, expect(r.inForceAt, req, usage, req * replicas)), JSON.stringify([r.after, expect(r.inForceAt, req, usage, req * replicas)]));
      assert.equal(r.verdict, r.after.underProvisionedShare! > 0.01 ? 'regressed' : 'saved');
      // SPOT: the same replicas before and after, against the workload's demand
      const sp = outcomes.find((x) => x.recommendationId === spot.id);
      assert.ok(sp, `an outcome for the SPOT change: ${JSON.stringify(outcomes.map((x) => x.type))}`);
      assert.equal(sp.measure, 'cpu_usage against replicas in force × 1 per replica');
      assert.ok(near(sp.before, expect(sp.inForceAt - PERIOD, replicas)), JSON.stringify([sp.before, expect(sp.inForceAt - PERIOD, replicas)]));
      assert.ok(near(sp.after, expect(sp.inForceAt, replicas)), JSON.stringify([sp.after, expect(sp.inForceAt, replicas)]));
      assert.match(sp.costUnknown ?? '', /cost unknown: no billing rows for pool default/);
      assert.equal(sp.verdict, 'regressed');
      assert.deepEqual((await listOutcomes(redis, cfg.redis.keyPrefix)).map((x) => x.recommendationId).sort(), [proposed.id, resources.id, spot.id].sort());

      // the reaction: calibration tightened (by the replica changes: HPA and SPOT), an alert per regressed outcome, and the next recommendation cites the outcome
      const state = await redis.hgetall(workloadStateKey(cfg.redis.keyPrefix, 'test/shop/Deployment/web'));
      assert.ok([proposed.id, spot.id].includes(state.tightenedBy), state.tightenedBy);
      assert.ok(Number(state.tighten) > 0);
      const alerts = await decodeAll<AnomalyAlert>(cfg.topics.alerts, 'AnomalyAlert');
      const regressed = alerts.filter((a) => a.metric === 'outcome:under-provisioned-share');
      assert.equal(regressed.length, outcomes.filter((x) => x.verdict === 'regressed').length, JSON.stringify(alerts.map((a) => a.metric)));
      const hpaAlert = regressed.find((a) => a.container === null && a.value === o.after.underProvisionedShare);
      assert.ok(hpaAlert);
      assert.equal(hpaAlert.threshold, 0.01);
      const later = (await decodeAll<Recommendation>(cfg.topics.recommendations, 'Recommendation')).filter(
        (x) => x.type === 'HPA' && x.createdAt > o.decidedAt,
      );
      assert.ok(
        later.some((x) => x.rules.some((rule) => rule.startsWith(`outcome-regressed:${state.tightenedBy}:`))),
        JSON.stringify(later.map((x) => [new Date(x.createdAt).toISOString(), x.rules])),
      );

      // drift: forecasts made before the jump missed it
      const drift = alerts.filter((a) => a.metric === 'forecast:coverage');
      assert.ok(drift.length >= 1, JSON.stringify(alerts.map((a) => a.metric)));
      assert.equal(`${drift[0].namespace}/${drift[0].kind}/${drift[0].name}`, 'shop/Deployment/web');
      assert.equal(drift[0].modelVersion, proposed.modelVersion);
      assert.ok(drift[0].value < 0.94, `coverage ${drift[0].value} under the band [0.94, 1]`);

      // online quality and the outcome, as Prometheus sees them on the processor's /metrics
      const port = /"port":(\d+)[^\n]*health and metrics endpoint listening/.exec(proc.output())?.[1];
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const labels = `namespace="shop",workload="Deployment/web",model_version="${proposed.modelVersion}"`;
      const escaped = labels.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); // the model version holds a '+' (its content hash)
      const value = (name: string): number => Number(new RegExp(`^${name}\\{${escaped}[^}]*\\} (\\S+)`, 'm').exec(metrics)?.[1]);
      assert.equal(value('foresight_forecast_coverage_target'), 0.99);
      assert.equal(value('foresight_underprovisioned_target'), 0.01);
      for (const name of ['foresight_forecast_coverage', 'foresight_underprovisioned_share'])
        assert.ok(value(name) >= 0 && value(name) <= 1, `${name} ${value(name)}`);
      assert.ok(value('foresight_forecast_pinball_loss') >= 0);
      const counted = Number(/^foresight_outcomes_total\{verdict="regressed"[^}]*\} (\d+)$/m.exec(metrics)?.[1]);
      assert.equal(counted, outcomes.filter((x) => x.verdict === 'regressed').length);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });
});
