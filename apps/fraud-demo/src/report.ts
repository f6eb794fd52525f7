import { prCurve, rocCurve } from '@appliedml/engine';

/** One curve set for the HTML report. */
export interface CurveEntry {
  title: string;
  labels: ArrayLike<number>;
  scores: ArrayLike<number>;
  aucroc: number;
  aucpr: number;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Down-samples a curve to at most `max` points (keeps the ends). */
function thin(xs: number[], ys: number[], max = 300): Array<[number, number]> {
  const n = xs.length;
  const step = Math.max(1, Math.ceil(n / max));
  const pts: Array<[number, number]> = [];
  for (let i = 0; i < n; i += step) pts.push([xs[i] as number, ys[i] as number]);
  if ((n - 1) % step !== 0) pts.push([xs[n - 1] as number, ys[n - 1] as number]);
  return pts;
}

function svg(title: string, xLabel: string, yLabel: string, pts: Array<[number, number]>, diagonal: boolean): string {
  const W = 260;
  const H = 220;
  const P = 34;
  const sx = (x: number): number => P + x * (W - P - 8);
  const sy = (y: number): number => H - P - y * (H - P - 8);
  const path = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">
<rect x="${P}" y="8" width="${W - P - 8}" height="${H - P - 8}" fill="none" stroke="#999"/>
${diagonal ? `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#ccc" stroke-dasharray="4"/>` : ''}
<path d="${path}" fill="none" stroke="#c0392b" stroke-width="2"/>
<text x="${W / 2}" y="${H - 6}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>
<text x="10" y="${H / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 10 ${H / 2})">${esc(yLabel)}</text>
</svg>`;
}

/** A self-contained HTML page: a results table and ROC / PR curves per entry. */
export function renderHtmlReport(title: string, notes: string[], tableHtml: string, entries: CurveEntry[]): string {
  const cards = entries
    .map((e) => {
      const roc = rocCurve(e.labels, e.scores);
      const pr = prCurve(e.labels, e.scores);
      return `<figure><figcaption>${esc(e.title)} — AUCROC ${(e.aucroc * 100).toFixed(2)}, AUCPR ${(e.aucpr * 100).toFixed(2)}</figcaption>
${svg(`ROC ${e.title}`, 'false-positive rate', 'true-positive rate', thin(roc.fpr, roc.tpr), true)}
${svg(`PR ${e.title}`, 'recall', 'precision', thin(pr.recall, pr.precision), false)}</figure>`;
    })
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}figure{display:inline-block;margin:1em;vertical-align:top}.note{color:#a15c00}</style>
</head><body><h1>${esc(title)}</h1>${notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}
${tableHtml}
<h2>ROC and precision-recall curves (test split, seed 0)</h2>
${cards}
</body></html>`;
}

/** An HTML table from rows of cells. */
export function htmlTable(head: string[], rows: Array<Array<string | number>>): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}
