/**
 * LLM request traces (data/samples/azure_llm_conv_15min.csv: Azure LLM inference trace 2023,
 * CC-BY-4.0) as the demand of a model server: one row per request, `TIMESTAMP` (UTC),
 * `ContextTokens` (prompt), `GeneratedTokens` (output), summed into steps.
 *
 * `serveSteps` plays the trace through a server of fixed replicas with a per-replica token
 * throughput, as a fluid queue: what a step brings and what was left waiting is served up to
 * the step's capacity; the rest waits. Requests waiting = tokens waiting ÷ the trace's mean
 * tokens per request. It is a model of a server, not a measurement of one: it turns the real
 * arrivals into the queue depth a server of that size would have shown.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ForesightError } from '../util/errors.js';
import { parseTime } from './csv-trace.js';

export interface DemandStep {
  startMs: number;
  requests: number;
  promptTokens: number;
  generatedTokens: number;
}

/** Requests summed into steps of `stepSeconds` from the first request's step; empty steps included. */
export function demandSteps(csv: string, stepSeconds: number, source = 'trace'): DemandStep[] {
  const records = parse(csv, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const stepMs = stepSeconds * 1000;
  const steps: DemandStep[] = [];
  let first: number | undefined;
  records.forEach((r, i) => {
    const t = parseTime(r.TIMESTAMP ?? '');
    const prompt = Number(r.ContextTokens);
    const generated = Number(r.GeneratedTokens);
    if (!Number.isFinite(prompt) || !Number.isFinite(generated) || prompt < 0 || generated < 0)
      throw new ForesightError('INPUT_INVALID', `${source}: row ${i + 2}: ContextTokens and GeneratedTokens must be token counts`);
    first ??= Math.floor(t / stepMs) * stepMs;
    const k = Math.floor((t - first) / stepMs);
    if (k < 0) throw new ForesightError('INPUT_INVALID', `${source}: row ${i + 2}: requests must be in time order`);
    while (steps.length <= k) steps.push({ startMs: first + steps.length * stepMs, requests: 0, promptTokens: 0, generatedTokens: 0 });
    steps[k].requests++;
    steps[k].promptTokens += prompt;
    steps[k].generatedTokens += generated;
  });
  return steps;
}

export function readLlmTrace(file: string, stepSeconds: number): DemandStep[] {
  return demandSteps(readFileSync(file, 'utf8'), stepSeconds, file);
}

export interface ServedStep {
  /** generated tokens per second arriving and served */
  demand: number;
  served: number;
  /** requests waiting at the step's end */
  queue: number;
}

export function serveSteps(steps: readonly DemandStep[], stepSeconds: number, replicas: number, perReplicaThroughput: number): ServedStep[] {
  const tokens = steps.reduce((a, s) => a + s.generatedTokens, 0);
  const requests = steps.reduce((a, s) => a + s.requests, 0);
  const perRequest = requests > 0 ? tokens / requests : 1;
  const capacity = replicas * perReplicaThroughput * stepSeconds;
  let backlog = 0;
  return steps.map((s) => {
    const work = backlog + s.generatedTokens;
    const served = Math.min(work, capacity);
    backlog = work - served;
    return { demand: s.generatedTokens / stepSeconds, served: served / stepSeconds, queue: Math.round(backlog / perRequest) };
  });
}
