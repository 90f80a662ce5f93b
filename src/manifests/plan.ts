/**
 * A recommendation becomes edits of the GitOps repository's files: locate each field, splice
 * the new value in (yaml-edit.ts), then validate the touched objects as the API server would
 * (autoscaling/v2 HorizontalPodAutoscaler, apps/v1 workloads) and against the policy bounds.
 * Pure: a snapshot of files in, the changed files out.
 */
import type { Recommendation } from '../codec/generated-types.js';
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { RejectedMessage } from '../util/errors.js';
import {
  currentValue,
  get,
  locateField,
  ManifestIndex,
  workloadLabel,
  type Deployed,
  type FieldLocation,
  type ObjectDoc,
  type RepoOptions,
  type ResolvedWorkload,
  type WorkloadKey,
} from './manifests.js';
import { nameAt, namesFrom, namespaceAt } from './kustomize.js';
import { parseQuantity } from './quantity.js';
import { editYaml, leafEdits, REMOVE, YamlEditError, type YamlEdit } from './yaml-edit.js';

export interface FieldDiff {
  field: string;
  container: string | null;
  file: string;
  before: string | null;
  after: string;
}

export interface Plan {
  /** the files as they are after the edits (only changed ones) */
  changed: Map<string, string>;
  diffs: FieldDiff[];
}

/**
 * Applies one recommendation to `files` (a snapshot, path → text; earlier plans of the same
 * commit already applied; `base`: the snapshot before them). Throws RejectedMessage with the
 * reason when it cannot be applied.
 */
export function planRecommendation(
  files: ReadonlyMap<string, string>,
  rec: Recommendation,
  policy: ResolvedPolicy | undefined,
  opts?: RepoOptions,
  base?: ReadonlyMap<string, string>,
): Plan {
  const key: WorkloadKey = { namespace: rec.namespace, kind: rec.kind, name: rec.name, cluster: rec.cluster };
  if (policy) checkPolicyBounds(rec, policy);
  const index = ManifestIndex.build(files, opts);
  const resolved = index.resolve(key);
  // `current` is checked against the branch as it was before this commit: an earlier
  // recommendation of the same commit changing the field is Foresight's own edit, not a person's
  const original = base === undefined || base === files ? resolved : ManifestIndex.build(base, opts).resolve(key);
  const changed = new Map<string, string>();
  const diffs: FieldDiff[] = [];
  const text = (f: string): string => changed.get(f) ?? files.get(f)!;
  for (const c of rec.changes) {
    const container = containerOf(c.field, rec);
    // locate against the current state of the edit (an added container entry moves the next field)
    let snapshot = changed.size === 0 ? resolved : ManifestIndex.build(new Map([...files, ...changed]), opts).resolve(key);
    let loc = locateField(snapshot, c.field, container);
    const before = currentValue(snapshot, c.field, container);
    const removal = removesKey(c.field, c.proposed);
    const proposed = /^\d+$/.test(c.proposed) && !c.field.startsWith('nodeSelector.') ? Number(c.proposed) : c.proposed;
    if (removal ? before === null : before === String(proposed)) continue;
    const shared = unseenVariants(index, snapshot, loc, c.field);
    if (shared) {
      // the edit goes into a new patch of the overlay that deploys the workload's object alone, then is made there as in any patch
      for (const [f, t] of overlayPatch(shared, snapshot, c.field, (f) => changed.get(f) ?? files.get(f))) changed.set(f, t);
      snapshot = ManifestIndex.build(new Map([...files, ...changed]), opts).resolve(key);
      loc = locateField(snapshot, c.field, container);
      if (loc.file === shared.doc.file)
        throw new RejectedMessage(
          'ambiguous-target',
          `${workloadLabel(key)}: the patch written for ${shared.kustomization} is not read back as the object's; ${shared.doc.file} is left as it is`,
        );
    }
    const value: YamlEdit['value'] = removal ? removalValue(snapshot) : proposed;
    // the value the recommendation was made from is no longer there: a person (or another
    // change) edited the field since. Never overwrite it; the loop recomputes from the new value.
    const inRepo = currentValue(original, c.field, container);
    if (rec.currentSource === 'MANIFEST' && c.current !== null && !sameValue(inRepo, c.current)) {
      throw new RejectedMessage(
        'stale-current',
        `${workloadLabel(key)}: ${c.field} is ${inRepo ?? '(unset)'} in ${loc.file}, but the recommendation was made from ${c.current}: the field changed since and is left as it is; the next recommendation starts from the new value`,
      );
    }
    changed.set(loc.file, editOrReject(text(loc.file), loc.file, loc.index, [...(loc.before ?? []), { path: loc.path, value }]));
    diffs.push({ field: c.field, container, file: loc.file, before, after: removal ? REMOVED : String(value) });
  }
  if (changed.size > 0) validate(ManifestIndex.build(new Map([...files, ...changed]), opts).resolve(key));
  return { changed, diffs };
}

