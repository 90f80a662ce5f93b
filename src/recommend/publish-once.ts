/**
 * The hysteresis and cooldown gate of the hourly and model-server proposals (RESOURCES, IDLE,
 * SPOT; a model server's HPA, GPU sharing and SPOT): a candidate is published when it moved
 * beyond the policy's hysteresis from the last one of its workload and proposal, after the
 * cooldown (an urgent raise at once). The last proposal lives in the hash
 * `<prefix>:rec:{<workload>}:<proposal>:<container|->` (redis-keys.ts proposalKey), read and
 * written with the loop's batch state.
 *
 * A workload's series land on different partitions (metrics.v1 is keyed by series), so each
 * proposal has exactly one deciding series, or two partitions would overwrite each other's last
 * proposal and withhold each other's changes by the cooldown:
 *   RESOURCES:<container>  the container's CPU series (sizing.ts resources: CPU and memory requests)
 *   GPU:<container>        a model server's deciding demand series, of that container (its GPU sharing, a RESOURCES recommendation)
 *   IDLE:-                 the workload's replicas demand series (sizing.ts idle)
 *   SPOT:-                 the replicas demand series (sizing.ts spot), or for a model server its demand series
 *                          (sizing.ts spot steps aside when the policy has a modelServer)
 *   HPA:-                  a model server's deciding demand series: the policy's modelServer.container, else the first
 *                          claimed (ModelServerRecommender.decides); other workloads' HPA state is rec:{<workload>}
 */
import type { Message } from 'kafkajs';
import type { AvroCodec } from '../codec/avro-codec.js';
import type { Recommendation } from '../codec/generated-types.js';
import type { SeriesIdentity } from '../codec/series-id.js';
import type { ResolvedPolicy } from '../policy/policy-schema.js';
import { traceHeaders } from '../telemetry/propagation.js';
import type { BatchState } from '../windows/batch-state.js';
import { proposalKey } from '../windows/redis-keys.js';
import { movedBeyond, urgentRaise, type Candidate } from './sizing.js';

/** The proposal a candidate is compared with (see above): its type, except a model server's GPU sharing. */
export function proposalName(c: Pick<Candidate, 'type' | 'rec'>): string {
  // the 'model-server' rule marks a model server's recommendations (model-server-recommendations.ts), as for its outcome track
  return c.type === 'RESOURCES' && c.rec.rules.includes('model-server') ? 'GPU' : c.type;
}

/** Publishes a candidate (into the batch's messages) when it moved beyond the hysteresis from the last one of its proposal, after the cooldown (an urgent one at once). */
export async function publishOnce(
  ctx: { state: BatchState; messages: Message[] },
  d: { prefix: string; codec: AvroCodec },
  id: SeriesIdentity,
  c: Candidate,
  stepEndMs: number,
  policy: Pick<ResolvedPolicy, 'change'>,
): Promise<Recommendation | undefined> {
  const name = proposalName(c);
  const key = proposalKey(d.prefix, id.workload, name, c.container);
  await ctx.state.load([key]);
  let { values, atMs: at = null } = ctx.state.get(key);
  if (values === undefined && name === 'GPU') ({ values, atMs: at = null } = await legacyGpuProposal(ctx.state, d.prefix, id.workload, c.container));
  const last = values === undefined ? undefined : (JSON.parse(values) as Record<string, number | string>);
  const urgent = urgentRaise(last, c);
  if (last && !urgent && !movedBeyond(last, c.values, policy.change.hysteresisPercent)) return undefined;
  if (!urgent && at !== null && stepEndMs - Number(at) < policy.change.cooldownMinutes * 60_000) return undefined;
  ctx.messages.push({ key: id.workload, value: d.codec.encode('Recommendation', c.rec), headers: traceHeaders() });
  ctx.state.set(key, { values: JSON.stringify(c.values), atMs: String(stepEndMs), id: c.rec.id });
  return c.rec;
}

/**
 * Before GPU sharing had its own proposal key (November 2026) it was kept under
 * RESOURCES:<container>, with a `gpu` value: read there while the GPU key has none, so an upgrade
 * does not publish the same GPU sharing again. Only read: that key is the CPU series' now.
 */
async function legacyGpuProposal(state: BatchState, prefix: string, workload: string, container: string | null): Promise<Record<string, string>> {
  const legacy = proposalKey(prefix, workload, 'RESOURCES', container);
  await state.load([legacy]);
  const old = state.get(legacy);
  return old.values !== undefined && 'gpu' in (JSON.parse(old.values) as Record<string, unknown>) ? old : {};
}
