/**
 * `foresight demo`: the main job end to end on the local stack, for a first look. It brings
 * the stack up, registers the schemas, starts the processor, replays a real trace (shipped in
 * data/samples) as one workload's CPU utilisation, waits until the processor has applied
 * every event, and prints what happened. The stack stays up afterwards.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { seriesIdOf } from '../codec/metric-sample.js';
import { loadConfig } from '../config/config.js';
import { readTrace } from '../replay/csv-trace.js';
import { parseWorkload, replayRows } from '../replay/replay.js';
import { connectClients } from '../service/clients.js';
import { formatStatus, stackUp } from '../stack/stack.js';
import { loadStackConfig, stackEnv } from '../stack/stack-config.js';
import { createLogger } from '../telemetry/log.js';
import { setupTelemetry } from '../telemetry/otel.js';
import { ForesightError } from '../util/errors.js';
import { PROJECT_ROOT } from '../util/paths.js';
import { sleep } from '../util/retry.js';
import { createRedis } from '../windows/redis-client.js';
import { TotalsStore } from '../windows/totals-store.js';
import { parsePositiveInt } from './options.js';
import { progressBar } from './progress.js';

const SAMPLE = path.join(PROJECT_ROOT, 'data', 'samples', 'alibaba2018_cluster_avg_5min.csv');
const WORKLOAD = 'shop/Deployment/checkout/app';

export function demoCommand(): Command {
  return new Command('demo')
    .description('run the pipeline end to end on the local stack with a real trace, and print what it did')
    .addOption(new Option('--rows <n>', 'replay only the first n rows of the trace').argParser(parsePositiveInt))
    .action(async (flags: { rows?: number }) => {
      const stackCfg = loadStackConfig();
      step('1/5 starting the local stack (Kafka, Schema Registry, Redis)');
      console.log(formatStatus(await stackUp(stackCfg, (m) => console.log(`  ${m}`))));

      const env = { ...process.env, ...stackEnv(stackCfg) };
      const cfg = loadConfig(env);
      const log = createLogger('demo', 'warn');
      setupTelemetry('demo');
      step('2/5 registering the Avro schemas and creating the topics');
      const clients = await connectClients(cfg, log, 'demo');
      for (const [name, id] of Object.entries(clients.schemaIds)) console.log(`  ${name.padEnd(15)} schema id ${id}`);

      step('3/5 starting the processor');
      const logDir = path.join(stackCfg.dir, 'demo');
      mkdirSync(logDir, { recursive: true });
      const logFile = path.join(logDir, 'processor.log');
      const fd = openSync(logFile, 'a');
      const processor = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'foresight.js'), 'processor'], {
        env: { ...env, FORESIGHT_HTTP_PORT: '0' },
        stdio: ['ignore', fd, fd],
      });
      console.log(`  pid ${processor.pid}, logs in ${logFile}`);

      const redis = createRedis(cfg.redis, log);
      await redis.connect();
      const store = new TotalsStore(redis, cfg.redis.keyPrefix);
      try {
        const workload = parseWorkload(WORKLOAD, 'local');
        const { rows } = readTrace(SAMPLE, { valueColumn: 'cpu_util_percent', stepSeconds: 300 });
        const selected = flags.rows ? rows.slice(0, flags.rows) : rows;
        const seriesBefore = (await store.totals(cfg.topics.metrics)).get(seriesIdOf({ ...workload, metric: 'cpu_utilization' }));

        step(`4/5 replaying ${selected.length} rows of ${path.relative(PROJECT_ROOT, SAMPLE)} (5-minute CPU utilisation, Alibaba 2018, CC-BY-4.0) as ${WORKLOAD}`);
        const bar = progressBar('  replay', selected.length);
        const res = await replayRows(selected, clients.producer, clients.codec, {
          topic: cfg.topics.metrics, workload, metric: 'cpu_utilization', unit: '%', keepTime: false, onProgress: (d) => bar.update(d),
        });
        bar.stop();
        console.log(`  produced ${res.produced} events, event time ${new Date(res.firstEventTime).toISOString()} .. ${new Date(res.lastEventTime).toISOString()}`);

        step('5/5 waiting for the processor to apply every event to Redis');
        const before = seriesBefore ?? { count: 0, sum: 0 };
        const expectedSum = selected.reduce((a, r) => a + r.value, 0);
        const deadline = Date.now() + 120_000;
        const wait = progressBar('  applied', res.produced);
        for (;;) {
          const now = (await store.totals(cfg.topics.metrics)).get(res.seriesId);
          const applied = (now?.count ?? 0) - before.count;
          wait.update(Math.min(applied, res.produced));
          if (applied >= res.produced) {
            wait.stop();
            const sum = (now?.sum ?? 0) - before.sum;
            console.log(`\nDone. The processor applied ${applied} of ${res.produced} events of series ${res.seriesId}`);
            console.log(`  mean CPU utilisation ${(sum / applied).toFixed(2)}% (expected from the file: ${(expectedSum / selected.length).toFixed(2)}%)`);
            console.log(`  Redis keys ${store.keys(cfg.topics.metrics, 0).totals.replace(':0}', ':<partition>}')} hold the per-series totals; ...:applied the applied offsets`);
            console.log(`  first event's trace context: ${res.firstTraceparent ?? '(none)'}`);
            console.log('  the stack is still running: `foresight stack status`, `foresight stack down`');
            break;
          }
          if (processor.exitCode !== null) throw new ForesightError('STACK_START_FAILED', `the processor exited with code ${processor.exitCode}; see ${logFile}`);
          if (Date.now() > deadline) throw new ForesightError('STACK_START_FAILED', `the processor applied ${applied} of ${res.produced} events within 120 s; see ${logFile}`);
          await sleep(250);
        }
      } finally {
        processor.kill('SIGTERM');
        await new Promise((r) => (processor.exitCode !== null ? r(undefined) : processor.once('exit', r)));
        await clients.producer.disconnect();
        redis.disconnect();
      }
    });
}

function step(msg: string): void {
  console.log(`\n== ${msg}`);
}
