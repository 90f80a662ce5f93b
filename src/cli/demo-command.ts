/**
 * `foresight demo`: the whole path on the local stack, for a first look.
 *
 *   stack up → schemas and topics → a fresh demo GitOps repository (deploy/gitops-example in a
 *   bare repository, plus the checkout the processor reads policies and current values from)
 *   → processor and committer started → a real trace (data/samples, Alibaba 2018 cluster CPU,
 *   CC-BY-4.0) replayed as shop/Deployment/checkout, after a day of FOCUS billing rows of its
 *   node pool (data/samples, list prices) → every event applied, every recommendation handled
 *   → then a real LLM trace as the vLLM server ml/Deployment/llm-server (demo-gpu.ts), likewise
 *   (one after the other, so the pull requests are numbered alike from run to run) → the loop
 *   closed: the processor pulls the commits into its checkout and the trace's next rows (and
 *   their hours' billing rows) are replayed with event time running ahead of wall time, until
 *   the outcome of the checkout's newest commit is decided (outcomes.v1) → the windows, the
 *   recommendations, the outcome verdicts and `git log -p` printed.
 *
 * The stack stays up afterwards; the demo's files live under the stack directory (demo/).
 */
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { ChildServices } from './stop-children.js';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import type { Admin, Kafka } from 'kafkajs';
import { seriesIdOf } from '../codec/metric-sample.js';
import type { ChangeOutcome, Recommendation } from '../codec/generated-types.js';
import { loadConfig } from '../config/config.js';
import { gitEnv } from '../committer/git-env.js';
import { LocalGitBackend } from '../committer/local-backend.js';
import { seedBareRepository } from '../committer/seed.js';
import { readTopic } from '../kafka/read-topic.js';
import { readTrace } from '../replay/csv-trace.js';
import { parseWorkload, replayRows } from '../replay/replay.js';
import { connectClients } from '../service-runtime/clients.js';
import { formatStatus, stackUp } from '../local-stack/stack.js';
import { DemoLock } from './demo-lock.js';
import { loadStackConfig } from '../local-stack/stack-config.js';
import { stackEnv } from '../local-stack/stack-env.js';
import { createLogger } from '../telemetry/log.js';
import { setupTelemetry } from '../telemetry/otel.js';
import { errorMessage, ForesightError } from '../util/errors.js';
import { PROJECT_ROOT } from '../util/paths.js';
import { sleep } from '../util/retry.js';
import { createRedis, deletePrefix } from '../windows/redis-client.js';
import { writeReport } from '../report/write-report.js';
import { WindowStore } from '../windows/window-store.js';
import { CostStore } from '../windows/cost-store.js';
import { money } from '../committer/explain.js';
import { billedHoursBetween, demoBillingRows } from './demo-billing.js';
import { GPU_BILLING_SAMPLE, GPU_POOLS, gpuPoolPrices, printServerSummary, replayLlmServer, waitForServerRecommendations } from './demo-gpu.js';
import { rangeSummary, statsOf } from '../windows/window-query.js';
import { parsePositiveInt } from './options.js';
import { progressBar } from './progress.js';
import { appliedValue } from '../manifests/plan.js';

const SAMPLE = path.join(PROJECT_ROOT, 'data', 'samples', 'alibaba2018_cluster_avg_5min.csv');
/** an hour of the demo workload's node pool (general-n2) at public on-demand list prices */
const BILLING_SAMPLE = path.join(PROJECT_ROOT, 'data', 'samples', 'focus_gke_n2_us-central1_hour.jsonl');
const POOL = 'general-n2';
const WORKLOAD = 'shop/Deployment/checkout';
const METRIC = 'cpu_utilization';
/** The demo's topics of one run: `demo-<run>.metrics.v1`, ... */
const DEMO_TOPIC = /^demo-\d{14}(?:-[0-9a-f]{4})?\./;
/** The outcome period of the demo (FORESIGHT_OUTCOME_PERIOD_MS): 2 hours of event time after a change is in force. */
const OUTCOME_PERIOD_MS = 2 * 3_600_000;
const STEP_MS = 300_000;
function demoTopics(runId: string): Record<string, string> {
  const t = (name: string): string => `demo-${runId}.${name}.v1`;
  return {
    FORESIGHT_TOPIC_METRICS: t('metrics'),
    FORESIGHT_TOPIC_BILLING: t('billing'),
    FORESIGHT_TOPIC_RECOMMENDATIONS: t('recommendations'),
    FORESIGHT_TOPIC_ALERTS: t('alerts'),
    FORESIGHT_TOPIC_OUTCOMES: t('outcomes'),
    FORESIGHT_TOPIC_DEADLETTER: t('deadletter'),
  };
}

