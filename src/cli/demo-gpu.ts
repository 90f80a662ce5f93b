/**
 * The demo's GPU part (issue 15 §3): the real LLM trace (data/samples/azure_llm_conv_15min.csv,
 * Azure LLM inference trace 2023, CC-BY-4.0) replayed as the example repository's vLLM server
 * ml/Deployment/llm-server, so that the processor's own loop recommends for it
 * (recommend/model-server-recommendations.ts) and the committer applies that.
 *
 * Time: the trace's 15 minutes of requests, summed per minute, become 16 one-minute scrapes
 * whose event time ends a few minutes before now (its last 5-minute step closes); the events are
 * produced at once, so the 15 minutes of the trace pass in a second of wall time.
 *
 * The requests are real; the server that serves them is modelled (replay/llm-trace.ts): the
 * prod overlay's 2 replicas at the policy's 600 generated tokens/s each serve the trace as a
 * fluid queue, which gives per minute:
 * - vllm:generation_tokens_total: the tokens served, summed over the replicas (a counter);
 * - vllm:num_requests_waiting: the backlog ÷ the trace's mean generated tokens per request;
 * - vllm:num_requests_running: Little's law, tokens served per second ÷ DECODE_TOKENS_PER_S
 *   (each sequence decodes at the latency target's speed);
 * - DCGM_FI_DEV_FB_USED per replica: the model's weights plus the KV cache of its running
 *   sequences (a real vLLM preallocates `--gpu-memory-utilization` of the GPU, so its
 *   FB_USED reads that share: see the README);
 * - DCGM_FI_PROF_GR_ENGINE_ACTIVE per replica: its tokens/s ÷ WHOLE_GPU_TOKENS_PER_S.
 * The constants below say where each figure comes from.
 */
import path from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec.js';
import type { MetricSample, Recommendation } from '../codec/generated-types.js';
import { money } from '../committer/explain.js';
import { appliedValue } from '../manifests/plan.js';
import { gpuPricePool } from '../windows/billing.js';
import type { CostStore } from '../windows/cost-store.js';
import { readTopic } from '../kafka/read-topic.js';
import { readLlmTrace, serveSteps } from '../replay/llm-trace.js';
import { ForesightError } from '../util/errors.js';
import { PROJECT_ROOT } from '../util/paths.js';
import { sleep } from '../util/retry.js';

export const LLM_TRACE = path.join(PROJECT_ROOT, 'data', 'samples', 'azure_llm_conv_15min.csv');
/** FOCUS rows of the GPU pools (synthetic prices, see the file): policies/ml.yaml's gpuPool and its spot pool */
export const GPU_BILLING_SAMPLE = path.join(PROJECT_ROOT, 'data', 'samples', 'focus_gpu_a100_synthetic_hour.jsonl');
export const GPU_POOLS = ['gpu-a100', 'gpu-a100-spot'];
/** policies/ml.yaml gpuModel: the GPU-hour price read per pool and model */
const GPU_MODEL = 'A100-80GB';
export const ML_SERVER = { namespace: 'ml', kind: 'Deployment', name: 'llm-server', container: 'vllm' };
const MINUTE = 60_000;
const STEP_MS = 300_000;
/** the prod overlay's KEDA floor (apps/ml/overlays/prod/llm-server-patch.yaml): replicas serving during the trace */
const REPLICAS = 2;
/** policies/ml.yaml perReplicaThroughput: what a modelled replica serves, tokens/s */
const PER_REPLICA_TOKENS_PER_S = 600;
/** Llama-3.1-8B-Instruct (the example's model) in bf16: 8.03 × 10⁹ parameters × 2 bytes, in MiB */
const WEIGHTS_MIB = (8.03e9 * 2) / 2 ** 20;
/** KV cache per token of Llama-3.1-8B: 32 layers × 8 KV heads × 128 dimensions × 2 (K, V) × 2 bytes */
const KV_BYTES_PER_TOKEN = 32 * 8 * 128 * 2 * 2;
/** tokens/s one sequence decodes at a 33 ms inter-token latency target (modelled) */
const DECODE_TOKENS_PER_S = 30;
/** tokens/s of this model on a whole A100-80GB at high batch (the README's example policy figure; modelled) */
const WHOLE_GPU_TOKENS_PER_S = 2400;

export interface GpuReplay {
  produced: number;
  firstEventTime: number;
  lastEventTime: number;
}

