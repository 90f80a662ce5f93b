/**
 * The one retry helper: exponential backoff with full jitter
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 * `bail` decides from the error alone whether another try can help; by default only
 * ForesightErrors flagged `retriable` (and plain errors, which are usually I/O) are retried.
 * A caller whose peer says how long to wait (an HTTP Retry-After) gives `delayMs` instead.
 * backoffDelayMs is the capped exponential delay itself, for loops that are not a retry of one
 * call (a refetched Kafka batch).
 */
import { ForesightError } from './errors.js';

export interface RetryOptions {
  retries?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Return true to stop retrying and rethrow at once. */
  bail?: (err: unknown) => boolean;
  /** The wait before try `attempt + 1` after `err`, or undefined to rethrow; replaces the jittered backoff (and the default bail). */
  delayMs?: (err: unknown, attempt: number) => number | undefined;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

const defaultBail = (err: unknown): boolean => err instanceof ForesightError && !err.retriable;

export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const retries = opts.retries ?? 5;
  const initial = opts.initialDelayMs ?? 100;
  const max = opts.maxDelayMs ?? 5_000;
  const bail = opts.bail ?? (opts.delayMs ? () => false : defaultBail);
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= retries || bail(err) || opts.signal?.aborted) throw err;
      const delay = opts.delayMs ? opts.delayMs(err, attempt) : Math.round(Math.random() * backoffDelayMs(attempt, initial, max));
      if (delay === undefined) throw err;
      opts.onRetry?.(err, attempt + 1, delay);
      await sleep(delay);
    }
  }
}

/** Exponential backoff without jitter: `initialMs` doubled `attempt` times, at most `maxMs`. */
export function backoffDelayMs(attempt: number, initialMs: number, maxMs = Infinity): number {
  return Math.min(maxMs, initialMs * 2 ** attempt);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it succeeded. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // not ready yet
    }
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}
