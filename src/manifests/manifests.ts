/**
 * The workloads of a GitOps repository: where each object's documents are (plain
 * multi-document manifests, Kustomize bases and strategic-merge patches, Helm values files
 * named in the mapping), what their current scaling and sizing values are, and how a
 * recommendation's logical fields map to YAML paths. Shared by the processor (current values
 * for recommendations) and the committer (edits).
 *
 * Discovery: every *.yaml / *.yml file under the mapping's `include` folders (default: the
 * whole repository, minus the policies folder and the mapping file). Kustomization files give
 * their `namespace`, `namePrefix` and `nameSuffix` to the files they list (resources, patches,
 * patchesStrategicMerge), and through folder resources to the bases below; the outermost
 * kustomization that sets a namespace wins and prefixes add up, as in `kustomize build`. When an
 * object has a base and patches, the patch applied last is edited (the overlay is what is
 * deployed); patches that cannot be ordered in different files are ambiguous and must be pinned
 * in the mapping. A document other objects are also deployed from gets a patch of the
 * workload's own instead (plan.ts).
 */
import { isMap, parseAllDocuments, parseDocument } from 'yaml';
import { RejectedMessage, type RejectReason } from '../util/errors.js';
import { MAX_YAML_ALIASES, tooLarge, tooManyDocuments } from '../util/yaml-limits.js';
import { EMPTY_MAPPING, parseMapping, type MappedWorkload, type Mapping } from './mapping.js';
import { isKustomization, kustomizePaths, nameAt, namesFrom, namespacesBelow, type KPath, type Step } from './kustomize.js';
import { helmValueShapeError, manifestShapeError } from './shapes.js';
import { leafEdits, type YamlEdit, type YamlPath } from './yaml-edit.js';

export const MANAGED_ANNOTATION = 'foresight.dev/managed';
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);
const HPA = 'HorizontalPodAutoscaler';
/** KEDA's autoscaler (keda.sh/v1alpha1): it owns an HPA of its own, made from these fields (keda.sh/docs/2.16/reference/scaledobject-spec/) */
const SCALED_OBJECT = 'ScaledObject';
/** Container resources Foresight edits: CPU, memory, whole GPUs and MIG slices (NVIDIA device plugin names). */
const RESOURCE_FIELD = /^(requests|limits)\.(cpu|memory|nvidia\.com\/gpu|nvidia\.com\/mig-[1-7]g\.[0-9]+gb)$/;
export const isResourceField = (field: string): boolean => RESOURCE_FIELD.test(field);

export interface WorkloadKey {
  namespace: string;
  kind: string;
  name: string;
  /** the cluster a recommendation is for: picks the mapping entry of that cluster, and is checked against the mapping's `clusters` */
  cluster?: string;
}

export const workloadLabel = (k: WorkloadKey): string => `${k.namespace}/${k.kind}/${k.name}`;

/** An object a base document becomes in one namespace, under one name, and the paths of kustomizations that build it. */
export interface Deployed {
  namespace: string;
  name: string;
  /** one per build that deploys it (an overlay also built alone counts once, by its longer path); empty: no kustomization lists it */
  paths: KPath[];
}

/** One Kubernetes object document in one file. */
export interface ObjectDoc {
  file: string;
  index: number;
  apiVersion: string | undefined;
  kind: string;
  name: string;
  /** its own metadata.namespace */
  namespace: string | undefined;
  /** a strategic-merge patch a kustomization lists */
  patch: boolean;
  /** inline patches (patches[].patch, patchesJson6902) of the kustomizations that deploy this document and may target it, "kustomization: target" */
  inlinePatches: string[];
  /** of a base document: the objects it becomes, as `kustomize build` names them (a document no kustomization lists: itself) */
  deployed: Deployed[];
  /** of a patch: the paths by which kustomizations list it */
  listed: KPath[];
  value: Record<string, unknown>;
  /** a parse error of this document, "file:line: message" */
  error?: string;
}

/** Where a patch applies to an object: on which of its paths, at which kustomization, in which order. */
interface Applied {
  doc: ObjectDoc;
  path: KPath;
  /** the index of its listing kustomization on the object's path (0: the outermost, applied last) */
  step: number;
  field: 0 | 1;
  order: number;
}

export interface RepoOptions {
  mappingFile: string;
  policiesPath: string;
}

export const DEFAULT_REPO_OPTIONS: RepoOptions = { mappingFile: 'foresight-mapping.yaml', policiesPath: 'policies' };

export class ManifestIndex {
  private constructor(
    readonly files: ReadonlyMap<string, string>,
    readonly objects: ObjectDoc[],
    /** files that could not be parsed at all, "file:line: message" */
    readonly fileErrors: string[],
    readonly mapping: Mapping,
    readonly mappingError: string | undefined,
  ) {}

