import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { LogDigest } from '../../../src/telemetry/log-digest.js';
import { sleep } from '../../../src/util/retry.js';

function capture() {
  const lines: { msg: string; count: number; reason: string; offset: number; intervalS?: number }[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

describe('log digest', () => {
  it('logs the first of a reason at once, then one line per reason per interval with the count and the latest example', async () => {
    const { log, lines } = capture();
    const d = new LogDigest(log, 'message dead-lettered', 'messages dead-lettered', 200);
    for (let i = 0; i < 10_000; i++) d.add(i % 2 ? 'late' : 'undecodable', { reason: i % 2 ? 'late' : 'undecodable', offset: i });
    await sleep(20);
    assert.deepEqual(
      lines.map((l) => [l.msg, l.reason, l.count, l.offset]),
      [
        ['message dead-lettered', 'undecodable', 1, 0],
        ['message dead-lettered', 'late', 1, 1],
      ],
    );
    await sleep(400);
    assert.equal(lines.length, 4, 'one digest line per reason when the interval ends');
    assert.deepEqual(
      lines
        .slice(2)
        .map((l) => [l.msg, l.reason, l.count, l.offset, l.intervalS])
        .sort(),
      [
        ['messages dead-lettered', 'late', 4999, 9999, 0.2],
        ['messages dead-lettered', 'undecodable', 4999, 9998, 0.2],
      ],
    );
    d.add('late', { reason: 'late', offset: 10_000 });
    d.flush();
    assert.equal(lines.length, 5);
    assert.equal(
      lines.reduce((n, l) => n + l.count, 0),
      10_001,
      'every occurrence is in a count',
    );
  });

  it('after a quiet interval the next occurrence is logged at once again', async () => {
    const { log, lines } = capture();
    const d = new LogDigest(log, 'first', 'more', 50);
    d.add('r', { reason: 'r', offset: 1 });
    await sleep(200);
    d.add('r', { reason: 'r', offset: 2 });
    assert.deepEqual(
      lines.map((l) => [l.msg, l.offset]),
      [
        ['first', 1],
        ['first', 2],
      ],
    );
    d.flush();
    assert.equal(lines.length, 2);
  });
});
