/**
 * What a commit and a pull request say about the recommendations in them: a one-line summary,
 * the explanation (forecast, policy rules, cost change), git trailers, a before/after table and
 * a forecast chart (SVG, committed beside the change).
 */
import type { Recommendation } from '../codec/generated-types.js';
import { containerOf, type FieldDiff } from '../manifests/plan.js';
import { CEILING_ONLY_RULE } from '../money/cost-model.js';

export interface Applied {
  rec: Recommendation;
  diffs: FieldDiff[];
  /** an earlier proposal of the open pull request, carried onto the rebuilt review branch */
  carried?: boolean;
  /** a carried proposal's explanation (forecast, rules, cost) as the branch's tip commit gave it (explanationsOf): the commit that first gave it is not on the rebuilt branch */
  why?: string[];
}

/**
 * One value a review branch proposes, as its tip commit records it in a trailer
 * (`Foresight-Proposal: <recommendation id> <cluster, URI-encoded> <container|-> <field> <current|-> <proposed>`):
 * the review branch is rebuilt from its base and these values whenever it changes.
 */
export interface Proposal {
  id: string;
  cluster: string;
  container: string | null;
  field: string;
  current: string | null;
  proposed: string;
}

const PROPOSAL = /^Foresight-Proposal: (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\s*$/;

/** A URI-encoded trailer field; one that does not decode (written by hand) is kept as it is. */
const decoded = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** The proposals a review branch's tip commit records. */
export function proposalsOf(message: string | undefined): Proposal[] {
  return (message ?? '')
    .split('\n')
    .map((l) => PROPOSAL.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      id: m[1],
      cluster: decoded(m[2]),
      container: m[3] === '-' ? null : m[3],
      field: m[4],
      current: m[5] === '-' ? null : m[5],
      proposed: m[6],
    }));
}

const proposalTrailer = (r: Recommendation, c: Recommendation['changes'][number]): string =>
  `Foresight-Proposal: ${r.id} ${encodeURIComponent(r.cluster)} ${containerOf(c.field, r) ?? '-'} ${c.field} ${c.current ?? '-'} ${c.proposed}`;

/** The trace id of a W3C traceparent ("00-<trace id>-<span id>-<flags>"). */
export function traceIdOf(traceparent: string | null): string | undefined {
  const m = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(traceparent ?? '');
  return m ? m[1] : undefined;
}

const workloadOf = (r: Recommendation): string => `${r.namespace}/${r.kind}/${r.name}`;
/** The projected cost change, or why it is unknown (never a made-up 0.00), or why a ceiling-only change costs nothing. */
export const money = (r: Pick<Recommendation, 'monthlyCostDelta' | 'currency' | 'costUnknown' | 'nodePool'> & { rules?: string[] }): string => {
  if (r.rules?.includes(CEILING_ONLY_RULE))
    return `+0.00 ${r.currency}/month: beyond what was proposed before it, only maxReplicas changes, and a ceiling costs nothing until the HPA scales to it`;
  if (r.costUnknown) return r.costUnknown;
  const v = r.monthlyCostDelta;
  const pool = r.nodePool ? ` (pool ${r.nodePool} prices)` : '';
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)} ${r.currency}/month${pool}${commitmentsLine(r.rules ?? [], r.currency)}`;
};
const COMMITMENT_RULE = /^commitment:([a-z-]+):marginal=([\d.e+-]+):covered=(\d+)%(:cut-capped)?(:raise-into-unused)?$/;
/** How commitments priced the change (money/cost-model.ts changeCost), in words. */
const commitmentsLine = (rules: string[], currency: string): string =>
  rules
    .map((x) => COMMITMENT_RULE.exec(x))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(
      ([, unit, price, covered, capped, intoUnused]) =>
        `; commitments cover ${covered}% of the pool's ${unit}s, so it is priced at the ${price} ${currency}/${unit} paid past them` +
        (capped ? ', and a cut saves only the usage no commitment covers (the committed rest is paid until the commitment ends)' : '') +
        (intoUnused ? ', and a raise first takes what the commitments left unused (paid either way) at no extra cost' : ''),
    )
    .join('');
