// Generated from schemas/*.avsc by `npm run gen:types` (src/codec/avro-to-ts.ts). Do not edit.

/** One observation of one metric of one Kubernetes workload (or one container of it). Produced to metrics.v1, keyed by the series id (cluster/namespace/kind/name/container/metric) so that one series always lands on one partition. */
export interface MetricSample {
  /** Name of the Kubernetes cluster the workload runs in (k8s.cluster.name). */
  cluster: string;
  /** Kubernetes namespace of the workload (k8s.namespace.name). */
  namespace: string;
  /** Kind of the owning workload object: Deployment, StatefulSet, DaemonSet, Job, CronJob or ReplicaSet. */
  kind: string;
  /** Name of the owning workload object (for example the Deployment name, k8s.deployment.name). */
  name: string;
  /** Container name within the pod template (k8s.container.name); null when the sample is for the whole workload. */
  container: null | string;
  /** Metric name, for example cpu_usage, memory_working_set, gpu_utilization, request_rate, replicas. */
  metric: string;
  /** Unit of value in UCUM notation as OpenTelemetry uses it: '{cpu}' (cores), 'By' (bytes), '1' (ratio), '{request}/s', '{replica}'. */
  unit: string;
  /** The observed value, in unit. Must be finite; must be non-negative for physical quantities (usage, rates, counts). */
  value: number;
  /** When the value was observed (event time), in milliseconds since the Unix epoch, UTC. Windows are bucketed by this time, never by arrival time. */
  eventTime: number;
  /** Further labels of the sample (node pool, pod, zone, ...). Not part of the series identity. */
  attributes: Record<string, string>;
}

/** One cost and usage row in the FinOps FOCUS 1.2 column set (https://focus.finops.org/focus-specification/v1-2/): its 21 mandatory columns, plus ResourceId, ResourceName, ResourceType, Tags and the consumed quantity for attribution to workloads. Produced to billing.v1. Column names keep FOCUS's PascalCase so that rows exported by cloud providers map one to one. */
export interface BillingRecord {
  /** FOCUS BilledCost: the charge that is the basis for invoicing, including all reduced rates and discounts and excluding amortisation of upfront charges, in BillingCurrency. */
  BilledCost: number;
  /** FOCUS BillingAccountId: provider-assigned identifier of the billing account. */
  BillingAccountId: string;
  /** FOCUS BillingAccountName: display name of the billing account (nullable). */
  BillingAccountName: null | string;
  /** FOCUS BillingCurrency: ISO 4217 code of the currency the charge was billed in, for example USD. */
  BillingCurrency: string;
  /** FOCUS BillingPeriodStart: inclusive start of the billing period, UTC milliseconds since the epoch. */
  BillingPeriodStart: number;
  /** FOCUS BillingPeriodEnd: exclusive end of the billing period, UTC milliseconds since the epoch. */
  BillingPeriodEnd: number;
  /** FOCUS ChargeCategory: highest-level classification of the charge: Usage, Purchase, Tax, Credit or Adjustment. */
  ChargeCategory: string;
  /** FOCUS ChargeClass: 'Correction' when the row corrects charges of an earlier billing period, else null. */
  ChargeClass: null | string;
  /** FOCUS ChargeDescription: self-contained summary of the charge's purpose and price (nullable). */
  ChargeDescription: null | string;
  /** FOCUS ChargePeriodStart: inclusive start of the period the charge applies to, UTC milliseconds since the epoch. Cost windows are bucketed by this time. */
  ChargePeriodStart: number;
  /** FOCUS ChargePeriodEnd: exclusive end of the period the charge applies to, UTC milliseconds since the epoch. */
  ChargePeriodEnd: number;
  /** FOCUS ContractedCost: ContractedUnitPrice × PricingQuantity, in BillingCurrency. */
  ContractedCost: number;
  /** FOCUS EffectiveCost: amortised cost after all reduced rates, discounts and prepaid purchases, in BillingCurrency. Foresight's cost windows sum this column. */
  EffectiveCost: number;
  /** FOCUS InvoiceIssuerName: the entity responsible for invoicing the resources or services consumed. */
  InvoiceIssuerName: string;
  /** FOCUS ListCost: ListUnitPrice × PricingQuantity, the cost at public list prices, in BillingCurrency. */
  ListCost: number;
  /** FOCUS PricingQuantity: volume of the SKU used or purchased, in PricingUnit (null where the charge category has none). */
  PricingQuantity: null | number;
  /** FOCUS PricingUnit: provider-specified unit of PricingQuantity, for example 'Hours', 'GB-Hours' (nullable). */
  PricingUnit: null | string;
  /** FOCUS ProviderName: the entity that made the resources or services available for purchase. */
  ProviderName: string;
  /** FOCUS PublisherName: the entity that produced the resources or services. */
  PublisherName: string;
  /** FOCUS ServiceCategory: highest-level classification of the service, for example Compute, Storage, Networking. */
  ServiceCategory: string;
  /** FOCUS ServiceName: display name of the offering, for example 'Amazon Elastic Compute Cloud'. */
  ServiceName: string;
  /** FOCUS ResourceId: provider-assigned identifier of the resource charged for (a node, a disk, ...); the key for unit prices per resource. */
  ResourceId: null | string;
  /** FOCUS ResourceName: display name of the resource (nullable). */
  ResourceName: null | string;
  /** FOCUS ResourceType: kind of resource, for example 'Virtual Machine' (nullable). */
  ResourceType: null | string;
  /** FOCUS ConsumedQuantity: volume of the SKU consumed, in ConsumedUnit (nullable); with EffectiveCost it yields unit prices. */
  ConsumedQuantity: null | number;
  /** FOCUS ConsumedUnit: unit of ConsumedQuantity, for example 'vCPU-Hours', 'GiB-Hours', 'GPU-Hours' (nullable). */
  ConsumedUnit: null | string;
  /** FOCUS Tags: key/value labels of the resource. Attribution reads 'k8s.namespace.name', 'k8s.deployment.name' (or 'k8s.statefulset.name'), 'team' and 'node-pool' from here. */
  Tags: Record<string, string>;
  /** FOCUS CommitmentDiscountId: the commitment-based discount (reservation, savings plan, committed-use discount) that applies to the row (nullable). A usage row with one, unless its CommitmentDiscountStatus is 'Unused', is usage a commitment covered: changes are priced at the margin past it (README, Commitments). */
  CommitmentDiscountId: null | string;
  /** FOCUS CommitmentDiscountStatus: 'Used' for usage a commitment covered, 'Unused' for the unused part of a commitment (nullable). */
  CommitmentDiscountStatus: null | string;
  /** FOCUS PricingCategory: 'Standard', 'Dynamic' (spot, variable rates), 'Committed' (priced by a commitment) or 'Other' (nullable). 'Committed' marks covered usage as CommitmentDiscountId does. */
  PricingCategory: null | string;
}

