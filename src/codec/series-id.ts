/** Series ids back to workload identity: cluster/namespace/kind/name/container/metric. */
export interface SeriesIdentity {
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  container: string | null;
  metric: string;
  /** cluster/namespace/kind/name */
  workload: string;
}

export function parseSeriesId(id: string): SeriesIdentity | undefined {
  const parts = id.split('/');
  if (parts.length < 6) return undefined;
  const [cluster, namespace, kind, name, container] = parts;
  const metric = parts.slice(5).join('/');
  return { cluster, namespace, kind, name, container: container === '-' ? null : container, metric, workload: `${cluster}/${namespace}/${kind}/${name}` };
}

/** The workload fields every published record (recommendation, alert) carries, from a series' identity. */
export function workloadFields(
  id: Pick<SeriesIdentity, 'cluster' | 'namespace' | 'kind' | 'name'>,
  container: string | null,
): { cluster: string; namespace: string; kind: string; name: string; container: string | null } {
  return { cluster: id.cluster, namespace: id.namespace, kind: id.kind, name: id.name, container };
}
