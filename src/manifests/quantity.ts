/**
 * Kubernetes resource quantities (the subset manifests use for CPU and memory): "500m", "2",
 * "1.5", "512Mi", "1Gi", "1G", "128974848", "129e6". Parsing follows
 * k8s.io/apimachinery/pkg/api/resource: binary suffixes Ki..Ei, decimal k..E and m, exponents.
 */
const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?)$/;

/** The quantity's value in base units (cores, bytes), or undefined when it is not a quantity. */
export function parseQuantity(q: string | number): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * SUFFIX[m[3] ?? ''];
}

/** CPU cores as a quantity: whole cores plain, otherwise millicores ("250m"), rounded up. */
export function formatCpu(cores: number): string {
  const milli = Math.ceil(cores * 1000 - 1e-9);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Bytes as a quantity in Mi (rounded up), or Gi when whole. */
export function formatMemory(bytes: number): string {
  const mi = Math.ceil(bytes / 2 ** 20 - 1e-9);
  return mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`;
}
