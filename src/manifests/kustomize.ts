/**
 * How Kustomize builds the files of a GitOps repository, as far as Foresight models it: each
 * kustomization (`kustomization.yaml`, `.yml`, `Kustomization`) gives the files it lists
 * (`resources:` and the older `bases:`, folder resources recursively, `patches:` and
 * `patchesStrategicMerge:` by path) its `namespace` (the outermost that sets one wins), its
 * `namePrefix` and `nameSuffix` (added outside in). A file is reached by one path of
 * kustomizations per build that lists it; kustomize matches a patch to an object by any name the
 * object has had on the way (https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/patches/),
 * and applies a kustomization's patches before its own namespace and name transforms, inner
 * kustomizations first, and in one kustomization `patchesStrategicMerge:` before `patches:`. Inline patches, JSON 6902 patches and target-selected patch files are
 * recorded (not modelled: an object they may reach is refused by the committer), as are
 * `components:` and `replicas:`.
 */
import path from 'node:path';
import { parseDocument } from 'yaml';
import { MAX_YAML_ALIASES, tooLarge } from '../util/yaml-limits.js';
import { repoPath } from './repo-path.js';

export const isKustomization = (f: string): boolean => /(^|\/)(kustomization\.ya?ml|Kustomization)$/.test(f);

/** An inline patch of a kustomization, which Foresight cannot read or edit, with the target it names (none: any object). */
export interface InlinePatch {
  label: string;
  kind?: string;
  name?: string;
}

/** One kustomization on a path to a listed file. */
export interface Step {
  file: string;
  /** the prefix and suffix given to names through this kustomization (it and those above it) */
  prefix: string;
  suffix: string;
  /** its own `namespace:` */
  namespace?: string;
  /** whether its output is built in one context only (one namespace, prefix and suffix from above): a patch listed here changes one variant */
  alone: boolean;
  components: boolean;
  /** the names its `replicas:` field sets */
  replicas: string[];
}

/** A path by which a file is listed: the kustomizations, outermost first, the namespace they give (undefined: the file's own). */
export interface KPath {
  steps: Step[];
  namespace: string | undefined;
  /** for a patch, where its listing kustomization lists it: `patches:` (0, applied after) or `patchesStrategicMerge:` (1), and the position there */
  field: 0 | 1;
  order: number;
}

/** What the kustomizations of a repository say of one file they list. */
export interface KustomizedFile {
  patch: boolean;
  /** inline patches of the kustomizations on its paths */
  inline: InlinePatch[];
  paths: KPath[];
}

/** The name an object called `full` in the end has as the kustomization at `steps[i]` sees it (before its own transforms). */
export function nameAt(full: string, steps: Step[], i: number): string {
  const s = steps[i];
  return full.slice(s.prefix.length, full.length - s.suffix.length);
}

/** Every name the object has had at or below `steps[i]`: those kustomize matches a patch listed there against. */
export function namesFrom(full: string, steps: Step[], i: number): Set<string> {
  const out = new Set<string>();
  for (let j = Math.max(0, i); j < steps.length; j++) out.add(nameAt(full, steps, j));
  if (steps.length === 0) out.add(full);
  return out;
}

/** The namespace the object has as `steps[i]` sees it: the one the nearest kustomization below gives, else its own. */
export function namespaceAt(steps: Step[], i: number, own: string | undefined): string | undefined {
  return steps.slice(i + 1).find((s) => s.namespace !== undefined)?.namespace ?? own;
}

/** Every namespace the object has had below `steps[i]` (its own included). */
export function namespacesBelow(steps: Step[], i: number, own: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const s of steps.slice(i + 1)) if (s.namespace !== undefined) out.add(s.namespace);
  if (own !== undefined) out.add(own);
  return out;
}

