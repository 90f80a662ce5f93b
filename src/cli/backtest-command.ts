/** `foresight backtest`: replay one CSV series causally through the forecaster. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import { analyseSeries } from '../report/series-panel.js';
import { backtestHtml } from '../report/report-html.js';
import { planCapacity, type CapacityStep } from '../policy/capacity-plan.js';
import { summarisePlan } from '../policy/backtest-summary.js';
import { eventMultiplier, parseEventsFile, type KnownEvent } from '../policy/events.js';
import { dayPeaksOfSteps, likeMultiplierAt } from '../policy/day-peaks.js';
import { parsePolicyFile } from '../policy/policy-loader.js';
import { PolicySet } from '../policy/policy-set.js';
import { Command, Option } from 'commander';
import { readTrace } from '../replay/csv-trace.js';
import { backtest, backtestCsv, recalibrated } from '../scoring/backtest.js';
import { DEFAULT_MODEL, Forecaster } from '../scoring/forecaster.js';
import { resample } from '../scoring/resample.js';
import { ForesightError } from '../util/errors.js';
import { progressBar } from './progress.js';
import { cliLogger, executionProviders, parseFraction, parseFractionUpTo1, parsePositiveInt, parsePositiveNumber } from './options.js';

interface Flags {
  input: string;
  valueColumn: string;
  timeColumn?: string;
  stepSeconds: number;
  horizonSteps: number;
  out: string;
  model: string;
  policy?: string;
  defaultPolicy?: boolean;
  events?: string;
  scoreFrom: number;
  scoreTo: number;
  html?: string;
}

/** A path as the help shows it: relative to the working folder when inside it. */
const shortPath = (p: string): string => (path.relative(process.cwd(), p).startsWith('..') ? p : path.relative(process.cwd(), p));

