import type { tf } from '@appliedml/engine';
import type { Matrix } from './matrix';
import { SCORE_BATCH_ROWS, clipped, mlpScoresClipped } from './neural';
import { runSteps, type Steps } from './steps';

/** Copies scored together (a block of rows, each copied once per feature and background value). */
const BLOCK_COPIES = 65_536;
const EDGE = 1e-7;
/** Background values per feature: its training distribution at these many evenly spaced quantiles. */
const BACKGROUND_POINTS = 4;
/**
 * Swaps a categorical costs an alert at most: past this many levels seen in training, the levels are
 * pooled into this many strata of about equal training mass (see `levelStrata`).
 */
export const MAX_LEVEL_SWAPS = 32;

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
 * The levels a categorical is swapped for, as strata: each a run of levels (indices into `shares`) and
 * their total share. Up to `max` levels seen in training, each is its own stratum, in column order (the
 * full swap). Past that, the levels, largest share first, are cut into at most `max` runs of about equal
 * mass: a level holding more than a run's mass stands alone, the long tail of small levels is pooled,
 * and each run is swapped once, for its largest level (another than the row's own), carrying the run's
 * mass. The training mix a level is measured against stays the same; only the tail is sampled.
 */
export function levelStrata(shares: readonly number[], max = MAX_LEVEL_SWAPS): Array<{ levels: number[]; mass: number }> {
  const seen: number[] = [];
  shares.forEach((s, j) => {
    if (s > 0) seen.push(j);
  });
  if (seen.length <= max) return seen.map((j) => ({ levels: [j], mass: shares[j] as number }));
  seen.sort((a, b) => (shares[b] as number) - (shares[a] as number) || a - b);
  let left = 0;
  for (const j of seen) left += shares[j] as number;
  const strata: Array<{ levels: number[]; mass: number }> = [];
  let target = 0;
  for (const j of seen) {
    let current = strata[strata.length - 1];
    // A run is full once it holds its part of the mass still to place when it was opened.
    if (!current || (current.mass >= target && strata.length < max)) {
      target = left / (max - strata.length);
      current = { levels: [], mass: 0 };
      strata.push(current);
    }
    current.levels.push(j);
    current.mass += shares[j] as number;
    left -= shares[j] as number;
  }
  return strata;
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
 * answer to those read as evidence where the level played no part. Past `MAX_LEVEL_SWAPS` levels the
 * tail of small levels is pooled (`levelStrata`), so a wide categorical costs an alert at most that many
 * swaps (it was one a level seen in training: 199 for 200 levels).
 */
export function mlpOcclusion(
  model: tf.LayersModel,
  x: Matrix,
  score: Float64Array,
  background: readonly (readonly number[])[],
  groups: readonly OcclusionGroup[] = [],
): Float64Array {
  return runSteps(mlpOcclusionSteps(model, x, score, background, groups));
}

/**
 * `mlpOcclusion` as steps: it yields after each network call (at most `SCORE_BATCH_ROWS` copies), so a
 * caller can give the event loop a turn there; no tensor is held across a yield. The copies are built
 * straight into float32 as the network sees them (clipped), a network batch at a time, in the blocks and
 * batches of one pass, so the values are those of one pass to the last bit.
 */
export function* mlpOcclusionSteps(
  model: tf.LayersModel,
  x: Matrix,
  score: Float64Array,
  background: readonly (readonly number[])[],
  groups: readonly OcclusionGroup[] = [],
): Steps<Float64Array> {
  const d = x.cols;
  const out = new Float64Array(x.rows * d);
  const grouped = new Uint8Array(d);
  for (const g of groups) for (const c of g.cols) grouped[c] = 1;
  const levelOf = (row: ArrayLike<number>, g: OcclusionGroup): number => g.cols.findIndex((c) => row[c] === 1);
  // A background value equal to the row's own changes nothing (its log-odds are the row's): only the
  // others are scored (a rare one-hot level's background is all 0, so a row without it costs nothing there).
  let copies = 0;
  background.forEach((b, c) => (copies += grouped[c] ? 0 : b.length));
  const strata = groups.map((g) => levelStrata(g.shares.slice(0, g.cols.length)));
  // (A categorical swapped level by level is counted as before, so its rows are scored in the same blocks.)
  strata.forEach((st, gi) => (copies += st.some((s) => s.levels.length > 1) ? st.length : groups[gi]!.cols.length));
  // The swap a stratum costs a row: its largest level other than the row's own (none when the row's
  // level is the stratum), carrying the stratum's mass less the row's own level's share.
  const swapOf = (g: OcclusionGroup, st: { levels: number[]; mass: number }, own: number): { level: number; own: number } => {
    const ownShare = st.levels.includes(own) ? (g.shares[own] as number) : 0;
    const level = st.levels.find((j) => j !== own);
    return { level: level ?? -1, own: ownShare };
  };
  // The clipped values of the copies of one network batch, and of the row they are copies of.
  const batch = new Float32Array(SCORE_BATCH_ROWS * d);
  const own32 = new Float32Array(d);
  const rowsPerBlock = Math.max(1, Math.floor(BLOCK_COPIES / Math.max(1, copies)));
  for (let r0 = 0; r0 < x.rows; r0 += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, x.rows - r0);
    let needed = 0;
    for (let i = 0; i < rows; i++) {
      const row = x.data.subarray((r0 + i) * d, (r0 + i + 1) * d);
      for (let c = 0; c < d; c++) if (!grouped[c]) for (const v of background[c] as readonly number[]) if (v !== row[c]) needed++;
      groups.forEach((g, gi) => {
        const own = levelOf(row, g);
        for (const st of strata[gi]!) needed += swapOf(g, st, own).level >= 0 ? 1 : 0;
      });
    }
    // The block's copies are scored a network batch at a time, from its start (as one call on the whole
    // block would cut them).
    const held = new Float64Array(needed);
    let done = 0;
    let at = 0;
    for (let i = 0; i < rows; i++) {
      const row = x.data.subarray((r0 + i) * d, (r0 + i + 1) * d);
      for (let c = 0; c < d; c++) own32[c] = clipped(row[c] as number);
      // The row's copies in the order of one pass: each feature's background values, then the level swaps.
      const rowCopies: Array<[number, number] | OcclusionSwap> = [];
      for (let c = 0; c < d; c++) {
        if (grouped[c]) continue;
        for (const v of background[c] as readonly number[]) if (v !== row[c]) rowCopies.push([c, v]);
      }
      groups.forEach((g, gi) => {
        const own = levelOf(row, g);
        for (const st of strata[gi]!) {
          const { level } = swapOf(g, st, own);
          if (level >= 0) rowCopies.push({ cols: g.cols, on: g.cols[level] as number });
        }
      });
      for (const copy of rowCopies) {
        batch.set(own32, at * d);
        if (Array.isArray(copy)) batch[at * d + copy[0]] = clipped(copy[1]);
        else {
          for (const c of copy.cols) batch[at * d + c] = 0;
          batch[at * d + copy.on] = 1;
        }
        if (++at === SCORE_BATCH_ROWS) {
          held.set(mlpScoresClipped(model, batch, at, d), done);
          done += at;
          at = 0;
          yield;
        }
      }
    }
    if (at) {
      held.set(mlpScoresClipped(model, batch, at, d), done);
      done += at;
      at = 0;
      yield;
    }
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
      groups.forEach((g, gi) => {
        const level = levelOf(row, g);
        let sum = 0;
        let weight = 0;
        for (const st of strata[gi]!) {
          const swap = swapOf(g, st, level);
          weight += st.mass;
          if (swap.own > 0) sum += swap.own * own;
          if (swap.level >= 0) sum += (st.mass - swap.own) * logit(held[k++] as number);
        }
        out[(r0 + i) * d + (g.cols[level >= 0 ? level : 0] as number)] = weight > 0 ? own - sum / weight : 0;
      });
    }
  }
  return out;
}

/** A copy of a row with a categorical's one-hot columns set to another level (`on`). */
interface OcclusionSwap {
  cols: readonly number[];
  on: number;
}