/** HPA: min/max replicas and targets; RESOURCES: container requests and limits; IDLE: scale to minimum or remove; SPOT: move to spot capacity; BUDGET: a budget guardrail cap or flag. */
export type RecommendationType = "HPA" | "RESOURCES" | "IDLE" | "SPOT" | "BUDGET";

/** One field of the manifest to change. */
export interface FieldChange {
  /** Logical field name: minReplicas, maxReplicas, targetCPUUtilization, replicas, requests.cpu, requests.memory, limits.cpu, limits.memory. */
  field: string;
  /** Current value as a Kubernetes quantity or integer string; null when unknown. */
  current: null | string;
  /** Proposed value as a Kubernetes quantity or integer string. */
  proposed: string;
}

export type CurrentSource = "MANIFEST" | "METRICS" | "UNKNOWN";

/** The forecast the recommendation was derived from. */
export interface ForecastSummary {
  /** Metric that was forecast. */
  metric: string;
  /** Forecast horizon in seconds. */
  horizonSeconds: number;
  /** Median forecast of the peak over the horizon. */
  q50: number;
  /** 90th percentile forecast of the peak over the horizon. */
  q90: number;
  /** 99th percentile forecast of the peak over the horizon. */
  q99: number;
  /** The quantile the policy's SLO risk selected (for example 0.99 for 1% risk). */
  quantileUsed: number;
  /** Event time of the forecast peak, when known. */
  peakTime: null | number;
}

/** A budget and where the month is heading (BUDGET recommendations, and changes a budget shaped). */
export interface BudgetStatus {
  /** The budget's cost scope: 'ns:<cluster>/<namespace>', 'team:<team>' or 'workload:<cluster>/<namespace>/<kind>/<name>'. */
  scope: string;
  /** The budget period, a UTC month 'YYYY-MM'. */
  period: string;
  /** The monthly budget, in currency. */
  monthly: number;
  /** Cost of the scope so far this period (sum of EffectiveCost). */
  monthToDate: number;
  /** Projected cost at the end of the period: month to date + the last 24 hours' hourly run rate × the hours left. */
  projected: number;
  /** The policy file that set the budget. */
  policy: string;
}

