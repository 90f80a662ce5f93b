/** tempDir: a test's scratch folder lives as long as the test or suite that made it, and no longer. */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../helpers/temp-dir.js';

describe('tempDir', () => {
  it('made in a test: removed, with what it holds, when that test ends (after an await too)', async (t) => {
    let dir = '';
    await t.test('a test that makes one', async () => {
      await new Promise((resolve) => setImmediate(resolve));
      dir = tempDir('foresight-tempdir-');
      writeFileSync(path.join(dir, 'file'), 'x');
    });
    assert.notEqual(dir, '');
    assert.equal(existsSync(dir), false, `${dir} is left behind`);
  });

  it('made in a suite: kept for all its tests, removed when the suite ends', async (t) => {
    let dir = '';
    await t.test('a suite that makes one', async (s) => {
      dir = tempDir('foresight-tempdir-');
      await s.test('first', () => assert.ok(existsSync(dir)));
      await s.test('second', () => assert.ok(existsSync(dir)));
    });
    assert.equal(existsSync(dir), false, `${dir} is left behind`);
  });

  it('runs beforeRemove first, with the folder still there', async (t) => {
    let dir = '';
    let seen: boolean | undefined;
    await t.test('a test that makes one', () => {
      dir = tempDir('foresight-tempdir-', async (d) => {
        await new Promise((resolve) => setImmediate(resolve));
        seen = existsSync(d);
      });
    });
    assert.equal(seen, true);
    assert.equal(existsSync(dir), false, `${dir} is left behind`);
  });
});
