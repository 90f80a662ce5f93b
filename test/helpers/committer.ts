/** The committer on the real stack: a seeded GitOps repository, its topics, recommendations to send, dead letters to read. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DeadLetter, Recommendation } from '../../src/codec/generated-types.js';
import { ensureTopics } from '../../src/kafka/topics.js';
import { startCli, type RunningCli } from './cli.js';
import { testConfig, testEnv } from './env.js';
import { gitopsRemote, type GitOpsFixture } from './gitops.js';
import { readTopic, testKafka } from './kafka.js';
import { testCodec } from './produce.js';

export const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

export function recommendation(workload: string, id: string, changes: [string, string][], opts: Partial<Recommendation> = {}): Recommendation {
  const [namespace, kind, name] = workload.split('/');
  return {
    id,
    type: 'HPA',
    cluster: 'prod',
    namespace,
    kind,
    name,
    container: null,
    changes: changes.map(([field, proposed]) => ({ field, current: null, proposed })),
    currentSource: 'MANIFEST',
    forecast: { metric: 'cpu_usage', horizonSeconds: 3600, q50: 2.1, q90: 2.9, q99: 3.6, quantileUsed: 0.99, peakTime: null },
    rules: ['slo-risk:0.01', 'policy:defaults'],
    monthlyCostDelta: 12.5,
    currency: 'USD',
    confidence: 0.8,
    modelVersion: 'forecaster-test',
    critical: false,
    createdAt: Date.now(),
    traceparent: `00-${TRACE}-00f067aa0ba902b7-01`,
    costUnknown: null,
    nodePool: null,
    budget: null,
    resourceDelta: null,
    ...opts,
  };
}

export interface CommitterFixture {
  env: Record<string, string>;
  repo: GitOpsFixture;
  send(values: (Recommendation | Buffer)[]): Promise<void>;
  /** the committer process, with `extraEnv` on top of the test environment */
  start(extraEnv?: Record<string, string>): RunningCli;
  letters(): Promise<DeadLetter[]>;
  /** commits on `ref` of the remote */
  count(ref: string): number;
  /** a person's commit on main: replaces `from` by `to` in `file` and pushes */
  humanEdit(file: string, from: string, to: string): void;
}

/** A GitOps remote seeded with the example repository plus `extra` files (null: remove), and unique topics. */
export async function committerSetup(extra: Record<string, string> = {}): Promise<CommitterFixture> {
  const repo = gitopsRemote(extra);
  const env = testEnv({
    FORESIGHT_TOPIC_PARTITIONS: '1',
    FORESIGHT_GITOPS_REMOTE: repo.remote,
    FORESIGHT_GITOPS_WORKDIR: path.join(repo.tmp, 'work'),
    FORESIGHT_GIT_AUTHOR: 'Foresight Bot <bot@foresight.test>',
  });
  const cfg = testConfig(env);
  const kafka = testKafka(cfg);
  const codec = await testCodec(cfg);
  await ensureTopics(kafka, cfg.topics);
  return {
    env,
    repo,
    send: async (values) => {
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: cfg.topics.recommendations,
        messages: values.map((v) => ({ key: 'k', value: Buffer.isBuffer(v) ? v : codec.encode('Recommendation', v) })),
      });
      await producer.disconnect();
    },
    start: (extraEnv = {}) => startCli(['committer'], { ...env, ...extraEnv }),
    letters: async () =>
      Promise.all((await readTopic(kafka, cfg.topics.deadletter, 5_000)).map((l) => codec.decode<DeadLetter>(l.message.value, 'DeadLetter'))),
    count: (ref) => Number(repo.git('rev-list', '--count', ref).trim()),
    humanEdit: (file, from, to) => {
      const dir = path.join(repo.tmp, `human-${Date.now()}`);
      const git = (...args: string[]): string =>
        execFileSync('git', ['-C', dir, '-c', 'user.name=A Person', '-c', 'user.email=person@example.com', ...args], { encoding: 'utf8' });
      execFileSync('git', ['clone', '-q', repo.remote, dir]);
      const text = readFileSync(path.join(dir, file), 'utf8');
      if (!text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)}`);
      writeFileSync(path.join(dir, file), text.replace(from, to));
      git('commit', '-qam', `${file}: ${from} → ${to} (by hand)`);
      git('push', '-q', 'origin', 'HEAD:main');
    },
  };
}