/** A document that other objects are also deployed from, and the kustomization that deploys the workload's object from it alone. */
interface SharedBase {
  doc: ObjectDoc;
  /** the object as deployed for the workload */
  merged: Record<string, unknown>;
  kustomization: string;
  /** the object's name as deployed, and the name and namespace the patch gives it: as that kustomization sees it */
  deployedName: string;
  name: string;
  namespace: string | undefined;
  /** the other objects, "namespace" or "namespace (as name)", or what else the kustomizations listing a patch build */
  others: string[];
}

/**
 * Kustomize variants the edit cannot see or must not touch. An inline or target-selected patch
 * of a kustomization that deploys the object is refused (the value deployed is not the one in
 * the files), and so is `replicas` where a kustomization's `replicas:` field sets it. A document
 * (base or patch) that other objects are also deployed from (overlays of other namespaces or name
 * prefixes, a patch file two kustomizations list) must not be edited (an edit there changes them
 * all): returned with the innermost kustomization on the object's path that builds it alone (in one
 * namespace, prefix and suffix, where a patch's name matches no other object) and is applied after
 * the document, where a patch is added; refused where there is none or one on the way uses
 * components (not read), unless the mapping pins the file on purpose.
 */
function unseenVariants(index: ManifestIndex, w: ResolvedWorkload, loc: FieldLocation, field: string): SharedBase | undefined {
  const found = [w.workload, w.hpa, w.scaledObject, w.scaledObject && { ...w.scaledObject, edit: w.scaledObject.triggers }].find(
    (r) => r?.edit && r.edit.file === loc.file && r.edit.index === loc.index,
  );
  if (!found) return undefined;
  const doc = found.edit!;
  const label = workloadLabel(w.key);
  if (doc.inlinePatches.length > 0)
    throw new RejectedMessage(
      'ambiguous-target',
      `${label}: ${doc.kind}/${doc.name} is patched where Foresight cannot read or edit it (${doc.inlinePatches.join('; ')}): the value deployed is not the one in ${doc.file}; move that patch into a patch file listed by path`,
    );
  const mine = (x: Deployed): boolean => x.namespace === w.key.namespace && x.name === found.name;
  const base = found.bases.find((b) => b.deployed.some(mine));
  const d = base?.deployed.find(mine);
  if (!base || !d) return undefined;
  const names = new Set([d.name, ...d.paths.flatMap((p) => [...namesFrom(d.name, p.steps, 0)])]);
  const setBy = d.paths.flatMap((p) => p.steps.filter((s) => s.replicas.some((r) => names.has(r)))).map((s) => s.file);
  if (field === 'replicas' && setBy.length > 0)
    throw new RejectedMessage(
      'ambiguous-target',
      `${label}: the replicas: field of ${[...new Set(setBy)].join(' and ')} sets its replicas, over the value in ${doc.file}; change it there, or remove that entry`,
    );
  const others = doc.patch
    ? new Set(doc.listed.map((l) => l.steps.at(-1)!.file)).size > 1 || !doc.listed[0]?.steps.at(-1)!.alone
      ? [`what else ${[...new Set(doc.listed.map((l) => l.steps.at(-1)!.file))].join(' and ')} build${doc.listed.length > 1 ? '' : 's'}`]
      : []
    : doc.deployed.filter((x) => !mine(x)).map((x) => (x.name === found.name ? x.namespace : `${x.namespace} (as ${x.name})`));
  if (others.length === 0 || index.mapped(w.key)?.file === doc.file) return undefined;
  const what = `${doc.file} is ${doc.patch ? 'a patch' : 'a base'} that is also deployed to ${others.join(', ')}: an edit there would change those too`;
  const refuse = (why: string): never => {
    throw new RejectedMessage(
      'ambiguous-target',
      `${label}: ${what}, and ${why}; add a patch of ${doc.kind}/${doc.name} to the overlay of ${w.key.namespace}, or pin the file with "file:" in the mapping file`,
    );
  };
  // every other object of the kind (`index` may be of the files before this plan's earlier edits: compared by name):
  // kustomize fails on a patch that matches two (by any name either has had)
  const otherObjects = index.objects
    .filter((o) => o.kind === doc.kind && !o.patch)
    .flatMap((o) => o.deployed.filter((x) => x.namespace !== d.namespace || x.name !== d.name));
  // per path that builds the object: the innermost kustomization that builds it alone, applied after the document
  const candidates = d.paths.map((p) => {
    const after = doc.patch ? (found.applied.find((a) => a.doc === doc && a.path === p)?.step ?? -1) : p.steps.length - 1;
    for (let i = after; i >= 0; i--) {
      const s = p.steps[i];
      // kustomize matches a patch by any name an object has had: one here must name no other object
      const name = nameAt(d.name, p.steps, i);
      const clash = otherObjects.some((x) =>
        x.paths.some((q) => {
          const j = q.steps.findIndex((t) => t.file === s.file);
          return j >= 0 && namesFrom(x.name, q.steps, j).has(name);
        }),
      );
      if (s.alone && !clash) return { p, i };
    }
    return undefined;
  });
  const at = candidates[0];
  if (!at || candidates.some((c) => c?.p.steps[c.i].file !== at.p.steps[at.i].file) || doc.apiVersion === undefined)
    refuse(
      d.paths.length > 1
        ? `it is deployed there by ${d.paths.length} builds (${[...new Set(d.paths.map((p) => p.steps[0].file))].join(', ')}) with no one kustomization for it alone`
        : `no one kustomization on its way builds ${w.key.namespace}/${found.name} alone to add a patch to`,
    );
  const components = at!.p.steps.filter((s) => s.components).map((s) => s.file);
  if (components.length > 0)
    refuse(
      `${components.join(' and ')} ${components.length > 1 ? 'use' : 'uses'} components, which Foresight does not read (a patch written beside them could undo theirs)`,
    );
  return {
    doc,
    merged: found.merged,
    kustomization: at!.p.steps[at!.i].file,
    deployedName: d.name,
    name: nameAt(d.name, at!.p.steps, at!.i),
    namespace: namespaceAt(at!.p.steps, at!.i, base.namespace),
    others,
  };
}