/** The forecast a recommendation was made from; a recommendation made without one (horizonSeconds 0: SPOT, IDLE) says so instead of zeros. */
const forecastLine = (r: Recommendation): string => {
  const f = r.forecast;
  if (f.horizonSeconds <= 0) return `No forecast: a ${r.type} recommendation is decided on the observed ${f.metric} (the rules below), not on a forecast.`;
  return `Forecast of ${f.metric}, peak over the next ${Math.round(f.horizonSeconds / 60)} min: q50 ${f.q50.toFixed(3)}, q90 ${f.q90.toFixed(3)}, q99 ${f.q99.toFixed(3)}; the policy's SLO risk uses q${Math.round(f.quantileUsed * 100)}.`;
};
const budgetLine = (r: Recommendation): string[] => {
  const b = r.budget;
  return b
    ? [
        `Budget ${b.scope} (${b.policy}): ${b.monthly.toFixed(2)} ${r.currency} for ${b.period}; month to date ${b.monthToDate.toFixed(2)}, projected ${b.projected.toFixed(2)}.`,
      ]
    : [];
};
/** A recommendation made with the calibration a regressed outcome tightened (rule `outcome-regressed:<id>:x<multiplier>`, outcomes/tracker.ts) cites that outcome. */
const outcomeLine = (r: Recommendation): string[] =>
  r.rules
    .map((x) => /^outcome-regressed:([^:]+):x([\d.]+)$/.exec(x))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(
      (m) =>
        `Tightened ×${m[2]}: the outcome of recommendation ${m[1]} (outcomes.v1) was regressed — once in force it left the workload under-provisioned above the policy's SLO risk.`,
    );
const fieldLabel = (d: FieldDiff): string => (d.container ? `${d.container} ${d.field}` : d.field);

/** The title: the net change of each field over the recommendations squashed into the commit (first before → last after; a field back where it was is left out). */
export function summaryLine(applied: Applied[]): string {
  const r = applied[0].rec;
  const net = new Map<string, { before: string | null; after: string }>();
  for (const d of applied.flatMap((a) => a.diffs)) {
    const key = `${d.file}\u0000${fieldLabel(d)}`;
    const seen = net.get(key);
    net.set(key, { before: seen ? seen.before : d.before, after: d.after });
  }
  const changes = [...net].filter(([, c]) => c.before !== c.after).map(([key, c]) => `${key.split('\u0000')[1]} ${c.before ?? '(unset)'}→${c.after}`);
  const line = `foresight: ${workloadOf(r)} ${changes.join(', ') || 'no net change'}`;
  return line.length <= 100 ? line : `${line.slice(0, 97)}...`;
}

/** A carried proposal whose explanation the tip commit did not hold (a branch committed before explanations were carried). */
const WHY_UNKNOWN = 'Its explanation is in the commit that first proposed it.';

/**
 * Each recommendation's explanation in a commit message (commitMessage): the lines of its block
 * after the heading that are not a field's diff (forecast, policy rules, cost, budget, outcome),
 * by recommendation id. A rebuilt review branch carries them into its new commit, so the reason
 * for each value still proposed stays on the branch however often it is rebuilt.
 */
export function explanationsOf(message: string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const block of (message ?? '').split('\n\n')) {
    const [head, ...rest] = block.split('\n');
    const id = /recommendation (\S+?)(?: \(critical\))?:$/.exec(head ?? '')?.[1];
    const why = rest.filter((l) => !l.startsWith('  ') && l !== WHY_UNKNOWN);
    if (id !== undefined && why.length > 0) out.set(id, why);
  }
  return out;
}

