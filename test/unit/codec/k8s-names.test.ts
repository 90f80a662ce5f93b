import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kindProblem, labelValueProblem, metricNameProblem, namespaceProblem, workloadNameProblem } from '../../../src/codec/k8s-names.js';
import { checkSample, identityProblem, MAX_SAMPLE_VALUE, seriesIdOf } from '../../../src/codec/metric-sample.js';
import { parseSeriesId } from '../../../src/codec/series-id.js';
import { loadConfig } from '../../../src/config/config.js';
import { RejectedMessage } from '../../../src/util/errors.js';
import { sample } from '../../helpers/produce.js';

const valid = (p: (v: unknown) => string | undefined, v: string) => assert.equal(p(v), undefined, `${JSON.stringify(v)} should be valid`);
const invalid = (p: (v: unknown) => string | undefined, v: unknown) => assert.ok(p(v), `${JSON.stringify(v)} should be invalid`);

describe('Kubernetes names', () => {
  it('namespaces are RFC 1123 labels of at most 63 characters', () => {
    for (const v of ['shop', 'kube-system', 'a', '0', 'ns49', 'x'.repeat(63)]) valid(namespaceProblem, v);
    for (const v of ['', 'Shop', 'shop/x', 'a.b', '-a', 'a-', '*', '{', 'a\nb', 'x'.repeat(64), 'a_b', null, 42]) invalid(namespaceProblem, v);
  });

  it('workload names are RFC 1123 subdomains of at most 253 characters', () => {
    for (const v of ['web', 'checkout-v2', 'api.v1', 'a', `${'a'.repeat(63)}.${'b'.repeat(63)}`, 'x'.repeat(253)]) valid(workloadNameProblem, v);
    for (const v of ['', 'Web', 'a/b', 'a..b', '..', '.a', 'a.', 'a\nb', 'a*', '{x}', 'x'.repeat(254), 'w'.repeat(10_000)]) invalid(workloadNameProblem, v);
  });

  it('containers and clusters follow the label-value rules (at most 63)', () => {
    for (const v of ['app', 'prod', 'eu_West.1', 'Demo-20261129', 'A', 'x'.repeat(63)]) valid(labelValueProblem, v);
    for (const v of ['', '-', 'c/shop', '_a', 'a.', 'a b', 'a\n', '{app}', 'x'.repeat(64)]) invalid(labelValueProblem, v);
  });

  it('kinds are CamelCase words; metrics Prometheus or OpenTelemetry names', () => {
    for (const v of ['Deployment', 'StatefulSet', 'CronJob']) valid(kindProblem, v);
    for (const v of ['Deploy/ment', '1Job', '', 'Job*']) invalid(kindProblem, v);
    for (const v of ['cpu_usage', 'container.cpu.usage', 'job:cpu:rate5m', 'http.server/duration', 'latency.max']) valid(metricNameProblem, v);
    for (const v of ['', '1cpu', 'cpu usage', 'cpu\n', 'x'.repeat(256)]) invalid(metricNameProblem, v);
  });

  it('an error names the field and quotes at most 80 characters of a long value', () => {
    assert.match(identityProblem({ ...sample('web', 1, 0), cluster: 'c/shop' })!, /^cluster "c\/shop" is not valid/);
    assert.match(
      identityProblem({ ...sample('web', 1, 0), namespace: 'shop/x' })!,
      /^namespace "shop\/x" is not valid \(a Kubernetes namespace is an RFC 1123 label/,
    );
    const long = identityProblem({ ...sample('w'.repeat(10_000), 1, 0) })!;
    assert.match(long, /^name "w{80}"… \(10000 characters\) is longer than 253/);
    assert.ok(long.length < 400);
    assert.equal(identityProblem(sample('web', 1, 0)), undefined);
    assert.equal(identityProblem({ ...sample('web', 1, 0), container: null }), undefined);
  });
});

describe('sample checks', () => {
  const cfg = { ...loadConfig({}).ingest, replayHistory: true };
  const rejects = (s: Parameters<typeof checkSample>[0], reason: string) =>
    assert.throws(
      () => checkSample(s, cfg),
      (e: unknown) => e instanceof RejectedMessage && e.reason === reason,
      JSON.stringify(s.value),
    );

  it('rejects values that are not finite, negative or above MAX_SAMPLE_VALUE, so window sums stay finite', () => {
    rejects(sample('web', Infinity, 0), 'not-finite');
    rejects(sample('web', NaN, 0), 'not-finite');
    rejects(sample('web', -1, 0), 'negative-value');
    rejects(sample('web', 1e308, 0), 'out-of-range');
    rejects(sample('web', MAX_SAMPLE_VALUE * 1.01, 0), 'out-of-range');
    checkSample(sample('web', MAX_SAMPLE_VALUE, 0), cfg);
    assert.ok(Number.isFinite(MAX_SAMPLE_VALUE * 1e9), 'a billion maximal values still sum to a finite number');
  });

  it('rejects invalid names as invalid-field', () => {
    rejects({ ...sample('web', 1, 0), cluster: 'c/shop', namespace: 'x' }, 'invalid-field');
    rejects({ ...sample('web', 1, 0), container: '-' }, 'invalid-field');
  });
});

describe('series ids', () => {
  it('two identities that used to collide are now refused, and a valid id splits back into its identity', () => {
    const a = { ...sample('web', 1, 0), cluster: 'c/shop', namespace: 'x' };
    const b = { ...sample('web', 1, 0), cluster: 'c', namespace: 'shop/x' };
    assert.throws(() => seriesIdOf(a), /has a "\/" in a name/);
    assert.throws(() => seriesIdOf(b), /has a "\/" in a name/);
    const s = { ...sample('web', 1, 0), metric: 'http.server/duration' };
    const id = parseSeriesId(seriesIdOf(s))!;
    assert.deepEqual([id.cluster, id.namespace, id.kind, id.name, id.container, id.metric], [s.cluster, s.namespace, s.kind, s.name, s.container, s.metric]);
    assert.equal(parseSeriesId(seriesIdOf({ ...s, container: null }))!.container, null);
  });
});
