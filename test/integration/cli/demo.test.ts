/**
 * `foresight demo` — the README's first command — runs the whole path on the local stack and
 * ends with the recommendations and `git log -p` of the demo GitOps repository (the GPU part
 * included: the LLM trace's KEDA commit and MIG pull request), also when the
 * caller's shell sets EDITOR, PAGER and GIT_* variables (issue 12).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { CostRow, ReportData } from '../../../src/report/report-data.js';
import { runCli } from '../../helpers/cli.js';

describe('foresight demo', () => {
  it('replays a real trace through processor and committer and prints the GitOps commit', () => {
    // as run through npx (which sets EDITOR) from a shell with git variables of its own
    const shell = {
      EDITOR: 'vi',
      PAGER: 'less',
      GIT_SSH_COMMAND: 'ssh',
      GIT_DIR: '/nonexistent',
      GIT_WORK_TREE: '/nonexistent',
      GIT_INDEX_FILE: '/nonexistent/index',
    };
    const res = runCli(['demo', '--rows', '700'], shell, 240_000);
    assert.equal(res.status, 0, `${res.stdout.slice(-3000)}\n${res.stderr.slice(-3000)}`);
    const out = res.stdout;
    for (const step of ['1/7', '2/7', '3/7', '4/7', '5/7', '6/7', '7/7']) assert.match(out, new RegExp(`== ${step} `));
    assert.match(out, /Windows: all 700 events of demo-\d{14}-[0-9a-f]{4}\/shop\/Deployment\/checkout\/-\/cpu_utilization applied/);
    assert.match(out, /Recommendations on demo-\d{14}-[0-9a-f]{4}\.recommendations\.v1: [1-9]/);
    assert.match(out, /HPA {2}minReplicas 3→\d+/);
    // the loop closed: the committed change's outcome, decided on the replay's event time after the commit
    assert.match(out, /Outcomes on demo-\d{14}-[0-9a-f]{4}\.outcomes\.v1: [1-9]/);
    const verdict = /Outcome verdicts: (saved|neutral|regressed|insufficient-data) \(HPA ([0-9a-f]{8})\)/.exec(out);
    assert.ok(verdict, 'an outcome verdict');
    // step 6 names the checkout's newest commit (main's head may be the LLM server's KEDA commit), and its outcome is among the verdicts
    const followed =
      /== 6\/7 closing the loop: the processor pulls main \(head [0-9a-f]{8}\) into its checkout, with commit [0-9a-f]{8} of shop\/Deployment\/checkout \(recommendation ([0-9a-f]{8}): /.exec(
        out,
      );
    assert.ok(followed, out.slice(out.indexOf('== 6/7'), out.indexOf('== 6/7') + 600));
    const verdicts = /Outcome verdicts: (.*)/.exec(out)![1];
    assert.ok(verdicts.includes(` ${followed[1]})`), `the followed recommendation ${followed[1]} has no verdict: ${verdicts}`);
    // the LLM trace is replayed after the checkout's recommendations are committed: the checkout's pull request (if any) comes first
    const prNumber = (head: string): number | undefined => {
      const m = new RegExp(`\n {2}#(\\d+) ${head}: `).exec(out);
      return m ? Number(m[1]) : undefined;
    };
    const [shopPr, mlPr] = [prNumber('foresight/shop/deployment/checkout'), prNumber('foresight/ml/deployment/llm-server')];
    assert.ok(mlPr !== undefined && (shopPr === undefined || shopPr < mlPr), `pull requests #${shopPr} (checkout) and #${mlPr} (llm-server)`);
    // and the report of the run, with that outcome in it
    const reportFile = /\nReport: (\S+\.html) /.exec(out)?.[1];
    assert.ok(reportFile && existsSync(reportFile), 'the report file');
    assert.match(readFileSync(reportFile, 'utf8'), /<svg/);
    const report = JSON.parse(readFileSync(reportFile.replace(/\.html$/, '.json'), 'utf8')) as Pick<
      ReportData,
      'outcomes' | 'costs' | 'costTotal' | 'month' | 'savings'
    >;
    // the month's savings proposed as the report counts them, under its path (near a month's end, the next month's)
    assert.ok(out.includes(`\n  savings proposed in ${report.month}: ${report.savings.proposedMonthly!.toFixed(2)} USD`), out.slice(out.indexOf('\nReport: ')));
    assert.ok(
      report.outcomes.some((o) => o.recommendationId.startsWith(verdict[2]) && o.verdict === verdict[1]),
      JSON.stringify(report.outcomes),
    );
    // the billing rows carry their namespace (and the GPU pools' team): every cost attributed, shop's budget checked
    const scope = (re: RegExp): CostRow => report.costs.find((c) => re.test(c.scope))!;
    const [shop, ml, team] = [scope(/^ns:demo-\d{14}-[0-9a-f]{4}\/shop$/), scope(/^ns:demo-\d{14}-[0-9a-f]{4}\/ml$/), scope(/^team:ml-platform$/)];
    assert.ok(!report.costs.some((c) => c.scope === 'unattributed'), JSON.stringify(report.costs));
    // whole hours of the pools' list prices: general-n2 1.165416 USD an hour (0.758664 + 0.406752), the GPU pools 11.569 (their six rows)
    const hours = shop.monthToDate! / 1.165416;
    assert.ok(hours >= 1 && Math.abs(hours - Math.round(hours)) < 1e-6, `shop ${shop.monthToDate}`);
    assert.ok(Math.abs(ml.monthToDate! - Math.round(hours) * 11.569) < 1e-6, `ml ${ml.monthToDate} for ${hours} hours`);
    assert.equal(team.monthToDate, ml.monthToDate);
    assert.equal(shop.budget, 20_000);
    assert.equal(shop.overBudget, false);
    // the summary tile counts the namespaces once (the team's rows are ml's)
    assert.ok(Math.abs(report.costTotal.monthToDate! - shop.monthToDate! - ml.monthToDate!) < 1e-9, JSON.stringify(report.costTotal));
    // priced from the replayed FOCUS rows of the workload's node pool: non-zero, with a currency
    assert.match(out, /general-n2 unit prices from billing: 0\.031611 USD\/vCPU-hour, 0\.004237 USD\/GiB-hour/);
    const costs = [...out.matchAll(/Projected cost change: ([+−])(\d+\.\d\d) USD\/month \(pool general-n2 prices\)/g)];
    assert.ok(costs.length > 0, 'a commit message with a projected cost');
    assert.ok(
      costs.some((c) => Number(c[2]) > 0),
      costs.map((c) => c[0]).join('\n'),
    );
    // the sample has no spot prices: a SPOT move says so instead of a made-up figure
    assert.doesNotMatch(out, /SPOT .*[+−]0\.00 USD/);
    assert.match(out, /git log -p of the GitOps repository \(main: [1-9]\d* commit\(s\) by Foresight/);
    assert.match(out, /\n- {2}minReplicas: 3 {3}# never fewer than 3 in production\n\+ {2}minReplicas: \d+ {3}# never fewer than 3 in production\n/);
    // the GPU part (demo-gpu.ts): the LLM trace as ml/Deployment/llm-server; the processor's loop raises the KEDA floor (a commit)
    // and moves the replica to a MIG slice (a pull request), both priced from the GPU pool's billing rows (synthetic prices)
    assert.match(out, /as ml\/Deployment\/llm-server: demand \d+–\d+ generated tokens\/s/);
    assert.match(out, /\n {2}gpu-a100 unit prices from billing: 3\.6000 USD\/GPU-hour \(A100-80GB\), 0\.035000 USD\/vCPU-hour, 0\.004700 USD\/GiB-hour\n/);
    // one more replica of 4 vCPU, 24 GiB and one A100: (4 × 0.035 + 24 × 0.0047 + 3.60) × 730 = 2812.544 a month
    assert.match(out, /\n {2}replicas {9}keda\.minReplicaCount 2→3; projected GPU cost: \+2812\.54 USD\/month \(pool gpu-a100 prices\); routine → commit\n/);
    // the slice gives back (1 − k/7) of each replica's GPU-hours: replicas × (1 − k/7) × 3.60 × 730 (2 replicas in force, 3 after the commit)
    const mig =
      /\n {2}GPU right-sizing requests\.nvidia\.com\/mig-(\d)g\.\d+gb \(unset\)→1, limits\.nvidia\.com\/mig-\dg\.\d+gb \(unset\)→1, requests\.nvidia\.com\/gpu 1→\(removed\), limits\.nvidia\.com\/gpu 1→\(removed\); projected GPU cost: −(\d+\.\d\d) USD\/month \(pool gpu-a100 prices\); critical → pull request #\d\n/.exec(
        out,
      );
    assert.ok(mig, 'the MIG pull request with its projected GPU cost');
    const saving = (replicas: number): string => ((replicas * (1 - Number(mig[1]) / 7) * 3.6 * 730) as number).toFixed(2);
    assert.ok([saving(2), saving(3)].includes(mig[2]), `${mig[2]} is not ${saving(2)} or ${saving(3)}`);
    // spot GPUs are allowed by policies/ml.yaml, but one replica of 600 tokens/s cannot carry the trace's demand: no spot move
    assert.doesNotMatch(out, /spot GPU pool/);
    // the pull request's diff: the whole-GPU lines replaced by the slice's, no nvidia.com/gpu: 0 left
    assert.match(out, /\n- {12}nvidia\.com\/gpu: 1\n\+ {12}nvidia\.com\/mig-\dg\.\d+gb: 1\n/);
    assert.doesNotMatch(out, /nvidia\.com\/gpu: 0/);
    assert.match(out, /\n- {2}minReplicaCount: 2 {3}# one replica per zone at least\n\+ {2}minReplicaCount: 3 {3}# one replica per zone at least\n/);
    assert.match(out, /git log -p main\.\.foresight\/ml\/deployment\/llm-server:/);
    const trace = /first event's trace context: 00-([0-9a-f]{32})-/.exec(out)?.[1];
    assert.ok(trace);
    // expected, transient conditions (a fresh broker's coordinator, no GPU) print no JSON log line
    assert.doesNotMatch(res.stdout + res.stderr, /^\{"level"/m, 'the demo printed a raw log line');
    // a trace id of the replay: the first event's when the change is decided in the processor's
    // first batch (end-to-end.test.ts checks that case); the default policy's first raise may
    // come in a later batch of the replay, whose first event's trace the commit then carries
    assert.match(out, /Trace-Id: [0-9a-f]{32}\n/);
  });
});
