/**
 * Which policy files are in force, judged file by file across reloads (the committer's
 * snapshots, the processor's checkout):
 *
 *   - a valid file is in force as it is now;
 *   - an invalid file (YAML, schema, bounds, or a metadata.name another file already uses) is
 *     reported with file:line and only that file is affected: its last valid version stays in
 *     force when there was one, else the file is left out; every other file stays in force;
 *   - a deleted file is gone.
 *
 * `available` is false while policy files exist but none of them was ever valid: the bounds are
 * then unknown, and the committer refuses to commit (dead letter `policy-unavailable`) rather
 * than fall back to the looser built-in defaults. A repository without any policy file uses the
 * built-in defaults by design (policy-schema.ts DEFAULT_POLICY). Pure: texts in, a set out.
 */
import { isEventsFile } from './events.js';
import { parsePolicyFiles, PolicyError } from './policy-loader.js';
import type { PolicyFile } from './policy-schema.js';
import { PolicySet } from './policy-set.js';

export interface PolicyLoad {
  set: PolicySet;
  /** the files not used as they are now, each "file:line: field: message" */
  errors: PolicyError[];
  /** invalid files whose last valid version stays in force */
  kept: string[];
  /** whether the set in force differs from the previous load's */
  changed: boolean;
}

export class PolicyFiles {
  /** the version in force of each file */
  private inForce = new Map<string, PolicyFile[]>();
  private everValid = false;
  private present = false;
  private key = '';

  /** Whether bounds are known: no policy file at all (built-in defaults), or a valid one was loaded. */
  get available(): boolean {
    return !this.present || this.everValid;
  }

  /** Loads the policy files of a snapshot (path → text). */
  load(files: Iterable<[string, string]>): PolicyLoad {
    const results = parsePolicyFiles([...files].filter(([p]) => !isEventsFile(p))); // events.yaml is not a policy (events.ts)
    const next = new Map<string, PolicyFile[]>();
    const names = new Map<string, string>();
    const errors: PolicyError[] = [];
    const kept: string[] = [];
    const clash = (file: string, policies: PolicyFile[]): PolicyError | undefined => {
      const p = policies.find((x) => names.has(x.metadata.name));
      return p ? new PolicyError(file, 1, 'metadata.name', `policy ${p.metadata.name} is also defined in ${names.get(p.metadata.name)}`) : undefined;
    };
    for (const r of results) {
      let error = 'error' in r ? r.error : clash(r.file, r.policies);
      if (!error && 'policies' in r) {
        next.set(r.file, r.policies);
        this.everValid = true;
      } else {
        errors.push(error!);
        const previous = this.inForce.get(r.file);
        error = previous ? clash(r.file, previous) : error;
        if (previous && !error) {
          next.set(r.file, previous);
          kept.push(r.file);
        }
      }
      for (const p of next.get(r.file) ?? []) names.set(p.metadata.name, r.file);
    }
    this.present = results.length > 0;
    this.inForce = next;
    const key = JSON.stringify([...next]);
    const changed = key !== this.key;
    this.key = key;
    return { set: new PolicySet([...next].flatMap(([file, ps]) => ps.map((policy) => ({ file, policy })))), errors, kept, changed };
  }
}
