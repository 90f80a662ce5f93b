import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseTime, readTrace } from '../../../src/replay/csv-trace.js';
import { parseWorkload } from '../../../src/replay/replay.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('CSV traces', () => {
  it('reads unix seconds, unix milliseconds and UTC date-times', () => {
    assert.equal(parseTime('1372629804'), 1372629804000);
    assert.equal(parseTime('1372629804000'), 1372629804000);
    assert.equal(parseTime('2013-06-30 22:03:24'), Date.UTC(2013, 5, 30, 22, 3, 24));
    assert.equal(parseTime('2013-06-30T22:03:24Z'), Date.UTC(2013, 5, 30, 22, 3, 24));
    // no zone: UTC whatever the machine's zone (the demo prints its decided time so)
    assert.equal(parseTime('2026-11-29T21:40'), Date.UTC(2026, 10, 29, 21, 40));
    assert.equal(parseTime('2026-11-29T21:40:05.5'), Date.UTC(2026, 10, 29, 21, 40, 5, 500));
    assert.equal(parseTime('2026-11-29T21:40+01:00'), Date.UTC(2026, 10, 29, 20, 40));
    assert.throws(() => parseTime('yesterday'), /not a time/);
    // (report --at reads its time here too) a day its month does not have is refused, not read as the next month's
    assert.throws(() => parseTime('2013-06-31 22:03:24'), /^Error: not a time: "2013-06-31 22:03:24" is no day of the calendar \(June 2013 has 30 days\)$/);
  });

  it('places rows at i × step without a time column and skips non-numeric values', () => {
    const dir = tempDir('trace-');
    const file = path.join(dir, 't.csv');
    writeFileSync(file, 'cpu,mem\n1,2\n,3\n4,5\nNaN,1\n');
    const { rows, skipped } = readTrace(file, { valueColumn: 'cpu', stepSeconds: 60 });
    assert.deepEqual(rows, [
      { timeMs: 0, value: 1 },
      { timeMs: 120_000, value: 4 },
    ]);
    assert.equal(skipped, 2);
    assert.throws(() => readTrace(file, { valueColumn: 'gpu', stepSeconds: 60 }), /no column "gpu"; columns are cpu, mem/);
  });

  it('parses workload specs and explains a bad one', () => {
    assert.deepEqual(parseWorkload('shop/Deployment/checkout/app', 'c1'), {
      cluster: 'c1',
      namespace: 'shop',
      kind: 'Deployment',
      name: 'checkout',
      container: 'app',
    });
    assert.equal(parseWorkload('shop/Deployment/checkout', 'c1').container, null);
    assert.throws(() => parseWorkload('checkout', 'c1'), /namespace\/kind\/name\[\/container\]/);
    assert.throws(() => parseWorkload('Shop/Deployment/checkout', 'c1'), /namespace "Shop" is not valid \(a Kubernetes namespace/);
    assert.throws(() => parseWorkload('shop/Deployment/checkout', 'c/1'), /cluster "c\/1" is not valid/);
  });
});