export function backtestCommand(): Command {
  return new Command('backtest')
    .description('replay one series causally through the forecaster and write timestamp,actual,horizon_peak,q50,q90,q99')
    .requiredOption('--input <file>', 'CSV file with a header row')
    .requiredOption('--value-column <name>', 'column holding the demand')
    .option('--time-column <name>', 'time column (unix s/ms or date-time); irregular times are resampled to the step')
    .addOption(new Option('--step-seconds <n>', 'step of the series (the model is trained on 300)').argParser(parsePositiveNumber).default(300))
    .addOption(new Option('--horizon-steps <n>', 'forecast horizon in steps (the model is trained on 12)').argParser(parsePositiveInt).default(12))
    .requiredOption('--out <file>', 'output CSV')
    .addOption(new Option('--model <file>', 'ONNX forecaster').default(DEFAULT_MODEL, shortPath(DEFAULT_MODEL)))
    .option(
      '--policy <file>',
      'a policy file (over the built-in defaults): also write the recommended capacity per row and print the summary against the scaled VPA-style baseline and the attainable saving',
    )
    .option('--default-policy', 'as --policy, with the built-in defaults only (the policy a user gets without writing one)')
    .option(
      '--html <file>',
      'also write a self-contained HTML page: demand, forecast band, capacity, the baselines and the summary (uses --policy, else the built-in defaults)',
    )
    .option(
      '--events <file>',
      'with --policy or --default-policy: a known-events file (policies/events.yaml) whose events raise the capacity as in the live loop (their scope is ignored: the replayed series is the workload)',
    )
    .addOption(
      new Option('--score-from <fraction>', 'summarise only rows from this fraction of the series on (0.8: the held-out tail)')
        .argParser(parseFraction)
        .default(0),
    )
    .addOption(
      new Option('--score-to <fraction>', 'summarise only rows before this fraction of the series (0.8 with --score-from 0.6: the validation rows)')
        .argParser(parseFractionUpTo1)
        .default(1),
    )
    .action(async (flags: Flags) => {
      const forecaster = await Forecaster.load(flags.model, await executionProviders(), cliLogger('backtest'));
      if (flags.horizonSteps !== forecaster.horizonSteps) {
        throw new ForesightError(
          'INPUT_INVALID',
          `--horizon-steps ${flags.horizonSteps}: the model ${forecaster.info.version} forecasts a ${forecaster.horizonSteps}-step horizon; retrain it (training/train.py) for another`,
        );
      }
      if (flags.events && !flags.policy && !flags.defaultPolicy && !flags.html)
        throw new ForesightError('INPUT_INVALID', `--events ${flags.events}: events raise a policy's capacity plan; add --policy FILE or --default-policy`);
      if (flags.scoreTo <= flags.scoreFrom)
        throw new ForesightError('INPUT_INVALID', `--score-to ${flags.scoreTo} must be above --score-from ${flags.scoreFrom}`);
      const stepMs = flags.stepSeconds * 1000;
      const { rows, skipped } = readTrace(flags.input, { valueColumn: flags.valueColumn, timeColumn: flags.timeColumn, stepSeconds: flags.stepSeconds });
      if (skipped > 0) console.error(`skipped ${skipped} rows without a numeric ${flags.valueColumn}`);
      const { startMs, values } = resample(rows, stepMs);
      if (values.length !== rows.length)
        console.error(`resampled ${rows.length} rows onto ${values.length} steps of ${flags.stepSeconds} s (bucket means, gaps forward-filled)`);
      // shorter than a day is fine: as live, the steps before the first row take its value
      if (values.length < 2) throw new ForesightError('INPUT_INVALID', `${flags.input}: ${values.length} step; a backtest needs at least 2`);
      const bar = progressBar('backtest', values.length);
      const out = await backtest(values, startMs, stepMs, forecaster, (d) => bar.update(d));
      bar.stop();
      const model = { stepMs, horizonSteps: forecaster.horizonSteps, ...forecaster.online };
      let plan: (CapacityStep | undefined)[] | undefined;
      // the rows the plan was made from (with the events' raises): the --html page draws the same plan
      let planned: typeof out = out;
      let policy: ResolvedPolicy | undefined;
      const policyName = flags.policy ?? 'built-in defaults';
      if (flags.policy || flags.defaultPolicy || flags.html) {
        const files = flags.policy
          ? parsePolicyFile(flags.policy, readFileSync(flags.policy, 'utf8')).map((policy) => ({ file: flags.policy!, policy: { ...policy, scope: {} } }))
          : [];
        policy = new PolicySet(files).resolve({ namespace: '-', kind: '-', name: '-' });
        // the events file's scopes do not apply: the replayed series stands for the one workload
        const events = flags.events ? parseEventsFile(flags.events, readFileSync(flags.events, 'utf8')).map((e) => ({ ...e, scope: {} })) : [];
        const horizonMs = forecaster.horizonSteps * stepMs;
        const who = { namespace: '-', workload: '-' };
        // an event `like` a past day: the raise that day shows in the replayed rows, as the live loop reads it from its daily peaks
        const peaks = dayPeaksOfSteps(values, startMs, stepMs);
        const likeOf = (stepEndMs: number) => (e: KnownEvent) => {
          const res = e.like && likeMultiplierAt((d) => peaks.get(d), e.like, stepEndMs);
          return res && 'multiplier' in res ? res.multiplier : undefined;
        };
        for (const e of events.filter((x) => x.like)) {
          const res = likeMultiplierAt((d) => peaks.get(d), e.like!, e.startMs);
          console.error(
            'multiplier' in res
              ? `event ${e.name}: like ${e.like!.text}, ×${res.multiplier} (its busiest hour over the median daily peak of the 28 days before)`
              : `event ${e.name}: like ${e.like!.text} cannot be measured from the rows (${res.missing}${flags.timeColumn === undefined ? '; without --time-column the rows have no dates' : ''}): ${e.multiplier !== undefined ? `its declared multiplier ${e.multiplier} applies` : 'no raise'}`,
          );
        }
        planned = events.length
          ? out.map((r, i) => ({ ...r, event: { ...eventMultiplier(events, who, r.stepEndMs, horizonMs, likeOf(r.stepEndMs)), observedSteps: i + 1 } }))
          : out;
        plan = planCapacity(planned, policy, model);
      }
      const forecasts = plan ? plan.map((p) => p!.forecast) : recalibrated(out, stepMs, forecaster.horizonSteps, model.gamma, model.mix);
      writeFileSync(flags.out, backtestCsv(out, forecasts, flags.timeColumn !== undefined, plan));
      if (plan) {
        const s = summarisePlan(values, plan, stepMs, Math.floor(values.length * flags.scoreFrom), Math.floor(values.length * flags.scoreTo));
        const pct = (x: number, d = 1): string => `${(100 * x).toFixed(d)}%`;
        console.log(
          `policy ${policyName}: ${s.rows} rows from ${flags.scoreFrom}${flags.scoreTo < 1 ? ` to ${flags.scoreTo}` : ''}: under-provisioned ${pct(s.under_provisioned_share, 2)} (goal ≤ 1%); capacity-hours ${s.capacity_hours} = ${pct(s.saving_vs_scaled_vpa)} below the VPA-style baseline scaled ×${s.vpa_scale} to the same under-provisioned share (goal > 0); ${pct(s.attainable_saving_share)} of the attainable saving (goal ≥ 50%; static peak ${s.static_peak_capacity_hours}, oracle ${s.oracle_capacity_hours}, ${pct(s.saving_vs_static_peak)} below static peak); ${s.changes_per_day.toFixed(1)} changes per day`,
        );
        console.log(JSON.stringify(s));
      }
      if (flags.html) {
        const panel = await analyseSeries(Float64Array.from(values), startMs, stepMs, forecaster, policy!, {
          anomaly: policy!.anomaly,
          fromRow: Math.floor(values.length * flags.scoreFrom),
          rows: planned,
        });
        writeFileSync(
          flags.html,
          backtestHtml({
            input: path.basename(flags.input),
            column: flags.valueColumn,
            policy: policyName,
            scoreFrom: flags.scoreFrom,
            panel,
            elapsed: flags.timeColumn === undefined,
          }),
        );
        console.log(`wrote ${flags.html}`);
      }
      const scored = out.map((r, i) => ({ peak: r.horizonPeak, q90: forecasts[i].q90 })).filter((r) => r.peak !== undefined);
      const covered = scored.filter((r) => r.peak! <= r.q90).length;
      console.log(
        `wrote ${out.length} rows to ${flags.out}; q90 coverage ${(covered / Math.max(1, scored.length)).toFixed(3)} over all ${scored.length} rows with a known next-hour peak (the policy figures and the --html page cover the rows from --score-from) (model ${forecaster.info.version})`,
      );
    });
}