  /** Indexes the YAML files of a repository snapshot (path → text). */
  static build(files: ReadonlyMap<string, string>, opts: RepoOptions = DEFAULT_REPO_OPTIONS): ManifestIndex {
    let mapping = EMPTY_MAPPING;
    let mappingError: string | undefined;
    const mappingText = files.get(opts.mappingFile);
    if (mappingText !== undefined) {
      try {
        mapping = parseMapping(opts.mappingFile, mappingText);
      } catch (err) {
        mappingError = (err as Error).message;
      }
    }
    const included = (f: string): boolean =>
      (/\.ya?ml$/.test(f) || /(^|\/)Kustomization$/.test(f)) &&
      f !== opts.mappingFile &&
      !f.startsWith(`${opts.policiesPath}/`) &&
      (mapping.include === undefined || mapping.include.some((d) => f === d || f.startsWith(`${d}/`)));
    const yamlFiles = [...files.keys()].filter(included).sort();
    const kust = kustomizePaths(files, yamlFiles);
    const objects: ObjectDoc[] = [];
    const fileErrors: string[] = [];
    for (const file of yamlFiles) {
      if (isKustomization(file)) continue;
      const text = files.get(file)!;
      const large = tooLarge(text);
      if (large) {
        fileErrors.push(`${file}:1: ${large}`);
        continue;
      }
      const docs = parseAllDocuments(text, { prettyErrors: true });
      if (!Array.isArray(docs)) continue;
      const many = tooManyDocuments(docs.length);
      if (many) {
        fileErrors.push(`${file}:1: ${many}`);
        continue;
      }
      docs.forEach((doc, index) => {
        const js = safeJS(doc);
        const value = js.value;
        const line = (pos: number): number => lineOf(text, pos);
        // a document that cannot be converted (an alias bomb) still names its object when it can
        const kind = value ? value.kind : doc.get('kind');
        const shape = value && typeof kind === 'string' ? manifestShapeError(kind, value, doc, line) : undefined;
        const error =
          doc.errors.length > 0
            ? `${file}:${doc.errors[0].linePos?.[0].line ?? 1}: ${doc.errors[0].message.split('\n')[0]}`
            : js.error
              ? `${file}:${line(doc.range[0])}: ${js.error}`
              : shape
                ? `${file}:${shape}`
                : undefined;
        const meta = value
          ? (value.metadata as Record<string, unknown> | undefined)
          : { name: doc.getIn(['metadata', 'name']), namespace: doc.getIn(['metadata', 'namespace']) };
        if (typeof kind !== 'string' || typeof meta?.name !== 'string') {
          if (error) fileErrors.push(error);
          return;
        }
        const k = kust.get(file);
        const own = typeof meta.namespace === 'string' ? meta.namespace : undefined;
        const isPatch = k?.patch ?? false;
        const deployed = isPatch ? [] : deployedAs(meta.name, own, k?.paths ?? []);
        const names = new Set([meta.name, ...deployed.flatMap((d) => [d.name, ...d.paths.flatMap((p) => [...namesFrom(d.name, p.steps, 0)])])]);
        objects.push({
          file,
          index,
          apiVersion: typeof value?.apiVersion === 'string' ? value.apiVersion : undefined,
          kind,
          name: meta.name,
          namespace: own,
          patch: isPatch,
          inlinePatches: (k?.inline ?? []).filter((x) => (!x.kind || x.kind === kind) && (!x.name || names.has(x.name))).map((x) => x.label),
          deployed,
          listed: isPatch ? k!.paths : [],
          value: value ?? {},
          error,
        });
      });
    }
    return new ManifestIndex(files, objects, fileErrors, mapping, mappingError);
  }

  /** base documents by kind, namespace and deployed name; patches by kind; the lookups of the scoring path read these */
  private readonly bases = new Map<string, { doc: ObjectDoc; d: Deployed }[]>();
  private readonly basesIn = new Map<string, { doc: ObjectDoc; d: Deployed }[]>();
  private readonly patches = new Map<string, ObjectDoc[]>();
  private indexed = false;

  private index(): void {
    if (this.indexed) return;
    this.indexed = true;
    const push = <T>(m: Map<string, T[]>, key: string, v: T): void => {
      const l = m.get(key);
      if (l) l.push(v);
      else m.set(key, [v]);
    };
    for (const doc of this.objects) {
      if (doc.patch) push(this.patches, doc.kind, doc);
      for (const d of doc.deployed) {
        push(this.bases, `${doc.kind}\0${d.namespace}\0${d.name}`, { doc, d });
        push(this.basesIn, `${doc.kind}\0${d.namespace}`, { doc, d });
      }
    }
  }

