/**
 * MIG (Multi-Instance GPU) profiles of the GPU families Foresight sizes for, from NVIDIA's MIG
 * User Guide, "Supported MIG Profiles" (docs.nvidia.com/datacenter/tesla/mig-user-guide/,
 * tables for A100-SXM4-40GB, A100-SXM4-80GB and H100-SXM5-80GB). `memoryGiB` is the memory the
 * guide lists for the instance (less than the name's round figure on A100: 1g.10gb holds 9.75
 * GB); `slices` is its share of the GPU's 7 compute slices. The Kubernetes resource is
 * `nvidia.com/mig-<profile>` (NVIDIA device plugin, "mixed" MIG strategy).
 */
import type { GPU_MODELS } from './policy-schema.js';

export type GpuModel = (typeof GPU_MODELS)[number];

export interface MigProfile {
  profile: string;
  slices: number;
  memoryGiB: number;
}

export const COMPUTE_SLICES = 7;

export const MIG_PROFILES: Readonly<Record<GpuModel, readonly MigProfile[]>> = {
  'A100-40GB': [
    { profile: '1g.5gb', slices: 1, memoryGiB: 4.75 },
    { profile: '1g.10gb', slices: 1, memoryGiB: 9.62 },
    { profile: '2g.10gb', slices: 2, memoryGiB: 9.62 },
    { profile: '3g.20gb', slices: 3, memoryGiB: 19.62 },
    { profile: '4g.20gb', slices: 4, memoryGiB: 19.62 },
    { profile: '7g.40gb', slices: 7, memoryGiB: 39.25 },
  ],
  'A100-80GB': [
    { profile: '1g.10gb', slices: 1, memoryGiB: 9.75 },
    { profile: '1g.20gb', slices: 1, memoryGiB: 19.62 },
    { profile: '2g.20gb', slices: 2, memoryGiB: 19.62 },
    { profile: '3g.40gb', slices: 3, memoryGiB: 39.5 },
    { profile: '4g.40gb', slices: 4, memoryGiB: 39.5 },
    { profile: '7g.80gb', slices: 7, memoryGiB: 79.25 },
  ],
  'H100-80GB': [
    { profile: '1g.10gb', slices: 1, memoryGiB: 10 },
    { profile: '1g.20gb', slices: 1, memoryGiB: 20 },
    { profile: '2g.20gb', slices: 2, memoryGiB: 20 },
    { profile: '3g.40gb', slices: 3, memoryGiB: 40 },
    { profile: '4g.40gb', slices: 4, memoryGiB: 40 },
    { profile: '7g.80gb', slices: 7, memoryGiB: 80 },
  ],
};

/** The Kubernetes extended resource of a profile. */
export const migResource = (p: MigProfile): string => `nvidia.com/mig-${p.profile}`;

/** Memory of the whole GPU (the full 7g profile), in GiB. */
export const gpuMemoryGiB = (model: GpuModel): number => MIG_PROFILES[model][MIG_PROFILES[model].length - 1].memoryGiB;

/**
 * The GPU model a billing row or node label names, for GPU-hour prices per model: NVIDIA GPU
 * feature discovery's `nvidia.com/gpu.product` (NVIDIA-A100-SXM4-80GB), GKE's
 * `cloud.google.com/gke-accelerator` (nvidia-a100-80gb, nvidia-tesla-a100) or a SKU description
 * ("Nvidia A100 80GB GPU running in Americas"). Undefined for other GPUs.
 */
export function gpuModelOfName(text: string): GpuModel | undefined {
  const t = text.toLowerCase();
  if (/h100/.test(t)) return 'H100-80GB';
  if (/a100/.test(t)) return /80\s*gb/.test(t) ? 'A100-80GB' : 'A100-40GB';
  return undefined;
}
