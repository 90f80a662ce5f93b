/**
 * Reading a CSV trace into (event time, value) rows. With a time column, each cell is unix
 * seconds, unix milliseconds (13+ digits) or a date-time (ISO 8601 or "YYYY-MM-DD HH:MM:SS",
 * read as UTC when it names no zone). Without one, row i is at i × step. Rows whose value is empty or not a number
 * are reported and skipped.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ForesightError } from '../util/errors.js';
import { parseIsoTime } from '../util/iso-time.js';

export interface TraceRow {
  timeMs: number;
  value: number;
}

export interface TraceOptions {
  valueColumn: string;
  timeColumn?: string;
  stepSeconds: number;
}

export function parseTime(cell: string): number {
  const s = cell.trim();
  if (/^\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    return s.split('.')[0].length >= 13 ? n : n * 1000;
  }
  // ISO 8601 (UTC without a zone) through the one reader of it; other notations as Date.parse reads them
  const t = /^\d{4}-\d{2}-\d{2}/.test(s) ? parseIsoTime(s) : Date.parse(s);
  if (typeof t !== 'number') throw new Error(`not a time: ${JSON.stringify(cell)} is ${t.problem}`);
  if (Number.isNaN(t)) throw new Error(`not a time: ${JSON.stringify(cell)}`);
  return t;
}

export function readTrace(file: string, opts: TraceOptions): { rows: TraceRow[]; skipped: number } {
  let records: Record<string, string>[];
  try {
    records = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true, trim: true });
  } catch (err) {
    throw new ForesightError('INPUT_INVALID', `${file}: cannot read as CSV: ${(err as Error).message}`);
  }
  if (records.length === 0) throw new ForesightError('INPUT_INVALID', `${file}: no data rows`);
  const columns = Object.keys(records[0]);
  for (const col of [opts.valueColumn, opts.timeColumn].filter((c): c is string => c !== undefined)) {
    if (!columns.includes(col)) throw new ForesightError('INPUT_INVALID', `${file}: no column ${JSON.stringify(col)}; columns are ${columns.join(', ')}`);
  }
  const rows: TraceRow[] = [];
  let skipped = 0;
  records.forEach((rec, i) => {
    const value = Number(rec[opts.valueColumn]);
    if (rec[opts.valueColumn] === '' || !Number.isFinite(value)) {
      skipped++;
      return;
    }
    let timeMs: number;
    try {
      timeMs = opts.timeColumn ? parseTime(rec[opts.timeColumn]) : i * opts.stepSeconds * 1000;
    } catch (err) {
      throw new ForesightError('INPUT_INVALID', `${file}: row ${i + 2}, column ${opts.timeColumn}: ${(err as Error).message}`);
    }
    rows.push({ timeMs, value });
  });
  return { rows, skipped };
}
