import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpiryCache } from '../../../src/windows/window-store.js';

describe('expiry cache (a chunk key gets its expiry once)', () => {
  const HOUR = 3_600_000;
  it('vouches for a key only with the same expiry, more than an hour away', () => {
    let now = 0;
    const c = new ExpiryCache(10, () => now);
    assert.equal(c.has('k', 5 * HOUR), false, 'unknown key');
    c.add('k', 5 * HOUR);
    assert.equal(c.has('k', 5 * HOUR), true);
    assert.equal(c.has('k', 6 * HOUR), false, 'another expiry');
    now = 4.5 * HOUR;
    assert.equal(c.has('k', 5 * HOUR), false, 'about to expire: set it again (the key may be gone and written anew)');
  });

  it('stays bounded: emptied when full', () => {
    const c = new ExpiryCache(3, () => 0);
    for (const k of ['a', 'b', 'c']) c.add(k, 10 * HOUR);
    c.add('d', 10 * HOUR);
    assert.equal(c.has('a', 10 * HOUR), false);
    assert.equal(c.has('d', 10 * HOUR), true);
  });
});
