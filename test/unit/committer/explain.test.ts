/** What a commit and a pull request say about money: the projected cost, or why it is unknown; never a made-up 0.00. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Recommendation } from '../../../src/codec/generated-types.js';
import { commitMessage, explanationsOf, money, pullRequestBody, type Applied } from '../../../src/committer/explain.js';

function applied(over: Partial<Recommendation>): Applied[] {
  const rec: Recommendation = {
    id: 'r1',
    type: 'HPA',
    cluster: 'prod',
    namespace: 'shop',
    kind: 'Deployment',
    name: 'checkout',
    container: null,
    changes: [{ field: 'minReplicas', current: '3', proposed: '5' }],
    currentSource: 'MANIFEST',
    forecast: { metric: 'cpu_usage', horizonSeconds: 3600, q50: 1, q90: 2, q99: 3, quantileUsed: 0.99, peakTime: null },
    rules: ['slo-risk:0.01'],
    monthlyCostDelta: 50.7915,
    currency: 'USD',
    confidence: 0.5,
    modelVersion: 'm',
    critical: true,
    createdAt: 0,
    traceparent: null,
    costUnknown: null,
    nodePool: 'general-n2',
    budget: null,
    resourceDelta: null,
    ...over,
  };
  return [{ rec, diffs: [{ field: 'minReplicas', container: null, before: '3', after: '5', file: 'apps/shop/hpa.yaml' }] }];
}

describe('explain: money', () => {
  it('a known cost: signed, two decimals, currency, the pool whose prices priced it', () => {
    const a = applied({});
    assert.equal(money(a[0].rec), '+50.79 USD/month (pool general-n2 prices)');
    assert.match(commitMessage(a), /Projected cost change: \+50\.79 USD\/month \(pool general-n2 prices\);/);
    assert.match(pullRequestBody(a, undefined), /cost \+50\.79 USD\/month \(pool general-n2 prices\);/);
    assert.equal(money({ ...a[0].rec, monthlyCostDelta: -7.3 }), '−7.30 USD/month (pool general-n2 prices)');
    // priced where commitments cover part of the pool (money/cost-model.ts changeCost): said in words
    assert.equal(
      money({ ...a[0].rec, monthlyCostDelta: -116.8, rules: ['commitment:cpu-core-hour:marginal=0.04:covered=71%:cut-capped'] }),
      "−116.80 USD/month (pool general-n2 prices); commitments cover 71% of the pool's cpu-core-hours, so it is priced at the 0.04 USD/cpu-core-hour paid past them, and a cut saves only the usage no commitment covers (the committed rest is paid until the commitment ends)",
    );
    assert.equal(
      money({ ...a[0].rec, monthlyCostDelta: 58.4, rules: ['commitment:cpu-core-hour:marginal=0.04:covered=83%:raise-into-unused'] }),
      "+58.40 USD/month (pool general-n2 prices); commitments cover 83% of the pool's cpu-core-hours, so it is priced at the 0.04 USD/cpu-core-hour paid past them, and a raise first takes what the commitments left unused (paid either way) at no extra cost",
    );
  });

  it('an unknown cost says why, in the commit and the pull request, and no figure', () => {
    const a = applied({ monthlyCostDelta: 0, costUnknown: 'cost unknown: no billing rows for pool gpu-a100 in 2026-11', nodePool: 'gpu-a100' });
    for (const text of [commitMessage(a), pullRequestBody(a, undefined)]) {
      assert.match(text, /cost unknown: no billing rows for pool gpu-a100 in 2026-11/);
      assert.doesNotMatch(text, /0\.00/);
    }
  });

  it("a change a budget sent for review carries the budget's figures", () => {
    const a = applied({
      budget: { scope: 'team:payments', period: '2026-11', monthly: 500, monthToDate: 420, projected: 610.5, policy: 'payments (policies/payments.yaml)' },
    });
    for (const text of [commitMessage(a), pullRequestBody(a, undefined)])
      assert.match(text, /Budget team:payments \(payments \(policies\/payments\.yaml\)\): 500\.00 USD for 2026-11; month to date 420\.00, projected 610\.50\./);
  });
});

describe('explain: outcomes', () => {
  it('a recommendation made with a calibration a regressed outcome tightened cites that outcome, in the commit and the pull request', () => {
    const a = applied({ rules: ['slo-risk:0.01', 'outcome-regressed:abc123:x1.50'] });
    const line =
      "Tightened ×1.50: the outcome of recommendation abc123 (outcomes.v1) was regressed — once in force it left the workload under-provisioned above the policy's SLO risk.";
    assert.ok(commitMessage(a).includes(line), commitMessage(a));
    assert.ok(pullRequestBody(a, undefined).includes(line));
    assert.ok(!commitMessage(applied({})).includes('Tightened'));
  });
});

describe('explain: what the commit says (issue 11, the flapping ceiling)', () => {
  const hpa = (id: string, before: [string, string], after: [string, string]): Applied => {
    const rec = applied({ id })[0].rec;
    return {
      rec,
      diffs: [
        ...(before[0] !== after[0] ? [{ field: 'minReplicas', container: null, before: before[0], after: after[0], file: 'apps/shop/hpa.yaml' }] : []),
        ...(before[1] !== after[1] ? [{ field: 'maxReplicas', container: null, before: before[1], after: after[1], file: 'apps/shop/hpa.yaml' }] : []),
      ],
    };
  };

  it('the title of a squashed commit lists the net change of each field, not every step', () => {
    // min 3→5 with max 12→11, then max 11→12, then 12→10: net min 3→5, max 12→10
    const three = [hpa('a', ['3', '12'], ['5', '11']), hpa('b', ['5', '11'], ['5', '12']), hpa('c', ['5', '12'], ['5', '10'])];
    assert.equal(commitMessage(three).split('\n')[0], 'foresight: shop/Deployment/checkout minReplicas 3→5, maxReplicas 12→10');
    // a ceiling back where it was is no net change
    const back = [hpa('a', ['3', '12'], ['5', '11']), hpa('b', ['5', '11'], ['5', '12'])];
    assert.equal(commitMessage(back).split('\n')[0], 'foresight: shop/Deployment/checkout minReplicas 3→5');
    // every recommendation keeps its own lines and trailer
    assert.equal((commitMessage(three).match(/^Recommendation-Id: /gm) ?? []).length, 3);
  });

  it("a ceiling-only change costs nothing until used, and says so instead of the floor's figure", () => {
    const a = applied({ monthlyCostDelta: 0, rules: ['slo-risk:0.01', 'maxReplicas:cut', 'ceiling-only:no-cost-until-used'] });
    assert.equal(
      money(a[0].rec),
      '+0.00 USD/month: beyond what was proposed before it, only maxReplicas changes, and a ceiling costs nothing until the HPA scales to it',
    );
    assert.match(commitMessage(a), /Projected cost change: \+0\.00 USD\/month: beyond what was proposed before it, only maxReplicas changes/);
  });

  it('a recommendation made without a forecast (horizon 0) says so instead of zeros', () => {
    const a = applied({ type: 'SPOT', forecast: { metric: 'cpu_utilization', horizonSeconds: 0, q50: 0, q90: 0, q99: 0, quantileUsed: 0.99, peakTime: null } });
    const text = commitMessage(a);
    assert.match(text, /No forecast: a SPOT recommendation is decided on the observed cpu_utilization/);
    assert.doesNotMatch(text, /q50 0\.000/);
  });
});

describe('explain: a rebuilt review branch keeps each carried proposal’s explanation', () => {
  it('carries the forecast, rules and cost of an earlier recommendation into the rebuilt commit and pull request, through any number of rebuilds (a newcomer find)', () => {
    const first = applied({ rules: ['spot:cv=0.17', 'critical:spot'], costUnknown: 'cost unknown: no billing rows for pool spot in 2026-11' });
    const firstMessage = commitMessage(first);
    const why = explanationsOf(firstMessage).get('r1');
    assert.ok(why, firstMessage);
    assert.ok(why.some((l) => l === 'Policy rules: spot:cv=0.17, critical:spot.'));
    assert.ok(why.some((l) => /^Projected cost change: cost unknown: no billing rows for pool spot in 2026-11/.test(l)));
    assert.ok(why.some((l) => /^Forecast of cpu_usage/.test(l)));
    assert.ok(!why.some((l) => l.startsWith('  ')), 'the diff lines are recomputed on the new base, not carried');
    // rebuilt twice: the explanation is the first commit's, not "explained in its earlier commit" (a commit no branch holds then)
    let message = firstMessage;
    for (let rebuild = 0; rebuild < 2; rebuild++) {
      const carried: Applied[] = [{ ...first[0], carried: true, why: explanationsOf(message).get('r1') }];
      message = commitMessage(carried, ['r1']);
      assert.deepEqual(explanationsOf(message).get('r1'), why);
      assert.match(message, /Still proposed by the open pull request, recommendation r1:\n {2}minReplicas: 3 -> 5/);
      assert.match(pullRequestBody(carried, undefined), /`r1`: an earlier recommendation, still proposed: .*Policy rules: spot:cv=0\.17, critical:spot\./);
    }
    // a branch committed before explanations were carried: said so, and nothing mistaken for one
    const old: Applied[] = [{ ...first[0], carried: true }];
    assert.match(commitMessage(old), /Its explanation is in the commit that first proposed it\./);
    assert.equal(explanationsOf(commitMessage(old)).get('r1'), undefined);
  });
});
