/**
 * Repetitive warnings as a digest, so that a flood of bad input writes a few log lines, not
 * one per message: per key (a dead-letter reason), the first occurrence is logged at once and
 * opens an interval; the occurrences after it are counted, and when the interval ends one
 * line gives their count and the latest of them as an example (someone fixing the input sees
 * what still comes, not what came first; and opens the next interval, while they keep coming). Counting for metrics happens elsewhere, exactly; this only bounds the log.
 */
import type { Logger } from 'pino';

interface Interval {
  count: number;
  example: Record<string, unknown> | undefined;
  timer: NodeJS.Timeout;
}

export const LOG_DIGEST_INTERVAL_MS = 10_000;

export class LogDigest {
  private readonly open = new Map<string, Interval>();

  /**
   * `first` is the message of an immediate line, `more` that of a digest line (which carries
   * `count` and `intervalS`).
   */
  constructor(
    private readonly log: Logger,
    private readonly first: string,
    private readonly more: string,
    private readonly intervalMs = LOG_DIGEST_INTERVAL_MS,
  ) {}

  add(key: string, fields: Record<string, unknown>): void {
    const w = this.open.get(key);
    if (w) {
      w.count++;
      w.example = fields; // the latest: what still comes
      return;
    }
    this.log.warn({ ...fields, count: 1 }, this.first);
    this.start(key);
  }

  private start(key: string): void {
    const timer = setTimeout(() => this.close(key, true), this.intervalMs);
    timer.unref();
    this.open.set(key, { count: 0, example: undefined, timer });
  }

  private close(key: string, reopen: boolean): void {
    const w = this.open.get(key);
    if (!w) return;
    clearTimeout(w.timer);
    this.open.delete(key);
    if (w.count === 0) return; // quiet interval: the next occurrence is logged at once
    this.log.warn({ ...w.example, count: w.count, intervalS: this.intervalMs / 1000 }, this.more);
    if (reopen) this.start(key);
  }

  /** Writes the counts not yet logged (on stop). */
  flush(): void {
    for (const key of [...this.open.keys()]) this.close(key, false);
  }
}
