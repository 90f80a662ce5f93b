/**
 * Loading the policy files of a GitOps checkout: every `*.yaml`/`*.yml` under the policies
 * folder, parsed with the `yaml` package (so errors carry lines) and validated against the
 * schema. Any error names the file, the line and the field, and the whole load fails: the
 * caller keeps the policy set in force (PolicyStore), never half of a new one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import { policyFileSchema, type PolicyFile } from './policy-schema.js';

export class PolicyError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    message: string,
  ) {
    super(`${file}:${line}: ${field ? `${field}: ` : ''}${message}`);
    this.name = 'PolicyError';
  }
}

/** The node at a path of keys/indexes, for its line number. */
function nodeAt(root: Node | null | undefined, keys: PropertyKey[]): Node | undefined {
  let cur: Node | null | undefined = root;
  let found: Node | undefined = root ?? undefined;
  for (const k of keys) {
    if (isMap(cur)) {
      const pair = cur.items.find((p) => (p.key as { value?: unknown })?.value === k);
      if (!pair) break;
      found = (pair.value as Node) ?? (pair.key as Node);
      cur = pair.value as Node;
    } else if (isSeq(cur) && typeof k === 'number') {
      cur = cur.items[k] as Node;
      found = cur ?? found;
    } else break;
  }
  return found;
}

/** One file may hold several policies as YAML documents separated by `---`. */
export function parsePolicyFile(file: string, text: string): PolicyFile[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  if (!Array.isArray(docs)) throw new PolicyError(file, 1, '', 'not valid YAML');
  return docs.filter((d) => d.contents !== null).map((doc) => {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new PolicyError(file, lines.linePos(e.pos[0]).line, '', `not valid YAML: ${e.message.split('\n')[0]}`);
    }
    const res = policyFileSchema.safeParse(doc.toJS());
    if (res.success) return res.data;
    const issue = res.error.issues[0];
    const keys = issue.path;
    const node = nodeAt(doc.contents as Node, keys);
    const line = node?.range ? lines.linePos(node.range[0]).line : 1;
    const field = issue.path.join('.') || '(document)';
    const unknown = issue.code === 'unrecognized_keys' ? ` (${(issue as { keys?: string[] }).keys?.join(', ')})` : '';
    throw new PolicyError(file, line, field, `${issue.message}${unknown}`);
  });
}

/**
 * All policy files under `dir` (recursively), sorted by path; throws the first PolicyError.
 * Files are named `prefix` + their path below `dir` (the policies folder inside the repository).
 */
export function loadPolicyDir(dir: string, prefix = ''): { file: string; policy: PolicyFile }[] {
  const out: { file: string; policy: PolicyFile }[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) {
        const rel = prefix + path.relative(dir, p).split(path.sep).join('/');
        for (const policy of parsePolicyFile(rel, readFileSync(p, 'utf8'))) out.push({ file: rel, policy });
      }
    }
  };
  walk(dir);
  const names = new Map<string, string>();
  for (const { file, policy } of out) {
    const other = names.get(policy.metadata.name);
    if (other) throw new PolicyError(file, 1, 'metadata.name', `policy ${policy.metadata.name} is also defined in ${other}`);
    names.set(policy.metadata.name, file);
  }
  return out;
}
