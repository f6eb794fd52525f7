import type { TextMetrics } from '@appliedml/text';

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A confusion matrix as an SVG heat map: rows true labels, columns predicted, counts in the cells. */
export function confusionSvg(metrics: Pick<TextMetrics, 'labels' | 'confusion'>): string {
  const { labels, confusion } = metrics;
  const cell = 56;
  const left = 110;
  const top = 110;
  const size = labels.length * cell;
  const rowMax = confusion.map((row) =>
    Math.max(
      1,
      row.reduce((a, b) => a + b, 0),
    ),
  );
  const parts: string[] = [];
  confusion.forEach((row, i) =>
    row.forEach((count, j) => {
      const share = count / (rowMax[i] as number);
      const color = i === j ? `rgba(34,139,34,${0.15 + 0.85 * share})` : `rgba(200,40,40,${count === 0 ? 0.03 : 0.2 + 0.8 * share})`;
      const x = left + j * cell;
      const y = top + i * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${color}" stroke="#fff"/>`);
      parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 5}" text-anchor="middle" font-size="14">${count}</text>`);
    }),
  );
  labels.forEach((label, k) => {
    parts.push(`<text x="${left - 8}" y="${top + k * cell + cell / 2 + 5}" text-anchor="end" font-size="13">${escape(label)}</text>`);
    const x = left + k * cell + cell / 2;
    parts.push(
      `<text x="${x}" y="${top - 8}" text-anchor="start" font-size="13" transform="rotate(-45 ${x} ${top - 8})">${escape(label)}</text>`,
    );
  });
  parts.push(`<text x="${left + size / 2}" y="${top + size + 30}" text-anchor="middle" font-size="13">predicted</text>`);
  parts.push(
    `<text x="20" y="${top + size / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 20 ${top + size / 2})">true</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${left + size + 20}" height="${top + size + 45}" font-family="sans-serif">${parts.join('')}</svg>`;
}

export interface ReportSection {
  title: string;
  note: string;
  model: string;
  metrics: TextMetrics;
  published: { what: string; accuracy?: number; recall?: number; fpr?: number; mcc?: number }[];
  trainSeconds: number;
}

const pct = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(2)} %`);

/** One self-contained HTML page: per dataset a metrics table beside the published numbers, per-class metrics and the confusion matrix. */
export function htmlReport(sections: ReportSection[], generatedAt = new Date()): string {
  const body = sections
    .map((s) => {
      const m = s.metrics;
      const published = s.published
        .map(
          (p) =>
            `<tr><td>${escape(p.what)}</td><td>${pct(p.accuracy)}</td><td>${pct(p.recall)}</td><td>${pct(p.fpr)}</td><td>${p.mcc?.toFixed(3) ?? '–'}</td></tr>`,
        )
        .join('');
      const perClass = m.perClass
        .map(
          (c) =>
            `<tr><td>${escape(c.label)}</td><td>${pct(c.precision)}</td><td>${pct(c.recall)}</td><td>${pct(c.f1)}</td><td>${c.support}</td></tr>`,
        )
        .join('');
      return `<section><h2>${escape(s.title)}</h2><p>${escape(s.note)}. Model: <b>${escape(s.model)}</b>, trained in ${s.trainSeconds.toFixed(1)} s.</p>
<table><tr><th></th><th>accuracy</th><th>positive recall</th><th>false-positive rate</th><th>MCC</th></tr>
<tr class="ours"><td>this run</td><td>${pct(m.accuracy)}</td><td>${pct(m.binary?.recall)}</td><td>${pct(m.binary?.falsePositiveRate)}</td><td>${m.mcc.toFixed(3)}</td></tr>${published}</table>
<h3>Per class</h3><table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>${perClass}</table>
<h3>Confusion matrix</h3>${confusionSvg(m)}</section>`;
    })
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>appliedml text demo report</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}td:first-child,th:first-child{text-align:left}tr.ours{font-weight:bold;background:#eef8ee}</style>
</head><body><h1>appliedml text demo</h1><p>Generated ${escape(generatedAt.toISOString())}.</p>
${body}</body></html>`;
}
