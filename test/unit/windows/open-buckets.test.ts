/**
 * Open buckets (windows/open-buckets.ts), hand-computed: when a series' open step is written,
 * what the write holds, the applied offset the partition may record, the replay after a crash
 * (events Redis holds are dropped, the others meet the same lateness verdict) and late events.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventColumns } from '../../../src/windows/aggregate.js';
import {
  closeAll,
  emptyOpenPartition,
  markWritten,
  openAggregate,
  raisedOf,
  safeOffset,
  type OpenBatch,
  type OpenPartition,
} from '../../../src/windows/open-buckets.js';

const S = 1_000;
const STEP = 300 * S;
const T0 = 1_700_000_100_000 - (1_700_000_100_000 % (6 * 3_600 * S)); // a 6-hour boundary: every resolution's bucket starts here

/** events as [offset, series, seconds after T0, value]; the message index is the offset */
function run(p: OpenPartition, events: [number, string, number, number][], now = 0, lateness = 600 * S, timer = false): OpenBatch {
  const cols = new EventColumns();
  for (const [offset, id, sec, v] of events) cols.push(offset, id, T0 + sec * S, v);
  const clock = timer ? { maxSilentMs: 30 * S, maxOpenMs: 600 * S } : undefined;
  const b = openAggregate(cols, (m) => m, p, { stepMs: STEP, allowedLatenessMs: lateness, now, clock });
  markWritten(p, b); // as after the script call
  return b;
}

/** per resolution of a written series: [bucket offset from T0's bucket, count, sum] */
function written(b: OpenBatch, id: string): [number, number, number][][] {
  const d = b.agg.deltas.get(id);
  assert.ok(d, `${id} written`);
  const firstBuckets = [T0 / 60_000, T0 / 300_000, T0 / 3_600_000, T0 / 21_600_000];
  return d.buckets.map((r, i) => r.list.map((x) => [x.bucket - firstBuckets[i], x.count, x.sum]));
}

