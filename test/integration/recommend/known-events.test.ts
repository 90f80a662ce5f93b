/**
 * Known future events on the real stack: a trace replayed through metrics.v1 → processor for two
 * workloads with the same demand, with `policies/events.yaml` declaring a campaign for one of
 * them that starts 30 minutes after the replay's last step. The declared workload gets its raise
 * (an HPA recommendation with the event's rule) before the event starts; the other, undeclared,
 * none — and until the raise window both got the same recommendations. Declared with a
 * multiplier, and `like` a past day: then the replay starts a week earlier with hourly samples,
 * the reference day three times as busy as the days before it, and the raise is the ×3 that
 * the processor's daily peaks (Redis) show (× the same hour a day before: policy/decide-replicas.ts eventDemand). A workload that no autoscaler scales gets its CPU
 * requests raised instead (a RESOURCES recommendation), at the hour closes before the event.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { MetricSample, Recommendation } from '../../../src/codec/generated-types.js';
import { parseQuantity } from '../../../src/manifests/quantity.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { readTopic, testKafka } from '../../helpers/kafka.js';
import { runProcessorUntil } from '../../helpers/processor.js';
import { produceSamples, testCodec } from '../../helpers/produce.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { alibabaEndingNow } from '../../helpers/trace.js';
import { totalApplied } from '../../helpers/windows.js';

const STEP = 300_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const ROWS = 72; // 6 hours
const POLICY = `apiVersion: foresight.dev/v1
kind: Policy
metadata: { name: defaults }
spec:
  replicas: { min: 1, max: 50, perReplicaCapacity: 10, targetUtilization: 0.7, metric: cpu_usage }
  change: { maxStepPercent: 1000 }
  critical: { changePercentAbove: 1000, monthlyCostIncreaseAbove: 1000000 }
`;
const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

/** A policy repository (a real git repository, one commit) holding `files` (path → text). */
function policyRepo(files: Record<string, string>): string {
  const repo = path.join(tempDir('known-events-'), 'repo');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    writeFileSync(path.join(repo, file), text);
  }
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  execFileSync('git', ['-C', repo, 'add', '.']);
  execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'policies and a campaign']);
  return repo;
}

interface Run {
  recs: Recommendation[];
  start: number;
  eventStart: number;
}

/**
 * Replays ROWS steps of the trace ending now for `web` and `api` (before them, with `week`, a week of
 * hourly samples: the usual level, three times it from 10:00 to 14:00 UTC on the reference day), the
 * event declared for `web` with `declaration` (YAML lines) and starting 30 minutes after the last step.
 */
async function replay(declaration: (eventStart: number) => string, week?: { referenceDay: (eventStart: number) => number }): Promise<Run> {
  const { values, times, start } = alibabaEndingNow(ROWS);
  const lastStepEnd = times[ROWS - 1]; // the newest step never closes in the replay
  const eventStart = lastStepEnd + 30 * 60_000;
  const iso = (ms: number): string => new Date(ms).toISOString();

  const repo = policyRepo({
    'policies/defaults.yaml': POLICY,
    'policies/events.yaml':
      `apiVersion: foresight.dev/v1\nkind: Events\nevents:\n  - name: campaign\n    start: "${iso(eventStart)}"\n    end: "${iso(eventStart + 2 * HOUR)}"\n` +
      `    scope: { namespace: shop, workload: web }\n${declaration(eventStart)}`,
  });

  const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_POLICY_REPO: repo, FORESIGHT_REPLAY_HISTORY: 'true' });
  const cfg = testConfig(env);
  const kafka = testKafka(cfg);
  const codec = await testCodec(cfg);
  const sample = (name: string, value: number, eventTime: number): MetricSample => ({
    cluster: 'test',
    namespace: 'shop',
    kind: 'Deployment',
    name,
    container: null,
    metric: 'cpu_usage',
    unit: '%',
    value,
    eventTime,
    attributes: {},
  });
  const series: [number, number][] = values.map((v, i) => [times[i], v]);
  if (week) {
    // hourly samples on the hour for 7 days before the trace, at the trace's peak (a day like today: the same hour a
    // day before the event, what its raise multiplies, is as busy as the trace)
    const usual = Math.max(...values);
    const ref = week.referenceDay(eventStart);
    const hourly: [number, number][] = [];
    for (let t = Math.ceil((start - 7 * DAY) / HOUR) * HOUR; t < start; t += HOUR) {
      const busy = Math.floor(t / DAY) === ref && (t % DAY) / HOUR >= 10 && (t % DAY) / HOUR < 14;
      hourly.push([t, busy ? 3 * usual : usual]);
    }
    series.unshift(...hourly);
  }
  await produceSamples(
    kafka,
    cfg,
    codec,
    series.flatMap(([t, v]) => [sample('web', v, t), sample('api', v, t)]),
  );
  await runProcessorUntil(
    env,
    async () => {
      const at = await Promise.all(['web', 'api'].map((n) => redis.hget(`${cfg.redis.keyPrefix}:rec:{test/shop/Deployment/${n}}`, 'decidedAt')));
      return at.every((a) => a !== null && Number(a) >= lastStepEnd);
    },
    180_000,
  );
  const recs = (
    await Promise.all((await readTopic(kafka, cfg.topics.recommendations)).map((m) => codec.decode<Recommendation>(m.message.value, 'Recommendation')))
  )
    .filter((r) => r.type === 'HPA')
    .sort((a, b) => a.createdAt - b.createdAt);
  return { recs, start, eventStart };
}