/** file → how the repository's kustomizations list it (see the header). */
export function kustomizePaths(files: ReadonlyMap<string, string>, yamlFiles: string[]): Map<string, KustomizedFile> {
  interface K {
    file: string;
    dir: string;
    namespace?: string;
    prefix: string;
    suffix: string;
    resources: string[];
    patches: { file: string; field: 0 | 1; order: number }[];
    inline: InlinePatch[];
    components: boolean;
    replicas: string[];
  }
  const ks = new Map<string, K>();
  for (const f of yamlFiles.filter(isKustomization)) {
    let v: Record<string, unknown> | undefined;
    try {
      const text = files.get(f)!;
      if (tooLarge(text)) continue;
      v = parseDocument(text).toJS({ maxAliasCount: MAX_YAML_ALIASES }) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (!v) continue;
    const dir = path.posix.dirname(f);
    const rel = (p: unknown): string | undefined => {
      if (typeof p !== 'string' || p.includes('://')) return undefined;
      try {
        return repoPath(path.posix.join(dir, p));
      } catch {
        return undefined;
      }
    };
    const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
    const patches: K['patches'] = [];
    list(v.patches).forEach((p, order) => {
      const file = rel((p as { path?: string } | null)?.path);
      if (file) patches.push({ file, field: 0, order });
    });
    list(v.patchesStrategicMerge).forEach((p, order) => {
      const file = typeof p === 'string' && !p.includes('\n') ? rel(p) : undefined;
      if (file) patches.push({ file, field: 1, order });
    });
    // what it patches without a file of its own: an inline patch, a JSON 6902 patch (by target), a
    // target-selected patch file (its objects are named by the target, not by the file)
    const inline: InlinePatch[] = [];
    const targetOf = (t: unknown): { kind?: string; name?: string } => {
      const o = (t ?? {}) as Record<string, unknown>;
      return { kind: typeof o.kind === 'string' ? o.kind : undefined, name: typeof o.name === 'string' ? o.name : undefined };
    };
    for (const p of [...list(v.patches), ...list(v.patchesJson6902)] as Record<string, unknown>[]) {
      if (!p || typeof p !== 'object' || (typeof p.path === 'string' && p.target === undefined)) continue;
      const t = targetOf(p.target);
      inline.push({
        ...t,
        label: `${f}: ${typeof p.path === 'string' ? `the patch ${p.path} selected by target` : 'an inline patch'} of ${t.kind ?? 'any kind'}/${t.name ?? 'any name'}`,
      });
    }
    for (const p of list(v.patchesStrategicMerge).filter((x): x is string => typeof x === 'string' && x.includes('\n'))) {
      let t: { kind?: string; name?: string } = {};
      try {
        const o = parseDocument(p).toJS({ maxAliasCount: MAX_YAML_ALIASES }) as Record<string, unknown> | null;
        t = targetOf({ kind: o?.kind, name: (o?.metadata as Record<string, unknown> | undefined)?.name });
      } catch {
        // unreadable: it may patch any object
      }
      inline.push({ ...t, label: `${f}: an inline strategic-merge patch of ${t.kind ?? 'any kind'}/${t.name ?? 'any name'}` });
    }
    ks.set(dir, {
      file: f,
      dir,
      namespace: typeof v.namespace === 'string' ? v.namespace : undefined,
      prefix: typeof v.namePrefix === 'string' ? v.namePrefix : '',
      suffix: typeof v.nameSuffix === 'string' ? v.nameSuffix : '',
      resources: [...list(v.resources), ...list(v.bases)].map(rel).filter((x): x is string => x !== undefined),
      patches,
      inline,
      components: list(v.components).length > 0,
      replicas: list(v.replicas)
        .map((r) => (r as { name?: unknown } | null)?.name)
        .filter((n): n is string => typeof n === 'string'),
    });
  }

  const out = new Map<string, KustomizedFile>();
  // the contexts each kustomization is built in (the namespace, prefix and suffix given above it): one = alone
  const contexts = new Map<string, Set<string>>();
  const steps = new Map<string, Step>(); // one Step object per kustomization; `alone` is set once every path is known
  const stepOf = (k: K, prefix: string, suffix: string): Step => {
    const key = `${k.file}\0${prefix}\0${suffix}`;
    let s = steps.get(key);
    if (!s) {
      s = { file: k.file, prefix, suffix, namespace: k.namespace, alone: false, components: k.components, replicas: k.replicas };
      steps.set(key, s);
    }
    return s;
  };
  interface Above {
    ns: string | undefined;
    prefix: string;
    suffix: string;
    inline: InlinePatch[];
    chain: Step[];
  }
  const visit = (k: K, above: Above, seen: Set<string>): void => {
    if (seen.has(k.dir)) return;
    seen.add(k.dir);
    const ns = above.ns ?? k.namespace; // the outermost kustomization's namespace wins
    const c = contexts.get(k.file) ?? new Set();
    c.add(JSON.stringify([ns ?? null, above.prefix, above.suffix]));
    contexts.set(k.file, c);
    const prefix = above.prefix + k.prefix;
    const suffix = k.suffix + above.suffix;
    const here: Above = { ns, prefix, suffix, inline: [...above.inline, ...k.inline], chain: [...above.chain, stepOf(k, prefix, suffix)] };
    const note = (file: string, patch: boolean, field: 0 | 1 = 0, order = 0): void => {
      const e = out.get(file) ?? { patch: false, inline: [], paths: [] };
      e.patch ||= patch;
      for (const x of here.inline) if (!e.inline.some((y) => y.label === x.label)) e.inline.push(x);
      e.paths.push({ steps: here.chain, namespace: ns, field, order });
      out.set(file, e);
    };
    for (const r of k.resources) {
      const child = ks.get(r);
      if (child) visit(child, here, new Set(seen));
      else note(r, false);
    }
    for (const p of k.patches) note(p.file, true, p.field, p.order);
  };
  const top: Above = { ns: undefined, prefix: '', suffix: '', inline: [], chain: [] };
  const referenced = new Set([...ks.values()].flatMap((k) => k.resources));
  for (const k of ks.values()) if (!referenced.has(k.dir)) visit(k, top, new Set());
  // bases only reached through overlays also keep their own namespace when used alone
  for (const k of ks.values()) if (referenced.has(k.dir) && k.namespace) visit({ ...k, dir: `${k.dir}#self` }, top, new Set());
  for (const s of steps.values()) s.alone = contexts.get(s.file)!.size === 1;
  // an overlay another kustomization includes is also visited alone (for a base that sets its own namespace): where that
  // gives the same listing as the longer path through the includer (the same namespace and names), it is one listing
  const tail = (long: KPath, short: KPath): boolean =>
    long.steps.length > short.steps.length &&
    long.namespace === short.namespace &&
    long.steps.at(-1)!.prefix === short.steps.at(-1)!.prefix &&
    long.steps.at(-1)!.suffix === short.steps.at(-1)!.suffix &&
    short.steps.every((x, i) => long.steps[long.steps.length - short.steps.length + i].file === x.file);
  for (const e of out.values()) e.paths = e.paths.filter((p) => !e.paths.some((q) => tail(q, p)));
  return out;
}
