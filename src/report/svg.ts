/**
 * Inline SVG charts for the report pages: no script and no network at view time. Pure string
 * building; every number drawn is passed in. Long series are drawn at most MAX_POINTS points
 * wide, each point the maximum of the steps it covers (peaks matter for capacity).
 */
export const MAX_POINTS = 600;

export interface Line {
  name: string;
  color: string;
  values: (number | null)[];
  dashed?: boolean;
}

export interface TimeChart {
  startMs: number;
  stepMs: number;
  lines: Line[];
  /** a shaded band between two series (e.g. q50 to q99) */
  band?: { name: string; color: string; lo: (number | null)[]; hi: (number | null)[] };
  markers?: { name: string; color: string; points: { timeMs: number; value: number }[] };
  width?: number;
  height?: number;
  unit?: string;
  /** the times are elapsed since the first step (a trace without a time column), not dates: label them "day N hh:mm" */
  elapsed?: boolean;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A figure for people: 3 significant digits, thousands separated. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a === 0) return '0';
  return String(+x.toPrecision(3));
}

function downsample(values: (number | null)[], factor: number): (number | null)[] {
  if (factor <= 1) return values;
  const out: (number | null)[] = [];
  for (let i = 0; i < values.length; i += factor) {
    let m: number | null = null;
    for (let k = i; k < Math.min(values.length, i + factor); k++) if (values[k] !== null && (m === null || values[k]! > m)) m = values[k];
    out.push(m);
  }
  return out;
}

function path(values: (number | null)[], x: (i: number) => number, y: (v: number) => number): string {
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  return d;
}

function dateLabel(ms: number, spanMs: number, elapsed: boolean): string {
  const iso = new Date(ms).toISOString();
  const day = elapsed ? `day ${Math.floor(ms / 86_400_000)}` : iso.slice(5, 10);
  return spanMs > 3 * 86_400_000 ? day : `${day} ${iso.slice(11, 16)}`;
}