/** `earlierIds`: recommendations a rebuilt review branch had committed before, kept as trailers so that a redelivery of one (superseded since) is still recognised. */
export function commitMessage(applied: Applied[], earlierIds: string[] = []): string {
  const body = applied.map(({ rec: r, diffs, carried, why }) => {
    if (carried)
      return [
        `Still proposed by the open pull request, recommendation ${r.id}:`,
        ...diffs.map((d) => `  ${fieldLabel(d)}: ${d.before ?? '(unset)'} -> ${d.after}  (${d.file})`),
        ...(why ?? [WHY_UNKNOWN]),
      ].join('\n');
    return [
      `${r.type} recommendation ${r.id}${r.critical ? ' (critical)' : ''}:`,
      ...diffs.map((d) => `  ${fieldLabel(d)}: ${d.before ?? '(unset)'} -> ${d.after}  (${d.file})`),
      forecastLine(r),
      `Policy rules: ${r.rules.join(', ') || '(none)'}.`,
      `Projected cost change: ${money(r)}; confidence ${r.confidence.toFixed(2)}; current values from ${r.currentSource.toLowerCase()}.`,
      ...budgetLine(r),
      ...outcomeLine(r),
    ].join('\n');
  });
  const trailers = applied.flatMap(({ rec: r, carried }) => [
    `Recommendation-Id: ${r.id}`,
    ...(carried ? [] : [`Model-Version: ${r.modelVersion}`, ...(traceIdOf(r.traceparent) ? [`Trace-Id: ${traceIdOf(r.traceparent)}`] : [])]),
    // a review branch's commit records every value it proposes: the branch is rebuilt from them
    ...(r.critical ? r.changes.map((c) => proposalTrailer(r, c)) : []),
  ]);
  const superseded = earlierIds.filter((id) => !applied.some((a) => a.rec.id === id)).map((id) => `Recommendation-Id: ${id}`);
  return `${summaryLine(applied)}\n\n${body.join('\n\n')}\n\n${[...new Set([...trailers, ...superseded])].join('\n')}\n`;
}

export function pullRequestBody(applied: Applied[], chartUrl: string | undefined): string {
  const last = applied[applied.length - 1].rec;
  const rows = applied.flatMap((a) => a.diffs).map((d) => `| ${fieldLabel(d)} | \`${d.file}\` | ${d.before ?? '(unset)'} | **${d.after}** |`);
  const reasons = applied.map(({ rec: r, carried, why }) =>
    carried
      ? `- \`${r.id}\`: an earlier recommendation, still proposed${why ? `: ${why.join(' ')}` : ' (explained in the commit that first proposed it)'}`
      : `- \`${r.id}\` ${r.type}: rules ${r.rules.map((x) => `\`${x}\``).join(', ')}; cost ${money(r)}; confidence ${r.confidence.toFixed(2)}; model ${r.modelVersion}${[
          ...budgetLine(r),
          ...outcomeLine(r),
        ]
          .map((b) => `. ${b}`)
          .join('')}`,
  );
  return [
    `Foresight proposes a reviewed change to **${workloadOf(last)}** (cluster ${last.cluster}): the policy marks it critical.`,
    '',
    '| field | file | before | after |',
    '|---|---|---|---|',
    ...rows,
    '',
    chartUrl ? `![forecast](${chartUrl})` : '',
    '',
    ...reasons,
    '',
    "The branch is Foresight's: it is rebuilt from the base branch and the values proposed whenever a later recommendation for this workload arrives or a routine change of it lands, so the table is its whole diff against the base.",
  ].join('\n');
}

/**
 * A small SVG: the forecast peak's q50/q90/q99 as bars, with the quantile the policy used
 * marked, and the before → after of each numeric field.
 */
export function forecastSvg(applied: Applied[]): string {
  const r = applied[applied.length - 1].rec;
  const f = r.forecast;
  const W = 560;
  const bars: [string, number, boolean][] = [
    ['q50', f.q50, f.quantileUsed === 0.5],
    ['q90', f.q90, f.quantileUsed === 0.9],
    ['q99', f.q99, f.quantileUsed === 0.99],
  ];
  const max = Math.max(...bars.map((b) => b[1]), 1e-9);
  const esc = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const rows = bars.map(([label, v, used], i) => {
    const y = 40 + i * 28;
    const w = Math.max(1, (v / max) * 360);
    return `<text x="10" y="${y + 15}">${label}</text><rect x="60" y="${y}" width="${w.toFixed(1)}" height="20" fill="${used ? '#d9480f' : '#74c0fc'}"/><text x="${(66 + w).toFixed(1)}" y="${y + 15}">${v.toFixed(3)}${used ? ' (used)' : ''}</text>`;
  });
  const diffs = applied
    .flatMap((a) => a.diffs)
    .map((d, i) => `<text x="10" y="${150 + i * 18}">${esc(fieldLabel(d))}: ${esc(d.before ?? '(unset)')} → ${esc(d.after)}</text>`);
  const h = 160 + diffs.length * 18;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(`${r.namespace}/${r.name}: forecast peak of ${f.metric}, next ${Math.round(f.horizonSeconds / 60)} min`)}</text>`,
    ...rows,
    ...diffs,
    '</svg>',
    '',
  ].join('\n');
}
