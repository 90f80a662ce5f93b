/**
 * The Committer over the local Git backend, without Kafka: a real bare repository seeded with
 * the example, a working clone, and a person's clone to commit or force-push beside the bot.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import type { Recommendation } from '../../src/codec/generated-types.js';
import type { GitOpsBackend } from '../../src/committer/backend.js';
import { Committer } from '../../src/committer/committer.js';
import { LocalGitBackend } from '../../src/committer/local-backend.js';
import { seedBareRepository } from '../../src/committer/seed.js';
import type { CommitterConfig } from '../../src/config/config.js';
import { gitEnv } from '../../src/committer/git-env.js';
import { fieldRec } from './recommendation.js';
import { tempDir } from './temp-dir.js';

/** A recommendation whose changes are [field, current, proposed] (current null: not checked); fieldRec's, with a forecast, a cost and a rule. */
export function rec(workload: string, id: string, changes: [string, string | null, string][], opts: Partial<Recommendation> = {}): Recommendation {
  return fieldRec(
    workload,
    changes.map(([field, , proposed]) => [field, proposed]),
    null,
    {
      id,
      changes: changes.map(([field, current, proposed]) => ({ field, current, proposed })),
      forecast: { metric: 'cpu_usage', horizonSeconds: 3600, q50: 2.1, q90: 2.9, q99: 3.6, quantileUsed: 0.99, peakTime: null },
      rules: ['slo-risk:0.01'],
      monthlyCostDelta: 12.5,
      confidence: 0.8,
      modelVersion: 'm1',
      createdAt: Date.now(),
      ...opts,
    },
  );
}

export const COMMITTER_CFG = {
  backend: 'local',
  branch: 'main',
  mappingFile: 'foresight-mapping.yaml',
  policiesPath: 'policies',
  author: { name: 'Bot', email: 'bot@foresight.test' },
  labels: ['foresight'],
  commitWindowMs: 0,
} as unknown as CommitterConfig;

export interface LocalCommitter {
  tmp: string;
  remote: string;
  backend: LocalGitBackend;
  committer: Committer;
  /** git in the bare remote */
  git(...args: string[]): string;
  /** applies recommendations as one batch; returns the rejections as "id: reason" */
  apply(...recs: Recommendation[]): Promise<string[]>;
  /** a person's clone of `branch` (commits as "Person") */
  person(branch?: string): (...args: string[]) => string;
  /** a person's commit on `branch`: replaces `from` by `to` in `file` and pushes */
  human(branch: string, file: string, from: string, to: string): void;
  /** runs `before` once, the first time the backend's edit runs (between its snapshot and its push) */
  onFirstEdit(before: () => void): void;
}

export async function localCommitter(extra: Record<string, string> = {}, backendOverride?: (b: LocalGitBackend) => GitOpsBackend): Promise<LocalCommitter> {
  const tmp = tempDir('foresight-committer-'); // removed when the test that made it ends
  const remote = seedBareRepository(path.join(tmp, 'repo'), { extra });
  const backend = await LocalGitBackend.open({ remote, workdir: path.join(tmp, 'work') }, pino({ level: 'silent' }));
  let hook: (() => void) | undefined;
  const orig = backend.commit.bind(backend);
  backend.commit = (req) =>
    orig({
      ...req,
      edit: (files) => {
        const h = hook;
        hook = undefined;
        h?.();
        return req.edit(files);
      },
    });
  const committer = new Committer(backendOverride ? backendOverride(backend) : backend, COMMITTER_CFG, pino({ level: 'silent' }));
  const env = gitEnv();
  let n = 0;
  const person = (branch = 'main'): ((...args: string[]) => string) => {
    const dir = path.join(tmp, `person-${n++}`);
    execFileSync('git', ['clone', '-q', '-b', branch, remote, dir], { env });
    return (...args) => execFileSync('git', ['-C', dir, '-c', 'user.name=Person', '-c', 'user.email=p@example.com', ...args], { encoding: 'utf8', env });
  };
  return {
    tmp,
    remote,
    backend,
    committer,
    git: (...args) => execFileSync('git', ['-C', remote, ...args], { encoding: 'utf8', env }),
    apply: async (...recs) => {
      const rejected: string[] = [];
      await committer.apply(
        recs.map((r) => ({ rec: r, message: { value: null } as unknown as KafkaMessage })),
        (p, err) => rejected.push(`${p.rec.id}: ${err.reason}`),
      );
      return rejected;
    },
    person,
    human: (branch, file, from, to) => {
      const g = person(branch);
      const dir = g('rev-parse', '--show-toplevel').trim();
      const text = readFileSync(path.join(dir, file), 'utf8');
      if (!text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)}`);
      writeFileSync(path.join(dir, file), text.replace(from, to));
      g('commit', '-qam', `${file}: ${from} → ${to} (by hand)`);
      g('push', '-q', 'origin', `HEAD:${branch}`);
    },
    onFirstEdit: (before) => {
      hook = before;
    },
  };
}