  /**
   * The documents of the object `kind` `namespace`/`name` as deployed: its base documents, then the patches that apply
   * to it. A patch applies where a kustomization on the object's path lists it and it names one of the names (and, if
   * it names one, namespaces) the object has had at or below that kustomization, as kustomize matches patches. The
   * patches are in the order kustomize applies them (`later`); `ordered` where that order is the same on every path.
   */
  private docsOf(kind: string, namespace: string, name: string): { docs: ObjectDoc[]; ordered: boolean; applied: Applied[] } {
    this.index();
    const bases = this.bases.get(`${kind}\0${namespace}\0${name}`) ?? [];
    const applied: Applied[] = [];
    for (const patch of this.patches.get(kind) ?? [])
      for (const { doc, d } of bases)
        for (const path of d.paths) {
          let last: Applied | undefined;
          for (const l of patch.listed) {
            // listed by a kustomization on the object's path, reached the same way
            const step = l.steps.length - 1;
            if (!l.steps.every((x, j) => x === path.steps[j]) || !namesFrom(d.name, path.steps, step).has(patch.name)) continue;
            if (patch.namespace !== undefined && !namespacesBelow(path.steps, step, doc.namespace ?? 'default').has(patch.namespace)) continue;
            const a: Applied = { doc: patch, path, step, field: l.field, order: l.order };
            if (!last || later(a, last)) last = a;
          }
          if (last) applied.push(last);
        }
    // ordered where every path applies the same patches in the same order (cluster roots that add nothing over one
    // overlay); otherwise (per-cluster patches over one overlay) the merged reading still follows `later`, and the
    // document to edit needs a pin
    const paths = bases.flatMap((b) => b.d.paths);
    const sorted = applied.sort((a, b) => (later(a, b) ? 1 : -1));
    const orderOn = (p: KPath): string =>
      sorted
        .filter((a) => a.path === p)
        .map((a) => `${a.doc.file}#${a.doc.index}`)
        .join('\n');
    const ordered = bases.length > 0 && paths.every((p) => orderOn(p) === orderOn(paths[0]));
    return { docs: [...bases.map((b) => b.doc), ...new Set(sorted.map((a) => a.doc))], ordered, applied: sorted };
  }

  /**
   * The deployed names of the autoscalers of `kind` in the workload's namespace whose scaleTargetRef is the workload.
   * kustomize renames a reference where it renames the object it names: a reference that travels with the workload
   * (both under one namePrefix) is the workload's name with the autoscaler's own prefix and suffix; one that meets the
   * workload higher up, not renamed on its own way, names any name the workload has had there (an HPA in prod naming
   * `web` under a base's `namePrefix: app-`: the object named so there now, else the only one that had the name);
   * one naming the final name is kept. A ScaledObject's is a custom
   * resource's field, renamed only where configured: it counts as written.
   */
  private scalersOf(kind: string, key: WorkloadKey, defaultKind?: string): Set<string> {
    this.index();
    const workloads = (this.bases.get(`${key.kind}\0${key.namespace}\0${key.name}`) ?? []).map((w) => w.d);
    const out = new Set<string>();
    for (const { doc, d } of this.basesIn.get(`${kind}\0${key.namespace}`) ?? []) {
      const ref = get(doc.value, ['spec', 'scaleTargetRef']) as Record<string, unknown> | undefined;
      if ((ref?.kind ?? defaultKind) !== key.kind || typeof ref?.name !== 'string') continue;
      const r = ref.name;
      // a ScaledObject's reference is a custom resource's field: kustomize renames it only where configured, so as written
      if (kind !== HPA) {
        if (r === key.name) out.add(d.name);
        continue;
      }
      // a reference naming the final name already is kept as written (nothing else had that name)
      const travels = r === key.name || d.paths.some((p) => `${p.steps.at(-1)!.prefix}${r}${p.steps.at(-1)!.suffix}` === key.name);
      const meets = workloads.some((w) =>
        w.paths.some((wp) =>
          d.paths.some((hp) => {
            let c = -1;
            while (c + 1 < Math.min(hp.steps.length, wp.steps.length) && hp.steps[c + 1] === wp.steps[c + 1]) c++;
            const renamedBelow = hp.steps.at(-1)!.prefix !== (hp.steps[c]?.prefix ?? '') || hp.steps.at(-1)!.suffix !== (hp.steps[c]?.suffix ?? '');
            return c >= 0 && !renamedBelow && this.referredAt(key.kind, wp.steps[c], c, r) === `${w.name}\0${key.namespace}`;
          }),
        ),
      );
      if (travels || meets) out.add(d.name);
    }
    return out;
  }

  /**
   * The object of `kind` a reference `r` names where the kustomization `step` (at index `i` of the paths through it)
   * builds both: the one named `r` there now, else the only one that had that name below it; none (kustomize renames
   * nothing) where several had it. As "deployed name\0namespace".
   */
  private referredAt(kind: string, step: Step, i: number, r: string): string | undefined {
    const memo = this.referred.get(step) ?? new Map<string, string | undefined>();
    this.referred.set(step, memo);
    const key = `${kind}\0${i}\0${r}`;
    if (!memo.has(key)) memo.set(key, this.findReferred(kind, step, i, r));
    return memo.get(key);
  }

  private readonly referred = new WeakMap<Step, Map<string, string | undefined>>();

