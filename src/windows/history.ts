/**
 * Whole histories out of the windows, for one-shot commands (`foresight export-history`,
 * `foresight report`): which series the windows hold, and a series' 5-minute steps over the
 * five-minute windows' retention (48 h). Not for the hot path: finding the series SCANs the partitions'
 * series sets (`<prefix>:{<topic>:<partition>}:series`, redis-keys.ts); on a Redis Cluster,
 * point it at each primary.
 */
import { scanKeys, type Redis } from './redis-client.js';
import { parseAnySeriesZsetKey, parseSeriesZsetKey, seriesZsetPattern } from './redis-keys.js';
import { parseSeriesId, type SeriesIdentity } from '../codec/series-id.js';
import { FIVE } from './resolutions.js';
import type { PartitionRef, WindowStore } from './window-store.js';

export const STEP_MS = 300_000;

export interface StoredSeries {
  ref: PartitionRef;
  seriesId: string;
  identity: SeriesIdentity;
  /** newest event time of the series, ms */
  watermarkMs: number;
}

export interface SeriesFilter {
  namespace?: string;
  /** workloads as `name`, `namespace/name` or `cluster/namespace/kind/name`; empty: all */
  workloads?: string[];
}

/** Does a series belong to one of the named workloads (`name`, `namespace/name` or the full `cluster/namespace/kind/name`)? */
export function matchesWorkload(id: SeriesIdentity, names: string[]): boolean {
  return names.length === 0 || names.some((w) => w === id.name || w === `${id.namespace}/${id.name}` || w === id.workload);
}

/** Every series in the windows under `prefix` that matches the filter, ordered by series id. */
export async function findSeries(redis: Redis, prefix: string, filter: SeriesFilter = {}): Promise<StoredSeries[]> {
  const keys = new Set<string>();
  for await (const { keys: batch } of scanKeys(redis, seriesZsetPattern(prefix))) for (const k of batch) keys.add(k);
  const out: StoredSeries[] = [];
  for (const key of [...keys].sort()) {
    const ref = parseSeriesZsetKey(prefix, key);
    if (!ref) continue;
    const flat = await redis.zrange(key, '0', '-1', 'WITHSCORES');
    for (let i = 0; i < flat.length; i += 2) {
      const identity = parseSeriesId(flat[i]);
      if (!identity) continue;
      if (filter.namespace !== undefined && identity.namespace !== filter.namespace) continue;
      if (!matchesWorkload(identity, filter.workloads ?? [])) continue;
      out.push({ ref, seriesId: flat[i], identity, watermarkMs: Number(flat[i + 1]) });
    }
  }
  return out.sort((a, b) => (a.seriesId < b.seriesId ? -1 : a.seriesId > b.seriesId ? 1 : 0));
}

/**
 * The key prefixes under which the windows hold series, with the metrics topics they were read
 * from and their newest event time, newest first (SCAN over every prefix's series sets), for a
 * hint when the configured prefix is empty.
 */
export async function seriesPrefixes(redis: Redis): Promise<{ prefix: string; topics: string[]; newestMs: number }[]> {
  const found = new Map<string, { topics: Set<string>; newestMs: number }>();
  for await (const { keys } of scanKeys(redis, '*:{*}:series'))
    for (const key of keys) {
      const k = parseAnySeriesZsetKey(key);
      if (!k) continue;
      const [, newest] = await redis.zrange(key, '-1', '-1', 'WITHSCORES');
      const p = found.get(k.prefix) ?? { topics: new Set<string>(), newestMs: -Infinity };
      p.topics.add(k.ref.topic);
      p.newestMs = Math.max(p.newestMs, Number(newest ?? -Infinity));
      found.set(k.prefix, p);
    }
  return [...found]
    .map(([prefix, p]) => ({ prefix, topics: [...p.topics].sort(), newestMs: p.newestMs }))
    .sort((a, b) => b.newestMs - a.newestMs || (a.prefix < b.prefix ? -1 : 1));
}

/**
 * Where the windows do hold series when none is under `prefix`: the other key prefixes (those
 * with the newest events first, at most `max`; a demo's replay runs ahead of the clock, so its
 * prefix comes first), each with its recommendations topic when `topics` (the broker's) has one
 * named like its metrics topic, as the environment variables that point a one-shot command at
 * them. Empty when no other prefix holds series.
 */
export async function otherPrefixesHint(redis: Redis, prefix: string, topics: string[] = [], max = 5): Promise<string> {
  const others = (await seriesPrefixes(redis)).filter((p) => p.prefix !== prefix);
  if (others.length === 0) return '';
  const lines = others.slice(0, max).map((p) => {
    const recs = p.topics
      .filter((t) => /metrics(\.v\d+)?$/.test(t))
      .map((t) => t.replace(/metrics(\.v\d+)?$/, 'recommendations$1'))
      .find((t) => topics.includes(t));
    return `FORESIGHT_REDIS_KEY_PREFIX=${p.prefix}${recs ? ` FORESIGHT_TOPIC_RECOMMENDATIONS=${recs}` : ''} (metrics from ${p.topics.join(', ')})`;
  });
  const which = others.length > max ? `; the ${max} with the newest events` : '';
  return `the windows hold series under ${others.length} other key prefix${others.length > 1 ? 'es' : ''}${which}: point the command at one with ${lines.join('; or ')}`;
}

/**
 * A series' 5-minute steps over the five-minute windows' retention (48 h) up to its watermark: the
 * mean of each step's events (its bucket's sum over its count, as the forecaster's history), null
 * for a step without any, from the first step with data to the last. Empty when nothing is left.
 */
export async function fiveMinuteSteps(
  store: WindowStore,
  s: Pick<StoredSeries, 'ref' | 'seriesId' | 'watermarkMs'>,
): Promise<{ startMs: number; values: (number | null)[] }> {
  const endStep = Math.floor(s.watermarkMs / STEP_MS) + 1; // exclusive
  const steps = Math.floor(FIVE.retentionMs / FIVE.bucketMs);
  const [buckets] = await store.lastTotals([{ ref: s.ref, seriesId: s.seriesId, resolution: 'five', n: steps, endMs: endStep * STEP_MS - 1 }]);
  const values = buckets.map((b) => (b && b.count > 0 ? b.sum / b.count : null));
  const first = values.findIndex((v) => v !== null);
  if (first < 0) return { startMs: endStep * STEP_MS, values: [] };
  let last = values.length - 1;
  while (values[last] === null) last--;
  return { startMs: (endStep - steps + first) * STEP_MS, values: values.slice(first, last + 1) };
}
