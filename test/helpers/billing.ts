/** FOCUS billing rows for tests, the shape provider exports have (one row per resource, unit and hour). */
import type { Kafka } from 'kafkajs';
import type { AvroCodec } from '../../src/codec/avro-codec.js';
import type { BillingRecord } from '../../src/codec/generated-types.js';
import type { ServiceConfig } from '../../src/config/config.js';
import { ensureTopics } from '../../src/kafka/topics.js';

const HOUR = 3_600_000;

/** One hour of a resource: `quantity` units (vCPU-Hours, GiB-Hours, GPU-Hours) costing `cost`, tagged with its pool and attribution. */
export function focusRow(o: {
  start: number;
  unit: string;
  quantity: number;
  cost: number;
  pool: string;
  resource?: string;
  tags?: Record<string, string>;
  currency?: string;
  /** the CommitmentDiscountId of a commitment that covered the usage ('Used') */
  commitment?: string;
}): BillingRecord {
  const d = new Date(o.start);
  return {
    BilledCost: o.cost,
    BillingAccountId: 'acct-1',
    BillingAccountName: null,
    BillingCurrency: o.currency ?? 'USD',
    BillingPeriodStart: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
    BillingPeriodEnd: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
    ChargeCategory: 'Usage',
    ChargeClass: null,
    ChargeDescription: null,
    ChargePeriodStart: o.start,
    ChargePeriodEnd: o.start + HOUR,
    ContractedCost: o.cost,
    EffectiveCost: o.cost,
    InvoiceIssuerName: 'Cloud',
    ListCost: o.cost,
    PricingQuantity: o.quantity,
    PricingUnit: o.unit,
    ProviderName: 'Cloud',
    PublisherName: 'Cloud',
    ServiceCategory: 'Compute',
    ServiceName: 'Compute Engine',
    ResourceId: o.resource ?? `${o.pool}-node-1`,
    ResourceName: null,
    ResourceType: 'Virtual Machine',
    ConsumedQuantity: o.quantity,
    ConsumedUnit: o.unit,
    CommitmentDiscountId: o.commitment ?? null,
    CommitmentDiscountStatus: o.commitment ? 'Used' : null,
    PricingCategory: o.commitment ? 'Committed' : null,
    Tags: { 'node-pool': o.pool, ...o.tags },
  };
}

export async function produceBilling(kafka: Kafka, cfg: ServiceConfig, codec: AvroCodec, rows: BillingRecord[]): Promise<void> {
  await ensureTopics(kafka, cfg.topics);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: cfg.topics.billing, acks: -1, messages: rows.map((r) => ({ value: codec.encode('BillingRecord', r) })) });
  await producer.disconnect();
}
