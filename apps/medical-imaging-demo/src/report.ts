// The demo's HTML report: metrics beside the published numbers, Grad-CAM overlays and predicted masks
// (PNG data URIs, so the report is one self-contained file).
import type { ClassificationMetrics, SegmentationMetrics } from '@appliedml/medical-imaging';
import type { Published } from './presets';

export interface Figure {
  png: Uint8Array;
  caption: string;
}

export interface ClassifierSection {
  title: string;
  note: string;
  synthetic: boolean;
  metrics: ClassificationMetrics;
  trainSeconds: number;
  published: Published[];
  figures: Figure[];
}

export interface SegmenterSection {
  title: string;
  note: string;
  synthetic: boolean;
  metrics: SegmentationMetrics;
  trainSeconds: number;
  published: Published[];
  figures: Figure[];
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const num = (v: number | undefined, digits = 3): string => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));

function gallery(figures: Figure[]): string {
  return `<div class="gallery">${figures
    .map(
      (f) =>
        `<figure><img src="data:image/png;base64,${Buffer.from(f.png).toString('base64')}" alt="${escapeHtml(f.caption)}"><figcaption>${escapeHtml(f.caption)}</figcaption></figure>`,
    )
    .join('')}</div>`;
}

function banner(synthetic: boolean): string {
  return synthetic
    ? '<p class="synthetic">SYNTHETIC DATA: generated phantoms, not medical images. These numbers say nothing about medical performance.</p>'
    : '';
}

export function classifierHtml(s: ClassifierSection): string {
  const m = s.metrics;
  const rows = [
    `<tr><td>this run (${s.trainSeconds.toFixed(1)} s training)</td><td>${num(m.accuracy)}</td><td>${num(m.auc)}</td><td>${num(m.sensitivity)}</td><td>${num(m.specificity)}</td></tr>`,
    ...(s.synthetic
      ? []
      : s.published.map(
          (p) => `<tr class="pub"><td>${escapeHtml(p.what)}</td><td>${num(p.accuracy)}</td><td>${num(p.auc)}</td><td>–</td><td>–</td></tr>`,
        )),
  ].join('');
  const confusion = `<table class="cm"><tr><th>true \\ predicted</th>${m.labels.map((l) => `<th>${escapeHtml(l)}</th>`).join('')}</tr>${m.confusion
    .map((row, i) => `<tr><th>${escapeHtml(m.labels[i]!)}</th>${row.map((v) => `<td>${v}</td>`).join('')}</tr>`)
    .join('')}</table>`;
  return `<section><h2>${escapeHtml(s.title)}</h2>${banner(s.synthetic)}<p>${escapeHtml(s.note)}</p>
<table><tr><th>test set (${m.count})</th><th>accuracy</th><th>ROC-AUC</th><th>sensitivity</th><th>specificity</th></tr>${rows}</table>
<p>Decision threshold ${num(m.threshold)} on the positive score, chosen on the validation split (Youden's J).</p>${confusion}
<h3>Grad-CAM: where the residual CNN looked</h3>${gallery(s.figures)}</section>`;
}

export function segmenterHtml(s: SegmenterSection): string {
  const rows = [
    `<tr><td>this run (${s.trainSeconds.toFixed(1)} s training)</td><td>${num(s.metrics.dice)}</td><td>${num(s.metrics.iou)}</td></tr>`,
    ...(s.synthetic ? [] : s.published.map((p) => `<tr class="pub"><td>${escapeHtml(p.what)}</td><td>${num(p.dice)}</td><td>–</td></tr>`)),
  ].join('');
  return `<section><h2>${escapeHtml(s.title)}</h2>${banner(s.synthetic)}<p>${escapeHtml(s.note)}</p>
<table><tr><th>test set (${s.metrics.count})</th><th>Dice</th><th>IoU</th></tr>${rows}</table>
<h3>Predicted masks (green) and the ground truth outline (red)</h3>${gallery(s.figures)}</section>`;
}

export function htmlReport(parts: { classifier?: ClassifierSection; segmenter?: SegmenterSection; generated: string }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>appliedml medical imaging demo</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}td:first-child,th:first-child{text-align:left}.pub td{color:#666}
.synthetic{background:#fde;border:1px solid #c36;padding:.5rem;font-weight:bold}.gallery{display:flex;flex-wrap:wrap;gap:.5rem}
figure{margin:0;width:10rem}figure img{width:10rem;image-rendering:pixelated}figcaption{font-size:.75rem}</style></head><body>
<h1>appliedml medical imaging demo</h1><p>${escapeHtml(parts.generated)}</p>
${parts.classifier ? classifierHtml(parts.classifier) : ''}${parts.segmenter ? segmenterHtml(parts.segmenter) : ''}
<p>Not a medical device. Research and demonstration only.</p></body></html>`;
}
