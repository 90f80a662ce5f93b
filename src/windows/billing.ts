/**
 * The pure core of billing: FOCUS rows become cost increments per scope and hour, and cost
 * and quantity per node pool (or resource) and unit, for unit prices.
 *
 * Attribution reads the row's Tags: `k8s.cluster.name`, `k8s.namespace.name`, the workload
 * (`k8s.deployment.name`, `k8s.statefulset.name`, `k8s.daemonset.name`, `k8s.job.name`,
 * `k8s.cronjob.name`), the team (`foresight.dev/team`, else `team`: TEAM_LABELS, the keys and
 * order a workload's team is read from its labels with), and `node-pool` (else `k8s.node.pool`,
 * else the ResourceId).
 * A row's EffectiveCost is spread evenly over the hours of its charge period (FOCUS charge
 * periods are usually one hour or one day), each hour counted in its own UTC month.
 *
 * GPU-hours are priced per pool and, when the row names the GPU model (gpuModelOf), also per
 * pool and model (`<pool>/<model>`, gpuPricePool): a pool of several GPU models (a Karpenter
 * NodePool of several instance types) then prices each model's GPU-hour on its own.
 */
import type { BillingRecord } from '../codec/generated-types.js';
import { costHashName, priceHashName, priceHoursHashName } from './redis-keys.js';
import { gpuModelOfName } from '../policy/mig-profiles.js';
import { TEAM_LABELS } from '../money/workload-facts.js';

const HOUR = 3_600_000;
/** Longest charge period spread hour by hour; longer rows count in their first hour. */
const MAX_SPREAD_HOURS = 31 * 24;

const WORKLOAD_TAGS: [string, string][] = [
  ['k8s.deployment.name', 'Deployment'],
  ['k8s.statefulset.name', 'StatefulSet'],
  ['k8s.daemonset.name', 'DaemonSet'],
  ['k8s.job.name', 'Job'],
  ['k8s.cronjob.name', 'CronJob'],
];

export type UnitKind = 'cpu-core-hour' | 'memory-gib-hour' | 'gpu-hour';

/** Unit prices of one pool: per CPU core-hour, GiB-hour, GPU-hour; undefined where no billing row priced it. */
export interface PoolPrices {
  pool: string;
  cpuCoreHour?: number;
  memoryGibHour?: number;
  gpuHour?: number;
  /** the billing rows' currency, when they name exactly one */
  currency?: string;
  /** the currencies of the pool's rows when they name several: no price is given then (costs in several currencies do not add up) */
  currencies?: string[];
  /** the month the prices are from, "YYYY-MM" (the month asked, or the month before when every price is from there) */
  period?: string;
  /** the pool has rows billed per instance-hour (a VM or node SKU: no core, GiB or GPU in its unit), which price no resource */
  perInstanceHour?: boolean;
  /**
   * Per unit, where commitments (reservations, savings plans, committed-use discounts) cover part of the pool's usage:
   * what a change pays or saves at the margin, which the blended price above does not tell (money/cost-model.ts changeCost)
   */
  committed?: Partial<Record<PriceKey, CommittedUnit>>;
}

export type PriceKey = 'cpuCoreHour' | 'memoryGibHour' | 'gpuHour';

/**
 * A unit of a pool that commitments partly cover: usage rows with a CommitmentDiscountId (not 'Unused') or PricingCategory
 * 'Committed' (coveredByCommitment).
 */
export interface CommittedUnit {
  /**
   * the price per unit at the margin: the EffectiveCost of the month's usage no commitment covered ÷ its quantity (the rate
   * paid past the commitments, with any negotiated or usage discounts); with none, the covered usage's ContractedCost ÷ its
   * quantity (its rate without the commitment discount)
   */
  marginal: number;
  /** the share of the month's quantity a commitment covered */
  coveredShare: number;
  /**
   * the usage no commitment covered in each of the last billed hours (at most 24, oldest first): a cut saves, hour by hour,
   * only what it sheds of it; below it is committed capacity, paid whether used or not until the commitment ends. Empty
   * where no hour of the days read was billed (billing over a week late, rows backfilled): a cut's saving is unknown
   */
  onDemandByHour: number[];
  /**
   * the commitments' unused quantity in the same hours: paid whether used or not, so a raise takes it first at no extra
   * cost, hour by hour (FOCUS rows with CommitmentDiscountStatus 'Unused')
   */
  unusedByHour: number[];
}

