import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFocusJson } from '../../../src/codec/focus-json.js';
import { decodeOtlpJson, decodeOtlpProto, encodeOtlpProto } from '../../../src/codec/otlp.js';
import { decodePrometheusJson } from '../../../src/codec/prometheus-json.js';
import { RejectedMessage } from '../../../src/util/errors.js';
import { MAX_MESSAGE_BYTES } from '../../../src/codec/limits.js';
import { deeplyNestedOtlp, deeplyNestedPrometheus } from '../../helpers/hostile.js';
import { otlpRequest } from '../../helpers/otlp.js';
import { costIncrements, unitKind } from '../../../src/windows/billing.js';

const T = Date.UTC(2026, 10, 27, 10, 0, 0);

describe('decoders', () => {
  it('OTLP JSON and protobuf give the same samples with the workload identity', () => {
    const req = otlpRequest([
      { value: 0.5, timeMs: T },
      { value: 0.75, timeMs: T + 60_000 },
    ]);
    const fromJson = decodeOtlpJson(Buffer.from(JSON.stringify(req)));
    const fromProto = decodeOtlpProto(encodeOtlpProto(req));
    assert.deepEqual(fromProto, fromJson);
    assert.deepEqual(fromJson[0], {
      cluster: 'test',
      namespace: 'shop',
      kind: 'Deployment',
      name: 'web',
      container: 'app',
      metric: 'cpu_usage',
      unit: '{cpu}',
      value: 0.5,
      eventTime: T,
      attributes: {},
    });
  });

  it('OTLP timestamps keep their millisecond: nanoseconds past 2^53 are divided exactly, not through a double', () => {
    // through a double, 1795948612226000000 ns / 1e6 is 1795948612225.9998: one millisecond early
    const req = otlpRequest([{ value: 1, timeMs: 0 }]) as {
      resourceMetrics: { scopeMetrics: { metrics: { gauge: { dataPoints: { timeUnixNano: string }[] } }[] }[] }[];
    };
    const times = ['1795948612226000000', '1795948612225999999', '1795948627225123456'];
    req.resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints = times.map((t) => ({ timeUnixNano: t, asDouble: 1 }));
    const expected = [1795948612226, 1795948612225, 1795948627225];
    assert.deepEqual(
      decodeOtlpProto(encodeOtlpProto(req)).map((x) => x.eventTime),
      expected,
    );
    assert.deepEqual(
      decodeOtlpJson(Buffer.from(JSON.stringify(req))).map((x) => x.eventTime),
      expected,
    );
  });

  it('OTLP sums with integer values and histograms map to samples', () => {
    const req = otlpRequest([]) as { resourceMetrics: { scopeMetrics: { metrics: unknown[] }[] }[] };
    req.resourceMetrics[0].scopeMetrics[0].metrics = [
      {
        name: 'requests',
        unit: '{request}',
        sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ timeUnixNano: String(T * 1e6), asInt: '42' }] },
      },
      {
        name: 'latency',
        unit: 's',
        histogram: {
          aggregationTemporality: 1,
          dataPoints: [{ timeUnixNano: String(T * 1e6), count: '4', sum: 2, max: 1.5, bucketCounts: ['1', '3'], explicitBounds: [0.5] }],
        },
      },
    ];
    const samples = decodeOtlpProto(encodeOtlpProto(req));
    assert.deepEqual(
      samples.map((s) => [s.metric, s.value]),
      [
        ['requests', 42],
        ['latency', 0.5],
        ['latency.max', 1.5],
      ],
    );
  });

  it('rejects OTLP without a workload, and bytes that are not OTLP', () => {
    const req = otlpRequest([{ value: 1, timeMs: T }]) as { resourceMetrics: { resource: { attributes: unknown[] } }[] };
    req.resourceMetrics[0].resource.attributes = [{ key: 'k8s.namespace.name', value: { stringValue: 'shop' } }];
    assert.throws(
      () => decodeOtlpJson(Buffer.from(JSON.stringify(req))),
      (e: unknown) => e instanceof RejectedMessage && e.reason === 'invalid-field',
    );
    assert.throws(
      () => decodeOtlpProto(Buffer.from([0xff, 0xff, 0xff])),
      (e: unknown) => e instanceof RejectedMessage && e.reason === 'undecodable',
    );
  });

  it('maps Prometheus-adapter labels to the workload identity', () => {
    const msg = {
      timestamp: new Date(T).toISOString(),
      value: '0.25',
      name: 'cpu_usage',
      labels: { __name__: 'cpu_usage', cluster: 'test', namespace: 'shop', deployment: 'web', container: 'app', unit: '{cpu}', pod: 'web-1' },
    };
    assert.deepEqual(decodePrometheusJson(Buffer.from(JSON.stringify(msg))), [
      {
        cluster: 'test',
        namespace: 'shop',
        kind: 'Deployment',
        name: 'web',
        container: 'app',
        metric: 'cpu_usage',
        unit: '{cpu}',
        value: 0.25,
        eventTime: T,
        attributes: { pod: 'web-1' },
      },
    ]);
    assert.equal(decodePrometheusJson(Buffer.from(JSON.stringify({ ...msg, value: 'NaN' })))[0].value, NaN);
    assert.throws(() => decodePrometheusJson(Buffer.from(JSON.stringify({ ...msg, labels: { namespace: 'shop' } }))), /no workload label/);
    // a day its month does not have is dead-lettered, not read as the next month's (Date.parse: 2026-11-31 → December 1st)
    for (const [timestamp, detail] of [
      ['2026-11-31T10:00:00Z', 'field "timestamp" "2026-11-31T10:00:00Z" is no day of the calendar (November 2026 has 30 days)'],
      ['2026-02-29T00:00:00+01:00', 'field "timestamp" "2026-02-29T00:00:00+01:00" is no day of the calendar (February 2026 has 28 days)'],
      ['Nov 27 2026 10:00', 'field "timestamp" "Nov 27 2026 10:00" is not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ssZ)'],
    ]) {
      assert.throws(
        () => decodePrometheusJson(Buffer.from(JSON.stringify({ ...msg, timestamp }))),
        (e: unknown) => e instanceof RejectedMessage && e.reason === 'invalid-field' && e.message === detail,
      );
    }
    assert.equal(decodePrometheusJson(Buffer.from(JSON.stringify({ ...msg, timestamp: '2028-02-29T00:00:00Z' })))[0].eventTime, Date.UTC(2028, 1, 29));
  });

  it('reads FOCUS rows in JSON and spreads their cost over the charge period', () => {
    const row = {
      BilledCost: '2.4',
      BillingAccountId: 'acct',
      BillingCurrency: 'USD',
      BillingPeriodStart: '2026-11-01T00:00:00Z',
      BillingPeriodEnd: '2026-12-01T00:00:00Z',
      ChargeCategory: 'Usage',
      ChargePeriodStart: '2026-11-27T00:00:00Z',
      ChargePeriodEnd: '2026-11-27T02:00:00Z',
      ContractedCost: 2.4,
      EffectiveCost: 2.4,
      InvoiceIssuerName: 'Cloud',
      ListCost: 3,
      PricingQuantity: 8,
      PricingUnit: 'vCPU-Hours',
      ProviderName: 'Cloud',
      PublisherName: 'Cloud',
      ServiceCategory: 'Compute',
      ServiceName: 'VMs',
      ResourceId: 'node-1',
      ConsumedQuantity: 8,
      ConsumedUnit: 'vCPU-Hours',
      Tags: JSON.stringify({ 'k8s.namespace.name': 'shop', 'k8s.deployment.name': 'web', team: 'payments', 'node-pool': 'general' }),
    };
    const [rec] = decodeFocusJson(Buffer.from(JSON.stringify(row)));
    assert.equal(rec.BilledCost, 2.4);
    assert.equal(rec.ChargePeriodStart, Date.UTC(2026, 10, 27));
    const inc = costIncrements(rec);
    const hourly = inc.filter((i) => i.hash === 'cost:ns:default/shop:202611');
    assert.deepEqual(
      hourly.map((i) => i.delta),
      [1.2, 1.2],
    );
    assert.ok(inc.some((i) => i.hash === 'cost:workload:default/shop/Deployment/web:202611'));
    assert.ok(inc.some((i) => i.hash === 'cost:team:payments:202611'));
    assert.deepEqual(
      inc.filter((i) => i.hash.startsWith('price:')).map((i) => [i.hash, i.field, i.delta]),
      [
        ['price:general:cpu-core-hour:202611', 'cost', 2.4],
        ['price:general:cpu-core-hour:202611', 'quantity', 8],
        // no commitment column: usage no commitment covered, by month and hour by hour (windows/billing.ts committedUnit)
        ['price:general:cpu-core-hour:202611', 'oq', 8],
        ['price:general:cpu-core-hour:202611', 'ocost', 2.4],
        ['price:general:cpu-core-hour:h20261127', `o${Date.UTC(2026, 10, 27) / 3_600_000}`, 4],
        ['price:general:cpu-core-hour:h20261127', `o${Date.UTC(2026, 10, 27) / 3_600_000 + 1}`, 4],
        ['price:general:cpu-core-hour:202611', 'currency:USD', 1],
      ],
    );
    assert.throws(() => decodeFocusJson(Buffer.from(JSON.stringify({ ...row, EffectiveCost: 'lots' }))), /EffectiveCost/);
    assert.throws(() => decodeFocusJson(Buffer.from(JSON.stringify({ ...row, ServiceName: undefined }))), /ServiceName/);
    // impossible days are dead-lettered with the column, not rolled over into the next month
    for (const [col, value, detail] of [
      ['ChargePeriodEnd', '2026-11-31T00:00:00Z', 'ChargePeriodEnd "2026-11-31T00:00:00Z" is no day of the calendar (November 2026 has 30 days)'],
      ['BillingPeriodStart', '2026-13-01T00:00:00Z', 'BillingPeriodStart "2026-13-01T00:00:00Z" is no day of the calendar (there is no month 13)'],
      ['ChargePeriodStart', '2026-11-27', undefined],
      ['ChargePeriodStart', '27/11/2026', 'ChargePeriodStart "27/11/2026" is not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ssZ)'],
    ] as const) {
      const decode = (): unknown => decodeFocusJson(Buffer.from(JSON.stringify({ ...row, [col]: value })));
      if (detail === undefined) assert.equal((decode() as { ChargePeriodStart: number }[])[0].ChargePeriodStart, Date.UTC(2026, 10, 27));
      else assert.throws(decode, (e: unknown) => e instanceof RejectedMessage && e.reason === 'invalid-field' && e.message === detail);
    }
  });

  it('normalises FOCUS units for unit prices', () => {
    assert.deepEqual(unitKind('vCPU-Hours'), { kind: 'cpu-core-hour', factor: 1 });
    assert.equal(unitKind('GiB-Hours')?.kind, 'memory-gib-hour');
    assert.equal(unitKind('GPU-Hours')?.kind, 'gpu-hour');
    assert.equal(unitKind('Requests'), undefined);
  });

  describe('bounds', () => {
    const undecodable = (f: () => unknown, detail: RegExp) =>
      assert.throws(f, (e: unknown) => e instanceof RejectedMessage && e.reason === 'undecodable' && detail.test(e.message));

    it('rejects JSON nested deeper than 64 levels before parsing it (no stack overflow)', () => {
      undecodable(() => decodePrometheusJson(deeplyNestedPrometheus(100_000, T)), /nested deeper than 64 levels/);
      undecodable(() => decodeOtlpJson(deeplyNestedOtlp(20_000, T)), /nested deeper than 64 levels/);
      undecodable(() => decodeFocusJson(Buffer.from(`{"Tags":${'['.repeat(70)}${']'.repeat(70)}}`)), /nested deeper than 64 levels/);
      // brackets inside strings do not count
      assert.equal(
        decodePrometheusJson(
          Buffer.from(
            JSON.stringify({
              timestamp: new Date(T).toISOString(),
              value: '1',
              name: 'cpu_usage',
              labels: { namespace: 'shop', deployment: 'web', note: '['.repeat(1000) },
            }),
          ),
        )[0].attributes.note.length,
        1000,
      );
      assert.equal(decodeOtlpJson(deeplyNestedOtlp(5, T)).length, 1, 'a shallow nested attribute is fine');
    });

    it("rejects a deeply nested OTLP protobuf as undecodable (the parser's stack overflow is caught)", () => {
      // AnyValue{array_value: ArrayValue{values: [AnyValue{...}]}} nested 20,000 deep
      const len = (n: number) => {
        const out: number[] = [];
        do {
          out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
          n >>>= 7;
        } while (n > 0);
        return Buffer.from(out);
      };
      const field = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([(tag << 3) | 2]), len(body.length), body]);
      let any = Buffer.alloc(0);
      for (let i = 0; i < 20_000; i++) any = field(5, field(1, any));
      const kv = Buffer.concat([field(1, Buffer.from('evil')), field(2, any)]);
      undecodable(() => decodeOtlpProto(field(1, field(1, field(1, kv)))), /not an OTLP ExportMetricsServiceRequest/);
    });

    it('rejects label values that are not strings, and messages over 4 MiB', () => {
      const msg = { timestamp: new Date(T).toISOString(), value: '1', name: 'cpu_usage', labels: { namespace: 'shop', deployment: 'web', evil: [[1]] } };
      assert.throws(
        () => decodePrometheusJson(Buffer.from(JSON.stringify(msg))),
        (e: unknown) => e instanceof RejectedMessage && e.reason === 'invalid-field' && /label "evil" is an array/.test(e.message),
      );
      undecodable(() => decodePrometheusJson(Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20)), /at most 4194304/);
      undecodable(() => decodeOtlpProto(Buffer.alloc(MAX_MESSAGE_BYTES + 1)), /at most 4194304/);
    });
  });
});
