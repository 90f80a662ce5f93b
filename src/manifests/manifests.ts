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
import path from 'node:path';
import { isMap, parseAllDocuments, parseDocument } from 'yaml';
import { RejectedMessage, type RejectReason } from '../util/errors.js';
import { MAX_YAML_ALIASES, tooLarge, tooManyDocuments } from '../util/yaml-limits.js';
import { EMPTY_MAPPING, parseMapping, type MappedWorkload, type Mapping } from './mapping.js';
import { repoPath } from './repo-path.js';
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

/** An object a document becomes in one namespace, under one name. */
export interface Deployed {
  /** ANY_NAMESPACE: a patch that names no namespace in kustomizations that give none (it patches the object of its name in any) */
  namespace: string;
  name: string;
  /** the namePrefix and nameSuffix of the kustomizations deploying it (their references to each other are renamed alike) */
  prefix: string;
  suffix: string;
  /** the kustomization files it is deployed through, outermost first (empty: no kustomization lists it) */
  chain: string[];
  /** whether the kustomization that lists it builds that one variant only (a change in its file changes no other object) */
  listedAlone: boolean;
  /** the kustomization file closest to the document that builds this variant alone (a patch added there changes it only) */
  kustomization: string | undefined;
  /** the object's name and namespace as that kustomization sees them (the transforms of those it builds on): what a patch there names */
  patchName?: string;
  patchNamespace?: string;
  /** the kustomizations by which it is deployed, when more than one path leads to it (none then deploys it alone) */
  paths?: (string | undefined)[];
  /** what a kustomization on its path does that Foresight does not model: `components:`, a `replicas:` entry for it */
  components: string[];
  replicasSetBy: string[];
}

/** Deployed.namespace of a patch that names no namespace, listed where none is given: kustomize matches it in any. */
export const ANY_NAMESPACE = '*';