const GiB = 2 ** 30;
/**
 * Providers whose memory "GB" is 2^30 bytes: AWS (ECS/Fargate memory: "convert the GB value to
 * MiB by multiplying by 1024"; Fargate bills it in "GB-Hours"). FOCUS's UnitFormat has GB = 10^9
 * bytes and GiB = 2^30, which every other provider's "GB" is read as.
 */
const BINARY_GB_PROVIDERS = new Set(['aws', 'amazon web services']);

/**
 * FOCUS units as providers write them → our unit kinds, with the factor to convert quantity.
 * Memory: "GiB-Hours", GCP's "gibibyte hour" (Compute Engine's RAM SKUs) and "byte-seconds" (its
 * usage unit) exactly; "GB-Hours" as 10^9 bytes (× 0.931323 GiB) except from AWS (above);
 * "GB-Mo" and other storage-by-the-month units are not memory-hours and not read.
 */
export function unitKind(unit: string | null, provider?: string): { kind: UnitKind; factor: number } | undefined {
  if (!unit) return undefined;
  const u = unit.toLowerCase().replace(/[\s_]/g, '');
  if (/^(v?cpu|core|vcore)s?-?hours?$/.test(u) || u === 'vcpu-hours' || u === 'cpuhours') return { kind: 'cpu-core-hour', factor: 1 };
  if (/^(gib|gibibyte)s?-?hours?$/.test(u)) return { kind: 'memory-gib-hour', factor: 1 };
  if (u === 'byte-seconds' || u === 'byteseconds') return { kind: 'memory-gib-hour', factor: 1 / (GiB * 3600) };
  if (/^gb-?hours?$/.test(u)) return { kind: 'memory-gib-hour', factor: BINARY_GB_PROVIDERS.has((provider ?? '').toLowerCase()) ? 1 : 1e9 / GiB };
  if (/^gpus?-?hours?$/.test(u)) return { kind: 'gpu-hour', factor: 1 };
  return undefined;
}

/**
 * The unit a row is priced in and its quantity in that unit: ConsumedUnit with ConsumedQuantity
 * where the unit is read and the quantity given, else PricingUnit with PricingQuantity (0 when
 * absent). A unit and its quantity always come from the same pair of columns: GCP's usage in
 * byte-seconds and its price in gibibyte hours do not mix.
 */
export function unitQuantity(row: BillingRecord): { kind: UnitKind; quantity: number } | undefined {
  const consumed = unitKind(row.ConsumedUnit, row.ProviderName) ?? gcpCoreUnit(row, row.ConsumedUnit);
  if (consumed && row.ConsumedQuantity !== null) return { kind: consumed.kind, quantity: row.ConsumedQuantity * consumed.factor };
  const pricing = unitKind(row.PricingUnit, row.ProviderName) ?? gcpCoreUnit(row, row.PricingUnit);
  return pricing ? { kind: pricing.kind, quantity: (row.PricingQuantity ?? 0) * pricing.factor } : undefined;
}

/** Units of time alone: an instance's hours (AWS "Hrs", Azure "1 Hour"), unless the SKU says what (gcpCoreUnit). */
const TIME_UNITS: Record<string, number> = { hrs: 1, hr: 1, hour: 1, hours: 1, '1hour': 1, seconds: 1 / 3600, second: 1 / 3600 };
const normalise = (unit: string | null): string => (unit ?? '').toLowerCase().replace(/[\s_]/g, '');

/**
 * GCP bills vCPUs in time alone: the SKUs "<family> Instance Core running in <region>" in "hour"
 * (pricing unit) and "seconds" (usage unit, core-seconds), their RAM in "gibibyte hour" (unitKind).
 */
function gcpCoreUnit(row: BillingRecord, unit: string | null): { kind: UnitKind; factor: number } | undefined {
  const factor = TIME_UNITS[normalise(unit)];
  return factor !== undefined && /\bInstance Core\b/i.test(row.ChargeDescription ?? '') ? { kind: 'cpu-core-hour', factor } : undefined;
}

