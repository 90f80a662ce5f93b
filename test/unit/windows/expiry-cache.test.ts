import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpiryCache } from '../../../src/windows/window-store.js';

describe('expiry cache (a chunk key is named once and gets its expiry once)', () => {
  const HOUR = 3_600_000;
  it('vouches for a key only with the same expiry, more than an hour away', () => {
    let now = 0;
    const c = new ExpiryCache(10, () => now);
    assert.equal(c.lookup('s', 0, 7), undefined, 'unknown series');
    const e = c.store('s', 0, 7, 'p:{t:0}:w2:s:m:7');
    assert.equal(c.lookup('s', 0, 7), e);
    assert.equal(c.has(e, 5 * HOUR), false, 'no expiry set yet');
    e.expireAt = 5 * HOUR; // the apply script set it
    assert.equal(c.has(e, 5 * HOUR), true);
    assert.equal(c.has(e, 6 * HOUR), false, 'another expiry');
    now = 4.5 * HOUR;
    assert.equal(c.has(e, 5 * HOUR), false, 'about to expire: set it again (the key may be gone and written anew)');
  });

  it('keeps one chunk per series and resolution: the next chunk replaces it', () => {
    const c = new ExpiryCache(10, () => 0);
    c.store('s', 0, 7, 'k7');
    c.store('s', 1, 7, 'five-k7');
    c.store('s', 0, 8, 'k8');
    assert.equal(c.lookup('s', 0, 7), undefined);
    assert.equal(c.lookup('s', 0, 8)?.key, 'k8');
    assert.equal(c.lookup('s', 1, 7)?.key, 'five-k7');
  });

  it('stays bounded: emptied when it holds `max` series', () => {
    const c = new ExpiryCache(3, () => 0);
    for (const s of ['a', 'b', 'c']) c.store(s, 0, 1, `k${s}`);
    c.store('d', 0, 1, 'kd');
    assert.equal(c.lookup('a', 0, 1), undefined);
    assert.equal(c.lookup('d', 0, 1)?.key, 'kd');
  });
});
