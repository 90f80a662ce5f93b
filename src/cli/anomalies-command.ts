/** `foresight anomalies`: score a NAB-style CSV causally with the anomaly detector that serving uses. */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { Command } from 'commander';
import { ANOMALY_THRESHOLD, ANOMALY_VERSION, ANOMALY_WINDOW, anomalyScores } from '../scoring/anomaly-detector.js';
import { ForesightError } from '../util/errors.js';
import { parseTime } from '../replay/csv-trace.js';

/** The time column in ms (as trace files are read: epoch s or ms, ISO 8601 UTC unless it names a zone); undefined when a row does not parse. */
function parseTimes(stamps: string[]): number[] | undefined {
  const ms: number[] = [];
  for (const s of stamps) {
    try {
      ms.push(parseTime(s));
    } catch {
      return undefined;
    }
  }
  return ms;
}

/** Steps per day from the median spacing of the times. */
function inferStepsPerDay(ms: number[] | undefined): number | undefined {
  if (!ms || ms.length < 2) return undefined;
  const gaps = ms
    .slice(1)
    .map((x, i) => x - ms[i])
    .sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)];
  return median > 0 ? Math.round(86_400_000 / median) : undefined;
}

export function anomaliesCommand(): Command {
  return new Command('anomalies')
    .description(`score every row of a series causally (row t from rows t-${ANOMALY_WINDOW - 1} … t) and write timestamp,value,anomaly_score`)
    .requiredOption('--input <file>', 'CSV with a header row, e.g. a NAB data file')
    .option('--time-column <name>', 'time column, copied to the output as is', 'timestamp')
    .option('--value-column <name>', 'value column', 'value')
    .option('--steps-per-day <n>', 'rows per day (default: from the time column, else 288)')
    .requiredOption('--out <file>', 'output CSV')
    .action((flags: { input: string; timeColumn: string; valueColumn: string; stepsPerDay?: string; out: string }) => {
      const records = parse(readFileSync(flags.input, 'utf8'), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
      if (records.length === 0) throw new ForesightError('INPUT_INVALID', `${flags.input}: no data rows`);
      for (const c of [flags.timeColumn, flags.valueColumn]) {
        if (!(c in records[0]))
          throw new ForesightError('INPUT_INVALID', `${flags.input}: no column ${JSON.stringify(c)}; columns are ${Object.keys(records[0]).join(', ')}`);
      }
      const values = records.map((r, i) => {
        const v = Number(r[flags.valueColumn]);
        if (r[flags.valueColumn] === '' || !Number.isFinite(v))
          throw new ForesightError(
            'INPUT_INVALID',
            `${flags.input}: row ${i + 2}: ${flags.valueColumn} ${JSON.stringify(r[flags.valueColumn])} is not a number`,
          );
        return v;
      });
      const times = parseTimes(records.map((r) => r[flags.timeColumn]));
      let perDay = inferStepsPerDay(times) ?? 288;
      if (flags.stepsPerDay !== undefined) {
        perDay = Number(flags.stepsPerDay);
        if (!Number.isInteger(perDay) || perDay < 1)
          throw new ForesightError('INPUT_INVALID', `--steps-per-day: ${flags.stepsPerDay} is not a positive integer`);
      }
      // the long memory needs the rows' clock hours: without parseable times, the window's range alone
      const scores = anomalyScores(
        values,
        perDay,
        times?.map((ms) => ms / 1000),
      );
      const lines = ['timestamp,value,anomaly_score', ...records.map((r, i) => `${r[flags.timeColumn]},${r[flags.valueColumn]},${+scores[i].toPrecision(6)}`)];
      writeFileSync(flags.out, lines.join('\n') + '\n');
      const above = [...scores].filter((s) => s >= ANOMALY_THRESHOLD).length;
      console.log(
        `wrote ${values.length} rows to ${flags.out}; ${perDay} steps per day${times ? '' : ' (times not parsed: no long memory)'}; ${above} at or above the serving threshold ${ANOMALY_THRESHOLD} (${ANOMALY_VERSION})`,
      );
    });
}