/** Whether a row bills an instance's hours (a VM or node SKU, "Hrs"/"Hours"), which price no core, GiB or GPU. */
export function billsInstanceHours(row: BillingRecord): boolean {
  return unitQuantity(row) === undefined && TIME_UNITS[normalise(row.ConsumedUnit ?? row.PricingUnit)] === 1;
}

/** The price hash "unit" where a pool's instance-hour rows are counted (CostStore.poolPrices: perInstanceHour). */
export const INSTANCE_HOUR = 'instance-hour';

export interface Scope {
  /** e.g. "workload:prod/shop/Deployment/checkout", "ns:prod/shop", "team:payments" */
  id: string;
}

export function scopesOf(row: BillingRecord): string[] {
  const t = row.Tags;
  const cluster = t['k8s.cluster.name'] ?? 'default';
  const ns = t['k8s.namespace.name'];
  const scopes: string[] = [];
  if (ns) {
    scopes.push(`ns:${cluster}/${ns}`);
    const w = WORKLOAD_TAGS.find(([k]) => t[k]);
    if (w) scopes.push(`workload:${cluster}/${ns}/${w[1]}/${t[w[0]]}`);
  }
  const team = TEAM_LABELS.map((k) => t[k]).find((v) => v);
  if (team) scopes.push(`team:${team}`);
  if (scopes.length === 0) scopes.push('unattributed');
  return scopes;
}

export function poolOf(row: BillingRecord): string {
  return row.Tags['node-pool'] ?? row.Tags['k8s.node.pool'] ?? row.ResourceId ?? row.ServiceName;
}

/** Tags that name a node's GPU model: NVIDIA GPU feature discovery's label, GKE's accelerator label. */
export const GPU_MODEL_TAGS = ['nvidia.com/gpu.product', 'cloud.google.com/gke-accelerator'];

/** The GPU model of a GPU-hour row: from its tags, else its SKU description (ChargeDescription). */
export function gpuModelOf(row: BillingRecord): string | undefined {
  for (const t of GPU_MODEL_TAGS) {
    const m = row.Tags[t] ? gpuModelOfName(row.Tags[t]) : undefined;
    if (m) return m;
  }
  return row.ChargeDescription ? gpuModelOfName(row.ChargeDescription) : undefined;
}

/** The price key of one GPU model's GPU-hours in a pool. */
export const gpuPricePool = (pool: string, model: string): string => `${pool}/${model}`;

export function monthOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Rows spread over more hours than this (fees, reservations) are kept apart from usage: `s<hour>` fields. */
export const SPREAD_FIELD_HOURS = 24;
export const SPREAD_PREFIX = 's';

export interface CostIncrement {
  /** logical hash: "cost:<scope>:<yyyymm>", "price:<pool>:<unit>:<yyyymm>" or "price:<pool>:<unit>:h<yyyymmdd>" */
  hash: string;
  field: string;
  delta: number;
  /** the month the hash belongs to, for its expiry */
  month: string;
  /** its expiry instead (an hourly price hash's: HOURLY_PRICE_DAYS after its day began) */
  expireAtMs?: number;
}

/**
 * Cost increments for one row: per scope and hour (field = hour index). There is no month total:
 * a row spread over future hours (a monthly fee) would count them before they come; month to
 * date is the sum of the hours up to the time asked (CostStore.billedMonthToDate). A row spread
 * over more than a day goes to fields `s<hour>` beside the usage's `<hour>`: it fills every hour
 * up to now, so the newest hour with usage (how late billing is: CostStore.spend) must not see it.
 */
