/** Test inputs from the shipped traces and the known-events file. */
import path from 'node:path';
import { parseEventsFile } from '../../src/policy/events.js';
import { readTrace } from '../../src/replay/csv-trace.js';
import { PROJECT_ROOT } from '../../src/util/paths.js';

const STEP = 300_000;

/**
 * The first `rows` 5-minute values of the shipped Alibaba trace's CPU column (3 decimals: exact
 * through the windows), timed so that the last one's step starts `rows` steps before now.
 */
export function alibabaEndingNow(rows: number): { values: number[]; times: number[]; start: number } {
  const read = readTrace(path.join(PROJECT_ROOT, 'data', 'samples', 'alibaba2018_cluster_avg_5min.csv'), { valueColumn: 'cpu_util_percent', stepSeconds: 300 });
  const values = read.rows.slice(0, rows).map((r) => Math.round(r.value * 1000) / 1000);
  const start = Math.floor(Date.now() / STEP) * STEP - rows * STEP;
  return { values, times: values.map((_, i) => start + i * STEP), start };
}

/** The error parsing a known-events file gives ("FILE:LINE: field: problem"), or 'accepted'. */
export function eventsFileError(text: string): string {
  try {
    parseEventsFile('policies/events.yaml', text);
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
}