/** A fresh bare repository seeded with the example GitOps repository, and a checkout of it. */
export function seedDemoRepository(dir: string): { remote: string; checkout: string; workdir: string } {
  const remote = seedBareRepository(dir);
  const checkout = path.join(dir, 'gitops-checkout');
  execFileSync('git', ['clone', '-q', remote, checkout], { env: gitEnv() });
  return { remote, checkout, workdir: path.join(dir, 'committer-work') };
}

/** The previous run's log kept beside it (processor.previous.log), one run back; a log that cannot be moved is overwritten, said once. */
function keepPreviousLog(logFile: string): void {
  if (!existsSync(logFile)) return;
  try {
    renameSync(logFile, logFile.replace(/\.log$/, '.previous.log'));
  } catch (err) {
    console.log(`  (the previous run's ${path.basename(logFile)} is overwritten: ${errorMessage(err)})`);
  }
}

/** Starts a service writing to `fd` (its log, opened by the caller before any service starts). */
function startService(name: string, env: NodeJS.ProcessEnv, fd: number): ChildProcess {
  // a process group of its own: Ctrl-C reaches the demo alone, which stops the services with one
  // SIGTERM each (stop-children.ts; a second signal would end a service at once, mid-batch)
  return spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'foresight.js'), name], {
    env: { ...env, FORESIGHT_HTTP_PORT: '0' },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
}

async function caughtUp(kafka: Kafka, groupId: string, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await offsetsReached(admin, groupId, topic);
  } catch {
    return false; // a leader moving: ask again on the next round
  } finally {
    await admin.disconnect();
  }
}

