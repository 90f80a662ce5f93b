/**
 * A command that runs services as child processes (the demo's processor and committer) stops them
 * when it is itself stopped by a signal, and waits for them, before it exits. Ctrl-C in a terminal
 * signals the whole process group, but a signal to the command alone (`kill PID`, a CI job
 * cancelled, a supervisor) reached only the command: its children were left running without a
 * parent, consuming and committing into the next run's topics.
 *
 * On SIGINT, SIGTERM or SIGHUP: one line says so, each running child gets SIGTERM (its graceful
 * shutdown: the batch in hand finishes, offsets are committed), and the command ends by that
 * signal (exit-on-signal.ts: its cleanup first) once they have exited, or after `graceMs` with
 * SIGKILL to those left.
 * A second signal meanwhile kills the children still running (SIGKILL) instead of waiting for them.
 */
import type { ChildProcess } from 'node:child_process';
import { dieBySignal, SIGNALS } from './exit-on-signal.js';

const running = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;

/** Stops `children` on a signal to this process, then exits; returns what removes the handlers (the command's own end). */
export function stopChildrenOnSignal(children: ChildProcess[], what: string, graceMs = 20_000): () => void {
  let stopping = false;
  const handlers = SIGNALS.map((signal) => {
    const handler = (): void => {
      if (stopping) {
        // a second signal: no more waiting for a clean stop
        for (const c of children.filter(running)) c.kill('SIGKILL');
        return;
      }
      stopping = true;
      const left = children.filter(running);
      console.error(`\n${signal}: stopping ${what} (${left.map((c) => `pid ${c.pid}`).join(', ') || 'none running'}) before exiting...`);
      const exited = left.map((c) => new Promise((resolve) => (running(c) ? c.once('exit', resolve) : resolve(undefined))));
      for (const c of left) c.kill('SIGTERM');
      const timer = setTimeout(() => {
        for (const c of left.filter(running)) {
          console.error(`pid ${c.pid} still running after ${graceMs / 1000} s: SIGKILL`);
          c.kill('SIGKILL');
        }
      }, graceMs);
      void Promise.all(exited).then(() => {
        clearTimeout(timer);
        dieBySignal(signal);
      });
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}
