import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SCHEMA_NAMES, avroType, readSchemaJson } from '../../../src/codec/schemas.js';
import { GENERATED_TYPES_FILE, generatedTypesSource } from '../../../src/codec/generate-types.js';
import type { BillingRecord, MetricSample } from '../../../src/codec/generated-types.js';

interface Node {
  type?: unknown;
  fields?: { name: string; doc?: string; type: unknown }[];
  items?: unknown;
  values?: unknown;
  doc?: string;
  name?: string;
}

function undocumented(schema: unknown, path: string, out: string[]): void {
  if (Array.isArray(schema)) return schema.forEach((s) => undocumented(s, path, out));
  if (typeof schema !== 'object' || schema === null) return;
  const node = schema as Node;
  if (node.type === 'record') {
    if (!node.doc) out.push(`${path} (record ${node.name})`);
    for (const f of node.fields ?? []) {
      if (!f.doc || f.doc.trim().length < 5) out.push(`${path}.${f.name}`);
      undocumented(f.type, `${path}.${f.name}`, out);
    }
  }
  if (node.items) undocumented(node.items, path, out);
  if (node.values) undocumented(node.values, path, out);
  if (typeof node.type === 'object') undocumented(node.type, path, out);
}

describe('Avro schemas', () => {
  for (const name of SCHEMA_NAMES) {
    it(`${name} parses and documents every field`, () => {
      avroType(name);
      const missing: string[] = [];
      undocumented(readSchemaJson(name), name, missing);
      assert.deepEqual(missing, []);
    });
  }

  it('the TypeScript types are the ones the schemas generate (run `npm run gen:types` after editing schemas/)', () => {
    assert.equal(readFileSync(GENERATED_TYPES_FILE, 'utf8'), generatedTypesSource());
  });

  it('BillingRecord carries the 21 FOCUS 1.2 mandatory columns plus attribution columns', () => {
    const fields = new Set((readSchemaJson('BillingRecord') as unknown as Node).fields!.map((f) => f.name));
    const mandatory = [
      'BilledCost',
      'BillingAccountId',
      'BillingAccountName',
      'BillingCurrency',
      'BillingPeriodEnd',
      'BillingPeriodStart',
      'ChargeCategory',
      'ChargeClass',
      'ChargeDescription',
      'ChargePeriodEnd',
      'ChargePeriodStart',
      'ContractedCost',
      'EffectiveCost',
      'InvoiceIssuerName',
      'ListCost',
      'PricingQuantity',
      'PricingUnit',
      'ProviderName',
      'PublisherName',
      'ServiceCategory',
      'ServiceName',
    ];
    assert.equal(mandatory.length, 21);
    for (const c of [...mandatory, 'ResourceId', 'ResourceName', 'Tags']) assert.ok(fields.has(c), c);
  });

  it('values typed with the generated interfaces are valid Avro', () => {
    const sample: MetricSample = {
      cluster: 'c',
      namespace: 'n',
      kind: 'Deployment',
      name: 'w',
      container: null,
      metric: 'cpu_usage',
      unit: '{cpu}',
      value: 0.5,
      eventTime: 1_700_000_000_000,
      attributes: {},
    };
    assert.ok(avroType('MetricSample').isValid(sample));
    const row: BillingRecord = {
      BilledCost: 1,
      BillingAccountId: 'a',
      BillingAccountName: null,
      BillingCurrency: 'USD',
      BillingPeriodStart: 0,
      BillingPeriodEnd: 1,
      ChargeCategory: 'Usage',
      ChargeClass: null,
      ChargeDescription: null,
      ChargePeriodStart: 0,
      ChargePeriodEnd: 1,
      ContractedCost: 1,
      EffectiveCost: 1,
      InvoiceIssuerName: 'x',
      ListCost: 1,
      PricingQuantity: 1,
      PricingUnit: 'Hours',
      ProviderName: 'p',
      PublisherName: 'p',
      ServiceCategory: 'Compute',
      ServiceName: 's',
      ResourceId: 'r',
      ResourceName: null,
      ResourceType: null,
      ConsumedQuantity: null,
      ConsumedUnit: null,
      CommitmentDiscountId: null,
      CommitmentDiscountStatus: null,
      PricingCategory: null,
      Tags: {},
    };
    assert.ok(avroType('BillingRecord').isValid(row));
    assert.ok(!avroType('MetricSample').isValid({ ...sample, value: 'high' }));
  });
});
