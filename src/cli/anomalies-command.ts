/** `foresight anomalies`: score a NAB-style CSV causally with the anomaly model. */
import { writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { AnomalyModel, DEFAULT_ANOMALY_MODEL } from '../scoring/anomaly-model.js';
import { ForesightError } from '../util/errors.js';
import { progressBar } from './progress.js';
import { cliLogger, executionProviders } from './options.js';

export function anomaliesCommand(): Command {
  return new Command('anomalies')
    .description('score every row of a series causally (the score of row t uses rows t-47 … t) and write timestamp,value,anomaly_score')
    .requiredOption('--input <file>', 'CSV with a header row, e.g. a NAB data file')
    .option('--time-column <name>', 'time column, copied to the output as is', 'timestamp')
    .option('--value-column <name>', 'value column', 'value')
    .requiredOption('--out <file>', 'output CSV')
    .option('--model <file>', 'ONNX anomaly model', DEFAULT_ANOMALY_MODEL)
    .action(async (flags: { input: string; timeColumn: string; valueColumn: string; out: string; model: string }) => {
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
      const model = await AnomalyModel.load(flags.model, await executionProviders(), cliLogger('anomalies'));
      const bar = progressBar('anomalies', values.length);
      const scores = await model.scoreSeries(values, (d) => bar.update(d));
      bar.stop();
      const lines = ['timestamp,value,anomaly_score', ...records.map((r, i) => `${r[flags.timeColumn]},${r[flags.valueColumn]},${+scores[i].toPrecision(6)}`)];
      writeFileSync(flags.out, lines.join('\n') + '\n');
      const above = [...scores].filter((s) => s >= model.info.threshold).length;
      console.log(
        `wrote ${values.length} rows to ${flags.out}; ${above} at or above the model's threshold ${model.info.threshold} (model ${model.info.version})`,
      );
    });
}
