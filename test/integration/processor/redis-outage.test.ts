/**
 * A Redis outage mid-stream: Redis is stopped for 5 seconds and started again on the same
 * data. The processor keeps retrying (never committing offsets for batches Redis did not
 * apply), resumes when Redis is back, and nothing is double-counted or lost.
 * Uses its own redis-server so the shared test stack is untouched.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisAnswers } from '../../../src/local-stack/probes.js';
import { sleep, waitFor } from '../../../src/util/retry.js';
import { startCli } from '../../helpers/cli.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { testKafka } from '../../helpers/kafka.js';
import { produceSamples, sample, testCodec } from '../../helpers/produce.js';
import { appliedPerSeries, totalApplied } from '../../helpers/windows.js';
import { tempDir } from '../../helpers/temp-dir.js';

const PORT = 26479;
const dir = tempDir('foresight-redis-');

async function startRedis(): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(PORT), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
    { stdio: 'ignore' },
  );
  assert.ok(await waitFor(() => redisAnswers('127.0.0.1', PORT), 10_000, 50), 'redis did not start');
  return child;
}

describe('Redis outage', () => {
  let redisProc: ChildProcess | undefined;
  after(() => {
    redisProc?.kill('SIGKILL');
  });

  it('survives Redis stopped for 5 seconds: processing resumes, nothing is double-counted', async () => {
    redisProc = await startRedis();
    const env = testEnv({
      FORESIGHT_REDIS_URL: `redis://127.0.0.1:${PORT}`,
      FORESIGHT_KAFKA_SESSION_TIMEOUT_MS: '30000',
      FORESIGHT_KAFKA_HEARTBEAT_INTERVAL_MS: '3000',
    });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const t0 = Date.now() - 3 * 3_600_000;
    const EVENTS = 30_000;
    const samples = Array.from({ length: EVENTS }, (_, i) => sample(`w${i % 25}`, (i % 9) / 2, t0 + Math.floor(i / 25) * 1_000));
    const expected = await produceSamples(kafka, cfg, await testCodec(cfg), samples);
    const redis = new Redis(cfg.redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
    redis.on('error', () => undefined);

    const proc = startCli(['processor'], env);
    try {
      assert.ok(await waitFor(async () => (await totalApplied(redis, cfg.redis.keyPrefix)) > 0, 60_000, 10), proc.output().slice(-2000));
      redisProc.kill('SIGTERM'); // a clean stop: the append-only file is complete
      await new Promise((r) => redisProc!.once('exit', r));
      const atStop = await (async () => {
        await sleep(5_000);
        return proc.child.exitCode;
      })();
      assert.equal(atStop, null, 'the processor is still running during the outage');
      redisProc = await startRedis();
      assert.ok(await waitFor(async () => (await totalApplied(redis, cfg.redis.keyPrefix)) >= EVENTS, 120_000, 200), proc.output().slice(-3000));
      await sleep(1_000);
      const got = await appliedPerSeries(redis, cfg.redis.keyPrefix);
      for (const [id, e] of expected) assert.deepEqual(got.get(id), e, id);
      assert.match(proc.output(), /redis call failed; retrying|redis connection error/);
      assert.match(proc.output(), /redis connection restored/);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
      redis.disconnect();
    }
  });
});