/** The declared workload raised (rule `rule`) before the event starts, to at least `least` × the undeclared one's level, which has the same recommendations until the raise window and none raised. */
function assertRaised({ recs, start, eventStart }: Run, rule: string, least: number): void {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const of = (name: string): Recommendation[] => recs.filter((r) => r.name === name);
  const minOf = (r: Recommendation): number => Number(r.changes.find((c) => c.field === 'minReplicas')!.proposed);
  const show = (xs: Recommendation[]): string => xs.map((r) => `${(r.createdAt - start) / STEP}:${minOf(r)}`).join(' ');
  const raiseFrom = eventStart - HOUR; // the horizon (1 hour) reaches the start
  const raises = of('web').filter((r) => r.rules.some((x) => x.startsWith('event:campaign')));
  assert.ok(raises.length >= 1, `the declared workload is raised: ${show(of('web'))}`);
  for (const r of raises) {
    assert.ok(r.createdAt > raiseFrom && r.createdAt < eventStart, `raised at ${iso(r.createdAt)}, before the start ${iso(eventStart)}`);
    assert.ok(r.rules.includes(rule), `rules ${r.rules.join(', ')} include ${rule}`);
  }
  const before = (xs: Recommendation[]): string => show(xs.filter((r) => r.createdAt <= raiseFrom));
  assert.equal(before(of('web')), before(of('api')), 'the same recommendations until the raise window');
  const lastApi = of('api').at(-1);
  assert.ok(lastApi, 'the undeclared workload has recommendations');
  const top = Math.max(...raises.map(minOf));
  assert.ok(top >= least * minOf(lastApi), `raised to ${top} vs undeclared ${minOf(lastApi)}: ${show(raises)}`);
  assert.ok(!of('api').some((r) => r.rules.some((x) => x.startsWith('event:'))), 'no raise without the declaration');
}

