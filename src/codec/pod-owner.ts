/**
 * The workload that owns a pod, read from the pod's name: GPU and model-server exporters (NVIDIA
 * DCGM exporter, vLLM, Triton scraped by Prometheus or the Collector) label their series with
 * `pod`, `namespace` and `container`, not with the Deployment's name.
 *
 * Kubernetes names pods after their owner (k8s.io/kubernetes pkg/controller):
 * - a Deployment's pods: `<deployment>-<pod-template-hash>-<suffix>`, where the hash is the
 *   ReplicaSet's (controller.ComputeHash, encoded with rand.SafeEncodeString: up to 10
 *   characters) and the suffix is the API server's generateName (rand.String(5)); both use the
 *   alphabet "bcdfghjklmnpqrstvwxz2456789" (k8s.io/apimachinery/pkg/util/rand), which has no
 *   vowels, so a word of a real name rarely matches;
 * - a StatefulSet's pods: `<statefulset>-<ordinal>`.
 * Any other pod (a DaemonSet's or a Job's `<name>-<5 chars>`, a bare pod) is ambiguous from its
 * name alone: undefined, and the caller asks for an explicit workload label.
 */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const DEPLOYMENT_POD = new RegExp(`^(.+)-${SAFE}{6,10}-${SAFE}{5}$`);
const STATEFULSET_POD = /^(.+)-(0|[1-9][0-9]{0,5})$/;

export interface PodOwner {
  kind: 'Deployment' | 'StatefulSet';
  name: string;
}

export function ownerOfPod(pod: string): PodOwner | undefined {
  const d = DEPLOYMENT_POD.exec(pod);
  if (d) return { kind: 'Deployment', name: d[1] };
  const s = STATEFULSET_POD.exec(pod);
  if (s) return { kind: 'StatefulSet', name: s[1] };
  return undefined;
}
