/** `foresight replay`: produce a CSV trace to metrics.v1 as one workload's metric. */
import { Command, Option } from 'commander';
import { loadConfig } from '../config/config.js';
import { readTrace } from '../replay/csv-trace.js';
import { parseWorkload, replayRows } from '../replay/replay.js';
import { connectClients } from '../service-runtime/clients.js';
import { requireReachable } from '../service-runtime/reachability.js';
import { createLogger } from '../telemetry/log.js';
import { setupTelemetry } from '../telemetry/otel.js';
import { parsePositiveInt, parsePositiveNumber } from './options.js';
import { progressBar } from './progress.js';

interface ReplayFlags {
  input: string;
  valueColumn: string;
  timeColumn?: string;
  stepSeconds: number;
  workload: string;
  cluster: string;
  metric: string;
  unit: string;
  speed?: number;
  keepTime?: boolean;
  fromStart?: boolean;
  limit?: number;
}

export function replayCommand(): Command {
  return new Command('replay')
    .description("produce a CSV trace to the metrics topic as one workload's metric (Avro, with trace context)")
    .requiredOption('--input <file>', 'CSV file with a header row')
    .requiredOption('--value-column <name>', 'column holding the metric value')
    .option('--time-column <name>', 'column holding the time (unix s/ms or date-time); without it row i is at i × step')
    .addOption(new Option('--step-seconds <n>', 'spacing of rows when there is no time column').argParser(parsePositiveNumber).default(300))
    .requiredOption('--workload <ns/kind/name[/container]>', 'the workload the samples belong to, e.g. shop/Deployment/checkout/app')
    .option('--cluster <name>', 'cluster name', 'local')
    .requiredOption('--metric <name>', 'metric name, e.g. cpu_usage')
    .option('--unit <ucum>', 'unit of the values (UCUM, as OpenTelemetry uses it)', '1')
    .addOption(new Option('--speed <x>', 'pace at x times real time (default: as fast as possible)').argParser(parsePositiveNumber))
    .option('--keep-time', "keep the file's event times instead of shifting the trace to end now")
    .option('--from-start', 'shift the trace so that its first row is now (a live run; use with --speed) instead of its last row')
    .addOption(new Option('--limit <n>', 'replay only the first n rows').argParser(parsePositiveInt))
    .action(async (flags: ReplayFlags) => {
      const cfg = loadConfig();
      await requireReachable(cfg, ['kafka', 'registry']);
      const log = createLogger('replay', cfg.telemetry.logLevel);
      setupTelemetry('replay', cfg.telemetry.otlpEndpoint);
      const workload = parseWorkload(flags.workload, flags.cluster);
      const { rows, skipped } = readTrace(flags.input, { valueColumn: flags.valueColumn, timeColumn: flags.timeColumn, stepSeconds: flags.stepSeconds });
      const selected = flags.limit ? rows.slice(0, flags.limit) : rows;
      if (skipped > 0) console.error(`skipped ${skipped} rows without a numeric ${flags.valueColumn}`);
      const clients = await connectClients(cfg, log, 'replay');
      const bar = progressBar('replay', selected.length);
      try {
        const res = await replayRows(selected, clients.producer, clients.codec, {
          topic: cfg.topics.metrics,
          workload,
          metric: flags.metric,
          unit: flags.unit,
          keepTime: flags.keepTime ?? false,
          anchor: flags.fromStart ? 'start' : 'end',
          speed: flags.speed,
          onProgress: (done) => bar.update(done),
        });
        bar.stop();
        console.log(
          `produced ${res.produced} samples of ${res.seriesId} to ${cfg.topics.metrics}, event time ${new Date(res.firstEventTime).toISOString()} .. ${new Date(res.lastEventTime).toISOString()}`,
        );
        console.log(`first event's trace context: ${res.firstTraceparent ?? '(none)'}`);
      } finally {
        await clients.producer.disconnect();
      }
    });
}