/**
 * The files that give a shared base's object a patch of its own in the overlay of the workload's
 * namespace: a new strategic-merge patch naming the object, listed under the kustomization's
 * `patches:`. The field's edit is then made in that patch. A ScaledObject's trigger list (which
 * kustomize replaces whole) is copied whole into its patch, a new one or the overlay's own.
 */
function overlayPatch(s: SharedBase, w: ResolvedWorkload, field: string, text: (f: string) => string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const triggers = field === 'keda.threshold' ? get(s.merged, ['spec', 'triggers']) : undefined;
  // the ScaledObject's own patch in that same kustomization takes the list (a second patch there would be ambiguous)
  const own = w.scaledObject?.edit;
  const listedThere = own?.listed.some((l) => l.steps.at(-1)!.file === s.kustomization);
  if (triggers !== undefined && own?.patch && own !== s.doc && listedThere) {
    out.set(own.file, editOrReject(text(own.file)!, own.file, own.index, leafEdits(['spec', 'triggers'], triggers)));
    return out;
  }
  const dir = path.posix.dirname(s.kustomization);
  const name = `foresight-${s.doc.kind.toLowerCase()}-${s.deployedName}.yaml`;
  const file = dir === '.' ? name : `${dir}/${name}`;
  if (text(file) !== undefined)
    throw new RejectedMessage(
      'ambiguous-target',
      `${workloadLabel(w.key)}: ${s.doc.file} is a base that is also deployed to ${s.others.join(', ')}, and ${file}, where its patch for ${w.key.namespace} would go, exists but ${s.kustomization} does not list it; list it under patches:, or remove it`,
    );
  const header = [
    `# Written by Foresight: ${s.doc.kind}/${s.doc.name} as deployed to ${w.key.namespace} only.`,
    `# ${s.doc.file} is also deployed to ${s.others.join(', ')}, so the changes for`,
    `# ${w.key.namespace} are made in this patch (listed in ${path.posix.basename(s.kustomization)}). Edit it like any patch.`,
    `# A list copied here whole (an HPA's metrics, a ScaledObject's triggers) no longer follows ${s.doc.file}.`,
  ];
  const metadata = s.namespace === undefined ? { name: s.name } : { name: s.name, namespace: s.namespace };
  const patch = `${header.join('\n')}\n${stringify({ apiVersion: s.doc.apiVersion, kind: s.doc.kind, metadata })}`;
  out.set(file, triggers === undefined ? patch : editOrReject(patch, file, 0, leafEdits(['spec', 'triggers'], triggers)));
  const kText = text(s.kustomization)!;
  const listed = get(parseDocument(kText).toJS(), ['patches']);
  out.set(s.kustomization, editOrReject(kText, s.kustomization, 0, [{ path: ['patches', Array.isArray(listed) ? listed.length : 0, 'path'], value: name }]));
  return out;
}

