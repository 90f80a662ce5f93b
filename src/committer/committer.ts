/**
 * The git-committer: consumes recommendations.v1 in its consumer group and turns each into a
 * manifest change in the GitOps repository.
 *
 *   decode and check → group per workload (routine / critical) → skip what is already
 *   committed (its Recommendation-Id trailer is on the branch) → one commit per group:
 *   routine changes on the target branch (the workload's open pull request is then rebuilt on
 *   it, or closed as superseded), critical ones on a deterministic branch per workload, rebuilt
 *   from the target branch with the values its open pull request still proposes, with the pull
 *   request opened or updated → dead letters for what cannot be applied (a conflict or a
 *   refused push: the group's messages only).
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
import { CommitConflictError, CommitRefusedError, recommendationIds } from './backend.js';
import { GitHubBackend } from './github-backend.js';
import { LocalGitBackend } from './local-backend.js';
import { ManifestIndex, type RepoOptions } from '../manifests/manifests.js';
import { containerOf, planRecommendation, type FieldDiff } from '../manifests/plan.js';
import { policyOfWorkload } from '../money/workload-facts.js';
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
import { commitMessage, explanationsOf, forecastSvg, proposalsOf, pullRequestBody, summaryLine, type Applied, type Proposal } from './explain.js';

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

/**
 * The deterministic branch of a workload's critical changes. A name ending in `.lock` (a valid
 * Kubernetes name, an invalid ref component: git-check-ref-format(1)) gets a `-`, which no
 * Kubernetes name ends with, so no two workloads share a branch.
 */
