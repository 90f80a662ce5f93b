/**
 * A one-shot command stopped by Ctrl-C or a kill still runs its exit cleanup (the private folder
 * of util/private-dir.ts is removed on 'exit'), and still ends by that signal. Node emits 'exit'
 * on process.exit() and when the event loop empties, but not when a signal nobody handles kills
 * the process (https://nodejs.org/api/process.html#signal-events). So the CLI handles SIGINT,
 * SIGTERM and SIGHUP itself: it runs the 'exit' listeners, then lets the signal end the process
 * (dieBySignal), as signal-exit does. Ending by the signal, not by exit(128 + n), matters to the
 * caller: a shell running `for f in *.csv; do foresight backtest …; done` stops its loop on
 * Ctrl-C only when the command died by SIGINT (an exit code of 130 reads as handled). The shell
 * still reports 130, 143 or 129.
 *
 * Where the command has its own handler for the signal (a long-running service: runService stops
 * gracefully and then exits), this one leaves the process to it: installed first, it runs first,
 * while the other is still registered. Once the service's handlers are gone (it stops on the
 * first signal and removes them), a second signal ends the process at once, with the cleanup.
 *
 * Children are left as they were: what a command runs in the foreground (git) is in the
 * terminal's process group and gets Ctrl-C itself; the demo stops its services itself
 * (stop-children.ts); what `stack up` starts is detached and outlives the command. A signal to
 * the command alone is handled once the event loop is free, so a synchronous child
 * (execFileSync: git, Maven) first runs to its end.
 */
export const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof SIGNALS)[number];

let installed = false;

/** Installs the handlers once (a second call does nothing). */
export function exitOnSignal(): void {
  if (installed) return;
  installed = true;
  for (const signal of SIGNALS) {
    const handler = (): void => {
      if (process.listeners(signal).some((l) => l !== handler)) return; // the command stops itself
      dieBySignal(signal);
    };
    process.on(signal, handler);
  }
}

/** Runs the 'exit' listeners (the cleanup), then ends the process by `signal` itself. */
export function dieBySignal(signal: StopSignal): void {
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  (process.emit as (event: string, ...args: unknown[]) => boolean)('exit', code); // as Node does at exit (a `once` listener goes)
  for (const s of SIGNALS) process.removeAllListeners(s); // the default action again: the signal ends the process
  process.kill(process.pid, signal);
  // should the signal not end it (a listener added meanwhile), the shell's code for it
  setTimeout(() => process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]), 1_000);
}
