/**
 * An outcome's after window in a pool that commitments cover (tracker.ts afterAtTheMargin): the before window priced at
 * the blend plus the change at the margin, so a realised saving compares with the projected one (cost-store.test.ts's
 * figures: 10 core-hours an hour under a savings plan, 4 on demand at 0.04 a core-hour, the blend 0.41 ÷ 14).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { afterAtTheMargin } from '../../../src/outcomes/tracker.js';
import type { Held } from '../../../src/outcomes/figures.js';
import type { Holding } from '../../../src/outcomes/measures.js';
import type { PoolPrices } from '../../../src/windows/billing.js';

const blend = 0.41 / 14;
const committed: PoolPrices = {
  pool: 'sp',
  cpuCoreHour: blend,
  currency: 'USD',
  committed: { cpuCoreHour: { marginal: 0.04, coveredShare: 10 / 14, onDemandByHour: Array<number>(24).fill(4), unusedByHour: Array<number>(24).fill(0) } },
};
const plain: PoolPrices = { pool: 'od', cpuCoreHour: 0.04, currency: 'USD' };
const holding = (cores: number, pool: string): Holding => ({ capacity: cores, amount: cores, resources: { cpuCores: cores, memoryBytes: 0, gpus: 0 }, pool });
const held = (cores: number, price: number): Held => ({ capacity: cores, amount: cores, hourlyCost: cores * price });
const close = (a: number | null, b: number): void => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${a} ≠ ${b}`);

describe('outcome cost at the margin', () => {
  it('a cut of 3 of 12 cores in a committed pool realises 3 × 0.04 an hour (87.60 a month), not 3 × the blend', () => {
    const m = { before: holding(12, 'sp'), after: holding(9, 'sp') };
    const after = afterAtTheMargin(m, held(12, blend), held(9, blend), committed, committed);
    close(after.hourlyCost, 12 * blend - 3 * 0.04);
    // 6 fewer: only the 4 on-demand cores an hour
    close(
      afterAtTheMargin({ before: holding(12, 'sp'), after: holding(6, 'sp') }, held(12, blend), held(6, blend), committed, committed).hourlyCost,
      12 * blend - 4 * 0.04,
    );
  });

  it('a pool without commitments keeps the blend; an unknown cost stays unknown', () => {
    const m = { before: holding(12, 'od'), after: holding(9, 'od') };
    assert.deepEqual(afterAtTheMargin(m, held(12, 0.04), held(9, 0.04), plain, plain), held(9, 0.04));
    const unknown: Held = { capacity: 9, amount: 9, hourlyCost: null };
    assert.deepEqual(afterAtTheMargin({ before: holding(12, 'sp'), after: holding(9, 'sp') }, held(12, blend), unknown, committed, committed), unknown);
  });

  it('SPOT out of a committed pool: what leaving sheds at the margin, what arriving pays there', () => {
    const spot: PoolPrices = { pool: 'spot', cpuCoreHour: 0.012, currency: 'USD' };
    const m = { before: holding(6, 'sp'), after: holding(6, 'spot') };
    // leaving sheds the 4 on-demand cores (0.16), arriving pays 6 × 0.012 (0.072)
    close(afterAtTheMargin(m, held(6, blend), held(6, 0.012), committed, spot).hourlyCost, 6 * blend - 0.16 + 0.072);
  });
});
