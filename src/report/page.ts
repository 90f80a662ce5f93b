/** The shell of the report pages: one self-contained HTML file (inline CSS and SVG, no script, nothing fetched). */
import { esc } from './svg.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;background:#f6f7f9}
main{max-width:960px;margin:0 auto;padding:24px}
header{background:#1f3a5f;color:#fff;padding:18px 24px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.85}
section{background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:16px 20px;margin:0 0 18px}
h2{font-size:17px;margin:0 0 10px}h3{font-size:14px;margin:14px 0 6px}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{background:#fafbfc;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:4px 0 8px}.kpi{border:1px solid #e1e4e8;border-radius:6px;padding:8px 12px;min-width:150px}
.kpi b{display:block;font-size:20px}.kpi span{color:#555;font-size:12px}
.note{color:#8a5a00}.bad{color:#b00020;font-weight:600}.good{color:#1a7f37;font-weight:600}
figure{margin:6px 0}svg.chart{max-width:100%;height:auto}.tick{font-size:11px;fill:#555}
.legend span{margin-right:14px;font-size:12px;white-space:nowrap}.legend i{display:inline-block;width:18px;height:0;border-top:2px solid;vertical-align:middle;margin-right:4px}
.legend i.band{height:10px;border:none;opacity:.5}.legend i.dot{width:8px;height:8px;border:2px solid;border-radius:50%}
footer{color:#666;font-size:12px;text-align:center;padding:8px 0 24px}
`;

export function page(title: string, subtitle: string, sections: string[], footer: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(title)}</h1><p>${esc(subtitle)}</p></header><main>
${sections.join('\n')}
</main><footer>${esc(footer)}</footer></body></html>
`;
}

export function section(title: string, body: string, id?: string): string {
  return `<section${id ? ` id="${esc(id)}"` : ''}><h2>${esc(title)}</h2>${body}</section>`;
}

/** A table; cells are HTML already (escape text with esc), numeric cells are right-aligned. */
export function table(headers: string[], rows: { html: string; numeric?: boolean }[][]): string {
  const head = `<tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td${c.numeric ? ' class="n"' : ''}>${c.html}</td>`).join('')}</tr>`).join('');
  return `<table>${head}${body}</table>`;
}

export function kpis(items: { label: string; value: string; cls?: string }[]): string {
  return `<div class="kpis">${items.map((k) => `<div class="kpi"><b${k.cls ? ` class="${k.cls}"` : ''}>${esc(k.value)}</b><span>${esc(k.label)}</span></div>`).join('')}</div>`;
}

export function notes(list: string[]): string {
  return list.map((n) => `<p class="note">${esc(n)}</p>`).join('');
}
