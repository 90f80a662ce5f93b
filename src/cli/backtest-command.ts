/** `foresight backtest`: replay one CSV series causally through the forecaster. */
import { readFileSync, writeFileSync } from 'node:fs';
import { planCapacity, type CapacityStep } from '../policy/capacity-plan.js';
import { summarisePlan } from '../policy/backtest-summary.js';
import { parsePolicyFile } from '../policy/policy-loader.js';
import { PolicySet } from '../policy/policy-set.js';
import { Command, Option } from 'commander';
import { readTrace } from '../replay/csv-trace.js';
import { backtest, backtestCsv } from '../scoring/backtest.js';
import { DEFAULT_MODEL, Forecaster } from '../scoring/forecaster.js';
import { resample } from '../scoring/resample.js';
import { ForesightError } from '../util/errors.js';
import { progressBar } from './progress.js';
import { cliLogger, executionProviders, parseFraction, parsePositiveInt, parsePositiveNumber } from './options.js';

interface Flags {
  input: string;
  valueColumn: string;
  timeColumn?: string;
  stepSeconds: number;
  horizonSteps: number;
  out: string;
  model: string;
  policy?: string;
  scoreFrom: number;
}

export function backtestCommand(): Command {
  return new Command('backtest')
    .description('replay one series causally through the forecaster and write timestamp,actual,horizon_peak,q50,q90,q99')
    .requiredOption('--input <file>', 'CSV file with a header row')
    .requiredOption('--value-column <name>', 'column holding the demand')
    .option('--time-column <name>', 'time column (unix s/ms or date-time); irregular times are resampled to the step')
    .addOption(new Option('--step-seconds <n>', 'step of the series (the model is trained on 300)').argParser(parsePositiveNumber).default(300))
    .addOption(new Option('--horizon-steps <n>', 'forecast horizon in steps (the model is trained on 12)').argParser(parsePositiveInt).default(12))
    .requiredOption('--out <file>', 'output CSV')
    .option('--model <file>', 'ONNX forecaster', DEFAULT_MODEL)
    .option('--policy <file>', 'a policy file: also write the recommended capacity per row and print a summary against static peak and VPA-style provisioning')
    .addOption(new Option('--score-from <fraction>', 'summarise only rows from this fraction of the series on (0.8: the held-out tail)').argParser(parseFraction).default(0))
    .action(async (flags: Flags) => {
      const forecaster = await Forecaster.load(flags.model, await executionProviders(), cliLogger('backtest'));
      if (flags.horizonSteps !== forecaster.horizonSteps) {
        throw new ForesightError('INPUT_INVALID', `--horizon-steps ${flags.horizonSteps}: the model ${forecaster.info.version} forecasts a ${forecaster.horizonSteps}-step horizon; retrain it (training/train.py) for another`);
      }
      const stepMs = flags.stepSeconds * 1000;
      const { rows, skipped } = readTrace(flags.input, { valueColumn: flags.valueColumn, timeColumn: flags.timeColumn, stepSeconds: flags.stepSeconds });
      if (skipped > 0) console.error(`skipped ${skipped} rows without a numeric ${flags.valueColumn}`);
      const { startMs, values } = resample(rows, stepMs);
      if (values.length !== rows.length) console.error(`resampled ${rows.length} rows onto ${values.length} steps of ${flags.stepSeconds} s (bucket means, gaps forward-filled)`);
      if (values.length < forecaster.historySteps) throw new ForesightError('INPUT_INVALID', `${flags.input}: ${values.length} steps; the forecaster needs at least ${forecaster.historySteps} (24 hours)`);
      const bar = progressBar('backtest', values.length - forecaster.historySteps + 1);
      const out = await backtest(values, startMs, stepMs, forecaster, (d) => bar.update(d));
      bar.stop();
      let plan: (CapacityStep | undefined)[] | undefined;
      if (flags.policy) {
        const [policyFile] = parsePolicyFile(flags.policy, readFileSync(flags.policy, 'utf8'));
        const policy = new PolicySet([{ file: flags.policy, policy: { ...policyFile, scope: {} } }]).resolve({ namespace: '-', kind: '-', name: '-' });
        plan = planCapacity(out, policy, stepMs, values);
      }
      writeFileSync(flags.out, backtestCsv(out, flags.timeColumn !== undefined, plan?.map((p) => p?.capacity)));
      if (plan) {
        const summary = summarisePlan(values, plan, stepMs, Math.floor(values.length * flags.scoreFrom));
        console.log(`policy ${flags.policy}: ${summary.rows} rows, under-provisioned ${(100 * summary.under_provisioned_share).toFixed(2)}% (VPA-style ${(100 * summary.vpa_under_provisioned_share).toFixed(2)}%), mean slack ${(100 * summary.mean_slack).toFixed(1)}%, capacity-hours ${summary.capacity_hours} = ${(100 * summary.saving_vs_static_peak).toFixed(1)}% below static peak, ${(100 * summary.saving_vs_vpa).toFixed(1)}% below VPA-style`);
        console.log(JSON.stringify(summary));
      }
      const scored = out.filter((r) => r.q90 !== undefined && r.horizonPeak !== undefined);
      const covered = scored.filter((r) => r.horizonPeak! <= r.q90!).length;
      console.log(`wrote ${out.length} rows to ${flags.out}; q90 coverage ${(covered / Math.max(1, scored.length)).toFixed(3)} over ${scored.length} scored rows (model ${forecaster.info.version})`);
    });
}