/** Resources a change adds to its node pool (positive) or frees there (negative), in total over the replicas it was priced on. */
export interface ResourceDelta {
  /** CPU cores (requests). */
  cpuCores: number;
  /** Memory in GiB (requests). */
  memoryGib: number;
  /** GPUs (nvidia.com/gpu). */
  gpus: number;
}

/** A proposed change to one workload's scaling or sizing, with everything needed to explain and review it. Produced to recommendations.v1, keyed by workload (cluster/namespace/kind/name); consumed by the git-committer. */
export interface Recommendation {
  /** Deterministic id: a hash of the workload, the change type, the proposed values, the forecast, the model version and, for decisions a later step may repeat, the step. The same inputs always give the same id, which makes redelivery idempotent. */
  id: string;
  /** What kind of change this is. */
  type: RecommendationType;
  /** Cluster of the target workload. */
  cluster: string;
  /** Namespace of the target workload. */
  namespace: string;
  /** Kind of the target workload object (Deployment, StatefulSet, ...). */
  kind: string;
  /** Name of the target workload object. */
  name: string;
  /** Container the change applies to (RESOURCES only); null for workload-level changes. */
  container: null | string;
  /** The fields to change, each with its current and proposed value. */
  changes: FieldChange[];
  /** Where the current values were read from: the manifests in the GitOps repository, or the observed metrics. */
  currentSource: CurrentSource;
  /** The forecast used. */
  forecast: ForecastSummary;
  /** Names of the policy rules that shaped the proposal, in the order applied (for example 'slo-risk', 'max-step', 'budget-cap'). */
  rules: string[];
  /** Projected change of the monthly cost if applied (negative saves money), from the billing windows' unit prices. */
  monthlyCostDelta: number;
  /** ISO 4217 currency of monthlyCostDelta. */
  currency: string;
  /** Confidence in [0, 1], from the width of the forecast interval and the recent forecast error. */
  confidence: number;
  /** Version of the forecasting model that produced the forecast. */
  modelVersion: string;
  /** True when the policy requires human review: the committer opens or updates a pull request instead of committing directly. */
  critical: boolean;
  /** Event time at which the recommendation was made (the closing time of the bucket that triggered it). */
  createdAt: number;
  /** W3C trace context (traceparent) of the first event that led to this recommendation; the committer writes its trace id into the commit's Trace-Id trailer. */
  traceparent: null | string;
  /** Why the projected cost is not known, for example 'cost unknown: no billing rows for pool gpu-a100 in 2026-11'; null when monthlyCostDelta is a real projection. When set, monthlyCostDelta is 0 and must not be read as a price. */
  costUnknown: null | string;
  /** Node pool whose unit prices (billing rows tagged node-pool) priced the change: the workload's nodeSelector pool label, else the policy's replicas.nodePool. SPOT: the pool the workload moves from. */
  nodePool: null | string;
  /** Set on BUDGET recommendations (the breached budget; changes is empty, the committer only logs them) and on changes a budget capped or sent for review; else null. */
  budget: null | BudgetStatus;
  /** What monthlyCostDelta priced, so a reader can add up several changes of one pool at its prices (cuts in a pool that commitments cover share its on-demand usage: foresight report counts them together). Null where the cost is unknown or spans two pools (SPOT). */
  resourceDelta: null | ResourceDelta;
}

export type Severity = "INFO" | "WARNING" | "CRITICAL";

/** Summary of the recent window the point was scored against. */
export interface WindowSummary {
  /** Start of the window (inclusive). */
  start: number;
  /** End of the window (exclusive). */
  end: number;
  /** Number of samples in the window. */
  count: number;
  /** Mean of the samples. */
  mean: number;
  /** Minimum sample. */
  min: number;
  /** Maximum sample. */
  max: number;
  /** 95th percentile of the samples, from the window's quantile sketch. */
  p95: number;
}

/** A budget that the month's projected cost will exceed. */
export interface BudgetBreach {
  /** The budget's cost scope: 'ns:<cluster>/<namespace>', 'team:<team>' or 'workload:<cluster>/<namespace>/<kind>/<name>'. */
  scope: string;
  /** The budget period, a UTC month 'YYYY-MM'. */
  period: string;
  /** The monthly budget. */
  monthly: number;
  /** Cost of the scope so far this period. */
  monthToDate: number;
  /** Projected cost at the end of the period (month to date + run rate × hours left). */
  projected: number;
  /** ISO 4217 currency of the figures. */
  currency: string;
}

