/**
 * The git-committer: consumes recommendations.v1 in its consumer group and turns each into a
 * manifest change in the GitOps repository.
 *
 *   decode and check → group per workload (routine / critical) → skip what is already
 *   committed (its Recommendation-Id trailer is on the branch) → one commit per group:
 *   routine changes on the target branch, critical ones on a deterministic branch per workload
 *   with its pull request opened or updated → dead letters for what cannot be applied.
 *
 * Delivery is at least once (offsets are committed after the batch is done); the effect is
 * idempotent: a redelivered recommendation finds its trailer and makes no second commit, and a
 * pull request is looked up by branch before one is opened.
 */
import { context, trace } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { Recommendation } from '../codec/generated-types.js';
import type { CommitterConfig } from '../config/config.js';
import type { GitOpsBackend } from './backend.js';
import { CommitConflictError, CommitRefusedError } from './backend.js';
import { GitHubBackend } from './github-backend.js';
import { LocalGitBackend } from './local-backend.js';
import { ManifestIndex, type RepoOptions } from '../manifests/manifests.js';
import { planRecommendation } from '../manifests/plan.js';
import { teamOf } from '../money/workload-facts.js';
import { PolicyFiles } from '../policy/policy-files.js';
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import type { PolicySet } from '../policy/policy-set.js';
import { BatchRunner, type Batch } from '../kafka/batch-runner.js';
import { DeadLetterPublisher, type Rejection } from '../kafka/deadletter.js';
import { startBatchSpan } from '../telemetry/consumer-span.js';
import type { Logger } from '../telemetry/log.js';
import { RejectedMessage } from '../util/errors.js';
import { retry } from '../util/retry.js';
import type { RunningService, ServiceContext } from '../service-runtime/runtime.js';
import { commitMessage, forecastSvg, pullRequestBody, summaryLine, type Applied } from './explain.js';

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/; // Kubernetes object names (RFC 1123 subdomain)
const KIND = /^[A-Z][A-Za-z0-9]{0,62}$/;

export function checkRecommendation(r: Recommendation): void {
  for (const f of ['namespace', 'name'] as const) {
    if (r[f].includes('/') || r[f].includes('..') || r[f].includes('\\'))
      throw new RejectedMessage('path-traversal', `${f} ${JSON.stringify(r[f])} would leave its folder`);
    if (!NAME.test(r[f])) throw new RejectedMessage('invalid-field', `${f} ${JSON.stringify(r[f])} is not a valid Kubernetes name`);
  }
  if (!KIND.test(r.kind)) throw new RejectedMessage('invalid-field', `kind ${JSON.stringify(r.kind)} is not a Kubernetes kind`);
  if (r.container !== null && !NAME.test(r.container))
    throw new RejectedMessage('invalid-field', `container ${JSON.stringify(r.container)} is not a valid name`);
  if (r.changes.length === 0) throw new RejectedMessage('invalid-field', 'recommendation has no changes');
}

/** The deterministic branch of a workload's critical changes. */
export function reviewBranch(r: Pick<Recommendation, 'namespace' | 'kind' | 'name'>): string {
  return `foresight/${r.namespace}/${r.kind.toLowerCase()}/${r.name}`;
}

export function chartPath(r: Pick<Recommendation, 'namespace' | 'kind' | 'name'>): string {
  return `.foresight/forecasts/${r.namespace}-${r.kind.toLowerCase()}-${r.name}.svg`;
}

export async function openBackend(cfg: CommitterConfig, log: Logger): Promise<GitOpsBackend> {
  if (cfg.backend === 'github') return new GitHubBackend(cfg.github!, log);
  return LocalGitBackend.open(cfg.local!, log);
}

interface Pending {
  rec: Recommendation;
  message: KafkaMessage;
}

/**
 * The policy a recommendation's bounds are checked against: its workload's, with the workload's
 * team (a label in its manifest) as the processor resolved it (money/money.ts policyOf); without
 * the team a team policy's wider `replicas.max` would dead-letter what the processor proposed.
 */
export function policyOfRecommendation(
  policies: PolicySet,
  files: ReadonlyMap<string, string>,
  rec: Pick<Recommendation, 'namespace' | 'kind' | 'name'>,
  opts: RepoOptions,
): ResolvedPolicy {
  const ref = { namespace: rec.namespace, kind: rec.kind, name: rec.name };
  return policies.resolve({ ...ref, team: teamOf(ManifestIndex.build(files, opts).resolve(ref)) });
}

/** Applies a batch's recommendations through a backend; what cannot be applied goes to the rejection callback (dead letters). */
export class Committer {
  private readonly policyFiles = new PolicyFiles();
  private policyErrors = '';

  constructor(
    private readonly backend: GitOpsBackend,
    private readonly cfg: CommitterConfig,
    private readonly log: Logger,
    private readonly onOutcome: (kind: 'commit' | 'pull-request' | 'duplicate' | 'unchanged') => void = () => undefined,
  ) {}