/** One Kubernetes object document in one file. */
export interface ObjectDoc {
  file: string;
  index: number;
  apiVersion: string | undefined;
  kind: string;
  name: string;
  namespaces: string[];
  patch: boolean;
  /** inline patches (patches[].patch, patchesJson6902) of the kustomizations that deploy this document and may target it, "kustomization: target" */
  inlinePatches: string[];
  /**
   * the objects this document becomes (as `kustomize build` names them: each kustomization's
   * namespace, namePrefix and nameSuffix applied; a document no kustomization lists, itself), each
   * with the kustomization file closest to the document whose whole output is that object's
   * variant alone (a patch added there changes that one only), undefined where there is none
   */
  deployed: Deployed[];
  value: Record<string, unknown>;
  /** a parse error of this document, "file:line: message" */
  error?: string;
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
    const kust = kustomizeNamespaces(files, yamlFiles);
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
        const deployed: Deployed[] = [];
        const variants = k?.variants.length ? k.variants : [undefined];
        for (const v of variants) {
          const name = `${v?.prefix ?? ''}${meta.name}${v?.suffix ?? ''}`;
          const at = v?.alone;
          const d: Deployed = {
            namespace: v?.namespace ?? own ?? (k?.patch ? ANY_NAMESPACE : 'default'),
            name,
            prefix: v?.prefix ?? '',
            suffix: v?.suffix ?? '',
            chain: v?.chain.map((step) => step.file) ?? [],
            listedAlone: v?.listedAlone ?? true,
            kustomization: at?.file,
            components: v?.chain.filter((step) => step.components).map((step) => step.file) ?? [],
            replicasSetBy: (v?.chain ?? [])
              .filter((step) => step.replicas.some((r) => r === meta.name || r === name.slice(step.prefix.length, name.length - step.suffix.length)))
              .map((step) => step.file),
          };
          if (at) {
            d.patchName = name.slice(at.prefix.length, name.length - at.suffix.length);
            d.patchNamespace = at.inner ?? own;
          }
          const seen = deployed.findIndex((x) => x.namespace === d.namespace && x.name === d.name);
          const same = deployed[seen];
          const tail = (long: string[], short: string[]): boolean =>
            long.length > short.length && short.every((f, i) => long[long.length - short.length + i] === f);
          // an overlay that another includes, also built alone (the "used alone" path of a kustomization that sets a
          // namespace): one object, whose path is the longer one
          if (same && tail(same.chain, d.chain)) continue;
          if (same && tail(d.chain, same.chain)) deployed[seen] = d;
          // the same object reached by two paths: a patch added in one of them would not reach it through the other
          else if (same) {
            same.paths = [...(same.paths ?? [same.kustomization]), d.kustomization];
            same.kustomization = undefined;
          } else deployed.push(d);
        }
        const namespaces = [...new Set(deployed.map((d) => d.namespace))];
        objects.push({
          file,
          index,
          apiVersion: typeof value?.apiVersion === 'string' ? value.apiVersion : undefined,
          kind,
          name: meta.name,
          namespaces,
          patch: k?.patch ?? false,
          inlinePatches: (k?.inline ?? []).filter((x) => (!x.kind || x.kind === kind) && (!x.name || x.name === meta.name)).map((x) => x.label),
          deployed,
          value: value ?? {},
          error,
        });
      });
    }
    return new ManifestIndex(files, objects, fileErrors, mapping, mappingError);
  }

  /**
   * The documents of the object `kind` `namespace`/`name` as deployed: its base documents, then its patches. Where the
   * object is built by one path of kustomizations and every patch is listed on it, the patches are in the order
   * kustomize applies them (those of inner kustomizations first) and `ordered` is set. A patch that names no namespace
   * counts where a kustomization on the base's path lists it.
   */
  private docsOf(kind: string, namespace: string, name: string): { docs: ObjectDoc[]; ordered: boolean } {
    const same = (o: ObjectDoc): Deployed | undefined => o.deployed.find((d) => d.namespace === namespace && d.name === name);
    const bases = this.objects.filter((o) => o.kind === kind && !o.patch && same(o));
    const chains = bases.map((o) => same(o)!).filter((d) => d.chain.length > 0);
    const chain = chains[0]?.chain ?? [];
    const listing = (o: ObjectDoc): string | undefined =>
      o.deployed
        .find((x) => x.name === name && (x.namespace === namespace || (x.namespace === ANY_NAMESPACE && chain.includes(x.chain.at(-1)!))))
        ?.chain.at(-1);
    const patches = this.objects.filter((o) => o.kind === kind && o.patch && listing(o) !== undefined);
    const depth = (o: ObjectDoc): number => chain.indexOf(listing(o)!);
    const ordered = chains.length === 1 && chains[0].paths === undefined && patches.every((o) => depth(o) >= 0);
    return { docs: [...bases, ...(ordered ? patches.sort((a, b) => depth(b) - depth(a)) : patches)], ordered };
  }

  /** The deployed names of the autoscalers of `kind` in the workload's namespace whose scaleTargetRef is the workload. */
  private scalersOf(kind: string, key: WorkloadKey, defaultKind?: string): Set<string> {
    const names = new Set<string>();
    for (const o of this.objects)
      for (const d of o.kind === kind ? o.deployed : [])
        if (d.namespace === key.namespace && scaleTarget(o.value, key, d, kind === HPA, defaultKind)) names.add(d.name);
    return names;
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
    const workload = this.pick(docs, mapped?.file, workloadLabel(key), found.ordered);
    if ('problem' in workload) return workload;
    const hpaNames = this.scalersOf(HPA, key);
    if (hpaNames.size > 1)
      return rejected('ambiguous-target', `${workloadLabel(key)} is scaled by more than one HorizontalPodAutoscaler: ${[...hpaNames].join(', ')}`);
    const hpaFound = hpaNames.size === 1 ? this.docsOf(HPA, key.namespace, [...hpaNames][0]) : { docs: [], ordered: false };
    const hpaDocs = hpaFound.docs;
    const soNames = this.scalersOf(SCALED_OBJECT, key, 'Deployment');
    if (soNames.size > 1) return rejected('ambiguous-target', `${workloadLabel(key)} is scaled by more than one KEDA ScaledObject: ${[...soNames].join(', ')}`);
    const soFound = soNames.size === 1 ? this.docsOf(SCALED_OBJECT, key.namespace, [...soNames][0]) : { docs: [], ordered: false };
    const soDocs = soFound.docs;
    const soBroken = soDocs.find((d) => d.error);
    if (soBroken) return rejected('manifest-invalid', soBroken.error!);
    const soLabel = `${key.namespace}/${SCALED_OBJECT}/${[...soNames][0]}`;
    const hpaBroken = hpaDocs.find((d) => d.error);
    if (hpaBroken) return rejected('manifest-invalid', hpaBroken.error!);
    const hpaEdit = hpaDocs.length > 0 ? this.pick(hpaDocs, undefined, `${key.namespace}/${HPA}/${[...hpaNames][0]}`, hpaFound.ordered) : undefined;
    if (hpaEdit && 'problem' in hpaEdit) return hpaEdit;
    const soEdit = soDocs.length > 0 ? this.pick(soDocs, undefined, soLabel, soFound.ordered) : undefined;
    if (soEdit && 'problem' in soEdit) return soEdit;
    // the trigger list lives where it is written: a patch that adds one would replace the whole list
    const triggers = soDocs.some(hasTriggers) ? this.pick(soDocs.filter(hasTriggers), undefined, soLabel, soFound.ordered) : undefined;
    if (triggers && 'problem' in triggers) return triggers;
    return {
      resolved: {
        key,
        workload: { edit: workload, merged: mergeDocs(docs), name: key.name },
        hpa: hpaEdit ? { edit: hpaEdit, merged: mergeDocs(hpaDocs), name: [...hpaNames][0] } : undefined,
        scaledObject: soEdit ? { edit: soEdit, merged: mergeDocs(soDocs), triggers, name: [...soNames][0] } : undefined,
      },
    };
  }

  /**
   * The document to edit: the pinned file, else the patch applied last (of the outermost kustomization that patches it,
   * where docsOf could order them), else the single patch, else the single plain document.
   */
  private pick(docs: ObjectDoc[], pinned: string | undefined, label: string, ordered: boolean): ObjectDoc | Rejected {
    if (pinned) {
      const d = docs.find((x) => x.file === pinned);
      return d ?? rejected('unknown-workload', `${label}: the mapping pins ${pinned}, which does not hold it`);
    }
    const patches = docs.filter((d) => d.patch);
    // patches one kustomization lists apply in their listed order, which is not modelled: two of them stay ambiguous
    const outermost = (d: ObjectDoc): string | undefined => d.deployed.find((x) => x.chain.length > 0)?.chain.at(-1);
    const last = patches.at(-1);
    const choice = ordered && last ? patches.filter((d) => outermost(d) === outermost(last)) : patches.length > 0 ? patches : docs;
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

/**
 * Whether an autoscaler (deployed as `d`) targets the workload; `defaultKind`: KEDA's scaleTargetRef.kind defaults to
 * Deployment. kustomize renames an HPA's scaleTargetRef with the namePrefix and nameSuffix it gives the workload
 * (`renamed`); a ScaledObject's, a custom resource's field, only where a `configurations:` entry says so: either name
 * is taken.
 */
function scaleTarget(scaler: Record<string, unknown>, key: WorkloadKey, d: Deployed, renamed: boolean, defaultKind?: string): boolean {
  const ref = get(scaler, ['spec', 'scaleTargetRef']) as Record<string, unknown> | undefined;
  if ((ref?.kind ?? defaultKind) !== key.kind || typeof ref?.name !== 'string') return false;
  const prefixed = `${d.prefix}${ref.name}${d.suffix}`;
  return renamed ? prefixed === key.name : prefixed === key.name || ref.name === key.name;
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

const isKustomization = (f: string): boolean => /(^|\/)(kustomization\.ya?ml|Kustomization)$/.test(f);

/** An inline patch of a kustomization, which Foresight cannot read or edit, with the target it names (none: any object). */
interface InlinePatch {
  label: string;
  kind?: string;
  name?: string;
}

/** One kustomization on the path to a listed file. */
interface Step {
  file: string;
  /** the prefix and suffix given to names through this kustomization (it and those above it) */
  prefix: string;
  suffix: string;
  /** the namespace its resources have as it sees them: the one the nearest kustomization below it gives (undefined: their own) */
  inner?: string;
  components: boolean;
  /** the names its `replicas:` field sets */
  replicas: string[];
}

/** What the kustomizations of a repository say of one file they list. */
interface KustomizedFile {
  patch: boolean;
  inline: InlinePatch[];
  /** each path by which it is deployed: the namespace (none: its own), the names' prefix and suffix, the kustomizations, the one a patch of that variant alone can go in */
  variants: { namespace: string | undefined; prefix: string; suffix: string; chain: Step[]; listedAlone: boolean; alone: Step | undefined }[];
}

/**
 * file → how kustomizations deploy it (namespace, namePrefix, nameSuffix: the outermost
 * namespace wins, prefixes and suffixes add up outside in), whether a kustomization lists it as a
 * patch, the inline patches of the kustomizations that deploy it (`bases:`, the older name of
 * `resources:`, counts as resources), and per variant the kustomization a patch of it alone can be
 * listed in.
 */
function kustomizeNamespaces(files: ReadonlyMap<string, string>, yamlFiles: string[]): Map<string, KustomizedFile> {
  interface K {
    file: string;
    dir: string;
    namespace?: string;
    prefix: string;
    suffix: string;
    resources: string[];
    patches: string[];
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
    const patchList = [
      ...list(v.patches).map((p) => (p as { path?: string })?.path),
      ...list(v.patchesStrategicMerge).filter((p) => typeof p === 'string' && !p.includes('\n')),
    ];
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
      patches: patchList.map(rel).filter((x): x is string => x !== undefined),
      inline,
      components: list(v.components).length > 0,
      replicas: list(v.replicas)
        .map((r) => (r as { name?: unknown } | null)?.name)
        .filter((n): n is string => typeof n === 'string'),
    });
  }
  const out = new Map<string, KustomizedFile>();
  // what each kustomization's output becomes on each path that builds it (the namespace and the names' prefix and
  // suffix given above it: one entry = its output is one variant), and the kustomization files from the outermost
  // down to each listed resource
  const landsIn = new Map<string, Set<string>>();
  const paths = new Map<string, { namespace: string | undefined; prefix: string; suffix: string; chain: Step[] }[]>();
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
    const lands = landsIn.get(k.file) ?? new Set();
    lands.add(JSON.stringify([ns ?? null, above.prefix, above.suffix]));
    landsIn.set(k.file, lands);
    const prefix = above.prefix + k.prefix;
    const suffix = k.suffix + above.suffix;
    const step: Step = { file: k.file, prefix, suffix, components: k.components, replicas: k.replicas };
    const here: Above = { ns, prefix, suffix, inline: [...above.inline, ...k.inline], chain: [...above.chain, step] };
    const note = (file: string, patch: boolean): void => {
      const e = out.get(file) ?? { patch: false, inline: [], variants: [] };
      e.patch ||= patch;
      for (const x of here.inline) if (!e.inline.some((y) => y.label === x.label)) e.inline.push(x);
      out.set(file, e);
      paths.set(file, [...(paths.get(file) ?? []), { namespace: ns, prefix: here.prefix, suffix: here.suffix, chain: here.chain }]);
    };
    for (const r of k.resources) {
      const child = ks.get(r);
      if (child) visit(child, here, new Set(seen));
      else note(r, false);
    }
    for (const p of k.patches) note(p, true);
  };
  const top: Above = { ns: undefined, prefix: '', suffix: '', inline: [], chain: [] };
  const referenced = new Set([...ks.values()].flatMap((k) => k.resources));
  for (const k of ks.values()) if (!referenced.has(k.dir)) visit(k, top, new Set());
  // bases only reached through overlays also keep their own namespace when used alone
  for (const k of ks.values()) if (referenced.has(k.dir) && k.namespace) visit({ ...k, dir: `${k.dir}#self` }, top, new Set());
  const own = (file: string): string | undefined => [...ks.values()].find((k) => k.file === file)?.namespace;
  for (const [file, ps] of paths)
    out.get(file)!.variants = ps.map(({ namespace, prefix, suffix, chain }) => {
      const i = chain.map((step) => landsIn.get(step.file)!.size === 1).lastIndexOf(true);
      const alone =
        i >= 0
          ? {
              ...chain[i],
              inner: chain
                .slice(i + 1)
                .map((step) => own(step.file))
                .find((n) => n !== undefined),
            }
          : undefined;
      return { namespace, prefix, suffix, chain, listedAlone: landsIn.get(chain.at(-1)!.file)!.size === 1, alone };
    });
  return out;
}