/** A point of a series that the anomaly model scored above the policy's threshold, or a budget that the month's projected cost will exceed (field budget). Produced to alerts.v1, keyed by workload; de-duplicated per series over the policy's suppression interval. */
export interface AnomalyAlert {
  /** Deterministic id: a hash of the series id, the event time of the point and the model version. */
  id: string;
  /** Severity derived from the score and the policy's thresholds. */
  severity: Severity;
  /** Cluster of the workload. */
  cluster: string;
  /** Namespace of the workload. */
  namespace: string;
  /** Kind of the workload object. */
  kind: string;
  /** Name of the workload object. */
  name: string;
  /** Container of the series, or null for a workload-level series. */
  container: null | string;
  /** Metric of the series. */
  metric: string;
  /** Event time of the anomalous point. */
  eventTime: number;
  /** Observed value of the anomalous point. */
  value: number;
  /** Anomaly score in [0, 1] from the anomaly model. */
  score: number;
  /** The policy threshold that the score exceeded. */
  threshold: number;
  /** The recent window summary. */
  window: WindowSummary;
  /** Version of the anomaly model. */
  modelVersion: string;
  /** W3C trace context of the event that carried the point. */
  traceparent: null | string;
  /** Set on a budget alert (metric 'budget', value = projected, threshold = monthly, score = projected / monthly, window = the period so far); null on an anomaly alert. Published once per scope and period. */
  budget: null | BudgetBreach;
}

/** What was cut from the original message so that its dead letter fits the broker. */
export interface DeadLetterTruncation {
  /** Length of the original key in bytes (null: the message had no key). */
  keyLength: null | number;
  /** SHA-256 of the original key, lowercase hex (null: no key). */
  keySha256: null | string;
  /** Length of the original value in bytes (null: the message had no value). */
  valueLength: null | number;
  /** SHA-256 of the original value, lowercase hex (null: no value). */
  valueSha256: null | string;
  /** How many of the original headers were left out (they did not fit). */
  headersDropped: number;
}

/** A message Foresight could not use, kept whole with the reason so that nothing is lost silently. Produced to deadletter.v1, keyed by source topic/partition/offset. */
export interface DeadLetter {
  /** Closed reason code: undecodable, schema-unknown, invalid-field, not-finite, negative-value, out-of-range, clock-skew, late, unknown-workload, path-traversal, not-managed, ambiguous-target, out-of-bounds, manifest-invalid, conflict, push-refused, review-unavailable, stale-current, policy-unavailable, alertmanager-rejected. */
  reason: string;
  /** Human-readable explanation: what was wrong and where (field, byte offset, ...). */
  detail: string;
  /** The Foresight service that rejected the message: processor or committer. */
  service: string;
  /** Topic the message was read from. */
  sourceTopic: string;
  /** Partition the message was read from. */
  sourcePartition: number;
  /** Offset of the message in its partition. */
  sourceOffset: number;
  /** Kafka timestamp of the original message, when it had one. */
  sourceTimestamp: null | number;
  /** The original message key, byte for byte (a prefix of it when truncation is set). */
  key: null | Buffer;
  /** The original message value, byte for byte (a prefix of it when truncation is set). */
  value: null | Buffer;
  /** The original message headers (the last value of each header name); when truncation is set, only those that fitted. */
  headers: Record<string, Buffer>;
  /** Wall-clock time of the rejection. */
  rejectedAt: number;
  /** Null when key, value and headers are the original ones whole. Set when the original message did not fit in a dead letter of FORESIGHT_DEADLETTER_MAX_BYTES: key and value then hold a prefix of the original bytes, and this record their original lengths and SHA-256 digests. Added with a default: readers of the earlier schema skip it, and earlier dead letters read as null. */
  truncation: null | DeadLetterTruncation;
}

/** One changed field: the value before and the value in force. */
export interface ChangedField {
  /** Logical field name as in Recommendation.changes (minReplicas, maxReplicas, …). */
  field: string;
  /** Value before the change, or null when unknown. */
  before: null | string;
  /** Value in force. */
  after: string;
}