  private findReferred(kind: string, step: Step, i: number, r: string): string | undefined {
    const now: string[] = [];
    const before: string[] = [];
    for (const o of this.objects)
      if (o.kind === kind && !o.patch)
        for (const x of o.deployed)
          for (const q of x.paths)
            if (q.steps[i] === step) {
              const id = `${x.name}\0${x.namespace}`;
              if (nameAt(x.name, q.steps, i) === r) now.push(id);
              else if (namesFrom(x.name, q.steps, i).has(r)) before.push(id);
            }
    const one = (ids: string[]): string | undefined => (new Set(ids).size === 1 ? ids[0] : undefined);
    return now.length > 0 ? one(now) : one(before);
  }

  /** The mapping entry of a workload: the one for its cluster, else the one for any cluster. */
  mapped(key: WorkloadKey): MappedWorkload | undefined {
    const entries = this.mapping.workloads.filter((w) => w.workload === workloadLabel(key));
    return entries.find((w) => w.cluster !== undefined && w.cluster === key.cluster) ?? entries.find((w) => w.cluster === undefined);
  }

  /**
   * Where a workload lives: its documents (plain or base + patch) and those of the HPA that
   * scales it, or its Helm values file. Throws RejectedMessage for unknown, unmanaged, ambiguous
   * and broken targets, naming the workload and the file (the committer's dead letters).
   */
  resolve(key: WorkloadKey): ResolvedWorkload {
    const r = this.lookup(key);
    if (r.problem) throw new RejectedMessage(r.problem.reason, r.problem.detail);
    return r.resolved;
  }

  /**
   * The same without throwing, for the scoring path (money/money.ts): most series' workloads are
   * not in the repository, and an exception per lookup (its stack trace) costs where nothing is
   * reported. `problem` says why there is no workload, as resolve() would.
   */
  lookup(key: WorkloadKey): WorkloadLookup {
    if (this.mappingError) return rejected('manifest-invalid', this.mappingError);
    const clusters = this.mapping.clusters;
    if (clusters && key.cluster !== undefined && !clusters.includes(key.cluster))
      return rejected(
        'unknown-workload',
        `${workloadLabel(key)}: the recommendation is for cluster ${key.cluster}, and this repository deploys ${clusters.join(', ')} (the mapping file's clusters)`,
      );
    const mapped = this.mapped(key);
    if (mapped?.helm) {
      const text = this.files.get(mapped.helm.values);
      if (text === undefined)
        return rejected('unknown-workload', `${workloadLabel(key)}: Helm values file ${mapped.helm.values} (from the mapping) does not exist`);
      const large = tooLarge(text);
      if (large) return rejected('manifest-invalid', `${mapped.helm.values}:1: ${large}`);
      const doc = parseDocument(text, { prettyErrors: true });
      if (doc.errors.length > 0)
        return rejected('manifest-invalid', `${mapped.helm.values}:${doc.errors[0].linePos?.[0].line ?? 1}: ${doc.errors[0].message.split('\n')[0]}`);
      const js = safeJS(doc);
      if (js.error) return rejected('manifest-invalid', `${mapped.helm.values}:1: ${js.error}`);
      for (const p of Object.values(mapped.helm.fields)) {
        const shape = helmValueShapeError(js.value ?? {}, p, doc, (pos) => lineOf(text, pos));
        if (shape) return rejected('manifest-invalid', `${mapped.helm.values}:${shape}`);
      }
      return { resolved: { key, helm: { file: mapped.helm.values, fields: mapped.helm.fields, value: js.value ?? {} } } };
    }
    // the files the mapping pins for the workload in other clusters are those clusters' objects
    const otherClusters = new Set(
      this.mapping.workloads.filter((w) => w.workload === workloadLabel(key) && w.cluster !== undefined && w !== mapped && w.file).map((w) => w.file),
    );
    const found = this.docsOf(key.kind, key.namespace, key.name);
    const docs = found.docs.filter((d) => !otherClusters.has(d.file));
    if (docs.length === 0) {
      const broken = this.fileErrors.length > 0 ? ` (files that failed to parse: ${this.fileErrors.join('; ')})` : '';
      return rejected(this.fileErrors.length > 0 ? 'manifest-invalid' : 'unknown-workload', `${workloadLabel(key)} is not in the GitOps repository${broken}`);
    }
    const broken = docs.find((d) => d.error);
    if (broken) return rejected('manifest-invalid', broken.error!);
    const managed = mapped !== undefined || docs.some((d) => annotations(d.value)[MANAGED_ANNOTATION] === 'true');
    if (!managed)
      return rejected('not-managed', `${workloadLabel(key)} is not under management: annotate it ${MANAGED_ANNOTATION}: "true" or list it in the mapping file`);
    const workload = this.pick(docs, mapped?.file, workloadLabel(key), found);
    if ('problem' in workload) return workload;
    const hpaNames = this.scalersOf(HPA, key);
    if (hpaNames.size > 1)
      return rejected('ambiguous-target', `${workloadLabel(key)} is scaled by more than one HorizontalPodAutoscaler: ${[...hpaNames].join(', ')}`);
    const hpaFound = hpaNames.size === 1 ? this.docsOf(HPA, key.namespace, [...hpaNames][0]) : { docs: [], ordered: false, applied: [] };
    const hpaDocs = hpaFound.docs;
    const soNames = this.scalersOf(SCALED_OBJECT, key, 'Deployment');
    if (soNames.size > 1) return rejected('ambiguous-target', `${workloadLabel(key)} is scaled by more than one KEDA ScaledObject: ${[...soNames].join(', ')}`);
    const soFound = soNames.size === 1 ? this.docsOf(SCALED_OBJECT, key.namespace, [...soNames][0]) : { docs: [], ordered: false, applied: [] };
    const soDocs = soFound.docs;
    const soBroken = soDocs.find((d) => d.error);
    if (soBroken) return rejected('manifest-invalid', soBroken.error!);
    const soLabel = `${key.namespace}/${SCALED_OBJECT}/${[...soNames][0]}`;
    const hpaBroken = hpaDocs.find((d) => d.error);
    if (hpaBroken) return rejected('manifest-invalid', hpaBroken.error!);
    const hpaEdit = hpaDocs.length > 0 ? this.pick(hpaDocs, undefined, `${key.namespace}/${HPA}/${[...hpaNames][0]}`, hpaFound) : undefined;
    if (hpaEdit && 'problem' in hpaEdit) return hpaEdit;
    const soEdit = soDocs.length > 0 ? this.pick(soDocs, undefined, soLabel, soFound) : undefined;
    if (soEdit && 'problem' in soEdit) return soEdit;
    // the trigger list lives where it is written: a patch that adds one would replace the whole list
    const triggers = soDocs.some(hasTriggers) ? this.pick(soDocs.filter(hasTriggers), undefined, soLabel, soFound) : undefined;
    if (triggers && 'problem' in triggers) return triggers;
    return {
      resolved: {
        key,
        workload: { edit: workload, merged: mergeDocs(docs), name: key.name, bases: docs.filter((d) => !d.patch), applied: found.applied },
        hpa: hpaEdit
          ? { edit: hpaEdit, merged: mergeDocs(hpaDocs), name: [...hpaNames][0], bases: hpaDocs.filter((d) => !d.patch), applied: hpaFound.applied }
          : undefined,
        scaledObject: soEdit
          ? { edit: soEdit, merged: mergeDocs(soDocs), triggers, name: [...soNames][0], bases: soDocs.filter((d) => !d.patch), applied: soFound.applied }
          : undefined,
      },
    };
  }