export function timeChart(c: TimeChart): string {
  const W = c.width ?? 900;
  const H = c.height ?? 260;
  const pad = { l: 64, r: 12, t: 12, b: 44 };
  const n = Math.max(...c.lines.map((l) => l.values.length), c.band?.lo.length ?? 0, 1);
  const factor = Math.ceil(n / MAX_POINTS);
  const m = Math.ceil(n / factor);
  // the largest value drawn, by a loop: a spread of a long series' values overflows the call stack (26,000 rows did)
  let largest = 1e-9;
  for (const values of [...c.lines.map((l) => l.values), ...(c.band ? [c.band.lo, c.band.hi] : [])])
    for (const v of values) if (v !== null && Number.isFinite(v) && v > largest) largest = v;
  const top = largest * 1.05;
  const x = (i: number): number => pad.l + ((W - pad.l - pad.r) * i) / Math.max(1, m - 1);
  const y = (v: number): number => H - pad.b - ((H - pad.t - pad.b) * Math.max(0, v)) / top;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" class="chart">`];
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    parts.push(`<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${pad.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(num(v))}</text>`);
  }
  const span = n * c.stepMs;
  for (let k = 0; k <= 4; k++) {
    const i = Math.round(((m - 1) * k) / 4);
    parts.push(
      `<text x="${x(i).toFixed(1)}" y="${H - pad.b + 16}" text-anchor="${k === 0 ? 'start' : k === 4 ? 'end' : 'middle'}" class="tick">${esc(dateLabel(c.startMs + i * factor * c.stepMs - (c.elapsed ? c.startMs : 0), span, c.elapsed === true))}</text>`,
    );
  }
  const axis = c.elapsed ? 'time since the first step (no time column)' : 'UTC';
  if (c.unit || c.elapsed) parts.push(`<text x="${pad.l}" y="${H - 6}" class="tick">${esc(c.unit ? `${c.unit} · ${axis}` : axis)}</text>`);
  if (c.band) {
    const lo = downsample(c.band.lo, factor);
    const hi = downsample(c.band.hi, factor);
    // one polygon per run of points where both edges are known
    let run: number[] = [];
    const flush = (): void => {
      if (run.length > 1) {
        const up = run.map((i) => `${x(i).toFixed(1)},${y(hi[i]!).toFixed(1)}`);
        const down = run.reverse().map((i) => `${x(i).toFixed(1)},${y(lo[i]!).toFixed(1)}`);
        parts.push(`<polygon points="${[...up, ...down].join(' ')}" fill="${c.band!.color}" fill-opacity="0.25" stroke="none"/>`);
      }
      run = [];
    };
    for (let i = 0; i < m; i++) {
      if (lo[i] !== null && hi[i] !== null) run.push(i);
      else flush();
    }
    flush();
  }
  for (const l of c.lines) {
    const d = path(downsample(l.values, factor), x, y);
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${l.color}" stroke-width="1.5"${l.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
  }
  for (const p of c.markers?.points ?? []) {
    const i = Math.round((p.timeMs - c.startMs) / c.stepMs / factor);
    parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="4" fill="none" stroke="${c.markers!.color}" stroke-width="2"/>`);
  }
  parts.push('</svg>');
  const legend = [
    ...c.lines.map((l) => `<span><i style="border-color:${l.color};border-style:${l.dashed ? 'dashed' : 'solid'}"></i>${esc(l.name)}</span>`),
    ...(c.band ? [`<span><i class="band" style="background:${c.band.color}"></i>${esc(c.band.name)}</span>`] : []),
    ...(c.markers && c.markers.points.length > 0 ? [`<span><i class="dot" style="border-color:${c.markers.color}"></i>${esc(c.markers.name)}</span>`] : []),
  ];
  return `<figure>${parts.join('')}<figcaption class="legend">${legend.join(' ')}</figcaption></figure>`;
}

export interface CostBar {
  label: string;
  monthToDate: number | null;
  projected: number | null;
  budget: number | null;
}

/** Horizontal bars: month to date (solid), projected to month end (light), the budget as a red tick. */
export function costBars(bars: CostBar[], currency: string): string {
  const W = 900;
  const row = 30;
  const H = bars.length * row + 24;
  const left = 260;
  const top = Math.max(1e-9, ...bars.flatMap((b) => [b.monthToDate ?? 0, b.projected ?? 0, b.budget ?? 0])) * 1.1;
  const x = (v: number): number => left + ((W - left - 90) * v) / top;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" class="chart">`];
  bars.forEach((b, i) => {
    const yy = 8 + i * row;
    parts.push(`<text x="${left - 8}" y="${yy + 15}" text-anchor="end" class="tick">${esc(b.label)}</text>`);
    if (b.projected !== null) parts.push(`<rect x="${left}" y="${yy + 2}" width="${(x(b.projected) - left).toFixed(1)}" height="18" fill="#9ecae1"/>`);
    if (b.monthToDate !== null) parts.push(`<rect x="${left}" y="${yy + 2}" width="${(x(b.monthToDate) - left).toFixed(1)}" height="18" fill="#3182bd"/>`);
    if (b.budget !== null) {
      parts.push(`<line x1="${x(b.budget).toFixed(1)}" x2="${x(b.budget).toFixed(1)}" y1="${yy - 2}" y2="${yy + 24}" stroke="#d62728" stroke-width="3"/>`);
      parts.push(`<text x="${(x(b.budget) + 5).toFixed(1)}" y="${yy + 15}" class="tick">budget ${esc(num(b.budget))}</text>`);
    }
    const label = b.monthToDate === null ? 'cost unknown' : `${num(b.monthToDate)} → ${num(b.projected ?? b.monthToDate)} ${currency}`;
    parts.push(`<text x="${(x(Math.max(b.projected ?? 0, b.monthToDate ?? 0)) + 6).toFixed(1)}" y="${yy + 15}" class="tick">${esc(label)}</text>`);
  });
  parts.push('</svg>');
  return `<figure>${parts.join('')}<figcaption class="legend"><span><i class="band" style="background:#3182bd"></i>month to date</span> <span><i class="band" style="background:#9ecae1"></i>forecast to month end</span> <span><i style="border-color:#d62728"></i>budget</span></figcaption></figure>`;
}
