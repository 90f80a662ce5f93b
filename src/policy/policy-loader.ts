/**
 * Loading the policy files of a GitOps checkout: every `*.yaml`/`*.yml` under the policies
 * folder, parsed with the `yaml` package (so errors carry lines), within the size, document and
 * alias limits of yaml-limits.ts, and validated against the schema. Any error names the file,
 * the line and the field. Files are judged one by one: an invalid file is only that file's
 * problem (policy-files.ts decides what stays in force).
 */
import { isMap, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import { MAX_YAML_ALIASES, tooLarge, tooManyDocuments } from '../util/yaml-limits.js';
import { policyFileSchema, type PolicyFile } from './policy-schema.js';
import { ForesightError } from '../util/errors.js';

export class PolicyError extends ForesightError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly field: string,
    message: string,
  ) {
    super('POLICY_INVALID', `${file}:${line}: ${field ? `${field}: ` : ''}${message}`);
    this.name = 'PolicyError';
  }
}

/** The node at a path of keys/indexes, for its line number. */
export function nodeAt(root: Node | null | undefined, keys: PropertyKey[]): Node | undefined {
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
  const large = tooLarge(text);
  if (large) throw new PolicyError(file, 1, '', large);
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  if (!Array.isArray(docs)) throw new PolicyError(file, 1, '', 'not valid YAML');
  const many = tooManyDocuments(docs.length);
  if (many) throw new PolicyError(file, 1, '', many);
  return docs
    .filter((d) => d.contents !== null)
    .map((doc) => {
      if (doc.errors.length > 0) {
        const e = doc.errors[0];
        throw new PolicyError(file, lines.linePos(e.pos[0]).line, '', `not valid YAML: ${e.message.split('\n')[0]}`);
      }
      let js: unknown;
      try {
        js = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
      } catch (err) {
        throw new PolicyError(file, lines.linePos(doc.range[0]).line, '', `cannot be read: ${(err as Error).message.split('\n')[0]}`);
      }
      const res = policyFileSchema.safeParse(js);
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

/** One policy file's outcome: its policies, or why it is not used. */
export type PolicyFileResult = { file: string; policies: PolicyFile[] } | { file: string; error: PolicyError };

/** Parses each file on its own (path → text); one file's error never affects another. */
export function parsePolicyFiles(files: Iterable<[string, string]>): PolicyFileResult[] {
  return [...files]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, text]) => {
      try {
        return { file, policies: parsePolicyFile(file, text) };
      } catch (err) {
        if (!(err instanceof PolicyError)) throw err;
        return { file, error: err };
      }
    });
}