export function costIncrements(row: BillingRecord): CostIncrement[] {
  const out: CostIncrement[] = [];
  const start = Math.floor(row.ChargePeriodStart / HOUR);
  const end = Math.max(start + 1, Math.ceil(row.ChargePeriodEnd / HOUR));
  const hours = end - start > MAX_SPREAD_HOURS ? 1 : end - start;
  const perHour = row.EffectiveCost / hours;
  const scopes = scopesOf(row);
  const spread = hours > SPREAD_FIELD_HOURS ? SPREAD_PREFIX : '';
  for (let h = start; h < start + hours; h++) {
    const month = monthOf(h * HOUR);
    for (const s of scopes) {
      out.push({ hash: costHashName(s, month), field: `${spread}${h}`, delta: perHour, month });
    }
  }
  const unit = unitQuantity(row);
  const consumption = isConsumption(row);
  const qty = unit && consumption && unit.quantity > 0 ? unit.quantity : 0;
  // a credit or adjustment of a priced unit lowers (or raises) what the pool's units cost, adding no units
  if (unit && (qty > 0 || !consumption)) {
    const month = monthOf(row.ChargePeriodStart);
    const model = unit.kind === 'gpu-hour' ? gpuModelOf(row) : undefined;
    for (const pool of model ? [poolOf(row), gpuPricePool(poolOf(row), model)] : [poolOf(row)]) {
      const hash = priceHashName(pool, unit.kind, month);
      out.push({ hash, field: 'cost', delta: row.EffectiveCost, month });
      if (qty > 0) {
        // what a change pays at the margin (committedUnit): the usage a commitment covered apart from the rest, and a
        // commitment's unused part apart from both (paid, no usage: not in the quantity the blend divides by), by month
        // and, for rows of a day or less, hour by hour in a hash per day kept nine days
        const kind = unusedCommitment(row) ? UNUSED_PREFIX : coveredByCommitment(row) ? COVERED_PREFIX : ON_DEMAND_PREFIX;
        if (kind === UNUSED_PREFIX) out.push({ hash, field: 'uq', delta: qty, month }, { hash, field: 'ucontracted', delta: contractedCostOf(row), month });
        else out.push({ hash, field: 'quantity', delta: qty, month });
        if (kind === COVERED_PREFIX) out.push({ hash, field: 'cq', delta: qty, month }, { hash, field: 'ccontracted', delta: contractedCostOf(row), month });
        if (kind === ON_DEMAND_PREFIX) out.push({ hash, field: 'oq', delta: qty, month }, { hash, field: 'ocost', delta: row.EffectiveCost, month });
        if (hours <= SPREAD_FIELD_HOURS)
          for (let h = start; h < start + hours; h++) {
            const day = dayOf(h * HOUR);
            const field = `${kind}${h}`;
            out.push({
              hash: priceHoursHashName(pool, unit.kind, day),
              field,
              delta: qty / hours,
              month,
              expireAtMs: dayStart(h * HOUR) + HOURLY_PRICE_DAYS * 24 * HOUR,
            });
          }
      }
      // rows counted per currency: a price is only read in the one currency its rows share
      out.push({ hash, field: `currency:${row.BillingCurrency}`, delta: 1, month });
    }
  } else if (consumption && billsInstanceHours(row)) {
    // no unit price from it (no instance shapes are guessed), only the fact: the pool's cost says why it is unknown
    const month = monthOf(row.ChargePeriodStart);
    out.push({ hash: priceHashName(poolOf(row), INSTANCE_HOUR, month), field: 'rows', delta: 1, month });
  }
  return out;
}

/**
 * Whether a commitment covered a usage row: FOCUS's CommitmentDiscountId on it (a reservation, savings plan or
 * committed-use discount applied) or its PricingCategory 'Committed', unless its CommitmentDiscountStatus says
 * 'Unused' (the unused part of a commitment, no usage). A row a commitment covered in part (credits inside it) counts
 * as covered whole. Rows without those columns (exporters of FOCUS 1.0's mandatory set,
 * this schema's rows written before them) are not covered: a discount alone (sustained use, negotiated, tiered) is
 * not a commitment.
 */
export function coveredByCommitment(row: BillingRecord): boolean {
  // FOCUS marks a commitment's unused part 'Committed' too: its status rules it out first
  if (unusedCommitment(row)) return false;
  return Boolean(row.CommitmentDiscountId) || row.PricingCategory?.toLowerCase() === 'committed';
}

/**
 * Whether a row is the unused part of a commitment (FOCUS CommitmentDiscountStatus 'Unused'): paid, not used. Its
 * quantity (PricingQuantity: FOCUS leaves ConsumedQuantity null there) is capacity a raise takes at no extra cost.
 */
export function unusedCommitment(row: BillingRecord): boolean {
  return row.CommitmentDiscountStatus?.toLowerCase() === 'unused';
}

