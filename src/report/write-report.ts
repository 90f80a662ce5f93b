/**
 * `writeReport`: the report page (and its JSON) from the configured Redis, for `foresight
 * report` and the demo. The savings proposed come from the recommendations topic, read to its
 * current end; when it cannot be read the page says so instead of showing a figure.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Recommendation } from '../codec/generated-types.js';
import { AvroCodec, createRegistry } from '../codec/avro-codec.js';
import type { SchemaIds } from '../codec/schemas.js';
import { loadConfig, type ServiceConfig } from '../config/config.js';
import type { Kafka } from 'kafkajs';
import { createKafka } from '../kafka/client.js';
import { readTopic } from '../kafka/read-topic.js';
import { parsePolicyFile } from '../policy/policy-loader.js';
import { readRepoFiles } from '../committer/backend.js';
import { ManifestIndex } from '../manifests/manifests.js';
import { DEFAULT_MODEL, Forecaster } from '../scoring/forecaster.js';
import type { Logger } from '../telemetry/log.js';
import { describeUnreachable, endpointsOf, runningLocalStacks, unreachable, unreachableError } from '../service-runtime/reachability.js';
import { ConfigError, errorMessage } from '../util/errors.js';
import { connectRedis, createRedis } from '../windows/redis-client.js';
import { gatherReport, type ReportData, type ReportInputs } from './report-data.js';
import { reportHtml } from './report-html.js';

export interface WriteReportOptions {
  html: string;
  json?: string;
  namespace?: string;
  team?: string;
  /** policy files for the budgets and the capacity plan (default: the built-in policy, no budget) */
  policyFiles?: string[];
  /** a checkout of the GitOps repository (default: FORESIGHT_POLICY_REPO, as the processor reads it): the workloads' team labels, for the policy in force */
  gitops?: string;
  /** the report's moment (default: now) */
  atMs?: number;
  /** count only the outcomes decided and recommendations made by atMs (ReportInputs.asOf; default: when atMs is given, as `--at`) */
  asOf?: boolean;
  maxSeries?: number;
  /** false: do not read the recommendations topic (savings proposed: unknown) */
  readRecommendations?: boolean;
  env?: NodeJS.ProcessEnv;
  log: Logger;
  providers?: ('cuda' | 'cpu')[];
}

/** The broker's topics (empty when it cannot be asked): for the hints when the configured topic or key prefix is empty. */
async function topicsOf(kafka: Kafka): Promise<string[]> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await admin.listTopics();
  } catch {
    return [];
  } finally {
    await admin.disconnect();
  }
}

async function recommendationsOf(cfg: ServiceConfig, kafka: Kafka, topics: string[], log: Logger): Promise<ReportInputs['recommendations']> {
  // the demo's runs first, the newest first (their names carry the run's time)
  const demo = (t: string): number => (t.startsWith('demo-') ? 0 : 1);
  const others = topics.filter((t) => t !== cfg.topics.recommendations && /recommendations/.test(t)).sort((a, b) => demo(a) - demo(b) || (a < b ? 1 : -1));
  const hint = others.length
    ? `; recommendation topics that exist: ${others.slice(0, 5).join(', ')}${others.length > 5 ? ` (and ${others.length - 5} more)` : ''} (point at one with FORESIGHT_TOPIC_RECOMMENDATIONS)`
    : '';
  if (topics.length > 0 && !topics.includes(cfg.topics.recommendations))
    return { unavailable: `the recommendations topic ${cfg.topics.recommendations} does not exist${hint}` };
  try {
    const codec = new AvroCodec(createRegistry(cfg.registry), {} as SchemaIds, cfg.registry); // decoding only: no schema of ours is needed
    const messages = await readTopic(kafka, cfg.topics.recommendations, 30_000);
    const out: Recommendation[] = [];
    const failures: string[] = [];
    for (const m of messages) {
      try {
        out.push(await codec.decode<Recommendation>(m.message.value, 'Recommendation'));
      } catch (err) {
        failures.push(`partition ${m.partition} offset ${m.message.offset}: ${errorMessage(err)}`);
      }
    }
    if (failures.length > 0 && out.length === 0)
      return { unavailable: `none of the ${failures.length} messages on ${cfg.topics.recommendations} decodes (${failures[0]})` };
    if (failures.length > 0)
      log.warn({ failures: failures.slice(0, 5) }, `${failures.length} messages on ${cfg.topics.recommendations} do not decode and are not counted`);
    return { recommendations: out, undecodable: failures.length };
  } catch (err) {
    return { unavailable: `the recommendations topic ${cfg.topics.recommendations} could not be read (${errorMessage(err)})${hint}` };
  }
}

export async function writeReport(opts: WriteReportOptions): Promise<ReportData> {
  const cfg = loadConfig(opts.env ?? process.env);
  const policyFiles = (opts.policyFiles ?? []).flatMap((file) => parsePolicyFile(file, readFileSync(file, 'utf8')).map((policy) => ({ file, policy })));
  // Redis holds everything the page shows: without it, one line at once (rather than the
  // clients' minute of retries); without Kafka or the registry only the savings proposed are unknown
  const readRecommendations = opts.readRecommendations !== false;
  const down = await unreachable(endpointsOf(cfg, readRecommendations ? ['redis', 'kafka', 'registry'] : ['redis']));
  if (down.some((d) => d.endpoint.service === 'redis')) throw unreachableError(down, runningLocalStacks(opts.env ?? process.env));
  const forecaster = await Forecaster.load(DEFAULT_MODEL, opts.providers ?? ['cpu'], opts.log);
  // the broker is only asked when the recommendations are read
  const kafka = readRecommendations && down.length === 0 ? createKafka(cfg.kafka, opts.log, 'report') : undefined;
  const topics = kafka ? await topicsOf(kafka) : [];
  const recommendations = kafka
    ? await recommendationsOf(cfg, kafka, topics, opts.log)
    : {
        unavailable: readRecommendations
          ? `${cfg.topics.recommendations} not read: cannot reach ${describeUnreachable(down)}`
          : 'not read (--no-recommendations)',
      };
  const gitops = opts.gitops ?? cfg.recommend.policyRepo;
  if (gitops && !statSync(gitops, { throwIfNoEntry: false })?.isDirectory())
    throw new ConfigError(opts.gitops ? '--gitops' : 'FORESIGHT_POLICY_REPO', `${gitops}: ${existsSync(gitops) ? 'not a directory' : 'no such directory'}`);
  const manifests = gitops
    ? ManifestIndex.build(readRepoFiles(gitops), { mappingFile: cfg.recommend.mappingFile, policiesPath: cfg.recommend.policyPath })
    : undefined;
  const redis = createRedis(cfg.redis, opts.log);
  try {
    await connectRedis(redis, cfg.redis);
    const data = await gatherReport({
      redis,
      prefix: cfg.redis.keyPrefix,
      forecaster,
      policyFiles,
      recommendations,
      atMs: opts.atMs ?? Date.now(),
      asOf: opts.asOf ?? opts.atMs !== undefined,
      namespace: opts.namespace,
      team: opts.team,
      maxSeries: opts.maxSeries ?? 24,
      topics,
      manifests,
    });
    mkdirSync(path.dirname(path.resolve(opts.html)), { recursive: true });
    writeFileSync(opts.html, reportHtml(data));
    if (opts.json) writeFileSync(opts.json, `${JSON.stringify(data, null, 1)}\n`);
    return data;
  } finally {
    redis.disconnect();
  }
}
