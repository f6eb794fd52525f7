import { curvePanels, esc, type CurveEntry } from './curves';

export type { CurveEntry } from './curves';

/** A self-contained HTML page: a results table and ROC / PR curves per entry. */
export function renderHtmlReport(title: string, notes: string[], tableHtml: string, entries: CurveEntry[]): string {
  const cards = entries
    .map((e) => {
      const [roc, pr] = curvePanels(e);
      return `<figure><figcaption>${esc(e.title)} — AUCROC ${(e.aucroc * 100).toFixed(2)}, AUCPR ${(e.aucpr * 100).toFixed(2)}</figcaption>
${roc}
${pr}</figure>`;
    })
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}figure{display:inline-block;margin:1em;vertical-align:top}.note{color:#a15c00}</style>
</head><body><h1>${esc(title)}</h1>${notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}
${tableHtml}
<h2>ROC and precision-recall curves (test split, seed 1)</h2>
${cards}
</body></html>`;
}

/** An HTML table from rows of cells. */
export function htmlTable(head: string[], rows: Array<Array<string | number>>): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}
