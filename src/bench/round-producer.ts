/**
 * The loop benchmarks' workload (LoopHarness: bench pipeline, bench scale): what series s sends
 * in round r, produced in this process or, for bench scale, in a child process of its own, so
 * that encoding and sending the events stays out of the processor's CPU figures.
 *
 * Sample j of series s has event time t0 + j × (5 min / samplesPerStep) + 1 s: sample
 * j = r × samplesPerStep is the first of step r and closes step r − 1. Its level rises by 2
 * each step (every closed step raises the HPA recommendation), with a little spread inside it.
 *
 * A round is samplesPerStep slots; in each slot every series sends one sample, in series
 * order spread evenly over the slot. Series s sends its closing sample in slot
 * s mod samplesPerStep, the samples of step r − 1 before it and those of step r after it: each
 * series sends one sample per (5 min / samplesPerStep) of event time, and the closing events
 * are spread evenly over the whole round. With one sample per step a round is each series'
 * closing event, spread over the round.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Message } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec.js';
import type { MetricSample } from '../codec/generated-types.js';
import { seriesIdOf } from '../codec/metric-sample.js';
import { createServiceContext } from '../service-runtime/runtime.js';
import { sleep } from '../util/retry.js';

export const STEP = 300_000;

/** every slot; only the slots before each series' closing sample; only the closing samples (a burst) */
export type RoundPart = 'all' | 'before-close' | 'close';

export interface RoundSpec {
  t0: number;
  samplesPerStep: number;
  round: number;
  /** seconds over which the round is sent (0: at once) */
  spreadS: number;
  /** the first `count` series take part */
  count: number;
  part: RoundPart;
}

export interface RoundSent {
  produced: number;
  /** series id and send time of each closing sample (round > 0) */
  closing: [string, number][];
}

function sample(spec: RoundSpec, s: number, j: number): MetricSample {
  const spp = spec.samplesPerStep;
  return {
    cluster: 'bench',
    namespace: `ns${s % 50}`,
    kind: 'Deployment',
    name: `w${s}`,
    container: null,
    metric: 'cpu_usage',
    unit: '{cpu}',
    value: 2 + 2 * Math.floor(j / spp) + (s % 7) * 0.1 + ((j % spp) % 4) * 0.05,
    eventTime: spec.t0 + Math.floor((j * STEP) / spp) + 1_000,
    attributes: {},
  };
}

/** Messages per send when a round is sent at once: ~110 KB of samples, well under a produce request's 1 MiB. */
const AT_ONCE_CHUNK = 1000;

/**
 * Sends one round (see the header); each send's time is its messages' Kafka timestamp. A round
 * spread over time is sent in small sends as its slots come due; a round at once (spreadS 0) in
 * sends of AT_ONCE_CHUNK messages back to back, whichever slot they belong to (in slot order, so
 * each series' samples stay in order): a burst of 10,000 closing events is ten sends, as a
 * collector's batch would bring them, not 2,000 sends of the five series of a slot's chunk
 * (which took ~3 s and so spread the "burst" over 3 s).
 */
export async function produceRound(spec: RoundSpec, codec: AvroCodec, send: (messages: Message[]) => Promise<unknown>): Promise<RoundSent> {
  const { round, spreadS, count, part } = spec;
  const spp = spec.samplesPerStep;
  const atOnce = spreadS === 0;
  const chunk = atOnce ? AT_ONCE_CHUNK : 100;
  const out: RoundSent = { produced: 0, closing: [] };
  // the messages not sent yet, and which of them close a step (their series id)
  let pending: { message: Message; closes?: string }[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const now = Date.now();
    const messages = pending.map(({ message, closes }) => {
      if (closes !== undefined) out.closing.push([closes, now]);
      return { ...message, timestamp: String(now) };
    });
    pending = [];
    await send(messages);
    out.produced += messages.length;
  };
  const start = Date.now();
  for (let m = 0; m < spp; m++) {
    for (let i = 0; i < count; i += chunk) {
      if (!atOnce) {
        const due = start + (spreadS * 1000 * (m + i / count)) / spp;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      for (let s = i; s < Math.min(count, i + chunk); s++) {
        const closingSlot = s % spp;
        if ((part === 'before-close' && m >= closingSlot) || (part === 'close' && m !== closingSlot)) continue;
        const j = round * spp + m - closingSlot;
        if (j < 0) continue; // before the run's first step
        const smp = sample(spec, s, j);
        const key = seriesIdOf(smp);
        pending.push({ message: { key, value: codec.encode('MetricSample', smp) }, closes: round > 0 && m === closingSlot ? key : undefined });
        if (atOnce && pending.length >= AT_ONCE_CHUNK) await flush();
      }
      if (!atOnce) await flush();
    }
  }
  await flush();
  return out;
}

/** A child process that produces rounds on request; its pid lets the benchmark read its CPU. */
export class ProducerProcess {
  private pending?: { resolve: (r: RoundSent) => void; reject: (e: Error) => void };

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: { ready?: boolean; sent?: RoundSent; error?: string }) => {
      const p = this.pending;
      this.pending = undefined;
      if (m.error) p?.reject(new Error(`producer process: ${m.error}`));
      else if (m.sent) p?.resolve(m.sent);
    });
    child.on('exit', (code) => this.pending?.reject(new Error(`producer process exited (${code})`)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(env: NodeJS.ProcessEnv): Promise<ProducerProcess> {
    const child = fork(fileURLToPath(import.meta.url), ['--child'], {
      env: { ...env, FORESIGHT_HTTP_PORT: '0' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : reject(new Error(`producer process: ${m.error}`))));
      child.once('exit', (code) => reject(new Error(`producer process exited (${code}) before it was ready`)));
    });
    return new ProducerProcess(child);
  }

  produce(spec: RoundSpec): Promise<RoundSent> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.send(spec);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ stop: true });
    await exited;
  }
}

/** The child: one producer, rounds on request, until told to stop. */
async function child(): Promise<void> {
  const send = (m: unknown): void => void process.send!(m);
  try {
    const ctx = await createServiceContext('bench-producer', process.env);
    process.on('message', (m: RoundSpec | { stop: true }) => {
      if ('stop' in m) {
        void ctx.producer
          .disconnect()
          .then(() => ctx.health.close())
          .finally(() => process.exit(0));
        return;
      }
      produceRound(m, ctx.codec, (messages) => ctx.producer.send({ topic: ctx.cfg.topics.metrics, messages, acks: 1 })).then(
        (sent) => send({ sent }),
        (err: unknown) => send({ error: String(err) }),
      );
    });
    send({ ready: true });
  } catch (err) {
    send({ error: String(err) });
    process.exit(1);
  }
}

if (process.argv[2] === '--child' && process.send && process.argv[1] === fileURLToPath(import.meta.url)) void child();
