/**
 * A command that runs services as child processes (the demo's processor and committer) stops them
 * the same way however it ends, and waits for them: at its normal end, and when it is itself
 * stopped by a signal. Ctrl-C in a terminal signals the whole foreground process group, but the
 * demo starts its services in a group of their own, so they hear only from it; and a signal to the
 * command alone (`kill PID`, a CI job cancelled, a supervisor) used to reach only the command,
 * leaving its children running without a parent, consuming and committing into the next run's
 * topics.
 *
 * Each running child gets exactly one SIGTERM, whoever asks first (a service takes a second signal
 * more than half a second after the first as "stop at once", service-runtime/runtime.ts), then
 * SIGKILL if still running after `graceMs`. On SIGINT, SIGTERM or SIGHUP one line says so, and
 * the command ends by that signal (exit-on-signal.ts: its cleanup first) once they have exited;
 * meanwhile the command's own flow (run by `runFlow`) halts at its next `check()` (StoppedBySignal),
 * so it neither takes the services' exit for a failure nor goes on printing its steps while they stop.
 * A second signal kills the children still running (SIGKILL) instead of waiting for them.
 */
import type { ChildProcess } from 'node:child_process';
import { ForesightError } from '../util/errors.js';
import { dieBySignal, SIGNALS } from './exit-on-signal.js';

/** Younger than this, a service may not have its signal handlers yet. */
const YOUNG_MS = 2_000;

const running = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;

/** Thrown by `check()` once a signal is stopping the children: the command's flow ends there, quietly. */
export class StoppedBySignal extends ForesightError {
  constructor() {
    super('STOPPED_BY_SIGNAL', 'stopped by a signal');
    this.name = 'StoppedBySignal';
  }
}

export class ChildServices {
  /** a signal started the stop: the command ends when the children are gone */
  stopping = false;
  private readonly termed = new Set<ChildProcess>();
  private readonly startedAt = Date.now();
  private readonly handlers: [string, () => void][];

  constructor(
    private readonly children: ChildProcess[],
    private readonly what: string,
    private readonly graceMs = 20_000,
  ) {
    this.handlers = SIGNALS.map((signal) => {
      const handler = (): void => {
        if (this.stopping) {
          for (const c of this.children.filter(running)) c.kill('SIGKILL'); // a second signal: no more waiting
          return;
        }
        this.stopping = true;
        const left = this.children.filter(running);
        // a service signalled before its handlers are in place ends at once (it has consumed nothing), its log perhaps empty
        const young = Date.now() - this.startedAt < YOUNG_MS ? ' (started under 2 s ago: they may end at once, before their logs have a line)' : '';
        console.error(`\n${signal}: stopping ${this.what} (${left.map((c) => `pid ${c.pid}`).join(', ') || 'none running'})${young} before exiting...`);
        void this.stop().then(() => dieBySignal(signal));
      };
      process.on(signal, handler);
      return [signal, handler];
    });
  }

  /** Throws StoppedBySignal once a signal has started the stop (call it between the command's steps). */
  check(): void {
    if (this.stopping) throw new StoppedBySignal();
  }

  /** One SIGTERM to each child still running (never a second), SIGKILL after the grace period; resolves when all have exited. */
  async stop(): Promise<void> {
    const left = this.children.filter(running);
    const exited = left.map((c) => new Promise((resolve) => (running(c) ? c.once('exit', resolve) : resolve(undefined))));
    for (const c of left) {
      if (this.termed.has(c)) continue;
      this.termed.add(c);
      c.kill('SIGTERM');
    }
    const timer = setTimeout(() => {
      for (const c of left.filter(running)) {
        console.error(`pid ${c.pid} still running after ${this.graceMs / 1000} s: SIGKILL`);
        c.kill('SIGKILL');
      }
    }, this.graceMs);
    await Promise.all(exited);
    clearTimeout(timer);
  }

  /**
   * Runs the command's flow with the children, as the demo does: when the flow ends, the children
   * are stopped (one SIGTERM each) and waited for, the handlers removed, and `cleanup` run. A flow
   * cut short by a signal (its next check() threw, or whatever failed after the signal) is no
   * failure: this never settles then, since the signal's handler ends the process by that signal
   * as soon as the children are gone (its 'exit' listeners run; `cleanup` may not), even if the
   * flow is stuck in a call that does not return.
   */
  async runFlow(flow: () => Promise<void>, cleanup: () => Promise<void>): Promise<void> {
    let halted = false;
    try {
      await flow();
    } catch (err) {
      if (!this.stopping) throw err;
      halted = true;
    } finally {
      await this.stop();
      this.release();
      await cleanup();
    }
    if (halted) await new Promise<never>(() => {});
  }

  /** Removes the signal handlers (the command's own end, after stop()). */
  release(): void {
    for (const [signal, handler] of this.handlers) process.removeListener(signal, handler);
  }
}