describe('open buckets', () => {
  it('keeps a series step open until its next event falls in a later step, then writes it whole at every resolution', () => {
    const p = emptyOpenPartition();
    const b1 = run(p, [
      [0, 's', 0, 1],
      [1, 's', 15, 2],
      [2, 's', 70, 4],
    ]);
    assert.equal(b1.agg.deltas.size, 0, 'nothing written while the step is open');
    assert.equal(b1.agg.accepted, 3);
    assert.equal(safeOffset(p, 2), -1, 'the applied offset stays before the open step');
    assert.deepEqual(raisedOf(p, b1), [['s', -Infinity]]);
    const b2 = run(p, [[3, 's', 300, 8]]);
    // minute 0: 1+2, minute 1: 4; five-minute 0: all three; hour 0 and 6-hour 0: all three
    assert.deepEqual(written(b2, 's'), [
      [
        [0, 2, 3],
        [1, 1, 4],
      ],
      [[0, 3, 7]],
      [[0, 3, 7]],
      [[0, 3, 7]],
    ]);
    assert.deepEqual([...b2.written], [['s', 2]]);
    assert.deepEqual([...b2.agg.watermarks], [['s', T0 + 70 * S]], 'the stored watermark: the newest event written');
    assert.equal(b2.agg.deltas.get('s')!.priorWatermark, -Infinity);
    assert.equal(safeOffset(p, 3), 2, 'the new open step starts at offset 3');
    assert.equal(p.open.get('s')!.step, T0 / STEP + 1);
  });

  it('a step closing writes every open step before it (the scoring reads a workload whole), not the later ones', () => {
    const p = emptyOpenPartition();
    run(p, [
      [0, 'a', 10, 1],
      [1, 'b', 20, 1],
      [2, 'c', 310, 1],
    ]);
    const b = run(p, [[3, 'b', 305, 2]]);
    assert.deepEqual([...b.agg.deltas.keys()].sort(), ['a', 'b']);
    assert.deepEqual([...b.written].sort(), [
      ['a', 0],
      ['b', 1],
    ]);
    assert.deepEqual([...p.open.keys()].sort(), ['b', 'c']);
    assert.equal(safeOffset(p, 3), 1, "c's open step (offset 2) is now the oldest");
    // a's step 0 goes on (its clock lags); a second series closing step 0 does not write it again
    const b2 = run(p, [
      [4, 'a', 30, 1],
      [5, 'c', 320, 1],
      [6, 'a', 301, 1],
    ]);
    assert.deepEqual([...b2.written], [['a', 4]], "a's own step close writes it");
  });

  it('the timer writes the open steps of series silent for 30 s or open for 600 s; batches do not; closeAll writes every one', () => {
    const p = emptyOpenPartition();
    run(p, [[0, 'a', 0, 1]], 1_000);
    run(p, [[1, 'b', 1, 1]], 20_000);
    assert.equal(run(p, [[2, 'c', 2, 1]], 31_000).agg.deltas.size, 0, 'a batch checks no clock');
    const b = run(p, [], 31_000, 600 * S, true); // a's last event came at 1 s: 30 s ago
    assert.deepEqual([...b.agg.deltas.keys()], ['a']);
    // a series sending every 20 s stays open until 600 s after it opened
    for (let t = 40; t <= 600; t += 20) assert.equal(run(p, [[t, 'b', 1 + t / 100, 1]], t * S).agg.deltas.size, 0);
    const late = run(p, [], 620 * S, 600 * S, true);
    assert.deepEqual([...late.agg.deltas.keys()].sort(), ['b', 'c'], 'b open 600 s, c silent since 31 s');
    assert.equal(late.agg.deltas.get('b')!.buckets[0].list[0].count, 30);
    run(p, [[700, 'c', 3, 1]], 630 * S);
    const all = closeAll(p);
    assert.deepEqual([...all.agg.deltas.keys()], ['c']);
    assert.equal(p.open.size, 0);
    assert.equal(safeOffset(p, 700), 700);
  });

  it('an event for an earlier step (within the lateness) writes the open step and opens its own', () => {
    const p = emptyOpenPartition();
    run(p, [[0, 's', 310, 1]]);
    const b1 = run(p, [[1, 's', 290, 2]]);
    assert.deepEqual(written(b1, 's')[1], [[1, 1, 1]], 'step 1 written');
    assert.equal(p.open.get('s')!.step, T0 / STEP);
    assert.deepEqual(raisedOf(p, b1), [], 'the watermark stays at 310 s');
    const b2 = run(p, [[2, 's', 320, 4]]);
    assert.deepEqual(written(b2, 's')[1], [[0, 1, 2]], 'step 0 written');
    assert.equal(b2.agg.deltas.get('s')!.priorWatermark, T0 + 310 * S, 'the bucket of step 1 is in Redis: it is merged, not created');
  });

  it('lateness counts open events: an event more than the allowed lateness behind an open one is late', () => {
    const p = emptyOpenPartition();
    run(p, [[0, 's', 1000, 1]], 0, 600 * S);
    const b = run(
      p,
      [
        [1, 's', 400, 2],
        [2, 's', 399, 3],
      ],
      0,
      600 * S,
    );
    assert.deepEqual(
      b.agg.late.map((l) => [l.event.message, l.watermark - T0]),
      [[2, 1000 * S]],
    );
    assert.equal(b.agg.accepted, 1);
  });

  it('a fast replay writing two steps of a series in one call merges them into one delta per bucket', () => {
    const p = emptyOpenPartition();
    const b = run(p, [
      [0, 's', 0, 1],
      [1, 's', 300, 2],
      [2, 's', 600, 4],
      [3, 's', 900, 8],
    ]);
    // steps 0, 1 and 2 written (step 3 open): hour 0 holds 1+2+4
    assert.deepEqual(written(b, 's')[2], [[0, 3, 7]]);
    assert.deepEqual(written(b, 's')[1], [
      [0, 1, 1],
      [1, 1, 2],
      [2, 1, 4],
    ]);
    assert.deepEqual([...b.written], [['s', 2]]);
  });

  it('replaying after a crash drops the events Redis holds and gives the others their first verdict', () => {
    // before the crash: offsets 0..5 handled (seen 5); s's events up to offset 3 written, t's none
    const p = emptyOpenPartition();
    p.seen = 5;
    p.written.set('s', 3);
    p.watermarks.set('s', T0 + 20 * S);
    p.stored.set('s', T0 + 20 * S);
    const b = run(p, [
      [1, 's', 10, 1],
      [2, 't', 11, 1],
      [3, 's', 20, 1],
      [4, 's', 30, 2],
      [5, 't', 12, 3],
      [6, 's', 31, 4],
    ]);
    assert.equal(b.replayed, 2, 'offsets 1 and 3 of s are in Redis');
    assert.equal(b.agg.accepted, 4);
    assert.deepEqual(p.open.get('s') && [p.open.get('s')!.firstOffset, p.open.get('s')!.lastOffset], [4, 6]);
    assert.deepEqual(p.open.get('t') && [p.open.get('t')!.firstOffset, p.open.get('t')!.lastOffset], [2, 5]);
    assert.equal(safeOffset(p, 6), 1, 'Redis may record offsets up to 1 (t opened at 2)');
    assert.deepEqual(
      closeAll(p)
        .agg.deltas.get('s')!
        .buckets[0].list.map((d) => [d.count, d.sum]),
      [[2, 6]],
    );
  });
});
