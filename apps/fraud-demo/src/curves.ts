import { averagePrecision, prCurve, rocAuc, rocCurve } from '@appliedml/engine';
import type { Transaction, TransactionScorer } from '@appliedml/fraud';

/** One curve set: held-out labels, the model's scores on them, and the two areas. */
export interface CurveEntry {
  title: string;
  labels: ArrayLike<number>;
  scores: ArrayLike<number>;
  aucroc: number;
  aucpr: number;
}

/** Escapes text for HTML and SVG (numeric entities, valid in both). */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Down-samples a curve to at most `max` points (keeps the ends). */
function thin(xs: number[], ys: number[], max = 300): Array<[number, number]> {
  const n = xs.length;
  const step = Math.max(1, Math.ceil(n / max));
  const pts: Array<[number, number]> = [];
  for (let i = 0; i < n; i += step) pts.push([xs[i] as number, ys[i] as number]);
  if ((n - 1) % step !== 0) pts.push([xs[n - 1] as number, ys[n - 1] as number]);
  return pts;
}

/** The axis values marked on both axes of a curve panel (rates and precision run 0 to 1). */
const TICKS = [0, 0.25, 0.5, 0.75, 1] as const;

/** Width and height of one curve panel. */
export const PANEL = { width: 260, height: 220 } as const;

function panel(
  title: string,
  xLabel: string,
  yLabel: string,
  pts: Array<[number, number]>,
  diagonal: boolean,
  at?: { x: number; y: number },
): string {
  const W = PANEL.width;
  const H = PANEL.height;
  const P = 40;
  const sx = (v: number): number => P + v * (W - P - 8);
  const sy = (v: number): number => H - P - v * (H - P - 8);
  const path = pts.map(([px, py], i) => `${i ? 'L' : 'M'}${sx(px).toFixed(1)},${sy(py).toFixed(1)}`).join('');
  const place = at ? ` x="${at.x}" y="${at.y}"` : '';
  // Tick marks and values on both axes (0 to 1 by 0.25): the panels had none, not even 0 and 1.
  const ticks = TICKS.map(
    (v) => `<line x1="${sx(v)}" y1="${sy(0)}" x2="${sx(v)}" y2="${sy(0) + 4}" stroke="#999"/>
<text class="tick-x" x="${sx(v)}" y="${sy(0) + 14}" font-size="9" text-anchor="middle">${v}</text>
<line x1="${sx(0) - 4}" y1="${sy(v)}" x2="${sx(0)}" y2="${sy(v)}" stroke="#999"/>
<text class="tick-y" x="${sx(0) - 6}" y="${sy(v) + 3}" font-size="9" text-anchor="end">${v}</text>`,
  ).join('\n');
  return `<svg${place} viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">
<rect x="${P}" y="8" width="${W - P - 8}" height="${H - P - 8}" fill="none" stroke="#999"/>
${ticks}
${diagonal ? `<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#ccc" stroke-dasharray="4"/>` : ''}
<path d="${path}" fill="none" stroke="#c0392b" stroke-width="2"/>
<text x="${W / 2}" y="${H - 6}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>
<text x="10" y="${H / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 10 ${H / 2})">${esc(yLabel)}</text>
</svg>`;
}

/**
 * The ROC and the precision-recall panels of one entry: SVG elements for an HTML page, or, with
 * `at`, placed side by side (the PR panel to the right) inside a larger SVG.
 */
export function curvePanels(e: CurveEntry, at?: { x: number; y: number }): [roc: string, pr: string] {
  const roc = rocCurve(e.labels, e.scores);
  const pr = prCurve(e.labels, e.scores);
  return [
    panel(`ROC ${e.title}`, 'false-positive rate', 'true-positive rate', thin(roc.fpr, roc.tpr), true, at),
    panel(`PR ${e.title}`, 'recall', 'precision', thin(pr.recall, pr.precision), false, at && { x: at.x + PANEL.width, y: at.y }),
  ];
}

/** A standalone SVG document: a caption with AUCROC and AUCPR, then the ROC and the PR curve side by side. */
export function curvesSvg(e: CurveEntry): string {
  const top = 24;
  const [roc, pr] = curvePanels(e, { x: 0, y: top });
  const width = 2 * PANEL.width;
  const height = PANEL.height + top;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" role="img" aria-label="${esc(`ROC and precision-recall curves: ${e.title}`)}">
<rect width="${width}" height="${height}" fill="#fff"/>
<text x="${width / 2}" y="16" font-size="12" text-anchor="middle">${esc(`${e.title} — AUCROC ${(e.aucroc * 100).toFixed(2)}, AUCPR ${(e.aucpr * 100).toFixed(2)}`)}</text>
${roc}
${pr}
</svg>`;
}

/**
 * The curves of a scorer on a labelled held-out stream: forgets the scorer's card state, scores the
 * stream in time order and measures AUCROC and AUCPR. It changes the scorer's state: pass a copy
 * (e.g. the saved model loaded a second time), never the scorer a service answers with.
 */
export async function heldOutCurves(
  scorer: TransactionScorer,
  txs: readonly Transaction[],
  labels: ArrayLike<number>,
  title: string,
): Promise<CurveEntry> {
  await scorer.resetState();
  const scores = (await scorer.scoreAll(txs)).map((s) => s.score);
  const ys = Array.from(labels, Number);
  return { title, labels: ys, scores, aucroc: rocAuc(ys, scores), aucpr: averagePrecision(ys, scores) };
}
