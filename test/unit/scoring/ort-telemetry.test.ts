/**
 * ONNX Runtime's telemetry stays off (src/scoring/ort-telemetry.ts): a process that loads the
 * forecaster sends nothing to Microsoft and leaves no /tmp/mat-debug-<pid>.log (the file its 1DS
 * uploader creates, one per process: a newcomer found 478 in /tmp). An explicit choice is kept.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const forecaster = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/scoring/forecaster.js')).href;

/** Loads the forecaster in a child process (its environment: `env`); its pid and what it saw of ORT_DISABLE_TELEMETRY. */
function loadInChild(env: NodeJS.ProcessEnv): { pid: number; setting: string } {
  const script = `const { Forecaster } = await import(${JSON.stringify(forecaster)}); await Forecaster.load(); console.log(process.pid, process.env.ORT_DISABLE_TELEMETRY);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [pid, setting] = r.stdout.trim().split(' ');
  return { pid: Number(pid), setting };
}

/** ONNX Runtime writes it under /tmp, whatever TMPDIR says. */
const debugLog = (pid: number): string => path.join('/tmp', `mat-debug-${pid}.log`);

describe('ONNX Runtime telemetry', () => {
  it('is off in a process that loads the model: no mat-debug log left in /tmp', () => {
    const env = { ...process.env };
    delete env.ORT_DISABLE_TELEMETRY;
    const { pid, setting } = loadInChild(env);
    assert.equal(setting, '1');
    const leftover = existsSync(debugLog(pid));
    rmSync(debugLog(pid), { force: true });
    assert.ok(!leftover, `ONNX Runtime's telemetry left ${debugLog(pid)} (telemetry on)`);
  });

  it("keeps the user's explicit setting", () => {
    const { pid, setting } = loadInChild({ ...process.env, ORT_DISABLE_TELEMETRY: '0' });
    rmSync(debugLog(pid), { force: true }); // telemetry on, as asked: its file is this test's to remove
    assert.equal(setting, '0');
  });
});
