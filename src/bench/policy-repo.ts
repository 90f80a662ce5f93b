/**
 * The policy repository of a loop benchmark (bench pipeline, bench scale): a Git checkout whose
 * one policy makes every workload-level `cpu_usage` series worth an HPA recommendation: 1 core
 * per replica, no hysteresis or cooldown. It is made in the bench process's private directory
 * (util/private-dir.ts), so it goes when the bench ends; the processors of bench scale, children
 * of that process, read it while it runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gitEnv } from '../committer/git-env.js';
import { privateDir } from '../util/private-dir.js';

const POLICY = `apiVersion: foresight.dev/v1
kind: Policy
metadata: { name: bench }
spec:
  sloRisk: 0.01
  replicas: { min: 1, max: 1000, perReplicaCapacity: 1, targetUtilization: 1, metric: cpu_usage }
  change: { maxStepPercent: 1000, cooldownMinutes: 0, hysteresisPercent: 0 }
`;

/** A new checkout of the bench policy (FORESIGHT_POLICY_REPO); its path. */
export function benchPolicyRepo(): string {
  const repo = mkdtempSync(path.join(privateDir(), 'bench-policy-'));
  mkdirSync(path.join(repo, 'policies'));
  writeFileSync(path.join(repo, 'policies', 'bench.yaml'), POLICY);
  const gitOpts = { env: gitEnv() }; // not the caller's GIT_DIR, EDITOR, …
  execFileSync('git', ['init', '-q', repo], gitOpts);
  execFileSync('git', ['-C', repo, 'add', '.'], gitOpts);
  execFileSync('git', ['-C', repo, '-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-qm', 'bench policy'], gitOpts);
  return repo;
}