describe('known future events', () => {
  it('raise the declared workload before the event starts, and no other', async () => {
    assertRaised(await replay(() => '    multiplier: 3\n'), 'event:campaign:x3', 1.5);
  });

  it('declared like a past day, raise it by what that day showed in its daily peaks', async () => {
    const referenceDay = (eventStart: number): number => Math.floor(eventStart / DAY) - 2;
    const day = (d: number): string => new Date(d * DAY).toISOString().slice(0, 10);
    // the reference: three times the usual peak of the days before it (its hourly samples), so ×3
    const run = await replay((eventStart) => `    like: "${day(referenceDay(eventStart))}"\n`, { referenceDay });
    assertRaised(run, `event:campaign(like-${day(referenceDay(run.eventStart))}):x3`, 1.5);
  });

  it('raise the CPU requests of a workload that no autoscaler scales, before the event starts, and of no other', async () => {
    const end = Math.floor(Date.now() / HOUR) * HOUR; // an hour close: the newest step to close ends here
    const eventStart = end + 30 * 60_000;
    const iso = (ms: number): string => new Date(ms).toISOString();
    // two Deployments of one container each, 1 core requested, fixed replicas (no HPA, no ScaledObject)
    const deployment = (name: string): string =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  namespace: shop\n  annotations: { foresight.dev/managed: "true" }\n` +
      `spec:\n  replicas: 2\n  selector: { matchLabels: { app: ${name} } }\n  template:\n    metadata: { labels: { app: ${name} } }\n` +
      `    spec:\n      containers:\n        - name: app\n          image: example/${name}:1\n          resources: { requests: { cpu: "1", memory: 512Mi } }\n`;
    // batch: in the event's scope; report: the same without the label (undeclared); scaled: in scope, but an HPA scales it
    const labelled = (name: string): string => deployment(name).replace(`  name: ${name}\n`, `  name: ${name}\n  labels: { tier: jobs }\n`);
    const hpa = `---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: { name: scaled, namespace: shop }\nspec:\n  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: scaled }\n  minReplicas: 2\n  maxReplicas: 10\n`;
    const repo = policyRepo({
      'policies/defaults.yaml': POLICY,
      'policies/events.yaml':
        `apiVersion: foresight.dev/v1\nkind: Events\nevents:\n  - name: campaign\n    start: "${iso(eventStart)}"\n    end: "${iso(eventStart + 2 * HOUR)}"\n` +
        `    scope: { namespace: shop, labels: { tier: jobs } }\n    multiplier: 3\n`,
      'apps/batch.yaml': labelled('batch'),
      'apps/report.yaml': deployment('report'),
      'apps/scaled.yaml': labelled('scaled') + hpa,
    });

    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_POLICY_REPO: repo, FORESIGHT_REPLAY_HISTORY: 'true' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    // 14 hours of ~0.3 cores in each app container (RESOURCES needs half its 24-hour window), then one event closing the last step
    const times = Array.from({ length: 14 * 12 + 1 }, (_, i) => end - 14 * HOUR + i * STEP);
    const sample = (name: string, i: number): MetricSample => ({
      cluster: 'test',
      namespace: 'shop',
      kind: 'Deployment',
      name,
      container: 'app',
      metric: 'cpu_usage',
      unit: 'cores',
      value: 0.3 * (1 + 0.1 * Math.sin(i * 12.9898)),
      eventTime: times[i],
      attributes: {},
    });
    await produceSamples(
      kafka,
      cfg,
      codec,
      times.flatMap((_, i) => [sample('batch', i), sample('report', i), sample('scaled', i)]),
    );
    await runProcessorUntil(env, async () => (await totalApplied(redis, cfg.redis.keyPrefix)) >= 3 * times.length, 120_000);
    const recs = (
      await Promise.all((await readTopic(kafka, cfg.topics.recommendations)).map((m) => codec.decode<Recommendation>(m.message.value, 'Recommendation')))
    )
      .filter((r) => r.type === 'RESOURCES')
      .sort((a, b) => a.createdAt - b.createdAt);
    const cpuOf = (r: Recommendation): number => parseQuantity(r.changes.find((c) => c.field === 'requests.cpu')!.proposed)!;
    const show = JSON.stringify(recs.map((r) => [r.name, (r.createdAt - end) / HOUR, r.changes, r.rules]));
    const raised = recs.filter((r) => r.name === 'batch' && r.rules.includes('event:campaign:x3'));
    assert.ok(raised.length >= 1, `the declared workload's requests are raised: ${show}`);
    for (const r of raised) assert.ok(r.createdAt < eventStart && r.createdAt >= eventStart - 2 * HOUR, `raised at ${iso(r.createdAt)}: ${show}`);
    // an hour earlier than the replicas' raise would begin (eventStart − 1 h 30 min): the hourly rule runs once an hour
    assert.equal(raised[0].createdAt, end - HOUR, `first raised at the hour close before the replicas' window: ${show}`);
    assert.ok(
      !recs.some((r) => r.name === 'scaled' && r.rules.some((x) => x.startsWith('event:'))),
      `an autoscaled workload's requests are not raised: ${show}`,
    );
    assert.ok(
      recs.some((r) => r.name === 'scaled'),
      `the autoscaled one has its usual RESOURCES recommendations: ${show}`,
    );
    const usual = recs.filter((r) => r.name === 'report').at(-1)!;
    assert.ok(!recs.some((r) => r.name === 'report' && r.rules.some((x) => x.startsWith('event:'))), `no raise without the declaration: ${show}`);
    const top = Math.max(...raised.map(cpuOf));
    assert.ok(top >= 2.5 * cpuOf(usual), `requests.cpu raised to ${top} against ${cpuOf(usual)} undeclared (×3 declared): ${show}`);
  });
});
