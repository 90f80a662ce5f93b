/**
 * Minimal-diff edits of YAML text: change the value at a path of one document of a
 * (multi-document) file and leave every other byte alone — comments, key order, indentation,
 * quoting, the other documents. The `yaml` package's Document API locates the nodes; the edit
 * is a splice of the source text at the node's range:
 *
 *   - an existing scalar is replaced in place, in its own quoting style;
 *   - a missing key is added as block YAML at the end of its nearest existing block mapping
 *     (or a missing sequence item at the end of its block sequence), indented like its siblings;
 *   - a key set to REMOVE loses its lines (key, value and the comment on its line) when it is the
 *     only thing on them in a block mapping;
 *   - only inside a flow collection ({...}, [...]) does the document get re-serialised.
 */
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, Scalar, stringify, type Document, type Node } from 'yaml';
import { ForesightError } from '../util/errors.js';

export type YamlPath = (string | number)[];

/** The value that deletes a key (null writes a YAML null, which a strategic-merge patch or Helm reads as a deletion). */
export const REMOVE = Symbol('remove');

/** A value an edit writes: a YAML scalar, or an empty map or list. */
type Scalarish = string | number | boolean | null | Record<string, never> | never[];

/**
 * The edits that write `value` (plain data: maps, lists, scalars) at `path`, one per scalar, in
 * document order: a list copied whole into a patch that has none (kustomize replaces a list
 * without a merge key whole, so a patch holding one item would drop the others).
 */
export function leafEdits(path: YamlPath, value: unknown): YamlEdit[] {
  // an empty map or list is written as one (a KEDA trigger's `metadata: {}` is required)
  if (Array.isArray(value)) return value.length === 0 ? [{ path, value: [] }] : value.flatMap((v, i) => leafEdits([...path, i], v));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0 ? [{ path, value: {} }] : entries.flatMap(([k, v]) => leafEdits([...path, k], v));
  }
  if (value === undefined) return [];
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean' && value !== null)
    throw new YamlEditError(`${path.join('.')}: cannot write a ${typeof value}`);
  return [{ path, value }];
}

export interface YamlEdit {
  path: YamlPath;
  value: Scalarish | typeof REMOVE;
}

export class YamlEditError extends ForesightError {
  constructor(message: string) {
    super('MANIFEST_EDIT_FAILED', message);
    this.name = 'YamlEditError';
  }
}

/** Applies the edits to document `docIndex` of `text` and returns the new text. */
export function editYaml(text: string, docIndex: number, edits: YamlEdit[]): string {
  let out = text;
  for (const e of edits) out = editOne(out, docIndex, e);
  return out;
}

function parseDoc(text: string, docIndex: number): Document.Parsed {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new YamlEditError('not a YAML stream');
  const doc = docs[docIndex];
  if (!doc) throw new YamlEditError(`document ${docIndex} does not exist`);
  if (doc.errors.length > 0) throw new YamlEditError(doc.errors[0].message);
  return doc;
}

function editOne(text: string, docIndex: number, e: YamlEdit): string {
  const doc = parseDoc(text, docIndex);
  refuseShared(doc, e.path);
  if (e.value === REMOVE) return removeKey(text, doc, e.path);
  const value = e.value;
  const node = doc.getIn(e.path, true) as Node | undefined;
  if (node !== undefined) {
    if (!isScalar(node) || !node.range) throw new YamlEditError(`${e.path.join('.')} is not a scalar`);
    if (node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL) return reserialise(text, doc, e.path, value);
    return splice(text, node.range[0], node.range[1], scalarText(value, node.type));
  }
  // the nearest existing ancestor
  let k = e.path.length - 1;
  let parent: Node | undefined;
  for (; k >= 0; k--) {
    parent = (k === 0 ? doc.contents : doc.getIn(e.path.slice(0, k), true)) as Node | undefined;
    if (parent !== undefined && parent !== null) break;
  }
  if (!parent || !(isMap(parent) || isSeq(parent)) || !parent.range)
    throw new YamlEditError(`cannot add ${e.path.join('.')}: its parent is not a mapping or sequence`);
  if (parent.flow || parent.items.length === 0) return reserialise(text, doc, e.path, value);
  const missing = e.path.slice(k);
  const at = parent.range[1];
  if (isMap(parent)) {
    if (typeof missing[0] !== 'string') throw new YamlEditError(`${e.path.join('.')}: a mapping has no index ${missing[0]}`);
    const first = parent.items[0].key as Node;
    const indent = column(text, first.range![0]);
    const block = stringify(nest(missing, value), { indentSeq: indentsSequences(text) }).trimEnd();
    return insertLines(text, at, block, indent);
  }
  // a sequence: only appending the next item is meaningful
  if (missing[0] !== parent.items.length) throw new YamlEditError(`${e.path.join('.')}: index ${missing[0]} is beyond the sequence end`);
  const indent = column(text, parent.range[0]);
  const block = stringify([nest(missing.slice(1), value)], { indentSeq: indentsSequences(text) }).trimEnd();
  return insertLines(text, at, block, indent);
}