/** The container a field belongs to: resources are per container, the other fields are the workload's. */
export const containerOf = (field: string, rec: Pick<Recommendation, 'container'>): string | null =>
  /^(requests|limits)\./.test(field) ? rec.container : null;

/** An edit that cannot be made (an anchored or aliased node, a parent that is not a mapping) rejects the recommendation with where and why. */
function editOrReject(text: string, file: string, docIndex: number, edits: YamlEdit[]): string {
  try {
    return editYaml(text, docIndex, edits);
  } catch (err) {
    if (err instanceof YamlEditError) throw new RejectedMessage('manifest-invalid', `${file}: ${err.message}`);
    throw err;
  }
}

/** What a diff shows for a removed key. */
export const REMOVED = '(removed)';

/**
 * An extended resource (nvidia.com/gpu after a move to a MIG slice) proposed at 0 is removed,
 * not written as 0: a request of 0 whole GPUs still names the resource to the scheduler and the
 * device plugin, and a reader of the manifest would take the pod for a GPU one.
 */
export const removesKey = (field: string, proposed: string): boolean => proposed === '0' && /^(requests|limits)\.nvidia\.com\//.test(field);

/** A change's proposed value as the committer applies it: the value, or REMOVED. */
export const appliedValue = (c: { field: string; proposed: string }): string => (removesKey(c.field, c.proposed) ? REMOVED : c.proposed);

/**
 * How a key is removed where it is written: its lines deleted from a plain manifest; set to null
 * in a Kustomize patch (a strategic-merge patch deletes a key set to null, also one the base
 * holds) and in Helm values (Helm deletes a default key set to null; the chart's default is not
 * in the repository).
 */
function removalValue(w: ResolvedWorkload): YamlEdit['value'] {
  return w.helm || w.workload?.edit.patch ? null : REMOVE;
}

/** Whether a value in the repository is the one a recommendation names (numbers and quantities by value: "0.5" is "500m"). */
function sameValue(inRepo: string | null, named: string): boolean {
  if (inRepo === null) return false;
  if (inRepo === named) return true;
  const a = parseQuantity(inRepo);
  const b = parseQuantity(named);
  return a !== undefined && b !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));
}

function checkPolicyBounds(rec: Recommendation, policy: ResolvedPolicy): void {
  const label = `${rec.namespace}/${rec.kind}/${rec.name}`;
  for (const c of rec.changes) {
    if (c.field === 'minReplicas' || c.field === 'maxReplicas' || c.field === 'replicas') {
      const v = Number(c.proposed);
      const lo = c.field === 'replicas' ? 0 : policy.replicas.min;
      if (!Number.isInteger(v) || v < lo || v > policy.replicas.max) {
        throw new RejectedMessage(
          'out-of-bounds',
          `${label}: ${c.field} ${c.proposed} is outside the policy bounds [${lo}, ${policy.replicas.max}] (${policy.sources.join(' → ')})`,
        );
      }
    }
    if (c.field === 'requests.cpu' && (parseQuantity(c.proposed) ?? -1) < policy.resources.min.cpu) {
      throw new RejectedMessage('out-of-bounds', `${label}: requests.cpu ${c.proposed} is below the policy minimum ${policy.resources.min.cpu} cores`);
    }
    if (c.field === 'requests.memory' && (parseQuantity(c.proposed) ?? -1) < policy.resources.min.memoryBytes) {
      throw new RejectedMessage(
        'out-of-bounds',
        `${label}: requests.memory ${c.proposed} is below the policy minimum ${policy.resources.min.memoryBytes} bytes`,
      );
    }
  }
}