  /**
   * The policies of the snapshot, file by file (policy-files.ts): an invalid file is logged with
   * file:line and only it is affected. Undefined while policy files exist but none was ever valid.
   */
  private policiesOf(files: ReadonlyMap<string, string>): PolicySet | undefined {
    const prefix = `${this.cfg.policiesPath}/`;
    const mine = [...files].filter(([p]) => p.startsWith(prefix));
    const load = this.policyFiles.load(mine);
    // the same errors are logged once, not once per batch
    const key = load.errors.map((e) => e.message).join('\n');
    if (key !== this.policyErrors) {
      this.policyErrors = key;
      for (const err of load.errors) {
        this.log.error(
          { file: err.file, line: err.line, err: err.message },
          load.kept.includes(err.file)
            ? 'policy file is invalid: its last valid version stays in force'
            : 'policy file is invalid: it is left out, the other policy files stay in force',
        );
      }
    }
    return this.policyFiles.available ? load.set : undefined;
  }

  async apply(items: Pending[], rejectionsOut: (p: Pending, err: RejectedMessage) => void): Promise<void> {
    // one group per workload and route, in order of first appearance
    const groups = new Map<string, Pending[]>();
    for (const p of items) {
      const k = `${p.rec.cluster}/${p.rec.namespace}/${p.rec.kind}/${p.rec.name}/${p.rec.critical}`;
      groups.set(k, [...(groups.get(k) ?? []), p]);
    }
    for (const group of groups.values()) await this.applyGroup(group, rejectionsOut);
  }

  private async applyGroup(group: Pending[], reject: (p: Pending, err: RejectedMessage) => void): Promise<void> {
    const first = group[0].rec;
    const critical = first.critical;
    const branch = critical ? reviewBranch(first) : this.cfg.branch;
    if (critical && this.backend.noPullRequests) {
      for (const p of group)
        reject(
          p,
          new RejectedMessage(
            'review-unavailable',
            `${first.namespace}/${first.kind}/${first.name}: a critical change needs a pull request, and ${this.backend.noPullRequests}`,
          ),
        );
      return;
    }
    const done = await this.backend.committedIds(
      branch,
      group.map((p) => p.rec.id),
    );
    const fresh = group.filter((p) => !done.has(p.rec.id));
    for (const p of group) {
      if (!done.has(p.rec.id)) continue;
      this.log.info({ id: p.rec.id, branch }, 'recommendation already committed: nothing to do');
      this.onOutcome('duplicate');
    }
    let applied: Applied[] = [];
    let rejected = new Map<Pending, RejectedMessage>();
    let sha: string | undefined;
    try {
      sha = fresh.length === 0 ? undefined : await this.commitGroup(fresh, first, branch, (a, r) => ((applied = a), (rejected = r)));
    } catch (err) {
      // this group's fresh recommendations only: the other groups of the batch (committed or not) are not touched
      if (!(err instanceof CommitConflictError || err instanceof CommitRefusedError)) throw err; // the backend is unreachable: the batch is retried
      const reason = err instanceof CommitRefusedError ? 'push-refused' : 'conflict';
      for (const p of fresh) reject(p, new RejectedMessage(reason, err.message));
      return;
    }

    for (const [p, err] of rejected) reject(p, err);
    if (sha === undefined) {
      if (fresh.length > rejected.size) {
        this.log.info({ workload: `${first.namespace}/${first.kind}/${first.name}`, branch }, 'the manifests already have the proposed values: no commit');
        this.onOutcome('unchanged');
      }
    } else {
      this.onOutcome('commit');
      this.log.info({ sha, branch, ids: applied.map((a) => a.rec.id), critical }, 'committed');
    }
    // critical: the pull request exists whenever its branch has our commits — after a new
    // commit it is opened or updated; after a redelivery only opened if it is missing (a crash
    // between push and pull request), never overwritten with an empty table
    if (critical && (sha !== undefined || fresh.length < group.length)) {
      const list: Applied[] = sha !== undefined ? applied : group.map((p) => ({ rec: p.rec, diffs: [] }));
      const pr = await this.backend.ensurePullRequest({
        branch,
        base: this.cfg.branch,
        labels: this.cfg.labels,
        title: sha !== undefined ? summaryLine(list) : `foresight: ${first.namespace}/${first.kind}/${first.name} (critical changes for review)`,
        body: pullRequestBody(list, chartPath(first)),
        keepExisting: sha === undefined,
      });
      this.onOutcome('pull-request');
      this.log.info(
        { pr: pr.number, url: pr.url, created: pr.created, branch },
        pr.created ? 'pull request opened' : sha !== undefined ? 'pull request updated' : 'pull request already open',
      );
    }
  }

