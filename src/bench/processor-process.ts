/**
 * The processors of `bench scale`, each in a child process of its own: `--processors K` runs K
 * members of one consumer group on the benchmark's topics, as K processor pods (or K processes
 * on one box) would. Each child runs the real processor (startProcessor) with the benchmark's
 * environment and tells this process about the batches it applied (IPC, summed every 20 ms); this process reads
 * their CPU and peak RSS from /proc and asks each for its event loop's delay.
 *
 * Node flags: the children run with the options they are given: `--max-semi-space-size=<MB>`
 * (youngArgs; the young generation's semi-space, as the container image's entry point runs the
 * processor; at 40,000 series it cut the time in scavenges by a third, README "Scale"), and
 * whatever else the bench is asked for (`--processor-node-args`, e.g. a CPU profile).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startProcessor } from '../processor/processor.js';
import { createServiceContext } from '../service-runtime/runtime.js';

/** What a child sends: ready (or its start failed), the batches it applied since its last report, or its event loop's delay. */
type ChildMessage = { ready: true } | { error: string } | { messages: number; batches: number } | { loop: LoopDelay };

/**
 * A child reports its applied batches at most this often, summed: one IPC message per batch (a
 * serialisation and a pipe write) cost a processor ~1.7% of its busy time in a flowing stream of
 * ~34 events per batch (CPU profile, 20,000 series), counted as the processor's own CPU.
 */
const REPORT_MS = 20;

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

/** Node's options for a young-generation semi-space of `mb` MB (0: Node's default). */
export const youngArgs = (mb: number): string[] => (mb > 0 ? [`--max-semi-space-size=${mb}`] : []);

export class ProcessorProcesses {
  /** each child's pending loop-delay reply (rejected when it exits first) */
  private readonly loopReplies = new Map<ChildProcess, { resolve: (d: LoopDelay) => void; reject: (e: Error) => void }>();
  /** resolves when every child is ready (its processor started) */
  readonly ready: Promise<void>;
  /** every child is ready */
  allReady = false;

  /**
   * Forks `count` processors with `env` at once (their pids are known from here on: their CPU
   * counts from their start); `onBatches` is called with the messages and the number of batches a
   * child applied since its last report (within REPORT_MS of the first of them), from any of them.
   * Await `ready` before relying on them; on failure it stops them all.
   */
  constructor(env: NodeJS.ProcessEnv, count: number, execArgv: string[], onBatches: (messages: number, batches: number) => void) {
    this.children = Array.from({ length: count }, () =>
      fork(fileURLToPath(import.meta.url), ['--processor-child'], { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    for (const c of this.children) {
      c.on('message', (m: ChildMessage) => {
        if ('messages' in m) onBatches(m.messages, m.batches);
        else if ('loop' in m) this.loopReplies.get(c)?.resolve(m.loop);
      });
      c.on('exit', (code) => this.loopReplies.get(c)?.reject(new Error(`a processor exited (${code}) during the run`)));
    }
    this.ready = Promise.all(
      this.children.map(
        (c, i) =>
          new Promise<void>((resolve, reject) => {
            c.on('message', (m: ChildMessage) => {
              if ('ready' in m) resolve();
              else if ('error' in m) reject(new Error(`processor ${i + 1}: ${m.error}`));
            });
            c.once('exit', (code) => reject(new Error(`processor ${i + 1} exited (${code}) before it was ready`)));
          }),
      ),
    ).then(
      () => void (this.allReady = true),
      async (err: unknown) => {
        await this.stop();
        throw err;
      },
    );
  }

  private readonly children: ChildProcess[];

  get pids(): number[] {
    return this.children.flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
  }

  /** The children's peak RSS, each (read before they stop). */
  peakRssBytes(): number[] {
    return this.pids.map((pid) => procPeakRssBytes(pid) ?? NaN);
  }

  /** Starts measuring each child's event-loop delay. */
  loopDelayStart(): void {
    for (const c of this.children) send(c, { loop: 'start' });
  }

  /** Each child's event-loop delay since loopDelayStart (rejects when one has exited). */
  async loopDelayStop(): Promise<LoopDelay[]> {
    const replies = this.children.map((c) => {
      if (!running(c)) return Promise.reject(new Error('a processor exited during the run'));
      const reply = new Promise<LoopDelay>((resolve, reject) => this.loopReplies.set(c, { resolve, reject }));
      send(c, { loop: 'stop' });
      return reply;
    });
    try {
      return await Promise.all(replies);
    } finally {
      this.loopReplies.clear();
    }
  }

  /** Stops every child: asked to stop its processor, killed after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    await Promise.all(
      this.children.map(async (c) => {
        if (!running(c)) return;
        const exited = new Promise((resolve) => c.once('exit', resolve));
        send(c, { stop: true });
        const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

const running = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null && c.connected;

/** A message to a child; one that has just exited is no error here (its exit is reported where it matters). */
function send(c: ChildProcess, m: unknown): void {
  if (running(c)) c.send(m as object, () => undefined);
}

/** The child: one processor until told to stop. */
async function child(): Promise<void> {
  const send = (m: ChildMessage): void => void process.send!(m);
  process.on('disconnect', () => process.exit(1)); // the bench is gone (an error, a kill): no orphan processor
  try {
    const ctx = await createServiceContext('bench-processor', process.env);
    let pending = { messages: 0, batches: 0 };
    let timer: NodeJS.Timeout | undefined;
    const report = (): void => {
      clearTimeout(timer);
      timer = undefined;
      if (pending.batches > 0) send(pending);
      pending = { messages: 0, batches: 0 };
    };
    const service = await startProcessor(ctx, (o) => {
      pending.messages += o.messages;
      pending.batches++;
      timer ??= setTimeout(report, REPORT_MS);
    });
    let loop: IntervalHistogram | undefined;
    process.on('message', (m: { stop: true } | { loop: 'start' | 'stop' }) => {
      report(); // what was applied before the question comes first
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
        .then(report) // batches applied while stopping
        .then(() => ctx.producer.disconnect())
        .then(() => ctx.health.close())
        .finally(() => process.exit(0));
    });
    send({ ready: true });
  } catch (err) {
    process.send!({ error: String(err) }, () => process.exit(1));
  }
}

if (process.argv[2] === '--processor-child' && process.send && process.argv[1] === fileURLToPath(import.meta.url)) void child();