/** What a row's usage costs without its commitment discount: FOCUS ContractedCost, else (left 0 by an exporter) EffectiveCost. */
function contractedCostOf(row: BillingRecord): number {
  return row.ContractedCost > 0 ? row.ContractedCost : row.EffectiveCost;
}

/**
 * Fields `c<hour>` / `o<hour>` / `u<hour>` of the hourly price hashes: a unit's quantity in that hour a commitment
 * covered / did not / a commitment left unused.
 */
export const COVERED_PREFIX = 'c';
export const ON_DEMAND_PREFIX = 'o';
export const UNUSED_PREFIX = 'u';
/**
 * Days an hourly price hash is kept (priceHoursHashName), and read back up to the day asked (CostStore.poolPrices): the
 * last 24 billed hours with billing up to a week late (BILLING_LAG_MAX_HOURS), and a day to spare for the expiry.
 */
export const HOURLY_PRICE_DAYS_READ = 8;
export const HOURLY_PRICE_DAYS = HOURLY_PRICE_DAYS_READ + 1;

/** The UTC day of a time, "YYYYMMDD", and its start. */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
}
const dayStart = (ms: number): number => Math.floor(ms / (24 * HOUR)) * 24 * HOUR;

/**
 * Whether a row is consumption, whose quantity a unit price divides by: not a Credit or an
 * Adjustment (FOCUS 1.x ChargeCategory; their ConsumedQuantity MUST be null, yet a PricingQuantity
 * may be given), nor a refund (a negative cost without a consumed quantity).
 */
function isConsumption(row: BillingRecord): boolean {
  if (row.ChargeCategory === 'Credit' || row.ChargeCategory === 'Adjustment') return false;
  return !(row.EffectiveCost < 0 && !(row.ConsumedQuantity !== null && row.ConsumedQuantity > 0));
}

/** Cost hashes are kept until two months after their month ends. */
export function monthExpireAt(month: string): number {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(4, 6));
  return Date.UTC(y, m + 2, 1);
}

const HOURLY_QUANTITY = /^([cou])(\d+)$/;

/**
 * A unit's commitment figures (CommittedUnit) from its price hash of the month priced (`month`) and its hourly price
 * hashes of the last days (`days`, any order); undefined when no commitment covered any of the month's usage (the
 * blended price is then the marginal one), or no usage the month's fields count (hashes written before they were).
 */
export function committedUnit(month: Map<string, number>, days: Map<string, number>[]): CommittedUnit | undefined {
  const [cq, oq, uq] = [month.get('cq') ?? 0, month.get('oq') ?? 0, month.get('uq') ?? 0];
  if (!(cq > 0) && !(uq > 0)) return undefined;
  // the rate past the commitments; with no such usage, the commitments' own rate without their discount
  const marginal = oq > 0 ? (month.get('ocost') ?? 0) / oq : cq > 0 ? (month.get('ccontracted') ?? 0) / cq : (month.get('ucontracted') ?? 0) / uq;
  if (!(marginal >= 0)) return undefined;
  // hour → on-demand and unused quantities, for the hours with any rows (an hour without rows is a gap in billing, not
  // one without usage)
  const byHour = new Map<number, { o: number; u: number }>();
  for (const h of days)
    for (const [f, v] of h) {
      const m = HOURLY_QUANTITY.exec(f);
      if (!m) continue;
      const hour = Number(m[2]);
      const at = byHour.get(hour) ?? { o: 0, u: 0 };
      if (m[1] === ON_DEMAND_PREFIX) at.o += v;
      if (m[1] === UNUSED_PREFIX) at.u += v;
      byHour.set(hour, at);
    }
  let newest = -Infinity;
  for (const hour of byHour.keys()) newest = Math.max(newest, hour);
  const last = [...byHour.entries()].filter(([hour]) => hour > newest - 24).sort((a, b) => a[0] - b[0]);
  return {
    marginal,
    coveredShare: cq + oq > 0 ? cq / (cq + oq) : 0,
    onDemandByHour: last.map(([, q]) => Math.max(0, q.o)),
    unusedByHour: last.map(([, q]) => Math.max(0, q.u)),
  };
}
