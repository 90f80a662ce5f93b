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
import { WindowStore } from '../windows/window-store.js';
import { rangeSummary, statsOf } from '../windows/window-query.js';
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
      const store = new WindowStore(redis, cfg.redis.keyPrefix);
      const admin = clients.kafka.admin();
      await admin.connect();
      const partitions = (await admin.fetchTopicOffsets(cfg.topics.metrics)).length;
      await admin.disconnect();
      try {
        // A cluster name per run: each run replays 8 days ending now, so a second run's events
        // would be late against the first run's series (its newest event is minutes old).
        const workload = parseWorkload(WORKLOAD, `demo-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}`);
        const { rows } = readTrace(SAMPLE, { valueColumn: 'cpu_util_percent', stepSeconds: 300 });
        const selected = flags.rows ? rows.slice(0, flags.rows) : rows;
        const seriesId = seriesIdOf({ ...workload, metric: 'cpu_utilization' });
        // Count what the windows hold before, so a second demo run reports its own events.
        const countIn = async (fromMs: number, toMs: number): Promise<number> => {
          const ref = await store.locate(cfg.topics.metrics, partitions, seriesId);
          return ref ? (await rangeSummary(store, ref, seriesId, 'coarse', fromMs, toMs)).summary.count : 0;
        };
        const now = Date.now();
        const span = selected.length * 300_000;
        const before = await countIn(now - span - 3_600_000, now + 3_600_000);

        step(`4/5 replaying ${selected.length} rows of ${path.relative(PROJECT_ROOT, SAMPLE)} (5-minute CPU utilisation, Alibaba 2018, CC-BY-4.0) as ${WORKLOAD}`);
        const bar = progressBar('  replay', selected.length);
        const res = await replayRows(selected, clients.producer, clients.codec, {
          topic: cfg.topics.metrics, workload, metric: 'cpu_utilization', unit: '%', keepTime: false, now, onProgress: (d) => bar.update(d),
        });
        bar.stop();
        console.log(`  produced ${res.produced} events, event time ${new Date(res.firstEventTime).toISOString()} .. ${new Date(res.lastEventTime).toISOString()}`);

        step('5/5 waiting for the processor to apply every event to the windows in Redis');
        const deadline = Date.now() + 120_000;
        const wait = progressBar('  applied', res.produced);
        for (;;) {
          const applied = (await countIn(now - span - 3_600_000, now + 3_600_000)) - before;
          wait.update(Math.min(applied, res.produced));
          if (applied >= res.produced) break;
          if (processor.exitCode !== null) throw new ForesightError('STACK_START_FAILED', `the processor exited with code ${processor.exitCode}; see ${logFile}`);
          if (Date.now() > deadline) throw new ForesightError('STACK_START_FAILED', `the processor applied ${applied} of ${res.produced} events within 120 s; see ${logFile}`);
          await sleep(250);
        }
        wait.stop();
        const ref = (await store.locate(cfg.topics.metrics, partitions, seriesId))!;
        const day = await rangeSummary(store, ref, seriesId, 'fine', now - 24 * 3_600_000, now);
        const week = await rangeSummary(store, ref, seriesId, 'coarse', now - 7 * 24 * 3_600_000, now);
        const fmt = (x: number): string => x.toFixed(1).padStart(6);
        console.log(`\nDone: the processor applied all ${res.produced} events of ${seriesId} (partition ${ref.partition}).`);
        console.log('  window                 buckets  samples    mean     p50     p90     p99     max');
        for (const [label, r] of [['last 24 h, 1-minute', day], ['last 7 days, 1-hour', week]] as const) {
          const st = statsOf(r.summary, r.buckets);
          console.log(`  ${label.padEnd(22)} ${String(st.buckets).padStart(7)} ${String(st.count).padStart(8)} ${fmt(st.mean)}  ${fmt(st.p50)}  ${fmt(st.p90)}  ${fmt(st.p99)}  ${fmt(st.max)}`);
        }
        console.log(`  (quantiles from the windows' log-histogram sketch, within ${(2.44).toFixed(2)}% of the exact values)`);
        console.log(`  first event's trace context: ${res.firstTraceparent ?? '(none)'}`);
        console.log('  the stack is still running: `foresight stack status`, `foresight stack down`');
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