/**
 * An anchored node (`&res`) or an alias (`*res`) on the edited path is shared: a splice in the
 * anchored text changes every alias of it too (another container's resources, another
 * object's replicas), and an alias has no text of its own to edit. Refused, with where.
 */
function refuseShared(doc: Document.Parsed, path: YamlPath): void {
  for (let i = 0; i <= path.length; i++) {
    const node = (i === 0 ? doc.contents : doc.getIn(path.slice(0, i), true)) as Node | null | undefined;
    if (node === undefined || node === null) return;
    const at = i === 0 ? 'the document' : path.slice(0, i).join('.');
    if (isAlias(node))
      throw new YamlEditError(
        `${at} is an alias (*${node.source}) of a node shared with other places: Foresight does not edit it; write the values out in place`,
      );
    if (node.anchor)
      throw new YamlEditError(`${at} is anchored (&${node.anchor}) and its aliases share it: editing it would change them too; write the values out in place`);
  }
}

/** Deletes a key of a block mapping with its lines; absent already: the text as it is; in a flow mapping (or sharing its line): re-serialised. */
function removeKey(text: string, doc: Document.Parsed, path: YamlPath): string {
  const parent = (path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true)) as Node | undefined;
  if (!parent || !isMap(parent)) return text;
  const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path[path.length - 1]));
  if (!pair) return text;
  const key = pair.key as Node;
  const value = pair.value as Node | null;
  const end = value?.range?.[1] ?? key.range![1];
  const lineStart = text.lastIndexOf('\n', key.range![0] - 1) + 1;
  const nl = text.indexOf('\n', end);
  const lineEnd = nl === -1 ? text.length : nl + 1;
  // the pair must be alone on its lines (a comment after it goes with it)
  const rest = text.slice(end, lineEnd).trim();
  if (parent.flow || text.slice(lineStart, key.range![0]).trim() !== '' || (rest !== '' && !rest.startsWith('#'))) {
    doc.deleteIn(path);
    return reserialiseDoc(text, doc);
  }
  return splice(text, lineStart, lineEnd, '');
}

function nest(path: YamlPath, value: Scalarish): unknown {
  let v: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) v = typeof path[i] === 'number' ? [v] : { [path[i]]: v };
  return v;
}

function scalarText(value: Scalarish, type: Scalar.Type | undefined): string {
  if (value === null) return 'null';
  const s = String(value);
  if (type === Scalar.QUOTE_DOUBLE) return JSON.stringify(s);
  if (type === Scalar.QUOTE_SINGLE) return `'${s.replaceAll("'", "''")}'`;
  // a plain scalar: quote only what YAML would read as something else
  return stringify(value).trimEnd();
}

function reserialise(text: string, doc: Document.Parsed, path: YamlPath, value: Scalarish): string {
  doc.setIn(path, value);
  return reserialiseDoc(text, doc);
}

function reserialiseDoc(text: string, doc: Document.Parsed): string {
  const [start, , end] = doc.range;
  const original = text.slice(start, end);
  let body = doc.toString({ indentSeq: indentsSequences(text) });
  if (eolOf(text) === '\r\n') body = body.replace(/\r?\n/g, '\r\n');
  if (original.startsWith('---') && !body.startsWith('---')) body = `---${eolOf(text)}${body}`;
  if (!original.startsWith('---') && body.startsWith('---')) body = body.replace(/^---\r?\n?/, '');
  return splice(text, start, end, body);
}

/** Does the file indent "- " under its key (the `yaml` default) or put it at the key's column? */
function indentsSequences(text: string): boolean {
  const m = /^( *)[^\s#-][^\n]*:\s*\n( *)- /m.exec(text);
  return m ? m[2].length > m[1].length : true;
}

function column(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

function insertLines(text: string, at: number, block: string, indent: number): string {
  const pad = ' '.repeat(indent);
  const eol = eolOf(text);
  const lines = block
    .split('\n')
    .map((l) => (l.length > 0 ? pad + l : l))
    .join(eol);
  const lead = at > 0 && text[at - 1] !== '\n' ? eol : '';
  return splice(text, at, at, `${lead}${lines}${eol}`);
}

/** The file's line ending: a file written with CRLF gets CRLF in what is added or re-serialised. */
function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}
