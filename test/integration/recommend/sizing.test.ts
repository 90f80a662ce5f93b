/**
 * RESOURCES, IDLE and SPOT recommendations on the real stack, from series replayed against
 * the example GitOps repository (current values from its manifests), and through the
 * committer into the repository: routine ones as commits on main, the critical spot move as a
 * pull request. A noisy container series does not make its RESOURCES recommendation flap.
 * Each carries its projected cost from the manifest's requests and the pools' FOCUS prices.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { MetricSample, Recommendation } from '../../../src/codec/generated-types.js';
import { LocalGitBackend } from '../../../src/committer/local-backend.js';
import { parseQuantity } from '../../../src/manifests/quantity.js';
import { CostStore } from '../../../src/windows/cost-store.js';
import { waitFor } from '../../../src/util/retry.js';
import { focusRow, produceBilling } from '../../helpers/billing.js';
import { startCli } from '../../helpers/cli.js';
import { testConfig, testEnv } from '../../helpers/env.js';
import { gitopsRemote } from '../../helpers/gitops.js';
import { readTopic, testKafka } from '../../helpers/kafka.js';
import { runProcessorUntil } from '../../helpers/processor.js';
import { produceSamples, testCodec } from '../../helpers/produce.js';
import { totalApplied } from '../../helpers/windows.js';

const STEP = 300_000;
const HOUR = 3_600_000;
const redis = new Redis(process.env.FORESIGHT_REDIS_URL ?? 'redis://127.0.0.1:6379');
after(() => redis.disconnect());

const plain = (x: unknown): unknown => JSON.parse(JSON.stringify(x)); // decoded records are class instances
/** deterministic noise in [-1, 1] */
const noise = (i: number): number => Math.sin(i * 12.9898) * Math.cos(i * 78.233);

