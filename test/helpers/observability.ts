/** Dashboards and PromQL, for the tests that keep dashboards and rules honest. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/util/paths.js';
import type { RunningCli } from './cli.js';

/** The text a running service serves on /metrics (its port from its start-up log line). */
export async function scrapeMetrics(service: RunningCli): Promise<string> {
  const port = /"port":(\d+)[^\n]*health and metrics endpoint listening/.exec(service.output())?.[1];
  if (!port) throw new Error(`the service logged no metrics port:\n${service.output().slice(-2000)}`);
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: { title: string; datasource: { uid: string }; targets: { expr: string; refId: string }[] }[];
}

/** The Grafana dashboards in deploy/grafana/dashboards. */
export function dashboards(): Dashboard[] {
  const dir = path.join(PROJECT_ROOT, 'deploy', 'grafana', 'dashboards');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Dashboard);
}

/**
 * The metric names a PromQL expression reads: every identifier that is not a function,
 * aggregation, keyword, label name (inside {...} or by/without/on/ignoring (...)) or string.
 * Good enough for the dashboards' and rules' own expressions; not a PromQL parser.
 */
const NOT_METRICS = new Set([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'group',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'histogram_quantile',
  'label_replace',
  'label_join',
  'abs',
  'clamp_min',
  'clamp_max',
  'avg_over_time',
  'max_over_time',
  'min_over_time',
  'sum_over_time',
  'quantile_over_time',
  'last_over_time',
  'absent',
  'vector',
  'scalar',
  'time',
]);

export function metricNamesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\[[^\]]*\]/g, ''); // range selectors
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    if (!NOT_METRICS.has(m[0]) && !/^\d/.test(m[0])) names.add(m[0]);
  }
  return [...names];
}

/** The metric family a sample name belongs to, as /metrics exposes it (histogram series end in _bucket/_sum/_count). */
export function familyOf(sampleName: string): string {
  return sampleName.replace(/_(bucket|sum|count)$/, '');
}
