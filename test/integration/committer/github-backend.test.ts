/**
 * The committer's GitHub backend (@octokit/rest) against a local server that implements the
 * GitHub REST endpoints it uses (test/helpers/fake-github.ts): atomic commits through the Git
 * Data API, pull requests opened then updated, redelivery, a branch that moves underneath
 * (422 not a fast forward), persistent 409 conflicts, a 403 rate limit with its reset time,
 * 5xx retries, a real 403, and the token never in the logs.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Recommendation } from '../../../src/codec/generated-types.js';
import { Committer } from '../../../src/committer/committer.js';
import type { CommitterConfig } from '../../../src/config/config.js';
import { GitHubBackend, retryDelayMs } from '../../../src/committer/github-backend.js';
import { createLogger } from '../../../src/telemetry/log.js';
import { RejectedMessage } from '../../../src/util/errors.js';
import { FakeGitHub } from '../../helpers/fake-github.js';
import { exampleFiles } from '../../helpers/gitops.js';

let seq = 0;
function rec(workload: string, changes: [string, string][], opts: Partial<Recommendation> = {}): Recommendation {
  const [namespace, kind, name] = workload.split('/');
  return {
    id: `gh-${++seq}`,
    type: 'HPA',
    cluster: 'prod',
    namespace,
    kind,
    name,
    container: null,
    changes: changes.map(([field, proposed]) => ({ field, current: null, proposed })),
    currentSource: 'MANIFEST',
    forecast: { metric: 'cpu_usage', horizonSeconds: 3600, q50: 1, q90: 2, q99: 3, quantileUsed: 0.99, peakTime: null },
    rules: ['slo-risk:0.01'],
    monthlyCostDelta: 5,
    currency: 'USD',
    confidence: 0.7,
    modelVersion: 'm1',
    critical: false,
    createdAt: 0,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    costUnknown: null,
    nodePool: null,
    budget: null,
    resourceDelta: null,
    ...opts,
  };
}

describe('GitHub backend', () => {
  const gh = new FakeGitHub(exampleFiles());
  let logs = '';
  // the service's logger (with its secret scrubbing), written to a string
  const log = createLogger(
    'committer',
    'trace',
    new Writable({
      write: (c, _e, cb) => {
        logs += c.toString();
        cb();
      },
    }),
  );
  let backend: GitHubBackend;
  let committer: Committer;
  const rejected: RejectedMessage[] = [];
  const cfg: CommitterConfig = {
    backend: 'github',
    branch: 'main',
    mappingFile: 'foresight-mapping.yaml',
    policiesPath: 'policies',
    author: { name: 'Foresight', email: 'f@example.com' },
    labels: ['foresight', 'finops'],
    commitWindowMs: 0,
  };
  const apply = (...recs: Recommendation[]): Promise<void> =>
    committer.apply(
      recs.map((r) => ({ rec: r, message: { offset: '0' } as never })),
      (_p, err) => rejected.push(err),
    );

  before(async () => {
    await gh.start();
    backend = new GitHubBackend({ repository: `${gh.owner}/${gh.repo}`, token: gh.token, apiUrl: gh.url, backoffMs: 20, maxWaitMs: 5_000, retries: 4 }, log);
    committer = new Committer(backend, cfg, log);
  });
  after(async () => {
    await gh.stop();
    assert.ok(logs.length > 0);
    assert.ok(!logs.includes(gh.token), 'the token appears in the logs');
    assert.ok(!logs.includes(gh.token.slice(4, 20)), 'part of the token appears in the logs');
  });

  it('commits several files atomically through the Git Data API', async () => {
    const before = gh.log('main').length;
    const n = gh.requests.length;
    await apply(
      rec('shop/Deployment/checkout', [['minReplicas', '5']]),
      rec('shop/Deployment/checkout', [['requests.cpu', '1200m']], { type: 'RESOURCES', container: 'app' }),
    );
    assert.equal(gh.log('main').length, before + 1, 'one commit for one workload');
    assert.match(gh.file('main', 'apps/shop/overlays/prod/checkout-patch.yaml')!, /minReplicas: 5 {3}# never fewer/);
    assert.match(gh.file('main', 'apps/shop/overlays/prod/checkout-patch.yaml')!, /cpu: "1200m"/);
    const calls = gh.requests.slice(n).map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{40}/g, 'SHA').replace(/\?.*/, '')}`);
    assert.deepEqual(
      calls.filter((c) => c.startsWith('POST') || c.startsWith('PATCH')),
      [
        'POST /repos/acme/gitops/git/blobs',
        'POST /repos/acme/gitops/git/trees',
        'POST /repos/acme/gitops/git/commits',
        'PATCH /repos/acme/gitops/git/refs/heads/main',
      ],
    );
    const message = gh.log('main')[0].message;
    assert.match(message, /Recommendation-Id: gh-1\n/);
    assert.match(message, /Recommendation-Id: gh-2\n/);
    assert.match(message, /Trace-Id: 0af7651916cd43dd8448eb211c80319c\n/);
    assert.deepEqual(
      gh.requests
        .slice(n)
        .map((r) => r.authorization)
        .filter((a) => a !== `token ${gh.token}`),
      [],
    );
  });

  it('opens one pull request for critical changes, updates it later, and makes nothing new on redelivery', async () => {
    const first = rec('shop/Deployment/cart', [['minReplicas', '3']], { critical: true });
    await apply(first);
    assert.equal(gh.pulls.length, 1);
    assert.equal(gh.pulls[0].head, 'foresight/shop/deployment/cart');
    assert.deepEqual(gh.pulls[0].labels, ['foresight', 'finops']);
    assert.match(gh.pulls[0].body, /\| minReplicas \| `charts\/cart\/values-prod.yaml` \| 2 \| \*\*3\*\* \|/);
    await apply(rec('shop/Deployment/cart', [['minReplicas', '4']], { critical: true }));
    assert.equal(gh.pulls.length, 1, 'updated, not another');
    assert.match(gh.pulls[0].body, /\| 2 \| \*\*4\*\* \|/, 'the whole branch against main: the base value 2 before');
    const commits = gh.log('foresight/shop/deployment/cart').length;
    const body = gh.pulls[0].body;
    await apply(first);
    assert.equal(gh.log('foresight/shop/deployment/cart').length, commits, 'redelivery commits nothing');
    assert.equal(gh.pulls.length, 1);
    assert.equal(gh.pulls[0].body, body, 'the pull request is left as it was');
    assert.match(gh.file('foresight/shop/deployment/cart', '.foresight/forecasts/shop-deployment-cart.svg')!, /^<svg/);
    assert.equal(gh.file('main', 'charts/cart/values-prod.yaml'), exampleFiles().get('charts/cart/values-prod.yaml'), 'main untouched');
  });

  it('recomputes the change on the new tip when the branch moved (422 not a fast forward)', async () => {
    let moved = false;
    gh.beforeRefUpdate = (branch) => {
      if (moved || branch !== 'main') return;
      moved = true; // someone else commits to the payments file first
      gh.commitAs('main', 'apps/payments/payments.yaml', gh.file('main', 'apps/payments/payments.yaml')!.replace('maxReplicas: 8', 'maxReplicas: 9'));
    };
    await apply(rec('payments/Deployment/payments', [['minReplicas', '3']]));
    gh.beforeRefUpdate = undefined;
    const text = gh.file('main', 'apps/payments/payments.yaml')!;
    assert.match(text, /minReplicas: 3/);
    assert.match(text, /maxReplicas: 9/, "the other writer's change is kept");
    assert.ok(gh.requests.some((r) => r.status === 422 && /refs\/heads\/main/.test(r.path)));
  });

  it('keeps the token out of the logs when an error body echoes it', async () => {
    gh.fail('GET', /\/git\/ref\/heads\/main$/, {
      status: 401,
      body: { message: `Bad credentials: token ${gh.token} is not valid`, documentation_url: 'https://docs.github.com/rest' },
    });
    const err = await apply(rec('payments/Deployment/payments', [['minReplicas', '4']])).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(String(err).includes(gh.token), 'the error carries the token (what the test is about)');
    // as the batch runner logs a failed batch, and as a full error object
    log.error({ err: String(err) }, 'batch failed; refetching the partition from it');
    log.error({ err }, 'batch failed');
    assert.match(logs, /Bad credentials: token \[REDACTED\] is not valid/);
    assert.ok(!logs.includes(gh.token));
  });

  it('dead-letters a conflict that persists (409) after its retries as conflict', async () => {
    gh.fail('PATCH', /\/git\/refs\/heads\/main$/, { status: 409, body: { message: 'Conflict' } }, 4);
    rejected.length = 0;
    await apply(rec('payments/Deployment/payments', [['minReplicas', '4']]));
    assert.deepEqual(
      rejected.map((r) => r.reason),
      ['conflict'],
    );
  });

  it('waits for the rate limit reset on a 403 with x-ratelimit-remaining: 0', async () => {
    const reset = Math.ceil(Date.now() / 1000) + 1;
    gh.fail('GET', /\/git\/ref\/heads\/main$/, {
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      body: { message: 'API rate limit exceeded' },
    });
    const t0 = Date.now();
    await apply(rec('payments/Deployment/payments', [['minReplicas', '5']]));
    assert.ok(Date.now() >= reset * 1000, `retried before the reset (${Date.now() - reset * 1000} ms early)`);
    assert.ok(Date.now() - t0 < 5_000);
    assert.match(gh.file('main', 'apps/payments/payments.yaml')!, /minReplicas: 5/);
    assert.match(logs, /"status":403[^\n]*GitHub request failed: retrying/);
  });

  it('retries 5xx with backoff, honours Retry-After, and gives up on a real 403', async () => {
    gh.fail('POST', /\/git\/blobs$/, { status: 502 }, 2);
    gh.fail('POST', /\/git\/trees$/, { status: 429, headers: { 'retry-after': '0' } });
    await apply(rec('payments/Deployment/payments', [['minReplicas', '6']]));
    assert.match(gh.file('main', 'apps/payments/payments.yaml')!, /minReplicas: 6/);
    gh.fail('GET', /\/git\/ref\/heads\/main$/, { status: 403, body: { message: 'Resource not accessible by integration' } });
    await assert.rejects(
      apply(rec('payments/Deployment/payments', [['minReplicas', '7']])),
      (err: Error & { status?: number }) => err.status === 403 && !String(err).includes(gh.token),
    );
  });

  it('dead-letters bad recommendations (their reason), committing the rest', async () => {
    rejected.length = 0;
    await apply(
      rec('shop/Deployment/ghost', [['minReplicas', '2']]),
      rec('payments/Deployment/payments', [['maxReplicas', '99']]),
      rec('payments/Deployment/payments', [['maxReplicas', '10']]),
    );
    assert.deepEqual(
      rejected.map((r) => r.reason),
      ['unknown-workload', 'out-of-bounds'],
    );
    assert.match(gh.file('main', 'apps/payments/payments.yaml')!, /maxReplicas: 10/);
  });

  it('computes waits from the rate limit headers', () => {
    const o = { retries: 3, maxWaitMs: 60_000, backoffMs: 100, now: 1_000_000 };
    assert.equal(retryDelayMs({ status: 403, response: { headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1010' } } }, 0, o), 10_250);
    assert.equal(retryDelayMs({ status: 429, response: { headers: { 'retry-after': '7' } } }, 0, o), 7_000);
    assert.equal(
      retryDelayMs({ status: 403, response: { headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '9999' } } }, 0, o),
      undefined,
      'beyond the longest wait',
    );
    assert.equal(retryDelayMs({ status: 503 }, 2, o), 400);
    assert.equal(retryDelayMs({ status: 503 }, 3, o), undefined, 'out of retries');
    assert.equal(retryDelayMs({ status: 422 }, 0, o), undefined);
  });
});

describe('committer process with the GitHub backend', () => {
  it('opens the pull request through the API and never prints the token, even at trace level', async () => {
    const { startCli } = await import('../../helpers/cli.js');
    const { testConfig, testEnv } = await import('../../helpers/env.js');
    const { testKafka } = await import('../../helpers/kafka.js');
    const { testCodec } = await import('../../helpers/produce.js');
    const { ensureTopics } = await import('../../../src/kafka/topics.js');
    const { waitFor } = await import('../../../src/util/retry.js');
    const gh = new FakeGitHub(exampleFiles());
    await gh.start();
    gh.fail('GET', /\/git\/ref\/heads\/main$/, { status: 502 }); // one server error on the way
    const env = testEnv({
      FORESIGHT_TOPIC_PARTITIONS: '1',
      FORESIGHT_LOG_LEVEL: 'trace',
      FORESIGHT_GITOPS_BACKEND: 'github',
      FORESIGHT_GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`,
      FORESIGHT_GITHUB_API_URL: gh.url,
      FORESIGHT_GITHUB_TOKEN: gh.token,
    });
    const cfg = testConfig(env);
    const kafka = testKafka(cfg);
    const codec = await testCodec(cfg);
    await ensureTopics(kafka, cfg.topics);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: cfg.topics.recommendations,
      messages: [{ key: 'k', value: codec.encode('Recommendation', rec('shop/Deployment/cart', [['maxReplicas', '7']], { critical: true })) }],
    });
    await producer.disconnect();
    const proc = startCli(['committer'], env);
    try {
      assert.ok(await waitFor(async () => gh.pulls.length === 1, 30_000), proc.output().slice(-3000));
      assert.match(gh.file('foresight/shop/deployment/cart', 'charts/cart/values-prod.yaml')!, /maxReplicas: 7\n/);
      assert.match(proc.output(), /GitHub request failed: retrying/);
    } finally {
      proc.child.kill('SIGTERM');
      await gh.stop();
    }
    assert.equal(await proc.exited, 0);
    assert.ok(!proc.output().includes(gh.token), "the token is in the committer's output");
  });
});