  /** One commit of a group's fresh recommendations; `out` gets what the last edit applied and rejected. */
  private commitGroup(
    fresh: Pending[],
    first: Recommendation,
    branch: string,
    out: (applied: Applied[], rejected: Map<Pending, RejectedMessage>) => void,
  ): Promise<string | undefined> {
    const critical = first.critical;
    return this.backend.commit({
      branch,
      base: this.cfg.branch,
      author: this.cfg.author,
      edit: (files) => {
        const applied: Applied[] = [];
        const rejected = new Map<Pending, RejectedMessage>();
        out(applied, rejected);
        const policies = this.policiesOf(files);
        // one workload per group: its policy (with its team, from its labels, which our edits never touch) once per commit,
        // resolved in the loop, where a workload not in the repository is rejected like any other recommendation
        let policy: ResolvedPolicy | undefined;
        let current = new Map(files);
        const changed = new Map<string, string>();
        for (const p of fresh) {
          try {
            if (!policies)
              throw new RejectedMessage(
                'policy-unavailable',
                `no policy file in ${this.cfg.policiesPath}/ is valid and none was loaded before: the bounds are unknown, nothing is committed until a valid policy is in the repository`,
              );
            policy ??= policyOfRecommendation(policies, files, first, { mappingFile: this.cfg.mappingFile, policiesPath: this.cfg.policiesPath });
            const plan = planRecommendation(current, p.rec, policy, { mappingFile: this.cfg.mappingFile, policiesPath: this.cfg.policiesPath }, files);
            if (plan.diffs.length === 0) continue;
            for (const [f, t] of plan.changed) changed.set(f, t);
            current = new Map([...current, ...plan.changed]);
            applied.push({ rec: p.rec, diffs: plan.diffs });
          } catch (err) {
            if (!(err instanceof RejectedMessage)) throw err;
            rejected.set(p, err);
          }
        }
        if (applied.length === 0) return undefined;
        if (critical) changed.set(chartPath(first), forecastSvg(applied));
        return { changed, message: commitMessage(applied) };
      },
    });
  }
}

export async function startCommitter(ctx: ServiceContext, ccfg: CommitterConfig): Promise<RunningService> {
  const { cfg, log, telemetry, codec } = ctx;
  const received = telemetry.meter.createCounter('foresight_recommendations_received', { description: 'Recommendations consumed by the committer' });
  const outcomes = telemetry.meter.createCounter('foresight_committer_outcomes', {
    description: 'What the committer did with recommendation groups: commit, pull-request, duplicate, unchanged',
  });
  const deadLetters = telemetry.meter.createCounter('foresight_deadletters', { description: 'Messages sent to the dead-letter topic, per reason' });
  const dlq = new DeadLetterPublisher(ctx.producer, codec, cfg.topics.deadletter, 'committer', deadLetters, log, cfg.deadLetterMaxBytes);
  const backend = await openBackend(ccfg, log);
  const committer = new Committer(backend, ccfg, log, (kind) => outcomes.add(1, { outcome: kind }));
  log.info({ backend: backend.name, branch: ccfg.branch }, 'GitOps backend ready');

  const handle = async (batch: Batch): Promise<void> => {
    const span = startBatchSpan(telemetry.tracer, batch, cfg.committerGroup);
    try {
      const rejections: Rejection[] = [];
      const rejectMsg = (m: KafkaMessage, err: RejectedMessage): void => {
        rejections.push({ topic: batch.topic, partition: batch.partition, message: m, reason: err.reason, detail: err.message });
      };
      const pending: Pending[] = [];
      for (const m of batch.messages) {
        try {
          const rec = await codec.decode<Recommendation>(m.value, 'Recommendation');
          // a budget breach (money/money.ts) changes no manifest: logged, not committed
          if (rec.type === 'BUDGET' && rec.changes.length === 0) {
            log.warn({ id: rec.id, budget: rec.budget, workload: `${rec.namespace}/${rec.kind}/${rec.name}` }, 'budget breach reported');
            continue;
          }
          checkRecommendation(rec);
          received.add(1, { type: rec.type });
          log.info(
            { id: rec.id, type: rec.type, workload: `${rec.namespace}/${rec.kind}/${rec.name}`, critical: rec.critical, changes: rec.changes },
            'recommendation received',
          );
          pending.push({ rec, message: m });
        } catch (err) {
          if (!(err instanceof RejectedMessage)) throw err;
          rejectMsg(m, err);
        }
      }
      // a conflict or a refused push dead-letters its group's messages (Committer.applyGroup); any other
      // error (the backend is unreachable) fails the batch, which is retried
      await committer.apply(pending, (p, err) => rejectMsg(p.message, err));
      await retry(() => dlq.publish(rejections, trace.setSpan(context.active(), span)), { retries: 10, maxDelayMs: 2_000 });
    } finally {
      span.end();
    }
  };

  const runner = new BatchRunner(
    ctx.kafka,
    {
      groupId: cfg.committerGroup,
      topics: [cfg.topics.recommendations],
      sessionTimeoutMs: cfg.kafka.sessionTimeoutMs,
      heartbeatIntervalMs: cfg.kafka.heartbeatIntervalMs,
      onJoin: () => ctx.health.setReady(true),
      lingerMs: ccfg.commitWindowMs, // a workload's recommendations within the window: one batch, one commit
    },
    handle,
    log,
  );
  await runner.start();
  return {
    stop: async () => {
      await runner.stop();
      dlq.close();
      await backend.close();
    },
  };
}