async function offsetsReached(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return ends.every((e) => {
    const c = committed.partitions.find((p) => p.partition === e.partition);
    return Number(e.high) === 0 || (c !== undefined && Number(c.offset) >= Number(e.high));
  });
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'start the local stack (as `stack up`) and run the whole path on it with a real trace: replay → processor → recommendations → committer → GitOps commits, outcome, report; prints them',
    )
    .addHelpText(
      'after',
      '\nThe stack starts on the ports of "stack up" (flags there, or FORESIGHT_STACK_*_PORT). The commands it suggests\nafterwards (report, processor, …) need its addresses: eval "$(npx foresight stack env)" first.',
    )
    .addOption(new Option('--rows <n>', 'replay only the first n rows of the trace').argParser(parsePositiveInt))
    .addOption(
      new Option(
        '--secure',
        'on the secured local stack (`stack up --secure`): Kafka over SASL_SSL, the registry over HTTPS with basic auth, Redis over TLS with an ACL user',
      ),
    )
    .action(async (flags: { rows?: number; secure?: boolean }) => {
      const stackCfg = loadStackConfig({ secure: flags.secure });
      const secureFlag = flags.secure ? ' --secure' : '';
      // a stack in a folder of its own is found from a fresh shell only with its folder named
      const inDir = process.env.FORESIGHT_STACK_DIR ? `FORESIGHT_STACK_DIR=${shellQuote(path.resolve(process.env.FORESIGHT_STACK_DIR))} ` : '';
      const demoDir = path.join(stackCfg.dir, 'demo');
      mkdirSync(demoDir, { recursive: true });
      const lock = await DemoLock.hold(demoDir, stackCfg.dir, flags.secure === true);
      process.once('exit', () => lock.release()); // released however the demo ends
      step(`1/7 starting the ${flags.secure ? 'secured ' : ''}local stack (Kafka, Schema Registry, Redis)`);
      console.log(formatStatus(await stackUp(stackCfg, (m) => console.log(`  ${m}`))));

      // the second it started and a random tag: two demos started in the same second on one stack keep apart
      const runId = `${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomBytes(2).toString('hex')}`;
      step('2/7 creating the demo GitOps repository (deploy/gitops-example, pushed to a local bare repository)');
      const repo = seedDemoRepository(path.join(demoDir, 'gitops'));
      console.log(`  bare repository ${repo.remote}\n  processor's checkout (policies, current values) ${repo.checkout}`);

      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...stackEnv(stackCfg),
        FORESIGHT_POLICY_REPO: repo.checkout,
        FORESIGHT_GITOPS_BACKEND: 'local',
        FORESIGHT_GITOPS_REMOTE: repo.remote,
        FORESIGHT_GITOPS_WORKDIR: repo.workdir,
        // Topics, consumer groups and a Redis key prefix per run: nothing of an earlier run can
        // count or be committed again. (A fresh key prefix under an old group would look to the
        // processor like Redis state lost, and it would rebuild, and republish, earlier runs' windows.)
        ...demoTopics(runId),
        FORESIGHT_PROCESSOR_GROUP: `foresight-demo-${runId}-processor`,
        FORESIGHT_COMMITTER_GROUP: `foresight-demo-${runId}-committer`,
        FORESIGHT_REDIS_KEY_PREFIX: `demo-${runId}`,
        // closing the loop: the processor pulls the committer's commits into its checkout every
        // second, and accepts the replay's event time running ahead of wall time
        FORESIGHT_POLICY_PULL: 'true',
        FORESIGHT_POLICY_REFRESH_MS: '1000',
        FORESIGHT_REPLAY_HISTORY: 'true',
        FORESIGHT_OUTCOME_PERIOD_MS: String(OUTCOME_PERIOD_MS),
      };
      const cfg = loadConfig(env);
      const log = createLogger('demo', 'warn');
      setupTelemetry('demo');
      step('3/7 registering the Avro schemas, creating the topics, starting the processor and the committer');
      const clients = await connectClients(cfg, log, 'demo');
      for (const [name, id] of Object.entries(clients.schemaIds)) console.log(`  ${name.padEnd(15)} schema id ${id}`);
      const admin = clients.kafka.admin();
      await admin.connect();
      // earlier runs' topics: removed, so that runs do not pile up partitions on the local broker;
      // only the runs of this stack folder (listed in demo/runs), never another checkout's on a shared broker
      const runsFile = path.join(demoDir, 'runs');
      const ownRuns = new Set(existsSync(runsFile) ? readFileSync(runsFile, 'utf8').split('\n').filter(Boolean) : []);
      appendFileSync(runsFile, `${runId}\n`);
      const stale = (await admin.listTopics()).filter(
        (t) => DEMO_TOPIC.test(t) && ownRuns.has(t.slice('demo-'.length, t.indexOf('.'))) && !t.startsWith(`demo-${runId}.`),
      );
      let staleGone = true;
      if (stale.length > 0) {
        await admin.deleteTopics({ topics: stale }).catch((err: unknown) => {
          staleGone = false;
          console.log(`  (could not remove earlier runs' topics: ${errorMessage(err)})`);
        });
        if (staleGone) console.log(`  removed ${stale.length} topics of this stack folder's earlier demo runs`);
      }
      // and their consumer groups (a group still in use, by a service of an earlier run left running, stays and is named)
      const staleGroups = (await admin.listGroups()).groups
        .map((g) => g.groupId)
        .filter((g) => {
          const run = /^foresight-demo-(.+)-(?:processor|committer)$/.exec(g)?.[1];
          return run !== undefined && run !== runId && ownRuns.has(run);
        });
      let groupsGone = true;
      if (staleGroups.length > 0) {
        try {
          await admin.deleteGroups(staleGroups);
          console.log(`  removed ${staleGroups.length} consumer groups of this stack folder's earlier demo runs`);
        } catch (err) {
          groupsGone = false;
          const failed = ((err as { groups?: { groupId: string; errorCode: number; error?: { type?: string } }[] }).groups ?? []).filter(
            (g) => g.errorCode !== 0,
          );
          const why = failed.map((g) => `${g.groupId} (${g.error?.type ?? `error ${g.errorCode}`})`).join(', ');
          console.log(
            `  (could not remove earlier runs' consumer groups${why ? `: ${why}` : `: ${errorMessage(err)}`}; a group with a member left is one whose service still runs or whose session has not expired yet: the next demo tries again)`,
          );
        }
      }
      const partitions = (await admin.fetchTopicOffsets(cfg.topics.metrics)).length;
      const billingPartitions = (await admin.fetchTopicOffsets(cfg.topics.billing)).length;
      await admin.disconnect();
      const processorLog = path.join(demoDir, 'processor.log');
      const committerLog = path.join(demoDir, 'committer.log');
      const redis = createRedis(cfg.redis, log);
      await redis.connect();
      // and their Redis keys (each run has its own key prefix, demo-<run>)
      if (ownRuns.size > 0) {
        for (const r of ownRuns) await deletePrefix(redis, `demo-${r}`);
        console.log(`  removed the Redis keys of ${ownRuns.size} earlier demo run${ownRuns.size > 1 ? 's' : ''} of this stack folder`);
        // earlier runs cleaned up: the list keeps this run only (a run whose topics or groups could not be removed stays listed)
        if (staleGone && groupsGone) writeFileSync(runsFile, `${runId}\n`);
      }
      // the services last before runFlow, which stops them however it ends: nothing in between can throw and leave them running
      keepPreviousLog(processorLog);
      keepPreviousLog(committerLog);
      const logs = [openSync(processorLog, 'w'), openSync(committerLog, 'w')];
      const services = [startService('processor', env, logs[0]), startService('committer', env, logs[1])];
      lock.recordServices(services.flatMap((c) => (c.pid === undefined ? [] : [c.pid])));
      for (const fd of logs) closeSync(fd); // the children have their own copies
      // stopped the same way however the demo ends (a signal to it included), one SIGTERM each, and waited for
      const guard = new ChildServices(services, 'the processor and the committer');
      console.log(`  processor pid ${services[0].pid}, logs in ${processorLog}\n  committer pid ${services[1].pid}, logs in ${committerLog}`);
      const store = new WindowStore(redis, cfg.redis.keyPrefix);
      const checkAlive = (): void => {
        guard.check(); // a signal stops them: the demo halts here and ends by it when they are gone
        for (const [i, s] of services.entries()) {
          if (s.exitCode !== null || s.signalCode !== null)
            throw new ForesightError(
              'STACK_START_FAILED',
              `the ${i === 0 ? 'processor' : 'committer'} ${s.signalCode !== null ? `was ended by ${s.signalCode}` : `exited with code ${s.exitCode}`}; see ${i === 0 ? processorLog : committerLog}`,
            );
        }
      };
      await guard.runFlow(
        async () => {
          // A cluster name per run: each run replays the trace ending now, so a second run's
          // events would be late against the first run's series.
          const cluster = `demo-${runId}`;
          const workload = parseWorkload(WORKLOAD, cluster);
          const { rows } = readTrace(SAMPLE, { valueColumn: 'cpu_util_percent', stepSeconds: 300 });
          const selected = flags.rows ? rows.slice(0, flags.rows) : rows;
          const seriesId = seriesIdOf({ ...workload, metric: METRIC });
          const now = Date.now();
          const span = selected.length * 300_000;
          const countIn = async (): Promise<number> => {
            const ref = await store.locate(cfg.topics.metrics, partitions, seriesId);
            return ref ? (await rangeSummary(store, ref, seriesId, 'coarse', now - span - 3_600_000, now + 3_600_000)).summary.count : 0;
          };

          const closeTheLoop = async (): Promise<ChangeOutcome[]> => {
            // the change followed is the workload's newest on main: the branch head may be another workload's (the LLM server's KEDA commit)
            const ids = new Set(
              (
                await Promise.all(
                  (await readTopic(clients.kafka, cfg.topics.recommendations)).map((m) =>
                    clients.codec.decode<Recommendation>(m.message.value, 'Recommendation'),
                  ),
                )
              )
                .filter((r) => r.cluster === cluster && `${r.namespace}/${r.kind}/${r.name}` === WORKLOAD)
                .map((r) => r.id),
            );
            const followed = LocalGitBackend.newestCommitWith(repo.remote, 'main', ids);
            if (!followed) {
              checkAlive();
              step(`6/7 closing the loop: no change of ${WORKLOAD} was committed to main (a pull request is not in force), so none to follow`);
              return [];
            }
            const head = execFileSync('git', ['-C', repo.remote, 'rev-parse', 'main'], { encoding: 'utf8', env: gitEnv() }).trim();
            const after = Math.ceil((OUTCOME_PERIOD_MS + 3_600_000) / STEP_MS) + 2;
            checkAlive();
            step(
              `6/7 closing the loop: the processor pulls main (head ${head.slice(0, 8)}) into its checkout, with commit ${followed.sha.slice(0, 8)} of ${WORKLOAD} ` +
                `(recommendation ${followed.id.slice(0, 8)}: ${followed.subject}), whose outcome follows; ${after} more rows replayed after it (event time up to ${((after * STEP_MS) / 3_600_000).toFixed(1)} h ahead of wall time) until the outcome is decided`,
            );
            for (const until = Date.now() + 30_000; !readFileSync(processorLog, 'utf8').includes(`"head":"${head}"`);) {
              checkAlive();
              if (Date.now() > until) throw new ForesightError('STACK_START_FAILED', `the processor did not pull ${head} within 30 s; see ${processorLog}`);
              await sleep(250);
            }
            // the pools' billing rows of the hours the replay moves into (each hour once): the report, at the outcome's event time,
            // may be in the next month (a demo in the last hours of a month), which would otherwise have no billing row
            const aheadEnd = now + after * STEP_MS;
            const ahead = [BILLING_SAMPLE, GPU_BILLING_SAMPLE].flatMap((f) => demoBillingRows(f, aheadEnd, billedHoursBetween(now, aheadEnd), cluster));
            await clients.producer.send({
              topic: cfg.topics.billing,
              acks: -1,
              messages: ahead.map((r) => ({ value: clients.codec.encode('BillingRecord', r) })),
            });
            const next = rows.slice(selected.length, selected.length + after);
            const more = await replayRows(next.length === after ? next : rows.slice(0, after), clients.producer, clients.codec, {
              topic: cfg.topics.metrics,
              workload,
              metric: METRIC,
              unit: '%',
              keepTime: false,
              now: aheadEnd,
            });
            console.log(
              `  produced ${more.produced} events, event time ${new Date(more.firstEventTime).toISOString()} .. ${new Date(more.lastEventTime).toISOString()}, and ${ahead.length} billing rows of the pools for the ${billedHoursBetween(now, aheadEnd)} whole hours ahead`,
            );
            const until = Date.now() + 120_000;
            await settled(cfg.processorGroup, cfg.topics.metrics, 'processor', until);
            await settled(cfg.processorGroup, cfg.topics.billing, 'processor', until);
            await settled(cfg.committerGroup, cfg.topics.recommendations, 'committer', until);
            const found = (
              await Promise.all(
                (await readTopic(clients.kafka, cfg.topics.outcomes)).map((m) => clients.codec.decode<ChangeOutcome>(m.message.value, 'ChangeOutcome')),
              )
            ).filter((o) => o.cluster === cluster);
            const pct = (x: number | null): string => (x === null ? '   n/a' : `${(100 * x).toFixed(1).padStart(5)}%`);
            const cost = (x: number | null, currency: string): string => (x === null ? 'cost unknown' : `${x.toFixed(2)} ${currency}`);
            console.log(`\nOutcomes on ${cfg.topics.outcomes}: ${found.length}`);
            for (const o of found) {
              console.log(`  ${o.verdict.toUpperCase().padEnd(17)} ${o.explanation}${o.measure ? ` (measured: ${o.measure})` : ''}`);
              console.log(
                `    in force ${new Date(o.inForceAt).toISOString().slice(0, 16)}, decided ${new Date(o.decidedAt).toISOString().slice(0, 16)}; under-provisioned ${pct(o.before.underProvisionedShare)} → ${pct(o.after.underProvisionedShare)}, capacity-hours ${o.before.capacityHours?.toFixed(1) ?? 'n/a'} → ${o.after.capacityHours?.toFixed(1) ?? 'n/a'}, ${cost(o.before.cost, o.currency)} → ${cost(o.after.cost, o.currency)}; forecast coverage ${pct(o.coverage)}, pinball loss ${o.pinballLoss?.toFixed(2) ?? 'n/a'} (recommendation ${o.recommendationId})`,
              );
            }
            if (found.length === 0) console.log('  none decided: the last change is in a pull request (not merged, so not in force) or came in force too late');
            return found;
          };

          // the pool's prices first, so the recommendations are priced from the start: every hour the events span
          const billing = demoBillingRows(BILLING_SAMPLE, now, Math.ceil(span / 3_600_000) + 1, cluster);
          // and the GPU pools' (demo-gpu.ts), for the model server's projected GPU costs
          const gpuBilling = demoBillingRows(GPU_BILLING_SAMPLE, now, Math.ceil(span / 3_600_000) + 1, cluster);
          checkAlive();
          step(
            `4/7 replaying ${billing.length} FOCUS billing rows of node pool ${POOL} (${path.relative(PROJECT_ROOT, BILLING_SAMPLE)}, public on-demand list prices) and ${gpuBilling.length} of GPU pools ${GPU_POOLS.join(', ')} (${path.relative(PROJECT_ROOT, GPU_BILLING_SAMPLE)}, synthetic prices)`,
          );
          await clients.producer.send({
            topic: cfg.topics.billing,
            acks: -1,
            messages: [...billing, ...gpuBilling].map((r) => ({ value: clients.codec.encode('BillingRecord', r) })),
          });
          const costs = new CostStore(redis, cfg.redis.keyPrefix, [{ topic: cfg.topics.billing, partitions: billingPartitions }]);
          for (const until = Date.now() + 60_000; ;) {
            const p = await costs.poolPrices(POOL, now);
            const gpu = await gpuPoolPrices(costs, now);
            if (p.cpuCoreHour !== undefined && p.memoryGibHour !== undefined && gpu) {
              console.log(
                `  ${POOL} unit prices from billing: ${p.cpuCoreHour.toFixed(6)} ${p.currency ?? ''}/vCPU-hour, ${p.memoryGibHour.toFixed(6)} ${p.currency ?? ''}/GiB-hour`,
              );
              console.log(gpu);
              break;
            }
            checkAlive();
            if (Date.now() > until)
              throw new ForesightError('STACK_START_FAILED', `the processor did not apply the billing rows within 60 s; see ${processorLog}`);
            await sleep(250);
          }
          console.log(
            `  then ${selected.length} rows of ${path.relative(PROJECT_ROOT, SAMPLE)} (5-minute CPU utilisation, Alibaba 2018, CC-BY-4.0) as ${WORKLOAD}, metric ${METRIC}`,
          );
          const bar = progressBar('  replay', selected.length);
          const res = await replayRows(selected, clients.producer, clients.codec, {
            topic: cfg.topics.metrics,
            workload,
            metric: METRIC,
            unit: '%',
            keepTime: false,
            now,
            onProgress: (d) => {
              checkAlive();
              bar.update(d);
            },
          });
          bar.stop();
          console.log(
            `  produced ${res.produced} events, event time ${new Date(res.firstEventTime).toISOString()} .. ${new Date(res.lastEventTime).toISOString()}`,
          );

          checkAlive();
          step('5/7 waiting for the processor (windows, forecasts, recommendations) and the committer (GitOps commits), then the same for the LLM trace');
          const deadline = Date.now() + 180_000;
          const wait = progressBar('  applied', res.produced);
          for (;;) {
            const applied = await countIn();
            checkAlive();
            wait.update(Math.min(applied, res.produced));
            if (applied >= res.produced) break;
            if (Date.now() > deadline)
              throw new ForesightError('STACK_START_FAILED', `the processor applied ${applied} of ${res.produced} events within 180 s; see ${processorLog}`);
            await sleep(250);
          }
          wait.stop();
          // a consumer is done when its group has committed the end of the topic twice in a row, 2 s apart
          const settled = async (group: string, topic: string, who: string, until: number): Promise<void> => {
            for (let stable = 0; ;) {
              checkAlive();
              if (Date.now() > until)
                throw new ForesightError('STACK_START_FAILED', `the ${who} did not catch up within the time given; see its log in ${demoDir}`);
              stable = (await caughtUp(clients.kafka, group, topic)) ? stable + 1 : 0;
              if (stable === 2) return;
              await sleep(2_000);
            }
          };
          // The GPU part (demo-gpu.ts), the LLM trace as the ml namespace's vLLM server, once the checkout's recommendations are
          // all committed: replayed together, the two workloads' critical changes (each on its own partition) reached the
          // committer in either order from run to run, and their pull requests swapped numbers
          await settled(cfg.processorGroup, cfg.topics.metrics, 'processor', deadline);
          await settled(cfg.committerGroup, cfg.topics.recommendations, 'committer', deadline);
          await replayLlmServer(clients.producer, clients.codec, cfg.topics.metrics, cluster, now);
          await waitForServerRecommendations(clients.kafka, clients.codec, cfg.topics.recommendations, cluster, deadline, checkAlive);
          await settled(cfg.committerGroup, cfg.topics.recommendations, 'committer', deadline);

          // Closing the loop: the processor's checkout pulls the commits; then the trace's next rows
          // are replayed after the last event, event time running ahead of wall time, until the
          // committed change has been in force for the outcome period (plus the forecaster's hour).
          const outcomes = await closeTheLoop();

          checkAlive();
          step('7/7 what happened');
          const ref = (await store.locate(cfg.topics.metrics, partitions, seriesId))!;
          const day = await rangeSummary(store, ref, seriesId, 'coarse', now - 24 * 3_600_000, now);
          const week = await rangeSummary(store, ref, seriesId, 'coarse', now - 7 * 24 * 3_600_000, now);
          const fmt = (x: number): string => x.toFixed(1).padStart(6);
          console.log(`\nWindows: all ${res.produced} events of ${seriesId} applied (partition ${ref.partition}).`);
          console.log('  window                 buckets  samples    mean     p50     p90     p99     max');
          for (const [label, r] of [
            ['last 24 h, 1-hour', day],
            ['last 7 days, 1-hour', week],
          ] as const) {
            const st = statsOf(r.summary, r.buckets);
            console.log(
              `  ${label.padEnd(22)} ${String(st.buckets).padStart(7)} ${String(st.count).padStart(8)} ${fmt(st.mean)}  ${fmt(st.p50)}  ${fmt(st.p90)}  ${fmt(st.p99)}  ${fmt(st.max)}`,
            );
          }

          // the run's own topic holds this run's recommendations only
          const mine = await readTopic(clients.kafka, cfg.topics.recommendations);
          const recs = (await Promise.all(mine.map((m) => clients.codec.decode<Recommendation>(m.message.value, 'Recommendation'))))
            .filter((r) => r.cluster === cluster)
            .sort((a, b) => a.createdAt - b.createdAt);
          console.log(`\nRecommendations on ${cfg.topics.recommendations}: ${recs.length}`);
          for (const r of recs) {
            const changes = r.changes.map((c) => `${c.field} ${c.current ?? '(unset)'}→${appliedValue(c)}`).join(', ');
            console.log(
              `  ${new Date(r.createdAt).toISOString().slice(0, 16)}  ${r.type.padEnd(4)} ${changes.padEnd(36)} ${r.forecast.horizonSeconds > 0 ? `q99 ${r.forecast.q99.toFixed(1).padStart(5)}` : 'no forecast'}  ${money(r).padEnd(42)}  ${r.critical ? 'critical → pull request' : 'routine → commit'}  (current from ${r.currentSource.toLowerCase()})`,
            );
          }
          console.log(`\nOutcome verdicts: ${outcomes.map((o) => `${o.verdict} (${o.type} ${o.recommendationId.slice(0, 8)})`).join(', ') || 'none'}`);
          // the report of this run (its own key prefix and topics: shop and the ml server), as `foresight report` writes it, at the replay's last event time
          const reportFile = path.join(demoDir, `report-${runId}.html`);
          const report = await writeReport({
            html: reportFile,
            json: reportFile.replace(/\.html$/, '.json'),
            policyFiles: policyFilesOf(path.join(repo.checkout, 'policies')),
            gitops: repo.checkout,
            atMs: Math.max(Date.now(), ...outcomes.map((o) => o.decidedAt)),
            asOf: false, // everything this run recorded, whatever its event time
            env,
            log,
          });
          console.log(`\nReport: ${reportFile} (open it in a browser; the same figures in ${path.basename(reportFile, '.html')}.json)`);
          // its month is the replay's event time, hours ahead of the clock: near a month's end, the next month
          const proposed = report.savings.proposedMonthly;
          console.log(
            `  savings proposed in ${report.month}: ${proposed === null ? 'unknown' : `${proposed.toFixed(2)} ${report.currency ?? ''}`.trimEnd()}${report.savings.notes.map((n) => `\n  note: ${n}`).join('')}`,
          );
          const prs = LocalGitBackend.pullRequests(repo.remote);
          console.log(`\nPull requests: ${prs.length}`);
          for (const pr of prs) console.log(`  #${pr.number} ${pr.head}: ${pr.title}`);
          printServerSummary(recs, cluster, prs);

          const git = (...args: string[]): string => execFileSync('git', ['-C', repo.remote, ...args], { encoding: 'utf8', env: gitEnv() });
          const commits = Number(git('rev-list', '--count', 'main').trim()) - 1;
          const shown = Math.min(commits, 3);
          console.log(`\ngit log -p of the GitOps repository (main: ${commits} commit(s) by Foresight; the last ${shown} shown):\n`);
          if (shown > 0) console.log(git('log', '-p', `-${shown}`, 'main'));
          for (const pr of prs) console.log(`git log -p main..${pr.head}:\n\n${git('log', '-p', '-1', `main..${pr.head}`, '--', '.', ':!.foresight')}`);
          console.log(`first event's trace context: ${res.firstTraceparent ?? '(none)'}`);
          console.log(
            `the repository: git clone ${repo.remote}; the stack is still running: \`${inDir}npx foresight stack status${secureFlag}\`, \`${inDir}npx foresight stack down${secureFlag}\`; for report, processor and the other clients first \`eval "$(${inDir}npx foresight stack env${secureFlag})"\``,
          );
        },
        async () => {
          await clients.producer.disconnect();
          redis.disconnect();
        },
      );
    });
}

function step(msg: string): void {
  console.log(`\n== ${msg}`);
}

/** The YAML policy files of a checkout's policies folder (events.yaml is not a policy file). */
function policyFilesOf(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && f !== 'events.yaml')
    .map((f) => path.join(dir, f));
}

/** A word for a POSIX shell: as is when it is plain, else in single quotes. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
