/**
 * One decision engine: a trace replayed through metrics.v1 → processor gives, on
 * recommendations.v1, exactly the recommendations `foresight backtest --policy` decides on the
 * same rows — the same steps, the same minReplicas and maxReplicas. (Live: state in Redis,
 * history from the windows; backtest: state in memory, history from the file.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { MetricSample, Recommendation } from '../../../src/codec/generated-types.js';
import { runCli } from '../../helpers/cli.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { readTopic, testKafka } from '../../helpers/kafka.js';
import { runProcessorUntil } from '../../helpers/processor.js';
import { produceSamples, testCodec } from '../../helpers/produce.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { alibabaEndingNow } from '../../helpers/trace.js';

const STEP = 300_000;
const ROWS = 280; // under a day: every closed step of the replay is scored (ingest MAX_DUE_STEPS)
// the default policy, sizing replicas of 10 units of the trace's CPU percentage
const POLICY = `apiVersion: foresight.dev/v1
kind: Policy
metadata: { name: defaults }
spec:
  replicas: { min: 1, max: 20, perReplicaCapacity: 10, targetUtilization: 0.7, metric: cpu_usage }
  critical: { changePercentAbove: 1000, monthlyCostIncreaseAbove: 1000000 }
`;
const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

describe('live loop and backtest', () => {
  it('publish the same recommendations at the same steps for the same rows', async () => {
    const dir = tempDir('live-backtest-');
    const repo = path.join(dir, 'repo');
    mkdirSync(path.join(repo, 'policies'), { recursive: true });
    writeFileSync(path.join(repo, 'policies', 'defaults.yaml'), POLICY);
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    execFileSync('git', ['-C', repo, 'add', '.']);
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'policies']);
    // the first rows of the shipped Alibaba trace, ending now
    const { values, times, start } = alibabaEndingNow(ROWS);
    writeFileSync(path.join(dir, 'trace.csv'), 'timestamp,cpu\n' + values.map((v, i) => `${times[i] / 1000},${v}`).join('\n') + '\n');

    const bt = runCli(
      [
        'backtest',
        '--input',
        path.join(dir, 'trace.csv'),
        '--value-column',
        'cpu',
        '--time-column',
        'timestamp',
        '--out',
        path.join(dir, 'out.csv'),
        '--policy',
        path.join(repo, 'policies', 'defaults.yaml'),
      ],
      {},
      180_000,
    );
    assert.equal(bt.status, 0, bt.stderr);
    const lines = readFileSync(path.join(dir, 'out.csv'), 'utf8').trim().split('\n');
    const head = lines[0].split(',');
    const col = (name: string): number => head.indexOf(name);
    const expected = lines
      .slice(1)
      .map((l) => l.split(','))
      .map((c, i) => ({ stepEndMs: times[i] + STEP, published: c[col('published')] === '1', min: c[col('min_replicas')], max: c[col('max_replicas')] }))
      .slice(0, ROWS - 1) // the newest step never closes in the replay
      .filter((r) => r.published);
    assert.ok(expected.length >= 3, `the backtest publishes changes: ${expected.length}`);

    const env = testEnv({ FORESIGHT_TOPIC_PARTITIONS: '1', FORESIGHT_POLICY_REPO: repo, FORESIGHT_REPLAY_HISTORY: 'true' });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    const samples: MetricSample[] = values.map((value, i) => ({
      cluster: 'test',
      namespace: 'shop',
      kind: 'Deployment',
      name: 'web',
      container: null,
      metric: 'cpu_usage',
      unit: '%',
      value,
      eventTime: times[i],
      attributes: {},
    }));
    await produceSamples(kafka, cfg, codec, samples);
    // done when the workload's state records the last closed step's decision
    const lastStepEnd = times[ROWS - 1];
    await runProcessorUntil(
      env,
      async () => {
        const decidedAt = await redis.hget(`${cfg.redis.keyPrefix}:rec:{test/shop/Deployment/web}`, 'decidedAt');
        return decidedAt !== null && Number(decidedAt) >= lastStepEnd;
      },
      180_000,
    );
    const recs = (
      await Promise.all((await readTopic(kafka, cfg.topics.recommendations)).map((m) => codec.decode<Recommendation>(m.message.value, 'Recommendation')))
    )
      .filter((r) => r.type === 'HPA')
      .sort((a, b) => a.createdAt - b.createdAt);
    const live = recs.map((r) => ({
      stepEndMs: r.createdAt,
      published: true,
      min: r.changes.find((c) => c.field === 'minReplicas')!.proposed,
      max: r.changes.find((c) => c.field === 'maxReplicas')!.proposed,
    }));
    const show = (xs: typeof live): string => xs.map((x) => `${(x.stepEndMs - start) / STEP}:${x.min}/${x.max}`).join(' ');
    assert.deepEqual(show(live), show(expected), 'row:minReplicas/maxReplicas, live vs backtest');
  });
});