export function reviewBranch(r: Pick<Recommendation, 'namespace' | 'kind' | 'name'>): string {
  const component = (s: string): string => (s.endsWith('.lock') ? `${s}-` : s);
  return `foresight/${component(r.namespace)}/${r.kind.toLowerCase()}/${component(r.name)}`;
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

interface EditResult {
  applied: Applied[];
  rejected: Map<Pending, RejectedMessage>;
}

/** What a rebuilt review branch takes over from its current tip: the values still proposed, the recommendation ids committed, and their explanations. */
interface Carried {
  proposals: Proposal[];
  ids: string[];
  why: Map<string, string[]>;
}

/** A field of the workload in one cluster (a repository may hold each cluster's manifests). */
const fieldKey = (cluster: string, field: string, container: string | null): string => `${cluster}/${container ?? '-'}/${field}`;

/** The proposals an open pull request still makes, as recommendations of `template`'s workload (one per earlier recommendation id, cluster and container). */
function carriedRecommendations(template: Recommendation, proposals: Proposal[]): Recommendation[] {
  const groups = new Map<string, Proposal[]>();
  for (const p of proposals) {
    const k = JSON.stringify([p.id, p.cluster, p.container]);
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  return [...groups.values()].map((ps) => ({
    ...template,
    id: ps[0].id,
    cluster: ps[0].cluster,
    critical: true,
    container: ps[0].container,
    changes: ps.map((p) => ({ field: p.field, current: p.current, proposed: p.proposed })),
  }));
}

/**
 * The policy a recommendation's bounds are checked against: its workload's, with the workload's
 * team (a label in its manifest) as the processor resolved it (money/money.ts policyOf); without
 * the team a team policy's wider `replicas.max` would dead-letter what the processor proposed.
 */
export function policyOfRecommendation(
  policies: PolicySet,
  files: ReadonlyMap<string, string>,
  rec: Pick<Recommendation, 'namespace' | 'kind' | 'name'> & { cluster?: string },
  opts: RepoOptions,
): ResolvedPolicy {
  const ref = { namespace: rec.namespace, kind: rec.kind, name: rec.name, cluster: rec.cluster };
  return policyOfWorkload(policies, ManifestIndex.build(files, opts).resolve(ref), ref);
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
    const workload = `${first.namespace}/${first.kind}/${first.name}`;
    if (critical && this.backend.noPullRequests) {
      for (const p of group)
        reject(p, new RejectedMessage('review-unavailable', `${workload}: a critical change needs a pull request, and ${this.backend.noPullRequests}`));
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
    // critical: the review branch is rebuilt from the base and the values its open pull request
    // still proposes (none when a person closed it: the branch starts fresh, their decision stands)
    const review = critical ? await this.backend.pullRequestOf(branch, this.cfg.branch) : undefined;
    const tip = review?.state === 'open' ? await this.backend.tipMessage(branch) : undefined;
    const carried: Carried = { proposals: proposalsOf(tip), ids: recommendationIds(tip ?? ''), why: explanationsOf(tip) };
    let result: EditResult = { applied: [], rejected: new Map() };
    let sha: string | undefined;
    try {
      sha = fresh.length === 0 ? undefined : await this.commitEdit(first, branch, fresh, carried, (r) => (result = r));
    } catch (err) {
      // this group's fresh recommendations only: the other groups of the batch (committed or not) are not touched
      if (!(err instanceof CommitConflictError || err instanceof CommitRefusedError)) throw err; // the backend is unreachable: the batch is retried
      const reason = err instanceof CommitRefusedError ? 'push-refused' : 'conflict';
      for (const p of fresh) reject(p, new RejectedMessage(reason, err.message));
      return;
    }
    for (const [p, err] of result.rejected) reject(p, err);
    if (sha === undefined) {
      if (fresh.length > result.rejected.size) {
        this.log.info({ workload, branch }, 'the manifests already have the proposed values: no commit');
        this.onOutcome('unchanged');
      }
    } else {
      this.onOutcome('commit');
      this.log.info({ sha, branch, ids: result.applied.filter((a) => !a.carried).map((a) => a.rec.id), critical }, 'committed');
    }
    // critical: the pull request exists whenever its branch has our commits — after a new
    // commit it is opened or updated (title and table: the whole branch against the base);
    // after a redelivery only opened if it is missing (a crash between push and pull request),
    // never overwritten with an empty table, never reopened when a person closed it
    if (critical && (sha !== undefined || (fresh.length < group.length && review?.state !== 'closed'))) {
      const list: Applied[] = sha !== undefined ? result.applied : group.map((p) => ({ rec: p.rec, diffs: [] }));
      const pr = await this.backend.ensurePullRequest({
        branch,
        base: this.cfg.branch,
        labels: this.cfg.labels,
        title: sha !== undefined ? summaryLine(list) : `foresight: ${workload} (critical changes for review)`,
        body: pullRequestBody(list, chartPath(first)),
        keepExisting: sha === undefined,
      });
      this.onOutcome('pull-request');
      this.log.info(
        { pr: pr.number, url: pr.url, created: pr.created, branch },
        pr.created ? 'pull request opened' : sha !== undefined ? 'pull request updated' : 'pull request already open',
      );
    }
    if (!critical && sha !== undefined) await this.refreshReview(first, result.applied);
  }

  /**
   * A routine change landed on the base: the workload's open pull request is rebuilt on the new
   * base without the fields the routine change set (the newer value wins) — or closed, with a
   * comment, when nothing it proposes is left. A review branch is never left stale.
   */
  private async refreshReview(routine: Recommendation, landed: Applied[]): Promise<void> {
    const branch = reviewBranch(routine);
    if (this.backend.noPullRequests) return;
    const review = await this.backend.pullRequestOf(branch, this.cfg.branch);
    if (review?.state !== 'open') return;
    const superseded = new Set(landed.flatMap((a) => a.rec.changes.map((c) => fieldKey(a.rec.cluster, c.field, containerOf(c.field, a.rec)))));
    const tip = await this.backend.tipMessage(branch);
    const proposed = proposalsOf(tip);
    if (proposed.length === 0) return; // a review branch from before proposals were recorded: left as it is
    const carried: Carried = {
      proposals: proposed.filter((p) => !superseded.has(fieldKey(p.cluster, p.field, p.container))),
      ids: recommendationIds(tip ?? ''),
      why: explanationsOf(tip),
    };
    let result: EditResult = { applied: [], rejected: new Map() };
    const template = { ...routine, critical: true };
    const sha =
      carried.proposals.length === 0
        ? undefined
        : await this.commitEdit(template, branch, [], carried, (r) => (result = r)).catch((err: unknown) => {
            if (!(err instanceof CommitConflictError || err instanceof CommitRefusedError)) throw err;
            this.log.warn({ branch, err: err.message }, 'the review branch could not be rebuilt on the new base: left as it is');
            return null;
          });
    if (sha === null) return;
    if (sha === undefined) {
      await this.backend.closePullRequest(
        review.number,
        `Superseded: ${this.cfg.branch} now has ${summaryLine(landed).replace(/^foresight: /, '')} (recommendation ${landed.map((a) => a.rec.id).join(', ')}), and nothing this pull request proposed is left to review.`,
      );
      this.log.info({ pr: review.number, branch }, 'pull request closed: superseded by a routine change');
      return;
    }
    await this.backend.ensurePullRequest({
      branch,
      base: this.cfg.branch,
      labels: this.cfg.labels,
      title: summaryLine(result.applied),
      body: pullRequestBody(result.applied, chartPath(routine)),
    });
    this.log.info({ pr: review.number, sha, branch }, 'pull request rebuilt on the new base after a routine change');
  }

  /**
   * One commit of a group: `fresh` recommendations, on top of what the open pull request still
   * proposes (`carried`, left out where a fresh one sets the same field) when `first` is
   * critical — then the review branch is rebuilt from the base. Routine: on the branch's tip.
   * Nothing new to commit: undefined (with fresh recommendations, a carried value alone is no
   * reason for a commit). `out` gets what the last edit applied and rejected.
   */
  private commitEdit(first: Recommendation, branch: string, fresh: Pending[], carried: Carried, out: (r: EditResult) => void): Promise<string | undefined> {
    const critical = first.critical;
    const opts = { mappingFile: this.cfg.mappingFile, policiesPath: this.cfg.policiesPath };
    const overridden = new Set(fresh.flatMap((p) => p.rec.changes.map((c) => fieldKey(p.rec.cluster, c.field, containerOf(c.field, p.rec)))));
    const earlier = carriedRecommendations(
      first,
      carried.proposals.filter((p) => !overridden.has(fieldKey(p.cluster, p.field, p.container))),
    );
    return this.backend.commit({
      branch,
      base: this.cfg.branch,
      author: this.cfg.author,
      rebuild: critical,
      edit: (files) => {
        const result: EditResult = { applied: [], rejected: new Map() };
        out(result);
        const policies = this.policiesOf(files);
        // one workload per group: its policy (with its team, from its labels, which our edits never touch) once per commit,
        // resolved in the loop, where a workload not in the repository is rejected like any other recommendation
        let policy: ResolvedPolicy | undefined;
        let current = new Map(files);
        const changed = new Map<string, string>();
        const plan = (rec: Recommendation): FieldDiff[] => {
          if (!policies)
            throw new RejectedMessage(
              'policy-unavailable',
              `no policy file in ${this.cfg.policiesPath}/ is valid and none was loaded before: the bounds are unknown, nothing is committed until a valid policy is in the repository`,
            );
          policy ??= policyOfRecommendation(policies, files, first, opts);
          // `current` is checked against `files`: the base branch for a review branch
          const p = planRecommendation(current, rec, policy, opts, files);
          for (const [f, t] of p.changed) changed.set(f, t);
          current = new Map([...current, ...p.changed]);
          return p.diffs;
        };
        for (const rec of earlier) {
          try {
            const diffs = plan(rec);
            if (diffs.length > 0) result.applied.push({ rec, diffs, carried: true, why: carried.why.get(rec.id) });
          } catch (err) {
            if (!(err instanceof RejectedMessage)) throw err;
            this.log.warn(
              { id: rec.id, branch, reason: err.reason, err: err.message },
              'a value the pull request proposed no longer applies on the base: left out',
            );
          }
        }
        const carriedCount = result.applied.length;
        for (const p of fresh) {
          try {
            const diffs = plan(p.rec);
            if (diffs.length > 0) result.applied.push({ rec: p.rec, diffs });
          } catch (err) {
            if (!(err instanceof RejectedMessage)) throw err;
            result.rejected.set(p, err);
          }
        }
        if (result.applied.length === 0 || (fresh.length > 0 && result.applied.length === carriedCount)) return undefined;
        if (critical) changed.set(chartPath(first), forecastSvg(result.applied));
        return { changed, message: commitMessage(result.applied, carried.ids) };
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