/** Figures of one window of event time, over the change's demand series in 5-minute steps (the mean of each step's minute buckets; a counter's per-second rate between step means) against the capacity the change holds in force (see `measure`; src/outcomes/measures.ts per kind). */
export interface OutcomeWindow {
  /** Start of the window (inclusive). */
  startMs: number;
  /** End of the window (exclusive). */
  endMs: number;
  /** 5-minute steps with data in the window. */
  intervals: number;
  /** Share of the steps whose demand exceeded the capacity in force (replicas: replicas × perReplicaCapacity × targetUtilization; RESOURCES: the container's request against its usage per replica; model servers: replicas × perReplicaThroughput; a step whose secondary series is over its limit counts too, see secondaryOverShare); null without data or when that capacity is unknown (and there is no secondary series). */
  underProvisionedShare: null | number;
  /** Mean of (capacity − demand) / capacity over the steps; null without data or when the capacity is unknown. */
  meanSlack: null | number;
  /** What the change holds × hours of the window: replica-hours for replica, SPOT and model-server changes, core-hours (GiB-hours for a memory-only change) of request × replicas for RESOURCES; null without data. */
  capacityHours: null | number;
  /** Cost of what the change holds over the window at its node pool's billing prices (SPOT: the workload's pool before, the spot pool after; RESOURCES: the changed requests × replicas; model servers: the GPU pool, a MIG slice as slices ÷ 7 of a GPU); null when a price or a request is unknown (see costUnknown). */
  cost: null | number;
  /** Share of the steps (with data) whose secondary series exceeded its limit; such a step also counts as under-provisioned. A model server: its mean queue depth (modelServer.queueMetric, summed over the pods) against modelServer.queueDepthSlo × the replicas in force; a RESOURCES change of both CPU and memory: the container's memory usage per replica against requests.memory. Null for other kinds and without data. */
  secondaryOverShare: null | number;
}

/** What a change Foresight proposed did once it was in force: equal windows of event time before and after the moment the change appeared in the GitOps checkout, the forecast's quality over the after window, and a verdict. Produced to outcomes.v1, keyed by workload, once per change (the id is the recommendation's). */
export interface ChangeOutcome {
  /** Id of the recommendation that proposed the change. */
  recommendationId: string;
  /** Version of the forecaster that made the recommendation. */
  modelVersion: string;
  /** Recommendation type: HPA, RESOURCES, IDLE or SPOT (a model server's replica and GPU changes are HPA and RESOURCES). */
  type: string;
  /** Cluster of the workload. */
  cluster: string;
  /** Namespace of the workload. */
  namespace: string;
  /** Kind of the workload object. */
  kind: string;
  /** Name of the workload object. */
  name: string;
  /** Container of a per-container change, or null. */
  container: null | string;
  /** The changed fields. */
  fields: ChangedField[];
  /** What was judged against what for this kind of change (src/outcomes/measures.ts), e.g. 'cpu_usage against minReplicas × 1 per replica' (HPA, IDLE), 'cpu_usage of container app per replica against requests.cpu' (RESOURCES), 'rate(vllm:generation_tokens_total) against keda.minReplicaCount × 500/s per replica' (model servers). Empty in outcomes written before it existed (they are HPA changes). */
  measure: string;
  /** Event time of the first closed step at which the GitOps checkout showed every changed field at its proposed value. */
  inForceAt: number;
  /** Event time the outcome was decided: inForceAt + FORESIGHT_OUTCOME_PERIOD, or earlier when a newer change of the workload came in force (both windows then shortened alike). */
  decidedAt: number;
  /** The policy's SLO risk: the under-provisioned share the change is judged against. */
  sloRisk: number;
  /** The window of the same length before the change. */
  before: OutcomeWindow;
  /** The window after the change came in force. */
  after: OutcomeWindow;
  /** The quantile the policy's SLO risk asks of the forecast (0.5, 0.9 or 0.99). */
  quantile: number;
  /** Mean pinball loss at `quantile` of the forecasts issued in the after window whose horizon has passed, against the realised peak over their horizon; null when none. */
  pinballLoss: null | number;
  /** Share of those forecasts at or above the realised peak; null when none. */
  coverage: null | number;
  /** ISO 4217 currency of the costs. */
  currency: string;
  /** Why a cost is null (e.g. 'cost unknown: no billing rows for pool X'); null when both costs are known. */
  costUnknown: null | string;
  /** One of 'saved', 'neutral', 'regressed', 'insufficient-data' (a string: Avro enum symbols cannot hold '-'). regressed: the after window's under-provisioned share is above sloRisk (never when the capacity is unknown); saved: within the SLO risk and cheaper (cost, or capacity-hours when a cost is unknown) by more than 1%; neutral: within the SLO risk otherwise; insufficient-data: either window has data for less than half its 5-minute steps. */
  verdict: string;
  /** One sentence a person can read: why this verdict. */
  explanation: string;
}
