/** A progress bar on stderr (cli-progress); on a non-terminal, a line every 10%. */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

export function progressBar(label: string, total: number): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (d) => bar.update(d), stop: () => bar.stop() };
  }
  let lastDecile = -1;
  return {
    update(done) {
      const decile = Math.floor((10 * done) / Math.max(total, 1));
      if (decile !== lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${label}: ${done}/${total} (${Math.floor((100 * done) / Math.max(total, 1))}%)\n`);
      }
    },
    stop() {},
  };
}
