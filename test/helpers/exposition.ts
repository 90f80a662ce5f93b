/**
 * Prometheus text exposition (what an exporter's /metrics serves) → the messages Foresight
 * reads: prometheus-kafka-adapter's JSON (after a Prometheus scrape adds its target labels) and
 * OTLP/JSON (as the Collector's prometheus receiver makes it: counters as cumulative monotonic
 * sums, gauges as gauges, labels as data point attributes).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/util/paths.js';

export interface ExposedSample {
  name: string;
  type: 'gauge' | 'counter';
  labels: Record<string, string>;
  value: number;
}

export function readExposition(file: string): ExposedSample[] {
  return parseExposition(readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'model-server', file), 'utf8'));
}

/** The samples of a text exposition (a fixture, or a live /metrics). */
export function parseExposition(text: string): ExposedSample[] {
  const types = new Map<string, string>();
  const out: ExposedSample[] = [];
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (t) types.set(t[1], t[2]);
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], type: types.get(m[1]) === 'counter' ? 'counter' : 'gauge', labels, value: Number(m[3]) });
  }
  return out;
}

/** One adapter message per sample; `target` are the labels the scrape adds (kubernetes_sd relabelling). */
export function adapterJson(s: ExposedSample, timeMs: number, target: Record<string, string> = {}): Buffer {
  const labels: Record<string, string> = { ...s.labels, __name__: s.name };
  for (const [k, v] of Object.entries(target)) {
    // honor_labels: false: the exporter's own label is kept as exported_<name>
    if (k in labels && labels[k] !== v) labels[`exported_${k}`] = labels[k];
    labels[k] = v;
  }
  return Buffer.from(JSON.stringify({ timestamp: new Date(timeMs).toISOString(), value: String(s.value), name: s.name, labels }));
}

/** One OTLP/JSON request with every sample; `resource` are the k8sattributes processor's attributes. */
export function otlpJsonOf(samples: ExposedSample[], timeMs: number, resource: Record<string, string>): unknown {
  const kv = (o: Record<string, string>): { key: string; value: { stringValue: string } }[] =>
    Object.entries(o).map(([key, v]) => ({ key, value: { stringValue: v } }));
  const timeUnixNano = String(BigInt(timeMs) * 1_000_000n);
  return {
    resourceMetrics: [
      {
        resource: { attributes: kv(resource) },
        scopeMetrics: [
          {
            metrics: samples.map((s) => {
              const point = { attributes: kv(s.labels), timeUnixNano, asDouble: s.value };
              return s.type === 'counter'
                ? { name: s.name, sum: { dataPoints: [point], aggregationTemporality: 2, isMonotonic: true } }
                : { name: s.name, gauge: { dataPoints: [point] } };
            }),
          },
        ],
      },
    ],
  };
}
