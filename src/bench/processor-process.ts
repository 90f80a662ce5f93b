/**
 * The processors of `bench scale`, each in a child process of its own: `--processors K` runs K
 * members of one consumer group on the benchmark's topics, as K processor pods (or K processes
 * on one box) would. Each child runs the real processor (startProcessor) with the benchmark's
 * environment and tells this process about each batch it applied (IPC); this process reads
 * their CPU and peak RSS from /proc and asks each for its event loop's delay.
 *
 * Node flags: the children run with `--max-semi-space-size=<MB>` (the young generation's
 * semi-space, `youngMb`; 0 keeps Node's default), as the Dockerfile's NODE_OPTIONS runs the
 * processor. At 40,000 series it cut the time in scavenges by a third (README, Scale).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startProcessor } from '../processor/processor.js';
import { createServiceContext } from '../service-runtime/runtime.js';

/** What a child sends: ready (or its start failed), one applied batch, or its event loop's delay. */
type ChildMessage = { ready: true } | { error: string } | { messages: number } | { loop: LoopDelay };

/** A child's event-loop delay over the phase it was asked about, in ms. */
export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
}

/** Peak resident set size (VmHWM) of a process of this machine in bytes, from /proc; undefined when unknown. */
export function procPeakRssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

export class ProcessorProcesses {
  private loopReplies: ((d: LoopDelay) => void)[] = [];

  private constructor(
    private readonly children: ChildProcess[],
    onBatch: (messages: number) => void,
  ) {
    for (const c of children) {
      c.on('message', (m: ChildMessage) => {
        if ('messages' in m) onBatch(m.messages);
        else if ('loop' in m) this.loopReplies.shift()?.(m.loop);
      });
    }
  }

  /** Starts `count` processors with `env`; `onBatch` is called with each batch's messages, from any of them. */
  static async start(env: NodeJS.ProcessEnv, count: number, youngMb: number, onBatch: (messages: number) => void): Promise<ProcessorProcesses> {
    const execArgv = youngMb > 0 ? [`--max-semi-space-size=${youngMb}`] : [];
    const children = Array.from({ length: count }, () =>
      fork(fileURLToPath(import.meta.url), ['--processor-child'], { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const started = new ProcessorProcesses(children, onBatch);
    try {
      await Promise.all(
        children.map(
          (c, i) =>
            new Promise<void>((resolve, reject) => {
              const onMessage = (m: ChildMessage): void => {
                if ('ready' in m) resolve();
                else if ('error' in m) reject(new Error(`processor ${i + 1}: ${m.error}`));
              };
              c.on('message', onMessage);
              c.once('exit', (code) => reject(new Error(`processor ${i + 1} exited (${code}) before it was ready`)));
            }),
        ),
      );
    } catch (err) {
      await started.stop();
      throw err;
    }
    return started;
  }

  get pids(): number[] {
    return this.children.flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
  }

  /** The children's peak RSS, each (read before they stop). */
  peakRssBytes(): number[] {
    return this.pids.map((pid) => procPeakRssBytes(pid) ?? NaN);
  }

  /** Starts measuring each child's event-loop delay. */
  loopDelayStart(): void {
    for (const c of this.children) c.send({ loop: 'start' });
  }

  /** Each child's event-loop delay since loopDelayStart. */
  async loopDelayStop(): Promise<LoopDelay[]> {
    const replies = this.children.map(() => new Promise<LoopDelay>((resolve) => this.loopReplies.push(resolve)));
    for (const c of this.children) c.send({ loop: 'stop' });
    return Promise.all(replies);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise((resolve) => c.once('exit', resolve));
        c.send({ stop: true });
        await exited;
      }),
    );
  }
}

/** The child: one processor until told to stop. */
async function child(): Promise<void> {
  const send = (m: ChildMessage): void => void process.send!(m);
  try {
    const ctx = await createServiceContext('bench-processor', process.env);
    const service = await startProcessor(ctx, (o) => send({ messages: o.messages }));
    let loop: IntervalHistogram | undefined;
    process.on('message', (m: { stop: true } | { loop: 'start' | 'stop' }) => {
      if ('loop' in m) {
        if (m.loop === 'start') {
          loop = monitorEventLoopDelay({ resolution: 20 });
          loop.enable();
        } else {
          loop?.disable();
          send({ loop: { p99Ms: +((loop?.percentile(99) ?? NaN) / 1e6).toFixed(1), maxMs: +((loop?.max ?? NaN) / 1e6).toFixed(1) } });
        }
        return;
      }
      void service
        .stop()
        .then(() => ctx.producer.disconnect())
        .then(() => ctx.health.close())
        .finally(() => process.exit(0));
    });
    send({ ready: true });
  } catch (err) {
    send({ error: String(err) });
    process.exit(1);
  }
}

if (process.argv[2] === '--processor-child' && process.send && process.argv[1] === fileURLToPath(import.meta.url)) void child();
