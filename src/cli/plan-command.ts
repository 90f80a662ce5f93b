/**
 * `foresight plan`: the edit the committer would make for a change of a workload, on a local
 * checkout of the GitOps repository, without Kafka and without writing anything: the files it
 * would change or add, as a diff, or the reason it would refuse (the dead letter's reason). The
 * same planning code as the committer (manifests/plan.ts); the Foresight policy's bounds are not
 * checked (the manifests' own, such as minReplicas ≤ maxReplicas, are).
 */
import { existsSync, statSync } from 'node:fs';
import { Command } from 'commander';
import type { Recommendation } from '../codec/generated-types.js';
import { readRepoFiles } from '../committer/backend.js';
import { isResourceField } from '../manifests/manifests.js';
import { planRecommendation } from '../manifests/plan.js';
import { ConfigError, ForesightError, RejectedMessage } from '../util/errors.js';

interface Flags {
  repo: string;
  workload: string;
  set: string[];
  container?: string;
  cluster?: string;
}

export function planCommand(): Command {
  return new Command('plan')
    .description(
      "preview the edit the committer would make in a local checkout of the GitOps repository (nothing is written; the Foresight policy's bounds are not checked, the manifests' own limits are)",
    )
    .requiredOption('--repo <dir>', 'a checkout of the GitOps repository')
    .requiredOption('--workload <namespace/Kind/name>', 'the workload as deployed, e.g. shop/Deployment/checkout')
    .requiredOption('--set <field=value...>', "the fields to change, e.g. minReplicas=4 requests.cpu=250m (the committer's field names)")
    .option('--container <name>', 'the container of requests.* and limits.* fields')
    .option('--cluster <name>', 'the cluster, where the mapping file names several', 'default')
    .action((flags: Flags) => {
      if (!existsSync(flags.repo) || !statSync(flags.repo).isDirectory()) throw new ConfigError('--repo', `${flags.repo}: not a directory`);
      const [namespace, kind, name, ...rest] = flags.workload.split('/');
      if (!namespace || !kind || !name || rest.length > 0) throw new ConfigError('--workload', `${flags.workload}: expected namespace/Kind/name`);
      const changes = flags.set.map((s) => {
        const at = s.indexOf('=');
        if (at <= 0 || at === s.length - 1) throw new ConfigError('--set', `${s}: expected field=value`);
        return { field: s.slice(0, at), current: null, proposed: s.slice(at + 1) };
      });
      const resources = changes.some((c) => isResourceField(c.field));
      if (resources && !flags.container) throw new ConfigError('--container', `${flags.set.join(' ')}: requests and limits need the container`);
      const rec: Recommendation = {
        id: 'foresight-plan',
        type: resources ? 'RESOURCES' : 'HPA',
        cluster: flags.cluster ?? 'default',
        namespace,
        kind,
        name,
        container: flags.container ?? null,
        changes,
        currentSource: 'MANIFEST',
        forecast: { metric: 'cpu', horizonSeconds: 3600, q50: 0, q90: 0, q99: 0, quantileUsed: 0.99, peakTime: null },
        rules: ['plan'],
        monthlyCostDelta: 0,
        currency: 'USD',
        confidence: 1,
        modelVersion: 'plan',
        critical: false,
        createdAt: Date.now(),
        traceparent: null,
        costUnknown: null,
        nodePool: null,
        budget: null,
        resourceDelta: null,
      };
      const files = readRepoFiles(flags.repo);
      let plan;
      try {
        plan = planRecommendation(files, rec, undefined);
      } catch (err) {
        if (err instanceof RejectedMessage) throw new ForesightError('VALIDATION_FAILED', `refused (${err.reason}): ${err.message}`);
        throw err;
      }
      if (plan.diffs.length === 0) {
        console.log(`${flags.workload}: nothing to change (every value is already in force)`);
        return;
      }
      for (const d of plan.diffs) console.log(`${d.file}: ${d.field}${d.container ? ` (container ${d.container})` : ''} ${d.before ?? '(unset)'} → ${d.after}`);
      for (const [file, text] of plan.changed) {
        const before = files.get(file);
        console.log(before === undefined ? `\n+++ ${file} (new file)` : `\n--- ${file}\n+++ ${file}`);
        console.log(lineDiff(before ?? '', text));
      }
    });
}

/** The lines of `b` against `a`: unchanged lines with two spaces, removed with "- ", added with "+ " (a longest common subsequence). */
export function lineDiff(a: string, b: string): string {
  const x = a === '' ? [] : a.replace(/\n$/, '').split('\n');
  const y = b.replace(/\n$/, '').split('\n');
  const lcs = Array.from({ length: x.length + 1 }, () => new Int32Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--)
    for (let j = y.length - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      out.push(`  ${x[i]}`);
      i++;
      j++;
    } else if (i < x.length && (j === y.length || lcs[i + 1][j] >= lcs[i][j + 1])) out.push(`- ${x[i++]}`);
    else out.push(`+ ${y[j++]}`);
  }
  return out.join('\n');
}
