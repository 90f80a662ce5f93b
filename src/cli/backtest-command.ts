/** `foresight backtest`: replay one CSV series causally through the forecaster. */
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { readTrace } from '../replay/csv-trace.js';
import { backtest, backtestCsv } from '../scoring/backtest.js';
import { DEFAULT_MODEL, Forecaster } from '../scoring/forecaster.js';
import { resample } from '../scoring/resample.js';
import { ForesightError } from '../util/errors.js';
import { progressBar } from './progress.js';
import { executionProviders, parsePositiveInt, parsePositiveNumber } from './options.js';
import { createLogger } from '../telemetry/log.js';

interface Flags {
  input: string;
  valueColumn: string;
  timeColumn?: string;
  stepSeconds: number;
  horizonSteps: number;
  out: string;
  model: string;
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
    .action(async (flags: Flags) => {
      const forecaster = await Forecaster.load(flags.model, await executionProviders(), createLogger('backtest'));
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
      writeFileSync(flags.out, backtestCsv(out, flags.timeColumn !== undefined));
      const scored = out.filter((r) => r.q90 !== undefined && r.horizonPeak !== undefined);
      const covered = scored.filter((r) => r.horizonPeak! <= r.q90!).length;
      console.log(`wrote ${out.length} rows to ${flags.out}; q90 coverage ${(covered / Math.max(1, scored.length)).toFixed(3)} over ${scored.length} scored rows (model ${forecaster.info.version})`);
    });
}
