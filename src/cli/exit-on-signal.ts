/**
 * A one-shot command stopped by Ctrl-C or a kill still runs its exit cleanup (the private folder
 * of util/private-dir.ts is removed on 'exit'). Node emits 'exit' on process.exit() and when the
 * event loop empties, but not when a signal nobody handles kills the process
 * (https://nodejs.org/api/process.html#signal-events). So the CLI handles SIGINT, SIGTERM and
 * SIGHUP itself and exits as the shell reports a process a signal killed: 128 + the signal's
 * number (130, 143, 129).
 *
 * Where the command has its own handler for the signal (a long-running service: runService stops
 * gracefully and then exits), this one leaves the process to it: installed first, it runs first,
 * while the other (a `once` listener) is still registered. A second signal, once that handler is
 * gone, exits at once, as a signal nobody handles did before, with the cleanup.
 *
 * Children are left as they were: what a command runs in the foreground (the demo's services,
 * git) is in the terminal's process group and gets Ctrl-C itself; what `stack up` starts is
 * detached and outlives the command. A signal to the command alone is handled once the event loop
 * is free, so a synchronous child (execFileSync: git, Maven) first runs to its end.
 */
import os from 'node:os';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function exitOnSignal(): void {
  for (const signal of SIGNALS) {
    const handler = (): void => {
      if (process.listeners(signal).some((l) => l !== handler)) return; // the command stops itself
      process.exit(128 + os.constants.signals[signal]);
    };
    process.on(signal, handler);
  }
}