  /** The document to edit: the pinned file, else the patch applied last (where docsOf could order them), else the single patch, else the single plain document. */
  private pick(docs: ObjectDoc[], pinned: string | undefined, label: string, found: { ordered: boolean; applied: Applied[] }): ObjectDoc | Rejected {
    if (pinned) {
      const d = docs.find((x) => x.file === pinned);
      return d ?? rejected('unknown-workload', `${label}: the mapping pins ${pinned}, which does not hold it`);
    }
    const patches = docs.filter((d) => d.patch);
    const last = found.applied.filter((a) => patches.includes(a.doc)).at(-1);
    const choice = found.ordered && last ? [last.doc] : patches.length > 0 ? patches : docs;
    if (new Set(choice.map((d) => d.file)).size > 1)
      return rejected('ambiguous-target', `${label} is in ${choice.map((d) => d.file).join(' and ')}; pin one with "file:" in the mapping file`);
    return choice[0];
  }
}

/** Why a workload cannot be resolved: what resolve() throws as a RejectedMessage. */
interface Rejected {
  resolved?: undefined;
  problem: { reason: RejectReason; detail: string };
}

/** A workload as the repository has it, or why not (ManifestIndex.lookup). */
export type WorkloadLookup = { resolved: ResolvedWorkload; problem?: undefined } | Rejected;

const rejected = (reason: RejectReason, detail: string): Rejected => ({ problem: { reason, detail } });

export interface ResolvedDocs {
  /** the document that gets edited */
  edit: ObjectDoc;
  /** the object's name as deployed (kustomize's namePrefix and nameSuffix included) */
  name: string;
  /** its base documents (each with the objects it becomes) and where its patches apply, in order where known */
  bases: ObjectDoc[];
  applied: Applied[];
  /** the object as deployed: base documents with the patches merged over them */
  merged: Record<string, unknown>;
}

export interface ResolvedWorkload {
  key: WorkloadKey;
  workload?: ResolvedDocs;
  hpa?: ResolvedDocs;
  /** the KEDA ScaledObject that scales it; `triggers` is the document that holds its trigger list */
  scaledObject?: ResolvedDocs & { triggers?: ObjectDoc };
  helm?: { file: string; fields: Record<string, string>; value: Record<string, unknown> };
}

/** A logical field's location: which file, which document, which YAML path. */
export interface FieldLocation {
  file: string;
  index: number;
  path: YamlPath;
  /** edits to make first (a container entry that the patch does not have yet) */
  before?: YamlEdit[];
}

