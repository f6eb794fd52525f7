import type { SpeechMetrics } from '@appliedml/speech';

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** A confusion matrix as an SVG heat map (rows: true label, columns: predicted). */
export function confusionSvg(m: Pick<SpeechMetrics, 'labels' | 'confusion'>): string {
  const n = m.labels.length;
  const cell = 34;
  const pad = 60;
  const max = Math.max(1, ...m.confusion.flat());
  const parts: string[] = [];
  m.confusion.forEach((row, i) =>
    row.forEach((v, j) => {
      const shade = Math.round(255 - (v / max) * 200);
      const fill = i === j ? `rgb(${shade},${Math.min(255, shade + 40)},${shade})` : `rgb(255,${shade},${shade})`;
      parts.push(`<rect x="${pad + j * cell}" y="${pad + i * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ccc"/>`);
      if (v > 0)
        parts.push(
          `<text x="${pad + j * cell + cell / 2}" y="${pad + i * cell + cell / 2 + 4}" text-anchor="middle" font-size="11">${v}</text>`,
        );
    }),
  );
  m.labels.forEach((l, i) => {
    parts.push(`<text x="${pad - 6}" y="${pad + i * cell + cell / 2 + 4}" text-anchor="end" font-size="12">${esc(l)}</text>`);
    parts.push(`<text x="${pad + i * cell + cell / 2}" y="${pad - 8}" text-anchor="middle" font-size="12">${esc(l)}</text>`);
  });
  const size = pad + n * cell + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" font-family="sans-serif"><text x="${pad}" y="14" font-size="11">predicted →</text><text x="4" y="${pad - 8}" font-size="11">true ↓</text>${parts.join('')}</svg>`;
}

export interface ReportInput {
  title: string;
  note: string;
  model: string;
  trainSeconds: number;
  metrics: SpeechMetrics;
  /** Extra rows for the numbers table, e.g. the published or peer numbers. */
  reference: Array<{ what: string; accuracy: number }>;
  pictures: Array<{ label: string; predicted: string; mfcc: string; logMel: string }>;
  sequence?: { truth: string; heard: string };
}

export function htmlReport(r: ReportInput): string {
  const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
  const rows = [`<tr><td>${esc(r.model)} (this run)</td><td>${pct(r.metrics.accuracy)}</td><td>${pct(r.metrics.macroF1)}</td></tr>`]
    .concat(r.reference.map((p) => `<tr><td>${esc(p.what)}</td><td>${pct(p.accuracy)}</td><td>–</td></tr>`))
    .join('');
  const pics = r.pictures
    .map(
      (p) =>
        `<figure><figcaption>said <b>${esc(p.label)}</b>, heard <b>${esc(p.predicted)}</b></figcaption><img alt="MFCC of ${esc(p.label)}" src="${p.mfcc}"><img alt="log-mel of ${esc(p.label)}" src="${p.logMel}"></figure>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem}
figure{display:inline-block;margin:.5rem;vertical-align:top}figure img{display:block;margin-top:.2rem;image-rendering:pixelated}.note{background:#ffd;padding:.5rem}</style></head>
<body><h1>${esc(r.title)}</h1><p class="note">${esc(r.note)}</p>
<p>Model: ${esc(r.model)}; trained in ${r.trainSeconds.toFixed(1)} s; ${r.metrics.n} test recordings.</p>
<table><tr><th>model / source</th><th>accuracy</th><th>macro F1</th></tr>${rows}</table>
<h2>Confusion matrix</h2>${confusionSvg(r.metrics)}
${r.sequence ? `<h2>Digit string</h2><p>Said ${esc(r.sequence.truth)}, heard <b>${esc(r.sequence.heard || '(nothing)')}</b> (VAD segmentation, one recognition per word).</p>` : ''}
<h2>MFCC and log-mel pictures</h2><p>Top: 13 MFCCs (25 ms frames, 10 ms hop, before CMVN), time left to right, c0 at the bottom; each coefficient's row has its own colour scale (its minimum to maximum in the recording), so the energy c0 does not flatten the others. Bottom: 40 log-mel bands on one colour scale.</p>${pics}
</body></html>`;
}
