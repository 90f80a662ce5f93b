/**
 * Retraining from exported history (issue 13 §2), on the real Redis: windows written through the
 * window store come out of `foresight export-history` as 5-minute CSV steps (checked against the
 * hand-computed means), filtered by namespace and workload; training/train.py retrains on them,
 * and the new model's version is the content hash of that data (not the shipped model's), with
 * the exported files listed in its model card.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { traceFileName } from '../../../src/cli/export-history-command.js';
import { PROJECT_ROOT } from '../../../src/util/paths.js';
import { aggregateBatch, type WindowEvent } from '../../../src/windows/aggregate.js';
import { WindowStore } from '../../../src/windows/window-store.js';
import { runCli } from '../../helpers/cli.js';
import { testConfig, testEnv } from '../../helpers/env.js';

const STEP = 300_000;
const STEPS = 40 * 12; // 40 hours: the least train.py's split needs is about 39
/** Per-minute value: a daily wave per step plus the minute within the step (0..4), so each step's mean is wave + 2. */
const wave = (step: number, level: number): number => level + Math.round(level * 0.5 * Math.sin((2 * Math.PI * step) / 288));
const GAP = 100; // a step without events: an empty cell

describe('export-history and retraining', () => {
  const env = testEnv();
  const cfg = testConfig(env);
  const redis = new Redis(cfg.redis.url);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'export-history-'));
  after(async () => {
    const keys = await redis.keys(`${cfg.redis.keyPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });
  const startStep = Math.floor(Date.now() / STEP) - STEPS;
  const ids = {
    web: 'c1/shop/Deployment/web/app/cpu',
    webMem: 'c1/shop/Deployment/web/app/memory',
    other: 'c1/batch/Deployment/etl/-/cpu',
  };

  it('writes the chosen workloads as 5-minute steps, then train.py retrains on them under a new version', async () => {
    const store = new WindowStore(redis, cfg.redis.keyPrefix);
    const events: WindowEvent[] = [];
    for (let k = 0; k < STEPS; k++) {
      if (k === GAP) continue;
      for (let m = 0; m < 5; m++) {
        const t = (startStep + k) * STEP + m * 60_000 + 1_000;
        events.push({ message: events.length, seriesId: ids.web, eventTime: t, value: wave(k, 40) + m });
        events.push({ message: events.length, seriesId: ids.webMem, eventTime: t, value: wave(k + 50, 900) + m });
        events.push({ message: events.length, seriesId: ids.other, eventTime: t, value: 7 });
      }
    }
    const ref = { topic: cfg.topics.metrics, partition: 0 };
    const applied = await store.applyBatch(ref, -1n, '0', aggregateBatch(events, new Map(), 600_000), 0);
    assert.equal(applied.status, 'applied');

    const out = runCli(['export-history', '--out', dir, '--namespace', 'shop', '--workload', 'web'], env);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /exporting 2 series of 1 workloads/);
    assert.match(out.stdout, new RegExp(`wrote 2 traces \\(${2 * STEPS} five-minute rows`));
    const manifest = JSON.parse(readFileSync(path.join(dir, 'traces.json'), 'utf8')) as {
      traces: Record<string, [string, string[]]>;
      series: Record<string, string>;
    };
    assert.deepEqual(Object.values(manifest.series).sort(), [ids.web, ids.webMem]);
    const lines = readFileSync(path.join(dir, traceFileName(ids.web)), 'utf8')
      .trim()
      .split('\n');
    assert.equal(lines[0], 'timestamp_unix_s,value');
    assert.equal(lines.length, STEPS + 1);
    assert.equal(lines[1], `${(startStep * STEP) / 1000},${wave(0, 40) + 2}`);
    assert.equal(lines[1 + 77], `${((startStep + 77) * STEP) / 1000},${wave(77, 40) + 2}`);
    assert.equal(lines[1 + GAP], `${((startStep + GAP) * STEP) / 1000},`);
    assert.ok(!existsSync(path.join(dir, traceFileName(ids.other))), 'the other namespace is not exported');

    const none = runCli(['export-history', '--out', dir, '--workload', 'no-such'], env);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no series in the windows under key prefix .* for workloads no-such/);

    const models = path.join(dir, 'models');
    const train = spawnSync('python3', ['training/train.py', '--traces', dir, '--out', models, '--epochs', '1', '--forecaster-only'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(train.status, 0, `${train.stdout}\n${train.stderr}`);
    const retrained = JSON.parse(readFileSync(path.join(models, 'forecaster.json'), 'utf8')) as {
      version: string;
      training_data: { files: { file: string; rows: number }[] };
    };
    const shipped = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'models', 'forecaster.json'), 'utf8')) as { version: string };
    assert.match(retrained.version, /^forecaster-[\d.]+\+[0-9a-f]{12}$/);
    assert.notEqual(retrained.version, shipped.version);
    assert.deepEqual(
      retrained.training_data.files.map((f) => [f.file, f.rows]),
      [traceFileName(ids.web), traceFileName(ids.webMem)].sort().map((f) => [f, STEPS]),
    );
    const card = readFileSync(path.join(models, 'MODEL_CARD.md'), 'utf8');
    assert.ok(card.includes(retrained.version), 'the model card names the version');
    assert.ok(card.includes(`| ${traceFileName(ids.web)} | ${STEPS} |`), 'the model card lists the exported files');
    assert.deepEqual(readdirSync(path.join(models, 'fixtures')).sort(), ['forecaster-backtest-golden.json', 'forecaster-golden.json']);
  });
});