/** Produces the trace as the server's series (see above), ending a few minutes before `now`. */
export async function replayLlmServer(producer: Producer, codec: AvroCodec, topic: string, cluster: string, now: number): Promise<GpuReplay> {
  const steps = readLlmTrace(LLM_TRACE, 60);
  const served = serveSteps(steps, 60, REPLICAS, PER_REPLICA_TOKENS_PER_S);
  const requests = steps.reduce((a, s) => a + s.requests, 0);
  const tokensPerRequest = steps.reduce((a, s) => a + s.promptTokens + s.generatedTokens, 0) / requests;
  // scrape k is the state at the end of trace minute k − 1; the last one falls in the step after the last closed one
  const start = Math.floor(now / STEP_MS) * STEP_MS - STEP_MS - steps.length * MINUTE;
  const server = { cluster, ...ML_SERVER };
  const sample = (metric: string, unit: string, value: number, eventTime: number): MetricSample => ({
    ...server,
    metric,
    unit,
    value,
    eventTime,
    attributes: metric.startsWith('DCGM') ? { modelName: 'NVIDIA A100-SXM4-80GB' } : {},
  });
  const samples: MetricSample[] = [];
  let counter = 0;
  for (let k = 0; k <= served.length; k++) {
    const t = start + k * MINUTE;
    const s = k === 0 ? { served: 0, queue: 0 } : served[k - 1];
    counter += s.served * 60;
    const running = s.served / DECODE_TOKENS_PER_S;
    const perReplica = { tokens: s.served / REPLICAS, running: running / REPLICAS };
    samples.push(
      sample('vllm:generation_tokens_total', 'tokens', Math.round(counter), t),
      sample('vllm:num_requests_waiting', 'requests', s.queue, t),
      sample('vllm:num_requests_running', 'requests', Math.round(running), t),
    );
    for (let r = 0; r < REPLICAS; r++) {
      samples.push(
        sample('DCGM_FI_DEV_FB_USED', 'MiB', Math.round(WEIGHTS_MIB + (perReplica.running * tokensPerRequest * KV_BYTES_PER_TOKEN) / 2 ** 20), t),
        sample('DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'ratio', Math.min(1, perReplica.tokens / WHOLE_GPU_TOKENS_PER_S), t),
      );
    }
  }
  // one key for all the server's series: one partition, in time order, so that when the demand series closes a step the
  // queue and GPU series of that step are applied already (a live server's series keep coming; a replay in one go does not)
  const key = `${cluster}/${ML_SERVER.namespace}/${ML_SERVER.kind}/${ML_SERVER.name}`;
  const messages = samples.map((s) => ({ key, value: codec.encode('MetricSample', s) }));
  await producer.send({ topic, acks: -1, messages });
  const demand = steps.map((s) => s.generatedTokens / 60);
  console.log(
    `  then ${path.relative(PROJECT_ROOT, LLM_TRACE)} (${requests} requests of a real LLM service, Azure 2023, CC-BY-4.0), 15 minutes summed per minute, as ${ML_SERVER.namespace}/${ML_SERVER.kind}/${ML_SERVER.name}: ` +
      `demand ${Math.round(Math.min(...demand.slice(1)))}–${Math.round(Math.max(...demand))} generated tokens/s on ${REPLICAS} modelled replicas of ${PER_REPLICA_TOKENS_PER_S} tokens/s, ` +
      `up to ${Math.max(...served.map((s) => s.queue))} requests waiting; ${samples.length} events (vLLM and DCGM series), event time ${new Date(start).toISOString()} .. ${new Date(start + served.length * MINUTE).toISOString()}`,
  );
  return { produced: samples.length, firstEventTime: start, lastEventTime: start + served.length * MINUTE };
}

/** The GPU pools' unit prices as the processor reads them from the billing rows, one line each; undefined until every one is priced. */
export async function gpuPoolPrices(costs: CostStore, now: number): Promise<string | undefined> {
  const lines: string[] = [];
  for (const pool of GPU_POOLS) {
    const p = await costs.poolPrices(pool, now);
    const gpu = await costs.poolPrices(gpuPricePool(pool, GPU_MODEL), now);
    if (p.cpuCoreHour === undefined || p.memoryGibHour === undefined || gpu.gpuHour === undefined) return undefined;
    const c = p.currency ?? '';
    lines.push(
      `  ${pool} unit prices from billing: ${gpu.gpuHour.toFixed(4)} ${c}/GPU-hour (${GPU_MODEL}), ${p.cpuCoreHour.toFixed(6)} ${c}/vCPU-hour, ${p.memoryGibHour.toFixed(6)} ${c}/GiB-hour`,
    );
  }
  return lines.join('\n');
}

const ofServer = (r: Recommendation, cluster: string): boolean => r.cluster === cluster && r.namespace === ML_SERVER.namespace && r.name === ML_SERVER.name;

/** Waits until the processor has published the server's replica (HPA) and GPU (RESOURCES) recommendations. */
export async function waitForServerRecommendations(
  kafka: Kafka,
  codec: AvroCodec,
  topic: string,
  cluster: string,
  until: number,
  alive: () => void,
): Promise<void> {
  for (;;) {
    const recs = await Promise.all((await readTopic(kafka, topic)).map((m) => codec.decode<Recommendation>(m.message.value, 'Recommendation')));
    const mine = recs.filter((r) => ofServer(r, cluster));
    if (mine.some((r) => r.type === 'HPA') && mine.some((r) => r.type === 'RESOURCES')) return;
    alive();
    if (Date.now() > until)
      throw new ForesightError(
        'STACK_START_FAILED',
        `the processor published no replica and GPU recommendations for ${ML_SERVER.name} in time (have ${mine.length})`,
      );
    await sleep(500);
  }
}

/** The server's recommendations, what the committer did with them, and their projected GPU cost. */
export function printServerSummary(recs: readonly Recommendation[], cluster: string, prs: readonly { number: number; title: string; body: string }[]): void {
  const mine = recs.filter((r) => ofServer(r, cluster));
  console.log(`\nModel server ${ML_SERVER.namespace}/${ML_SERVER.kind}/${ML_SERVER.name} (the LLM trace): ${mine.length} recommendation(s)`);
  for (const r of mine) {
    const pr = prs.find((p) => p.body.includes(r.id));
    const what = r.type === 'HPA' ? 'replicas' : r.type === 'SPOT' ? 'spot GPU pool' : 'GPU right-sizing';
    console.log(
      `  ${what.padEnd(16)} ${r.changes.map((c) => `${c.field} ${c.current ?? '(unset)'}→${appliedValue(c)}`).join(', ')}; projected GPU cost: ${money(r)}; ` +
        `${r.critical ? `critical → pull request${pr ? ` #${pr.number}` : ''}` : 'routine → commit'}`,
    );
    console.log(`  ${''.padEnd(16)} why: ${r.rules.filter((x) => !x.startsWith('policy:')).join('; ')}`);
  }
}
