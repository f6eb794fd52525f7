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

/** A categorical's one-hot columns and each level's share of the training rows (parallel to `cols`). */
export interface OcclusionGroup {
  cols: readonly number[];
  shares: readonly number[];
}

/**
 * Per-feature evidence of a classifier (rows × cols): how far the fraud log-odds fall, on average, when
 * that feature alone takes values drawn from its training distribution (`background[c]`, a few quantiles)
 * instead of the row's own. Positive: the row's value pushes towards fraud. Log-odds, not probabilities:
 * near 1 a probability barely moves whichever feature is replaced. `score` holds the rows' own
 * probabilities.
 *
 * A categorical's one-hot columns (`groups`) are replaced together, by each level seen in training
 * weighted by its share (the row's own level counts as itself): its evidence, on the column of the row's
 * level (the first column for a level never seen), is how far the log-odds fall with another level.
 * Replaced one column at a time they took values no row can hold (no level, or two), and the network's
 * answer to those read as evidence where the level played no part.
 */
export function mlpOcclusion(
  model: tf.LayersModel,
  x: Matrix,
  score: Float64Array,
  background: readonly (readonly number[])[],
  groups: readonly OcclusionGroup[] = [],
): Float64Array {
  const d = x.cols;
  const out = new Float64Array(x.rows * d);
  const grouped = new Uint8Array(d);
  for (const g of groups) for (const c of g.cols) grouped[c] = 1;
  const levelOf = (row: ArrayLike<number>, g: OcclusionGroup): number => g.cols.findIndex((c) => row[c] === 1);
  // A background value equal to the row's own changes nothing (its log-odds are the row's): only the
  // others are scored (a rare one-hot level's background is all 0, so a row without it costs nothing there).
  let copies = 0;
  background.forEach((b, c) => (copies += grouped[c] ? 0 : b.length));
  for (const g of groups) copies += g.cols.length;
  const rowsPerBlock = Math.max(1, Math.floor(BLOCK_COPIES / Math.max(1, copies)));
  for (let r0 = 0; r0 < x.rows; r0 += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, x.rows - r0);
    let needed = 0;
    for (let i = 0; i < rows; i++) {
      const row = x.data.subarray((r0 + i) * d, (r0 + i + 1) * d);
      for (let c = 0; c < d; c++) if (!grouped[c]) for (const v of background[c] as readonly number[]) if (v !== row[c]) needed++;
      for (const g of groups) {
        const own = levelOf(row, g);
        g.shares.forEach((share, j) => (needed += share > 0 && j !== own ? 1 : 0));
      }
    }
    const data = new Float64Array(needed * d);
    let at = 0;
    for (let i = 0; i < rows; i++) {
      const row = x.data.subarray((r0 + i) * d, (r0 + i + 1) * d);
      for (let c = 0; c < d; c++) {
        if (grouped[c]) continue;
        for (const v of background[c] as readonly number[]) {
          if (v === row[c]) continue;
          data.set(row, at);
          data[at + c] = v;
          at += d;
        }
      }
      for (const g of groups) {
        const own = levelOf(row, g);
        g.shares.forEach((share, j) => {
          if (!(share > 0) || j === own) return;
          data.set(row, at);
          for (const c of g.cols) data[at + c] = 0;
          data[at + (g.cols[j] as number)] = 1;
          at += d;
        });
      }
    }
    const held = at ? mlpScores(model, { rows: at / d, cols: d, data: data.subarray(0, at) }) : new Float64Array(0);
    let k = 0;
    for (let i = 0; i < rows; i++) {
      const row = x.data.subarray((r0 + i) * d, (r0 + i + 1) * d);
      const own = logit(score[r0 + i] as number);
      for (let c = 0; c < d; c++) {
        if (grouped[c]) continue;
        const b = background[c] as readonly number[];
        let sum = 0;
        for (const v of b) sum += v === row[c] ? own : logit(held[k++] as number);
        out[(r0 + i) * d + c] = own - sum / b.length;
      }
      for (const g of groups) {
        const level = levelOf(row, g);
        let sum = 0;
        let weight = 0;
        g.shares.forEach((share, j) => {
          if (!(share > 0)) return;
          weight += share;
          sum += share * (j === level ? own : logit(held[k++] as number));
        });
        out[(r0 + i) * d + (g.cols[level >= 0 ? level : 0] as number)] = weight > 0 ? own - sum / weight : 0;
      }
    }
  }
  return out;
}
