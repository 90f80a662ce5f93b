/** The key names of redis-keys.ts read back: what the one-shot commands (history export, report) find by SCAN. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  costHashKey,
  costHashName,
  monthCostHashPattern,
  parseCostHashKey,
  parseSeriesZsetKey,
  priceHashName,
  seriesZsetKey,
  seriesZsetPattern,
} from '../../../src/windows/redis-keys.js';

describe('redis keys', () => {
  const ref = { topic: 'metrics.v1', partition: 3 };

  it('finds a series zset by pattern and reads its partition back; another prefix is not ours', () => {
    assert.equal(seriesZsetPattern('fs'), 'fs:{*}:series');
    assert.deepEqual(parseSeriesZsetKey('fs', seriesZsetKey('fs', ref)), ref);
    assert.equal(parseSeriesZsetKey('fs', seriesZsetKey('fs:other', ref)), undefined);
  });

  it('escapes glob characters of the prefix in patterns', () => {
    assert.equal(seriesZsetPattern('t[1]*'), 't\\[1\\]\\*:{*}:series');
    assert.equal(monthCostHashPattern('a?b', '202611'), 'a\\?b:{*}:*:202611');
  });

  it('reads a cost hash and a price hash back to partition, kind and name', () => {
    const billing = { topic: 'billing.v1', partition: 1 };
    assert.equal(costHashKey('fs', billing, costHashName('team:payments', '202611')), 'fs:{billing.v1:1}:cost:team:payments:202611');
    assert.deepEqual(parseCostHashKey('fs', costHashKey('fs', billing, costHashName('team:payments', '202611'))), {
      ref: billing,
      kind: 'cost',
      name: 'team:payments',
    });
    assert.deepEqual(parseCostHashKey('fs', costHashKey('fs', billing, priceHashName('gpu-a100', 'gpu-hour', '202611'))), {
      ref: billing,
      kind: 'price',
      name: 'gpu-a100:gpu-hour',
    });
    assert.equal(parseCostHashKey('fs', 'fs:{billing.v1:1}:applied'), undefined);
  });
});