/** The constraints the Kubernetes API server would enforce on the touched objects. */
export function validate(w: ResolvedWorkload): void {
  const label = workloadLabel(w.key);
  const bad = (msg: string): never => {
    throw new RejectedMessage('out-of-bounds', `${label}: ${msg}`);
  };
  const int = (v: unknown, min: number, what: string): void => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min)) bad(`${what} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  };
  if (w.hpa) {
    const spec = (w.hpa.merged.spec ?? {}) as Record<string, unknown>;
    if (w.hpa.edit.apiVersion && w.hpa.edit.apiVersion !== 'autoscaling/v2')
      bad(`the HorizontalPodAutoscaler is ${w.hpa.edit.apiVersion}; Foresight edits autoscaling/v2`);
    int(spec.minReplicas, 1, 'HPA spec.minReplicas');
    int(spec.maxReplicas, 1, 'HPA spec.maxReplicas');
    if (typeof spec.minReplicas === 'number' && typeof spec.maxReplicas === 'number' && spec.minReplicas > spec.maxReplicas)
      bad(`HPA minReplicas ${spec.minReplicas} exceeds maxReplicas ${spec.maxReplicas}`);
    for (const m of (spec.metrics ?? []) as Record<string, unknown>[])
      for (const key of ['resource', 'containerResource']) int(get(m, [key, 'target', 'averageUtilization']), 1, 'HPA averageUtilization');
  }
  if (w.scaledObject) {
    const spec = (w.scaledObject.merged.spec ?? {}) as Record<string, unknown>;
    int(spec.minReplicaCount, 0, 'ScaledObject spec.minReplicaCount');
    int(spec.maxReplicaCount, 1, 'ScaledObject spec.maxReplicaCount');
    if (typeof spec.minReplicaCount === 'number' && typeof spec.maxReplicaCount === 'number' && spec.minReplicaCount > spec.maxReplicaCount)
      bad(`ScaledObject minReplicaCount ${spec.minReplicaCount} exceeds maxReplicaCount ${spec.maxReplicaCount}`);
  }
  if (w.workload) {
    const spec = (w.workload.merged.spec ?? {}) as Record<string, unknown>;
    int(spec.replicas, 0, 'spec.replicas');
    for (const c of (get(spec, ['template', 'spec', 'containers']) ?? []) as Record<string, unknown>[]) {
      for (const r of ['cpu', 'memory']) {
        const req = get(c, ['resources', 'requests', r]);
        const lim = get(c, ['resources', 'limits', r]);
        const q = (v: unknown, what: string): number | undefined => {
          if (v === undefined) return undefined;
          const n = parseQuantity(v as string | number);
          if (n === undefined || n < 0) bad(`container ${String(c.name)} ${what}.${r} ${JSON.stringify(v)} is not a quantity`);
          return n;
        };
        const rq = q(req, 'requests');
        const lq = q(lim, 'limits');
        if (rq !== undefined && lq !== undefined && rq > lq) bad(`container ${String(c.name)} requests.${r} ${String(req)} exceeds limits.${r} ${String(lim)}`);
      }
      // extended resources (GPUs, MIG slices) are whole numbers, and a request must equal its limit
      // (https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#extended-resources)
      const extended = new Set(
        ['requests', 'limits'].flatMap((k) => Object.keys((get(c, ['resources', k]) ?? {}) as object)).filter((r) => r.startsWith('nvidia.com/')),
      );
      for (const r of extended) {
        const req = get(c, ['resources', 'requests', r]);
        const lim = get(c, ['resources', 'limits', r]);
        for (const v of [req, lim])
          if (v !== undefined && !/^\d+$/.test(String(v))) bad(`container ${String(c.name)} ${r} ${JSON.stringify(v)} is not a whole number`);
        if (req !== undefined && lim !== undefined && String(req) !== String(lim))
          bad(`container ${String(c.name)} requests.${r} ${String(req)} differs from limits.${r} ${String(lim)} (an extended resource is not overcommitted)`);
      }
    }
  }
}
