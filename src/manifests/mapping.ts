/**
 * The optional mapping file of a GitOps repository (default `foresight-mapping.yaml` at its
 * root): which files Foresight may look at, and, per workload, where its fields live when
 * discovery cannot tell — a pinned manifest or Kustomize patch file, or a Helm values file with
 * the values path of each logical field.
 *
 *   apiVersion: foresight.dev/v1
 *   kind: Mapping
 *   include: [apps]                       # folders searched for manifests (default: the whole repo)
 *   clusters: [eu, us]                    # the clusters it deploys (default: any); a recommendation for another is refused
 *   workloads:
 *     - workload: shop/Deployment/checkout
 *       file: apps/overlays/prod/checkout-patch.yaml
 *     - workload: shop/Deployment/web       # one entry per cluster where each has its own file
 *       cluster: eu
 *       file: clusters/eu/shop/web.yaml
 *     - workload: shop/Deployment/cart
 *       helm:
 *         values: charts/cart/values-prod.yaml
 *         fields: { replicas: replicaCount, minReplicas: autoscaling.minReplicas, requests.cpu: resources.requests.cpu }
 *
 * A workload listed here is under management; others need the annotation
 * `foresight.dev/managed: "true"` on their object.
 */
import { parseDocument } from 'yaml';
import { MAX_YAML_ALIASES, tooLarge } from '../util/yaml-limits.js';
import { z } from 'zod';
import { repoPath } from './repo-path.js';
import { ForesightError } from '../util/errors.js';

const relPath = z
  .string()
  .min(1)
  .transform((p, ctx) => {
    try {
      return repoPath(p);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

export const LOGICAL_FIELDS = [
  'replicas',
  'minReplicas',
  'maxReplicas',
  'targetCPUUtilization',
  'requests.cpu',
  'requests.memory',
  'limits.cpu',
  'limits.memory',
] as const;

const mappingSchema = z
  .object({
    apiVersion: z.literal('foresight.dev/v1'),
    kind: z.literal('Mapping'),
    include: z.array(relPath).optional(),
    clusters: z.array(z.string().min(1)).min(1).optional(),
    workloads: z
      .array(
        z
          .object({
            workload: z.string().regex(/^[^/]+\/[^/]+\/[^/]+$/, 'namespace/kind/name'),
            cluster: z.string().min(1).optional(),
            file: relPath.optional(),
            helm: z
              .object({
                values: relPath,
                fields: z.record(z.string(), z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a dotted values path such as autoscaling.minReplicas')),
              })
              .strict()
              .optional(),
          })
          .strict()
          .refine((w) => !(w.file && w.helm), 'file and helm exclude each other'),
      )
      .default([]),
  })
  .strict();

export type Mapping = z.infer<typeof mappingSchema>;
export type MappedWorkload = Mapping['workloads'][number];

export const EMPTY_MAPPING: Mapping = { apiVersion: 'foresight.dev/v1', kind: 'Mapping', workloads: [] };

export class MappingError extends ForesightError {
  constructor(message: string) {
    super('MAPPING_INVALID', message);
    this.name = 'MappingError';
  }
}

/** Parses the mapping file; errors name the file, line and field. */
export function parseMapping(file: string, text: string): Mapping {
  const large = tooLarge(text);
  if (large) throw new MappingError(`${file}:1: ${large}`);
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new MappingError(`${file}:${e.linePos?.[0].line ?? 1}: ${e.message.split('\n')[0]}`);
  }
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    throw new MappingError(`${file}:1: cannot be read: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = mappingSchema.safeParse(js);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const node = doc.getIn(issue.path as (string | number)[], true) as { range?: [number, number, number] } | undefined;
    const line = node?.range ? text.slice(0, node.range[0]).split('\n').length : 1;
    throw new MappingError(`${file}:${line}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}
