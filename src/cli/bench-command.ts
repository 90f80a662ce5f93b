/** `foresight bench ...`: benchmarks that print their figures, the last line one JSON object. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { benchIngest } from '../bench/ingest-bench.js';
import { benchPipeline } from '../bench/pipeline-bench.js';
import { benchScore } from '../bench/score-bench.js';
import { benchMemory } from '../bench/memory-bench.js';
import { benchScale, type ScaleBenchOptions } from '../bench/scale-bench.js';
import type { Provider } from '../scoring/onnx-session.js';
import { loadConfig } from '../config/config.js';
import { requireReachable, type StackService } from '../service-runtime/reachability.js';
import { parseNonNegativeInt, parseNonNegativeNumber, parsePositiveInt } from './options.js';

function parseProviders(value: string): Provider[] {
  const list = value.split(',').map((x) => x.trim());
  const bad = list.find((x) => x !== 'cuda' && x !== 'cpu');
  if (bad !== undefined || list.length === 0) throw new InvalidArgumentError(`expected a list of cuda, cpu; got ${JSON.stringify(bad ?? value)}`);
  return list as Provider[];
}

/** A benchmark on the stack stops at once, in one line, when a service it uses does not answer. */
const needs = (services: StackService[]) => async (): Promise<void> => requireReachable(loadConfig(), services);
const ALL: StackService[] = ['kafka', 'registry', 'redis'];

export function benchCommand(): Command {
  const bench = new Command('bench').description('benchmarks against the running stack; each prints one JSON object as its last line');
  bench
    .command('ingest')
    .hook('preAction', needs(ALL))
    .description('processor throughput against raw kafkajs consumption of the same topic, Redis round trips per batch and bytes per series')
    .addOption(new Option('--events <n>', 'events to produce').argParser(parsePositiveInt).default(1_000_000))
    .addOption(new Option('--series <n>', 'distinct series').argParser(parsePositiveInt).default(10_000))
    .addOption(new Option('--partitions <n>', 'partitions of the benchmark topic').argParser(parsePositiveInt).default(6))
    .addOption(
      new Option('--steady-series <n>', 'series written to steady state (37 days at one sample per 15 s) for redis_bytes_per_series; 0 skips it')
        .argParser(parseNonNegativeInt)
        .default(20),
    )
    .action(async (flags: { events: number; series: number; partitions: number; steadySeries: number }) => {
      const result = await benchIngest({ ...flags, progress: (m) => console.error(m) });
      console.log(JSON.stringify(result));
    });
  bench
    .command('memory')
    .hook('preAction', needs(['redis']))
    .description('steady-state Redis bytes per series of the windows (every window full, expired chunks gone), by key type')
    .addOption(new Option('--series <n>', 'sample series written to steady state').argParser(parsePositiveInt).default(20))
    .addOption(new Option('--interval-s <seconds>', 'seconds between samples of a series').argParser(parsePositiveInt).default(15))
    .action(async (flags: { series: number; intervalS: number }) => {
      console.log(JSON.stringify(await benchMemory({ ...flags, progress: (m) => console.error(m) })));
    });
  bench
    .command('scale')
    .hook('preAction', needs(ALL))
    .description(
      'N series end to end (event time compressed): steady-state Redis bytes, processor RSS, CPU µs per event, closing-event → recommendation latency flowing and for a burst',
    )
    .addOption(new Option('--series <n>', 'workload series').argParser(parsePositiveInt).default(100_000))
    .addOption(new Option('--rounds <n>', "flowing rounds (each closes every series' step)").argParser(parsePositiveInt).default(2))
    .addOption(
      new Option('--samples-per-step <n>', 'samples per series per 5-minute step of event time (20: one per 15 s)').argParser(parsePositiveInt).default(20),
    )
    .addOption(
      new Option('--spread <seconds>', 'send each flowing round (its closing events spread evenly) over this many seconds')
        .argParser(parseNonNegativeNumber)
        .default(60),
    )
    .addOption(new Option('--burst <n>', 'series closing their step at once in the last round').argParser(parsePositiveInt).default(10_000))
    .addOption(new Option('--partitions <n>', 'partitions of the benchmark topics').argParser(parsePositiveInt).default(6))
    .addOption(new Option('--steady-series <n>', 'sample series written to steady state for the memory figures').argParser(parsePositiveInt).default(20))
    .addOption(new Option('--no-recommend', 'ingest only: no scoring and no recommendations (the flowing CPU per event is ingest alone)'))
    .addOption(new Option('--processors <n>', 'processor processes in the consumer group (each a child process)').argParser(parsePositiveInt).default(1))
    .addOption(
      new Option('--young-mb <MB>', "the processors' young-generation semi-space (node --max-semi-space-size; 0: Node's default)")
        .argParser(parseNonNegativeInt)
        .default(64),
    )
    .addOption(
      new Option(
        '--processor-node-args <args>',
        "more Node options for the processors, space-separated (e.g. '--cpu-prof --cpu-prof-dir=DIR': Node refuses --cpu-prof in NODE_OPTIONS)",
      ).default(''),
    )
    .action(async (flags: Omit<ScaleBenchOptions, 'progress'>) => {
      console.log(JSON.stringify(await benchScale({ ...flags, progress: (m) => console.error(m) })));
    });
  bench
    .command('score')
    .description(
      "forecaster inference time per series at batch sizes 1, 64 and 1024 (CPU, or CUDA with --providers cuda), and the anomaly detector's time per series; needs no stack",
    )
    .addOption(
      new Option(
        '--providers <list>',
        'ONNX Runtime execution providers to try in order (cuda, cpu); a provider that cannot load falls back to the next, and the JSON says which ran',
      )
        .argParser(parseProviders)
        .default(['cpu']),
    )
    .action(async (flags: { providers: Provider[] }) => {
      console.log(JSON.stringify(await benchScore((m) => console.error(m), flags.providers)));
    });
  bench
    .command('pipeline')
    .hook('preAction', needs(ALL))
    .description("latency from the event that closes a series' 5-minute step to its recommendation on the topic, with many series flowing")
    .addOption(new Option('--series <n>', 'workload series').argParser(parsePositiveInt).default(10_000))
    .addOption(new Option('--rounds <n>', 'steps closed per series').argParser(parsePositiveInt).default(3))
    .addOption(new Option('--partitions <n>', 'partitions of the benchmark topics').argParser(parsePositiveInt).default(6))
    .addOption(
      new Option('--spread <seconds>', "send each round's closing events evenly over this many seconds (a scrape interval); 0 = one burst")
        .argParser(parseNonNegativeNumber)
        .default(30),
    )
    .action(async (flags: { series: number; rounds: number; partitions: number; spread: number }) => {
      console.log(JSON.stringify(await benchPipeline({ ...flags, progress: (m) => console.error(m) })));
    });
  return bench;
}