/**
 * Maps a logical field (Recommendation.changes[].field) to the YAML path that holds it.
 * Fields: replicas, minReplicas, maxReplicas, targetCPUUtilization, requests.cpu,
 * requests.memory, limits.cpu, limits.memory, requests/limits of nvidia.com/gpu and
 * nvidia.com/mig-<profile> (per container), nodeSelector.<label>, and of a KEDA ScaledObject
 * keda.minReplicaCount, keda.maxReplicaCount, keda.threshold (its first trigger with a threshold).
 */
export function locateField(w: ResolvedWorkload, field: string, container: string | null): FieldLocation {
  const label = workloadLabel(w.key);
  if (w.helm) {
    const p = w.helm.fields[field];
    if (!p) throw new RejectedMessage('unknown-workload', `${label}: the mapping names no Helm values path for ${field}`);
    return { file: w.helm.file, index: 0, path: p.split('.') };
  }
  if (field.startsWith('keda.')) return locateKedaField(w, field);
  if (field === 'minReplicas' || field === 'maxReplicas' || field === 'targetCPUUtilization') {
    if (!w.hpa) throw new RejectedMessage('unknown-workload', `${label}: no HorizontalPodAutoscaler in the repository scales it (for ${field})`);
    const { file, index, value } = w.hpa.edit;
    if (field !== 'targetCPUUtilization') return { file, index, path: ['spec', field] };
    // a patch without the metric list gets the deployed one whole: autoscaling/v2 metrics has no
    // merge key, so kustomize replaces the list with the patch's
    const own = get(value, ['spec', 'metrics']);
    const deployed = own === undefined && w.hpa.edit.patch ? get(w.hpa.merged, ['spec', 'metrics']) : undefined;
    const cpu = hpaCpuMetric(own ?? deployed);
    if (!cpu)
      throw new RejectedMessage(
        'manifest-invalid',
        `${file}: the HorizontalPodAutoscaler has no cpu Resource or ContainerResource metric with a Utilization target to set`,
      );
    if ('several' in cpu)
      throw new RejectedMessage(
        'manifest-invalid',
        `${file}: the HorizontalPodAutoscaler has ${cpu.several} cpu utilisation metrics; which target to set is not known`,
      );
    const path = ['spec', 'metrics', cpu.index, cpu.key, 'target', 'averageUtilization'];
    return deployed === undefined ? { file, index, path } : { file, index, path, before: leafEdits(['spec', 'metrics'], deployed) };
  }
  const doc = w.workload!.edit;
  if (field === 'replicas') return { file: doc.file, index: doc.index, path: ['spec', 'replicas'] };
  if (!POD_TEMPLATE_KINDS.has(doc.kind))
    throw new RejectedMessage('unknown-workload', `${label}: ${field} needs a pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet)`);
  const pod = ['spec', 'template', 'spec'];
  if (field.startsWith('nodeSelector.')) return { file: doc.file, index: doc.index, path: [...pod, 'nodeSelector', field.slice('nodeSelector.'.length)] };
  const m = RESOURCE_FIELD.exec(field);
  if (!m) throw new RejectedMessage('invalid-field', `${label}: unknown field ${field}`);
  if (!container) throw new RejectedMessage('invalid-field', `${label}: ${field} needs a container`);
  const containers = (get(doc.value, pod) as Record<string, unknown> | undefined)?.containers as Record<string, unknown>[] | undefined;
  const merged = (get(w.workload!.merged, pod) as Record<string, unknown> | undefined)?.containers as Record<string, unknown>[] | undefined;
  if (!merged?.some((c) => c.name === container)) throw new RejectedMessage('unknown-workload', `${label} has no container ${container}`);
  const i = containers?.findIndex((c) => c.name === container) ?? -1;
  if (i >= 0) return { file: doc.file, index: doc.index, path: [...pod, 'containers', i, 'resources', m[1], m[2]] };
  // a patch without this container yet: add its entry (strategic merge matches containers by name)
  const n = containers?.length ?? 0;
  return {
    file: doc.file,
    index: doc.index,
    path: [...pod, 'containers', n, 'resources', m[1], m[2]],
    before: [{ path: [...pod, 'containers', n, 'name'], value: container }],
  };
}

function locateKedaField(w: ResolvedWorkload, field: string): FieldLocation {
  const label = workloadLabel(w.key);
  if (!w.scaledObject) throw new RejectedMessage('unknown-workload', `${label}: no KEDA ScaledObject in the repository scales it (for ${field})`);
  if (field === 'keda.minReplicaCount' || field === 'keda.maxReplicaCount') {
    const { file, index } = w.scaledObject.edit;
    return { file, index, path: ['spec', field.slice('keda.'.length)] };
  }
  if (field !== 'keda.threshold') throw new RejectedMessage('invalid-field', `${label}: unknown field ${field}`);
  const doc = w.scaledObject.triggers;
  const i = doc ? thresholdTrigger(get(doc.value, ['spec', 'triggers'])) : -1;
  if (!doc || i < 0)
    throw new RejectedMessage('manifest-invalid', `${w.scaledObject.edit.file}: the ScaledObject has no trigger with metadata.threshold to set`);
  return { file: doc.file, index: doc.index, path: ['spec', 'triggers', i, 'metadata', 'threshold'] };
}