describe('sizing recommendations', () => {
  it('recommends requests, idle scale-down and spot, and the committer turns them into commits and a pull request', async () => {
    // busy: under a CPU HPA above its floor (0.3 cores a pod on requests of 200m, target 60%): its CPU request is the
    // unit the HPA scales in and is left as it is; its memory (~100 MiB of 512) is right-sized
    const busy = `apiVersion: apps/v1
kind: Deployment
metadata: {name: busy, namespace: shop, annotations: {foresight.dev/managed: 'true'}}
spec:
  selector: {matchLabels: {app: busy}}
  template:
    metadata: {labels: {app: busy}}
    spec:
      containers:
        - name: app
          image: example/busy:1
          resources:
            requests: {cpu: 200m, memory: 512Mi}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: busy, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: busy}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
`;
    // bare: under a CPU HPA with no CPU request at all (the HPA cannot compute utilisation): a request is proposed
    const bare = busy.replace(/busy/g, 'bare').replace('requests: {cpu: 200m, memory: 512Mi}', 'requests: {memory: 512Mi}');
    // side: an HPA on a ContainerResource metric judges its container app alone (0.3 cores on 200m, target 60%: above
    // its floor, so app's CPU request is kept) and does not see the sidecar proxy at all (0.05 cores on 500m: cut freely)
    const side = busy
      .replace(/busy/g, 'side')
      .replace(
        '          resources:\n            requests: {cpu: 200m, memory: 512Mi}',
        '          resources:\n            requests: {cpu: 200m, memory: 512Mi}\n        - name: proxy\n          image: example/proxy:1\n          resources:\n            requests: {cpu: 500m, memory: 64Mi}',
      )
      .replace('- type: Resource\n      resource: {name: cpu,', '- type: ContainerResource\n      containerResource: {name: cpu, container: app,');
    assert.ok(side.includes('name: proxy') && side.includes('container: app'), side);
    // multi: two CPU utilisation metrics (the pod's and app's): the HPA scales on the largest, so the CPU request is kept
    // whatever the usage (0.05 cores on 200m), and memory alone is sized
    const multi = busy
      .replace(/busy/g, 'multi')
      .replace(
        '      resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}\n',
        '      resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}\n    - type: ContainerResource\n      containerResource: {name: cpu, container: app, target: {type: Utilization, averageUtilization: 80}}\n',
      );
    assert.ok(multi.includes('averageUtilization: 80'), multi);
    const repo = gitopsRemote({ 'apps/busy/busy.yaml': busy, 'apps/bare/bare.yaml': bare, 'apps/side/side.yaml': side, 'apps/multi/multi.yaml': multi });
    const checkout = path.join(repo.tmp, 'checkout');
    execFileSync('git', ['clone', '-q', repo.remote, checkout]);
    const env = testEnv({
      FORESIGHT_TOPIC_PARTITIONS: '2',
      FORESIGHT_POLICY_REPO: checkout,
      FORESIGHT_GITOPS_REMOTE: repo.remote,
      FORESIGHT_GITOPS_WORKDIR: path.join(repo.tmp, 'work'),
    });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    const end = Math.floor(Date.now() / HOUR) * HOUR;
    const times = Array.from({ length: 30 * 12 }, (_, i) => end - (30 * 12 - i) * STEP + STEP);
    const sample = (workload: string, container: string | null, metric: string, value: number, t: number): MetricSample => {
      const [namespace, kind, name] = workload.split('/');
      return { cluster: 'prod', namespace, kind, name, container, metric, unit: '1', value, eventTime: t, attributes: {} };
    };
    // unit prices of the pools (payments has no pool nodeSelector: the policy's "default"; checkout's
    // nodeSelector: "general-n2"; SPOT: "spot"): default and general-n2 0.04/vCPU-hour and 0.005/GiB-hour,
    // spot 0.012 and 0.0015; an hour in each month the samples span. In default a savings plan covers 80 of
    // its 100 core-hours an hour (contracted 3.20, effective 2.00): the blended 0.028 is not what a change of
    // under 20 cores saves, the on-demand rows' 0.04 is (money/cost-model.ts changeCost)
    const rows = [end - HOUR, end - 31 * HOUR].flatMap((start) => [
      { ...focusRow({ start, unit: 'vCPU-Hours', quantity: 80, cost: 2, pool: 'default', commitment: 'sp-1' }), ContractedCost: 3.2 },
      focusRow({ start, unit: 'vCPU-Hours', quantity: 20, cost: 0.8, pool: 'default' }),
      focusRow({ start, unit: 'vCPU-Hours', quantity: 100, cost: 4, pool: 'general-n2' }),
      ...['default', 'general-n2'].flatMap((pool) => [focusRow({ start, unit: 'GiB-Hours', quantity: 400, cost: 2, pool })]),
      focusRow({ start, unit: 'vCPU-Hours', quantity: 100, cost: 1.2, pool: 'spot' }),
      focusRow({ start, unit: 'GiB-Hours', quantity: 400, cost: 0.6, pool: 'spot' }),
    ]);
    await produceBilling(kafka, cfg, codec, rows);
    const costs = new CostStore(redis, cfg.redis.keyPrefix, [{ topic: cfg.topics.billing, partitions: 2 }]);
    await runProcessorUntil(
      env,
      async () =>
        (await costs.poolPrices('spot', end - HOUR)).memoryGibHour !== undefined && (await costs.poolPrices('default', end - HOUR)).memoryGibHour !== undefined,
      60_000,
    );
    const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} ≠ ${b}`);

    const samples: MetricSample[] = [
      // payments: idle (5 millicores) and perfectly steady for 30 hours
      ...times.map((t) => sample('payments/Deployment/payments', null, 'cpu_usage', 0.005, t)),
      // checkout's app container: ~0.3 cores, ~800 MiB, one OOM kill 3 hours ago
      ...times.map((t, i) => sample('shop/Deployment/checkout', 'app', 'cpu_usage', 0.3 * (1 + 0.1 * noise(i)), t)),
      ...times.map((t, i) => sample('shop/Deployment/checkout', 'app', 'memory_usage', 800 * 2 ** 20 * (1 + 0.05 * noise(i + 7)), t)),
      sample('shop/Deployment/checkout', 'app', 'oom_kills', 1, end - 3 * HOUR),
      ...times.map((t, i) => sample('shop/Deployment/busy', 'app', 'cpu_usage', 0.3 * (1 + 0.1 * noise(i + 3)), t)),
      ...times.map((t, i) => sample('shop/Deployment/busy', 'app', 'memory_usage', 100 * 2 ** 20 * (1 + 0.05 * noise(i + 11)), t)),
      ...times.map((t, i) => sample('shop/Deployment/bare', 'app', 'cpu_usage', 0.3 * (1 + 0.1 * noise(i + 5)), t)),
      ...times.map((t, i) => sample('shop/Deployment/side', 'app', 'cpu_usage', 0.3 * (1 + 0.1 * noise(i + 13)), t)),
      ...times.map((t, i) => sample('shop/Deployment/side', 'proxy', 'cpu_usage', 0.05 * (1 + 0.1 * noise(i + 17)), t)),
      ...times.map((t, i) => sample('shop/Deployment/multi', 'app', 'cpu_usage', 0.05 * (1 + 0.1 * noise(i + 19)), t)),
      ...times.map((t, i) => sample('shop/Deployment/multi', 'app', 'memory_usage', 100 * 2 ** 20 * (1 + 0.05 * noise(i + 23)), t)),
    ];
    await produceSamples(kafka, cfg, codec, samples);
    await runProcessorUntil(env, async () => (await totalApplied(redis, cfg.redis.keyPrefix)) >= samples.length, 120_000);
    const recs = await Promise.all(
      (await readTopic(kafka, cfg.topics.recommendations)).map((m) => codec.decode<Recommendation>(m.message.value, 'Recommendation')),
    );
    const show = JSON.stringify(recs.map((r) => [r.type, r.namespace, r.name, r.container, r.changes, r.rules]));

    const idle = recs.filter((r) => r.type === 'IDLE');
    assert.equal(idle.length, 1, show);
    assert.deepEqual(plain(idle[0].changes), [{ field: 'minReplicas', current: '2', proposed: '1' }]);
    assert.equal(idle[0].currentSource, 'MANIFEST');
    assert.ok(idle[0].rules.includes('idle:scale-to-min'));
    // one replica of 250m and 256Mi less: −(0.25 × 0.04 + 0.25 × 0.005) × 730, the CPU at the contracted price
    close(idle[0].monthlyCostDelta, -8.2125, 'IDLE saving');
    const commitment = 'commitment:cpu-core-hour:marginal=0.04:covered=80%';
    assert.ok(idle[0].rules.includes(commitment), idle[0].rules.join(','));
    assert.deepEqual([idle[0].currency, idle[0].costUnknown, idle[0].nodePool], ['USD', null, 'default']);
    // what was priced, for adding up cuts of one pool (foresight report): one replica of 250m and 256Mi freed
    assert.deepEqual(plain(idle[0].resourceDelta), { cpuCores: -0.25, memoryGib: -0.25, gpus: 0 });

    const spot = recs.filter((r) => r.type === 'SPOT');
    assert.equal(spot.length, 1, show);
    assert.deepEqual(plain(spot[0].changes), [{ field: 'nodeSelector.karpenter.sh/capacity-type', current: null, proposed: 'spot' }]);
    assert.equal(spot[0].critical, true);
    // the same 2 replicas of 250m and 256Mi at spot prices: 2 × 0.25 × ((0.012 − 0.04) + (0.0015 − 0.005)) × 730
    close(spot[0].monthlyCostDelta, -11.4975, 'SPOT saving');
    assert.ok(spot[0].rules.includes(commitment), spot[0].rules.join(','));
    assert.equal(spot[0].resourceDelta, null, 'a move between two pools is not one pool’s delta');

    // the first once half a day of evidence is in, the OOM-bumped one after the kill; nothing else over 30 noisy hours
    const resources = recs.filter((r) => r.type === 'RESOURCES' && r.name === 'checkout').sort((a, b) => a.createdAt - b.createdAt);
    assert.equal(resources.length, 2, show);
    assert.ok(!resources[0].rules.includes('oom-bump'));
    const last = resources[1];
    assert.ok(last.createdAt > end - 3 * HOUR, 'the bump follows the kill');
    const rc = Object.fromEntries(last.changes.map((c) => [c.field, c]));
    assert.equal(last.container, 'app');
    assert.equal(rc['requests.cpu'].current, '1');
    const cpu = Number(rc['requests.cpu'].proposed.replace(/m$/, '')) / 1000;
    // the 90th percentile of ~0.3 ÷ the HPA's 70% target (above its × 1.15 margin)
    assert.ok(cpu > 0.3 / 0.7 && cpu < 0.6, `requests.cpu ${rc['requests.cpu'].proposed}`);
    assert.ok(last.rules.includes('cpu-hpa-target:70%'), last.rules.join(','));
    // after the OOM kill: at least max(peak + 100 MB, peak × 1.2) with the peak ≈ 840 MiB
    const mem = Number(rc['requests.memory'].proposed.replace(/Mi$/, ''));
    assert.ok(mem >= 840 * 1.2 * 0.98 && mem < 1100, `requests.memory ${rc['requests.memory'].proposed}`);
    assert.ok(last.rules.includes('oom-bump'), last.rules.join(','));
    assert.equal(rc['limits.memory'].current, '1Gi');
    // Δrequests × 3 replicas (the HPA's minReplicas) × the general-n2 pool's prices; checkout's HPA scales on CPU
    // utilisation (target 70%) and sits at its floor (~0.33 cores of 1 at the 90th percentile): the CPU request keeps
    // the percentile at the target, so the HPA stays at its floor and its minReplicas are what the change is priced on
    for (const r of resources) {
      assert.equal(r.nodePool, 'general-n2');
      const delta = (field: string): number => {
        const c = r.changes.find((x) => x.field === field);
        return c ? parseQuantity(c.proposed)! - parseQuantity(c.current!)! : 0;
      };
      close(r.monthlyCostDelta, 3 * (delta('requests.cpu') * 0.04 + (delta('requests.memory') / 2 ** 30) * 0.005) * 730, 'RESOURCES cost');
      assert.equal(r.rules.includes('cpu-hpa:at-floor'), delta('requests.cpu') !== 0, r.rules.join(','));
      assert.ok(!r.rules.includes('cpu-hpa:scaling:cpu-request-kept'), r.rules.join(','));
      assert.notEqual(r.monthlyCostDelta, 0);
      assert.equal(r.costUnknown, null);
    }

    // one RESOURCES recommendation of `name` that sizes memory only, its CPU request kept by `rule`
    const memoryOnly = (name: string, rule: string): void => {
      const of = recs.filter((r) => r.type === 'RESOURCES' && r.name === name);
      assert.equal(of.length, 1, show);
      assert.deepEqual(
        of[0].changes.map((c) => c.field),
        ['requests.memory', 'limits.memory'],
        name,
      );
      assert.ok(of[0].rules.includes(rule), `${name}: ${of[0].rules.join(',')}`);
    };
    // busy: its memory only, the CPU request kept under the HPA that scales in it
    memoryOnly('busy', 'cpu-hpa:scaling:cpu-request-kept');
    // bare: a CPU request for the HPA's target, ~0.33 ÷ 0.6; its cost unknown (nothing to compare with)
    const bareRes = recs.filter((r) => r.type === 'RESOURCES' && r.name === 'bare');
    assert.equal(bareRes.length, 1, show);
    assert.deepEqual(plain(bareRes[0].changes.map((c) => [c.field, c.current])), [['requests.cpu', null]]);
    const bareCpu = parseQuantity(bareRes[0].changes[0].proposed)!;
    assert.ok(bareCpu > 0.3 / 0.6 && bareCpu < 0.7, bareRes[0].changes[0].proposed);
    assert.ok(bareRes[0].rules.includes('cpu-hpa-target:60%'), bareRes[0].rules.join(','));
    assert.equal(bareRes[0].costUnknown, 'cost unknown: container app has no requests.cpu in force to compare with');

    // side: app's CPU request kept (the ContainerResource HPA scales in it, whatever proxy uses); proxy's cut as if
    // no HPA were there (no cpu-hpa rule: the HPA does not divide by it)
    const sideRes = recs.filter((r) => r.type === 'RESOURCES' && r.name === 'side');
    assert.deepEqual(
      sideRes.map((r) => r.container),
      ['proxy'],
      show,
    );
    assert.deepEqual(plain(sideRes[0].changes.map((c) => [c.field, c.current])), [['requests.cpu', '500m']]);
    const proxyCpu = parseQuantity(sideRes[0].changes[0].proposed)!;
    assert.ok(proxyCpu > 0.05 && proxyCpu < 0.1, sideRes[0].changes[0].proposed);
    assert.ok(!sideRes[0].rules.some((x) => x.startsWith('cpu-hpa')), sideRes[0].rules.join(','));

    // multi: two CPU utilisation metrics, every CPU request kept
    memoryOnly('multi', 'cpu-hpa:several-cpu-metrics:cpu-request-kept');

    // the committer: IDLE and RESOURCES to main, SPOT as a pull request
    const committer = startCli(['committer'], env);
    try {
      assert.ok(
        await waitFor(
          async () => Number(repo.git('rev-list', '--count', 'main').trim()) === 7 && LocalGitBackend.pullRequests(repo.remote).length === 1,
          60_000,
        ),
        committer.output().slice(-3000),
      );
    } finally {
      committer.child.kill('SIGTERM');
    }
    assert.equal(await committer.exited, 0);
    // the two RESOURCES recommendations of checkout arrived together: one commit, both trailers
    const ids = repo
      .git('log', '-1', '--grep=^foresight: shop/Deployment/checkout', '--format=%(trailers:key=Recommendation-Id,valueonly)', 'main')
      .trim()
      .split('\n');
    assert.deepEqual(ids.sort(), resources.map((r) => r.id).sort());
    // the IDLE commit says how commitments priced it
    assert.match(
      repo.git('log', '-1', '--format=%B', '--grep=^foresight: payments/Deployment/payments', 'main'),
      /commitments cover 80% of the pool's cpu-core-hours/,
    );
    const payments = repo.git('show', 'main:apps/payments/payments.yaml');
    assert.match(payments, /\n {2}minReplicas: 1\n {2}maxReplicas: 8\n/);
    const patch = repo.git('show', 'main:apps/shop/overlays/prod/checkout-patch.yaml');
    assert.match(patch, new RegExp(`cpu: "${rc['requests.cpu'].proposed}" {10}# black friday 2025: raised by hand`));
    assert.match(patch, new RegExp(`\\n {12}memory: ${rc['requests.memory'].proposed}\\n {10}limits:\\n {12}memory: ${rc['limits.memory'].proposed}\\n`));
    const spotBranch = repo.git('show', 'foresight/payments/deployment/payments:apps/payments/payments.yaml');
    assert.match(spotBranch, /\n {6}nodeSelector:\n {8}karpenter\.sh\/capacity-type: spot\n/);
  });
});
