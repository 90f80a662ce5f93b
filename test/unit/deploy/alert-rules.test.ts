/**
 * The alert rules read metrics the services define: every metric name in
 * deploy/prometheus/foresight-rules.yml is an instrument created in src/ (a `'foresight_…'`
 * name, plus the _total/_bucket/_sum/_count the Prometheus exporter adds) or Prometheus' own
 * `up`. promtool tests the rules' logic; this keeps a renamed metric from silencing a rule.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../../src/util/paths.js';
import { metricNamesOf } from '../../helpers/observability.js';

function definedMetricNames(): Set<string> {
  const names = new Set<string>();
  const src = path.join(PROJECT_ROOT, 'src');
  for (const f of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!f.endsWith('.ts')) continue;
    for (const m of readFileSync(path.join(src, f), 'utf8').matchAll(/'(foresight_[a-z0-9_]+)'/g)) names.add(m[1]);
  }
  return names;
}

describe('alert rules', () => {
  it('every metric a rule reads is defined by a service', () => {
    const rules = parse(readFileSync(path.join(PROJECT_ROOT, 'deploy', 'prometheus', 'foresight-rules.yml'), 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const defined = definedMetricNames();
    const exprs = rules.groups.flatMap((g) => g.rules);
    assert.ok(exprs.length >= 10);
    for (const r of exprs) {
      for (const name of metricNamesOf(r.expr)) {
        if (name === 'up') continue;
        assert.ok(defined.has(name.replace(/_(total|bucket|sum|count)$/, '')), `${r.alert}: ${name} is not a metric any service defines`);
      }
    }
  });
});
