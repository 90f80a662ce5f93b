/**
 * `foresight export-history`: the windows of chosen workloads, from Redis, as CSV traces that
 * `python3 training/train.py --traces DIR` retrains on (issue 13 §2) and `foresight backtest`
 * replays. One file per series (the 5-minute windows' steps, empty where no event fell),
 * and `traces.json`, the manifest training/data.py reads: file → [time column, [demand columns]].
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { requireReachable } from '../service-runtime/reachability.js';
import { ForesightError } from '../util/errors.js';
import { findSeries, fiveMinuteSteps, otherPrefixesHint, STEP_MS } from '../windows/history.js';
import { connectRedis, createRedis } from '../windows/redis-client.js';
import { WindowStore } from '../windows/window-store.js';
import { cliLogger } from './options.js';
import { progressBar } from './progress.js';

interface Flags {
  out: string;
  namespace?: string;
  workload?: string[];
}

export const TIME_COLUMN = 'timestamp_unix_s';
export const VALUE_COLUMN = 'value';

/** A file name for a series id: its parts joined by `--`, anything but letters, digits, `.`, `_` and `-` as `_`. */
export function traceFileName(seriesId: string): string {
  return `${seriesId
    .split('/')
    .map((p) => p.replace(/[^A-Za-z0-9._-]+/g, '_'))
    .join('--')}.csv`;
}

export function traceCsv(startMs: number, values: (number | null)[]): string {
  const lines = [`${TIME_COLUMN},${VALUE_COLUMN}`];
  values.forEach((v, i) => lines.push(`${(startMs + i * STEP_MS) / 1000},${v === null ? '' : v}`));
  return `${lines.join('\n')}\n`;
}

export function exportHistoryCommand(): Command {
  return new Command('export-history')
    .description('write the windows of chosen workloads (from Redis) as CSV traces for python3 training/train.py --traces DIR')
    .requiredOption('--out <dir>', 'folder for the traces (created; files of the same names are overwritten)')
    .option('--namespace <name>', 'only workloads of this namespace')
    .option('--workload <name...>', 'only these workloads: name, namespace/name or cluster/namespace/kind/name')
    .action(async (flags: Flags) => {
      const cfg = loadConfig(process.env);
      await requireReachable(cfg, ['redis']);
      const wanted = flags.workload ?? [];
      const redis = createRedis(cfg.redis, cliLogger('export-history'));
      try {
        await connectRedis(redis, cfg.redis);
        const series = await findSeries(redis, cfg.redis.keyPrefix, { namespace: flags.namespace, workloads: wanted });
        const workloads = new Set(series.map((s) => s.identity.workload));
        const scope = [flags.namespace && `namespace ${flags.namespace}`, wanted.length > 0 && `workloads ${wanted.join(', ')}`].filter(Boolean);
        if (series.length === 0) {
          // the prefix itself empty (e.g. the demo's windows live under demo-<run>): say which prefixes hold series
          const empty = scope.length === 0 || (await findSeries(redis, cfg.redis.keyPrefix)).length === 0;
          const hint = empty ? await otherPrefixesHint(redis, cfg.redis.keyPrefix) : '';
          throw new ForesightError(
            'INPUT_INVALID',
            `no series in the windows under key prefix "${cfg.redis.keyPrefix}"${scope.length ? ` for ${scope.join(' and ')}` : ''} (FORESIGHT_REDIS_KEY_PREFIX, FORESIGHT_REDIS_URL)${hint ? `; ${hint}` : ''}`,
          );
        }
        console.log(
          `exporting ${series.length} series of ${workloads.size} workloads from ${cfg.redis.keyPrefix}${scope.length ? ` (${scope.join(', ')})` : ''} to ${flags.out}`,
        );
        mkdirSync(flags.out, { recursive: true });
        const store = new WindowStore(redis, cfg.redis.keyPrefix);
        const manifest: Record<string, [string, string[]]> = {};
        const ids: Record<string, string> = {};
        const bar = progressBar('export-history', series.length);
        let rows = 0;
        let empty = 0;
        let shortest = Infinity;
        let from = Infinity;
        let to = -Infinity;
        for (const [i, s] of series.entries()) {
          const { startMs, values } = await fiveMinuteSteps(store, s);
          bar.update(i + 1);
          if (values.length === 0) {
            empty++;
            continue;
          }
          let file = traceFileName(s.seriesId);
          for (let k = 2; file in manifest; k++) file = traceFileName(`${s.seriesId}~${k}`); // two ids that only differ in characters a file name cannot hold
          writeFileSync(path.join(flags.out, file), traceCsv(startMs, values));
          manifest[file] = [TIME_COLUMN, [VALUE_COLUMN]];
          ids[file] = s.seriesId;
          rows += values.length;
          shortest = Math.min(shortest, values.length);
          from = Math.min(from, startMs);
          to = Math.max(to, startMs + values.length * STEP_MS);
        }
        bar.stop();
        const files = Object.keys(manifest).length;
        writeFileSync(path.join(flags.out, 'traces.json'), `${JSON.stringify({ traces: manifest, series: ids, step_seconds: STEP_MS / 1000 }, null, 1)}\n`);
        if (empty > 0) console.log(`  ${empty} series had no event left in the five-minute windows (48 h retention) and were skipped`);
        if (files === 0)
          throw new ForesightError('INPUT_INVALID', `none of the ${series.length} series has events in the five-minute windows; nothing to export`);
        console.log(
          `wrote ${files} traces (${rows} five-minute rows, the shortest ${shortest}; ${new Date(from).toISOString()} to ${new Date(to).toISOString()}) and traces.json to ${flags.out}`,
        );
        console.log(`retrain on them: python3 training/train.py --traces ${flags.out} --out ${path.join(flags.out, 'models')}`);
      } finally {
        redis.disconnect();
      }
    });
}
