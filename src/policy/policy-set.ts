/**
 * Layering: built-in defaults → the unscoped policy files → the workload's namespace → its
 * team → the workload itself; each layer overrides only the fields it sets. Pure: no I/O.
 */
import { DEFAULT_POLICY, type PolicyFile, type PolicySpec, type ResolvedPolicy } from './policy-schema.js';

export interface WorkloadRef {
  namespace: string;
  kind: string;
  name: string;
  team?: string;
}

function merge<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof over !== 'object' || over === null || Array.isArray(over)) return over as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
  return out as T;
}

export class PolicySet {
  constructor(readonly files: { file: string; policy: PolicyFile }[]) {}

  /** The policy in force for a workload, with the names of the files that shaped it. */
  private readonly cache = new Map<string, ResolvedPolicy>();
  /** The policies by the files layered (their indices in order): workloads with the same layers share one object, not one copy each. */
  private readonly byLayers = new Map<string, ResolvedPolicy>();

  /** The policy of a workload (cached: a set never changes; a reload makes a new set). Treat it as read-only. */
  resolve(w: WorkloadRef): ResolvedPolicy {
    const key = `${w.namespace}/${w.kind}/${w.name}/${w.team ?? ''}`;
    let p = this.cache.get(key);
    if (!p) {
      const layers = this.layers(w);
      const layersKey = layers.map((l) => l.index).join(',');
      p = this.byLayers.get(layersKey);
      if (!p) {
        p = this.compute(layers);
        this.byLayers.set(layersKey, p);
      }
      this.cache.set(key, p);
    }
    return p;
  }

  /** The files that apply to a workload, in the order they are layered. */
  private layers(w: WorkloadRef): { file: string; policy: PolicyFile; index: number }[] {
    const rank = (p: PolicyFile): number => {
      const s = p.scope as Record<string, string>;
      if (Object.keys(s).length === 0) return 0;
      if (s.namespace === w.namespace) return 1;
      if (s.team !== undefined && s.team === w.team) return 2;
      if (s.workload === `${w.namespace}/${w.kind}/${w.name}`) return 3;
      return -1;
    };
    return this.files
      .map((f, index) => ({ ...f, index, rank: rank(f.policy) }))
      .filter((f) => f.rank >= 0)
      .sort((a, b) => a.rank - b.rank);
  }

  private compute(layers: { file: string; policy: PolicyFile }[]): ResolvedPolicy {
    let spec: Omit<ResolvedPolicy, 'sources'> = structuredClone(DEFAULT_POLICY);
    const sources = [...DEFAULT_POLICY.sources];
    for (const l of layers) {
      spec = merge(spec, l.policy.spec as PolicySpec);
      sources.push(`${l.policy.metadata.name} (${l.file})`);
    }
    return { ...(spec as ResolvedPolicy), sources };
  }
}