const hasTriggers = (d: ObjectDoc): boolean => Array.isArray(get(d.value, ['spec', 'triggers']));

function thresholdTrigger(triggers: unknown): number {
  return Array.isArray(triggers) ? triggers.findIndex((t) => get(t, ['metadata', 'threshold']) !== undefined) : -1;
}

/** One CPU-utilisation metric of an HPA: its index in `spec.metrics`, its key, and for a ContainerResource one its container. */
interface HpaCpuMetric {
  index: number;
  key: 'resource' | 'containerResource';
  metric: Record<string, unknown>;
  container?: string;
}

/**
 * An HPA's CPU-utilisation metric (autoscaling/v2 `spec.metrics`): a `Resource` metric on `cpu` (the pod's usage ÷
 * requests) or a `ContainerResource` metric on `cpu` (one container's:
 * https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#container-resource-metrics), with a
 * Utilization target (an AverageValue target does not depend on requests). Undefined where there is none, and
 * `several` where there is more than one: the HPA then scales on the largest of them, which no single target tells.
 */
export function hpaCpuMetric(metrics: unknown): HpaCpuMetric | { several: number } | undefined {
  if (!Array.isArray(metrics)) return undefined;
  const found: HpaCpuMetric[] = [];
  metrics.forEach((m: unknown, index) => {
    for (const [type, key] of [
      ['Resource', 'resource'],
      ['ContainerResource', 'containerResource'],
    ] as const) {
      if (get(m, ['type']) !== type || get(m, [key, 'name']) !== 'cpu' || get(m, [key, 'target', 'averageUtilization']) === undefined) continue;
      const container = get(m, [key, 'container']);
      if (key === 'containerResource' && typeof container !== 'string') continue;
      found.push({ index, key, metric: m as Record<string, unknown>, ...(key === 'containerResource' ? { container: container as string } : {}) });
    }
  });
  return found.length > 1 ? { several: found.length } : found[0];
}

/**
 * The current value of a logical field as deployed (patches merged over bases), as a string;
 * null where absent. The documents' shapes were checked when indexed (shapes.ts: a workload of
 * another shape does not resolve); the list guards here keep any other from throwing.
 */
export function currentValue(w: ResolvedWorkload, field: string, container: string | null): string | null {
  let v: unknown;
  if (w.helm) {
    const p = w.helm.fields[field];
    v = p ? get(w.helm.value, p.split('.')) : undefined;
  } else if (field === 'keda.minReplicaCount' || field === 'keda.maxReplicaCount') {
    v = w.scaledObject ? get(w.scaledObject.merged, ['spec', field.slice('keda.'.length)]) : undefined;
  } else if (field === 'keda.threshold') {
    const triggers = w.scaledObject ? get(w.scaledObject.merged, ['spec', 'triggers']) : undefined;
    const i = thresholdTrigger(triggers);
    v = i >= 0 ? get(triggers, [i, 'metadata', 'threshold']) : undefined;
  } else if (field === 'minReplicas' || field === 'maxReplicas') {
    v = w.hpa ? get(w.hpa.merged, ['spec', field]) : undefined;
  } else if (field === 'targetCPUUtilization') {
    const cpu = hpaCpuMetric(get(w.hpa?.merged, ['spec', 'metrics']));
    v = cpu && !('several' in cpu) ? get(cpu.metric, [cpu.key, 'target', 'averageUtilization']) : undefined;
  } else if (field === 'replicas') {
    v = w.workload ? get(w.workload.merged, ['spec', 'replicas']) : undefined;
  } else if (field.startsWith('nodeSelector.')) {
    v = w.workload ? get(w.workload.merged, ['spec', 'template', 'spec', 'nodeSelector', field.slice('nodeSelector.'.length)]) : undefined;
  } else {
    const m = RESOURCE_FIELD.exec(field);
    const containers = listAt(w.workload?.merged, ['spec', 'template', 'spec', 'containers']);
    const c = containers?.find((x) => x?.name === container);
    v = m && c ? get(c, ['resources', m[1], m[2]]) : undefined;
  }
  return v === undefined || v === null ? null : String(v);
}

/**
 * What a container holds of a resource as the scheduler counts it: its request, else its limit.
 * The API server defaults a missing request to the limit, per resource; for an extended resource
 * such as nvidia.com/gpu a request must equal the limit, and containers often give only the limit
 * (https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#requests-and-limits,
 * https://kubernetes.io/docs/tasks/manage-gpus/scheduling-gpus/). `resources` is a container's
 * `resources` mapping; null when it gives neither.
 */
export function requestOrLimit(resources: unknown, resource: string): string | null {
  const v = get(resources, ['requests', resource]) ?? get(resources, ['limits', resource]);
  return v === undefined || v === null ? null : String(v);
}

