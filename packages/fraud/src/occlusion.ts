import type { tf } from '@appliedml/engine';
import type { Matrix } from './matrix';
import { mlpScores } from './neural';

/** Copies scored together (a block of rows, each copied once per feature and background value). */
const BLOCK_COPIES = 65_536;
const EDGE = 1e-7;
/** Background values per feature: its training distribution at these many evenly spaced quantiles. */
const BACKGROUND_POINTS = 4;

function logit(p: number): number {
  const q = Math.min(1 - EDGE, Math.max(EDGE, p));
  return Math.log(q / (1 - q));
}

/** `points` evenly spaced quantiles ((k + ½) / points) of each sorted training column. */
export function backgroundValues(sorted: readonly ArrayLike<number>[], points = BACKGROUND_POINTS): number[][] {
  return sorted.map((col) => {
    const n = col.length;
    if (!n) return [0];
    return Array.from({ length: points }, (_, k) => col[Math.min(n - 1, Math.floor(((k + 0.5) / points) * n))] as number);
  });
}

/**
 * Per-feature evidence of a classifier (rows × cols): how far the fraud log-odds fall, on average, when
 * that feature alone takes values drawn from its training distribution (`background[c]`, a few quantiles)
 * instead of the row's own. Positive: the row's value pushes towards fraud. Log-odds, not probabilities:
 * near 1 a probability barely moves whichever feature is replaced. `score` holds the rows' own
 * probabilities.
 */
export function mlpOcclusion(
  model: tf.LayersModel,
  x: Matrix,
  score: Float64Array,
  background: readonly (readonly number[])[],
): Float64Array {
  const d = x.cols;
  const out = new Float64Array(x.rows * d);
  // A background value equal to the row's own changes nothing (its log-odds are the row's): only the
  // others are scored (a rare one-hot level's background is all 0, so a row without it costs nothing there).
  const copies = background.reduce((n, b) => n + b.length, 0);
  const rowsPerBlock = Math.max(1, Math.floor(BLOCK_COPIES / Math.max(1, copies)));
  for (let r0 = 0; r0 < x.rows; r0 += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, x.rows - r0);
    let needed = 0;
    for (let i = 0; i < rows; i++)
      for (let c = 0; c < d; c++) for (const v of background[c] as readonly number[]) if (v !== x.data[(r0 + i) * d + c]) needed++;
    const data = new Float64Array(needed * d);
    let at = 0;
    for (let i = 0; i < rows; i++) {
      const row = x.data.subarray((r0 + i) * d, (r0 + i + 1) * d);
      for (let c = 0; c < d; c++)
        for (const v of background[c] as readonly number[]) {
          if (v === row[c]) continue;
          data.set(row, at);
          data[at + c] = v;
          at += d;
        }
    }
    const held = at ? mlpScores(model, { rows: at / d, cols: d, data: data.subarray(0, at) }) : new Float64Array(0);
    let k = 0;
    for (let i = 0; i < rows; i++) {
      const row = x.data.subarray((r0 + i) * d, (r0 + i + 1) * d);
      const own = logit(score[r0 + i] as number);
      for (let c = 0; c < d; c++) {
        const b = background[c] as readonly number[];
        let sum = 0;
        for (const v of b) sum += v === row[c] ? own : logit(held[k++] as number);
        out[(r0 + i) * d + c] = own - sum / b.length;
      }
    }
  }
  return out;
}
