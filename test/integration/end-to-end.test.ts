/**
 * The whole path on the real stack: `foresight replay` of the shipped real trace →
 * processor (windows, forecast, policy from the GitOps checkout) → recommendations.v1 →
 * committer → a commit in a local GitOps repository whose diff changes exactly the proposed
 * fields of the Kustomize overlay patch, comments intact, with a Trace-Id trailer equal to the
 * trace of the first replayed event. Every Grafana panel's metrics are exported by the running
 * services. Then a policy commit with a type error is rejected with
 * file, line and field, and the policy in force stays in force.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Recommendation } from '../../src/codec/generated-types.js';
import { PROJECT_ROOT } from '../../src/util/paths.js';
import { waitFor } from '../../src/util/retry.js';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { testConfig, testEnv } from '../helpers/env.js';
import { gitopsRemote } from '../helpers/gitops.js';
import { readTopic, testKafka } from '../helpers/kafka.js';
import { dashboards, metricNamesOf, scrapeMetrics } from '../helpers/observability.js';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { testCodec } from '../helpers/produce.js';

/** The sample names a running service exposes on /metrics. */
async function scrape(service: RunningCli): Promise<string[]> {
  return (await scrapeMetrics(service))
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]);
}

describe('end to end', () => {
  it("replay → processor → recommendation → committer → a minimal GitOps commit carrying the first event's trace id", async () => {
    const repo = gitopsRemote();
    const checkout = path.join(repo.tmp, 'checkout');
    execFileSync('git', ['clone', '-q', repo.remote, checkout]);
    const env = testEnv({
      FORESIGHT_TOPIC_PARTITIONS: '1',
      FORESIGHT_POLICY_REPO: checkout,
      FORESIGHT_GITOPS_REMOTE: repo.remote,
      FORESIGHT_GITOPS_WORKDIR: path.join(repo.tmp, 'work'),
    });
    const cfg = testConfig(env);
    // the trace first, so that the processor reads it from the start in one batch: the series'
    // first event in that batch is the trace's first event
    const replay = runCli(
      [
        'replay',
        '--input',
        path.join(PROJECT_ROOT, 'data', 'samples', 'alibaba2018_cluster_avg_5min.csv'),
        '--value-column',
        'cpu_util_percent',
        '--workload',
        'shop/Deployment/checkout',
        '--metric',
        'cpu_utilization',
        '--cluster',
        'e2e',
      ],
      env,
    );
    assert.equal(replay.status, 0, replay.stderr);
    const trace = /first event's trace context: 00-([0-9a-f]{32})-/.exec(replay.stdout)?.[1];
    assert.ok(trace, replay.stdout);
    // one message that is not an event: dead-lettered, and the dead-letter metric exists for the dashboards' check
    const raw = testKafka(cfg).producer();
    await raw.connect();
    await raw.send({ topic: cfg.topics.metrics, acks: -1, messages: [{ key: 'garbage', value: Buffer.from('not avro') }] });
    await raw.disconnect();
    // both services export their spans to an in-test OTLP receiver: the trace is followed from the event to the commit
    const otlp = await startOtlpReceiver();
    const processor = startCli(['processor'], { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url });
    const committer = startCli(['committer'], { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url });
    try {
      assert.ok(
        await waitFor(async () => Number(repo.git('rev-list', '--count', 'main').trim()) >= 2, 120_000),
        `no commit; committer:\n${committer.output().slice(-2000)}\nprocessor:\n${processor.output().slice(-2000)}`,
      );

      const codec = await testCodec(cfg);
      const recs = await Promise.all(
        (await readTopic(testKafka(cfg), cfg.topics.recommendations)).map((m) => codec.decode<Recommendation>(m.message.value, 'Recommendation')),
      );
      const committed = repo.git('log', '-1', '--format=%(trailers:key=Recommendation-Id,valueonly)', 'main').trim();
      const rec = recs.find((r) => r.id === committed);
      assert.ok(rec, `the committed recommendation ${committed} is on the topic`);
      assert.equal(rec.currentSource, 'MANIFEST');
      assert.ok(
        rec.rules.some((r) => r.startsWith('policy:shop')),
        'the shop policy of the GitOps repository was used',
      );

      // the diff: exactly the fields whose proposed value differs, in the overlay patch, comments kept
      const diff = repo.git('show', '-U0', '--format=', 'main');
      assert.deepEqual(
        [...diff.matchAll(/^\+\+\+ b\/(.+)$/gm)].map((m) => m[1]),
        ['apps/shop/overlays/prod/checkout-patch.yaml'],
      );
      const expected = rec.changes
        .filter((c) => c.current !== c.proposed)
        .flatMap((c) => {
          const comment = c.field === 'minReplicas' ? '   # never fewer than 3 in production' : '';
          return [`-  ${c.field}: ${c.current}${comment}`, `+  ${c.field}: ${c.proposed}${comment}`];
        });
      const changed = diff.split('\n').filter((l) => /^[-+][^-+]/.test(l));
      assert.deepEqual([...changed].sort(), [...expected].sort());
      assert.ok(expected.length > 0);
      assert.equal(repo.git('log', '-1', '--format=%(trailers:key=Trace-Id,valueonly)', 'main').trim(), trace, "Trace-Id is the first event's trace");

      // every Grafana panel reads metrics that the running services export (dashboards cannot silently rot)
      const exported = new Set([...(await scrape(processor)), ...(await scrape(committer))]);
      for (const d of dashboards()) {
        for (const p of d.panels) {
          for (const t of p.targets) {
            for (const name of metricNamesOf(t.expr))
              assert.ok(exported.has(name), `${d.title} / ${p.title}: ${name} is not exported by the processor or the committer`);
          }
        }
      }

      // a policy commit with a type error: that file is rejected with file, line and field; its last valid version stays
      const shop = path.join(checkout, 'policies', 'shop.yaml');
      writeFileSync(shop, readFileSync(shop, 'utf8').replace('perReplicaCapacity: 10', 'perReplicaCapacity: ten'));
      execFileSync('git', ['-C', checkout, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'typo']);
      await processor.waitForOutput('policy file rejected', 30_000);
      assert.match(
        processor.output(),
        /"err":"policies\/shop\.yaml:16: spec\.replicas\.perReplicaCapacity: [^"]*expected number[^"]*","msg":"policy file rejected: its last valid version stays in force/,
      );
    } catch (err) {
      // a failed check fails the file instead of hanging it: the OTLP receiver would keep it alive
      processor.child.kill('SIGTERM');
      committer.child.kill('SIGTERM');
      await Promise.all([processor.exited, committer.exited]);
      await otlp.close();
      throw err;
    } finally {
      processor.child.kill('SIGTERM');
      committer.child.kill('SIGTERM');
    }
    assert.equal(await processor.exited, 0);
    assert.equal(await committer.exited, 0);

    // event (trace of the first replayed event) → the processor's batch span links to it → the
    // recommendation's traceparent header → the committer's batch span links to that processor span
    await otlp.close();
    const processed = otlp.spans.filter((s) => s.service === 'foresight-processor' && s.name === `process ${cfg.topics.metrics}`);
    const fromEvent = processed.filter((s) => s.links.some((l) => l.traceId === trace));
    assert.ok(fromEvent.length > 0, `a processor batch span links to the event's trace ${trace}`);
    const committed = otlp.spans.filter((s) => s.service === 'foresight-committer' && s.name === `process ${cfg.topics.recommendations}`);
    assert.ok(
      committed.some((c) => c.links.some((l) => fromEvent.some((p) => p.spanId === l.spanId && p.traceId === l.traceId))),
      'a committer batch span links to the processor span that published the recommendation',
    );
  });
});
