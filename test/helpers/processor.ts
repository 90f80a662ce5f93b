/** Runs the processor until a condition holds, then stops it gracefully. */
import assert from 'node:assert/strict';
import { waitFor } from '../../src/util/retry.js';
import { startCli } from './cli.js';

export async function runProcessorUntil(env: Record<string, string>, done: () => Promise<boolean>, timeoutMs = 90_000): Promise<string> {
  const proc = startCli(['processor'], env);
  try {
    assert.ok(await waitFor(done, timeoutMs, 200), `condition not reached; processor output:\n${proc.output().slice(-3000)}`);
  } finally {
    proc.child.kill('SIGTERM');
    await proc.exited;
  }
  return proc.output();
}

/** Replaces the topic name in snapshot keys, to compare windows built from different topics. */
export function normaliseTopic<T>(snapshot: Record<string, T>, topic: string): Record<string, T> {
  return Object.fromEntries(Object.entries(snapshot).map(([k, v]) => [k.replace(`{${topic}:`, '{TOPIC:'), v]));
}