/**
 * requestOrLimit of the container named `container` as deployed; of a Helm chart, the value its
 * mapping names for `requests.<resource>`, else the one for `limits.<resource>`.
 */
export function containerRequest(w: ResolvedWorkload, resource: string, container: string | null): string | null {
  if (w.helm) return currentValue(w, `requests.${resource}`, container) ?? currentValue(w, `limits.${resource}`, container);
  const c = listAt(w.workload?.merged, ['spec', 'template', 'spec', 'containers'])?.find((x) => x?.name === container);
  return c ? requestOrLimit(c.resources, resource) : null;
}

/** The list at `p`, or undefined when there is none (absent, or of another shape). */
function listAt(obj: unknown, p: YamlPath): Record<string, unknown>[] | undefined {
  const v = get(obj, p);
  return Array.isArray(v) ? (v as Record<string, unknown>[]) : undefined;
}

export function get(obj: unknown, p: YamlPath): unknown {
  let cur = obj;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

function annotations(v: Record<string, unknown>): Record<string, unknown> {
  return ((v.metadata as Record<string, unknown> | undefined)?.annotations ?? {}) as Record<string, unknown>;
}

/** The document as plain data, within the alias limit; the error when it cannot be converted. */
function safeJS(doc: { contents: unknown; toJS(o?: { maxAliasCount?: number }): unknown }): { value?: Record<string, unknown>; error?: string } {
  try {
    const v = isMap(doc.contents) ? doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) : undefined;
    return { value: v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined };
  } catch (err) {
    // the yaml package: "Excessive alias count indicates a resource exhaustion attack"
    return { error: `cannot be read: ${(err as Error).message.split('\n')[0]} (at most ${MAX_YAML_ALIASES} aliases)` };
  }
}

/** The 1-based line of a character offset. */
function lineOf(text: string, pos: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Base documents first, patches merged over them in docsOf's order (maps deep, a null deletes the key, as a strategic
 * merge; lists of named items by name — containers — in Kubernetes' own kinds, replaced whole in custom resources such as
 * a ScaledObject, whose schema kustomize does not know).
 */
export function mergeDocs(docs: ObjectDoc[]): Record<string, unknown> {
  const ordered = [...docs.filter((d) => !d.patch), ...docs.filter((d) => d.patch)];
  const byName = !ordered.some((d) => d.kind === SCALED_OBJECT);
  return ordered.reduce<Record<string, unknown>>((acc, d) => merge(acc, d.value, byName) as Record<string, unknown>, {});
}

function merge(a: unknown, b: unknown, byName: boolean): unknown {
  if (byName && Array.isArray(a) && Array.isArray(b) && b.every((x) => x && typeof x === 'object' && 'name' in x)) {
    const out = a.map((x) => ({ ...x }));
    for (const item of b) {
      const i = out.findIndex((x) => x?.name === item.name);
      if (i >= 0) out[i] = merge(out[i], item, byName);
      else out.push(item);
    }
    return out;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    // a key set to null is deleted, as in a strategic-merge patch (and Helm values)
    for (const [k, v] of Object.entries(b)) {
      if (v === null) delete out[k];
      else out[k] = merge(out[k], v, byName);
    }
    return out;
  }
  return b === undefined ? a : b;
}

/** Whether patch application `a` comes after `b` (an outer kustomization's, or later in one kustomization's list). */
function later(a: Applied, b: Applied): boolean {
  // kustomize applies patchesStrategicMerge (1) before patches (0) of one kustomization, whatever their order in the file
  if (a.step !== b.step) return a.step < b.step;
  if (a.field !== b.field) return a.field < b.field;
  // two documents of one object in one patch file: the later document wins
  return a.order !== b.order ? a.order > b.order : a.doc.index > b.doc.index;
}

/**
 * The objects a base document named `name` (own namespace `own`) becomes on the paths kustomizations list it by: the
 * outermost kustomization's namespace (else its own, else default), the prefixes and suffixes on the way. An overlay
 * that another includes is also built alone (the "used alone" path of a kustomization that sets a namespace): where
 * both give one object, the longer path is kept.
 */
function deployedAs(name: string, own: string | undefined, paths: KPath[]): Deployed[] {
  if (paths.length === 0) return [{ namespace: own ?? 'default', name, paths: [] }];
  const out: Deployed[] = [];
  const tail = (long: KPath, short: KPath): boolean =>
    long.steps.length > short.steps.length && short.steps.every((s, i) => long.steps[long.steps.length - short.steps.length + i].file === s.file);
  for (const p of paths) {
    const last = p.steps.at(-1)!;
    const d = { namespace: p.namespace ?? own ?? 'default', name: `${last.prefix}${name}${last.suffix}` };
    const same = out.find((x) => x.namespace === d.namespace && x.name === d.name);
    if (!same) out.push({ ...d, paths: [p] });
    else if (!same.paths.some((q) => tail(q, p))) same.paths = [...same.paths.filter((q) => !tail(p, q)), p];
  }
  return out;
}
