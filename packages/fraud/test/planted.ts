import { createRng } from '@appliedml/engine';
import type { Matrix } from '../src/matrix';

/**
 * A fixed labelled problem for the tree tests: two features uniform on [−1, 1) that decide the label
 * through `isFraud`, plus a third, pure-noise feature on [0, 1). With `flip`, each label is flipped with
 * that probability (one more draw per row, so `flip: 0` and no `flip` give different rows).
 */
export function plantedData(
  rows: number,
  seed: number,
  isFraud: (a: number, b: number) => boolean,
  flip?: number,
): { x: Matrix; y: Uint8Array } {
  const rng = createRng(seed);
  const data = new Float64Array(rows * 3);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const a = rng.next() * 2 - 1;
    const b = rng.next() * 2 - 1;
    data.set([a, b, rng.next()], r * 3);
    const label = isFraud(a, b) ? 1 : 0;
    y[r] = flip === undefined ? label : label ^ (rng.next() < flip ? 1 : 0);
  }
  return { x: { data, rows, cols: 3 }, y };
}
