// How much one IsolationForest's AUCPR depends on its forest draw: our IForest (100 trees) fitted with
// several seeds on each of the bench's splits (stratified 70/30, seeds 0..2), the metrics averaged over
// forests and splits. Compare with bench/sklearn-iforest-splits.py, which does the same for scikit-learn's.
//
//   APPLIEDML_DATA_DIR=../shared/datasets npx tsx --conditions=@appliedml/source packages/fraud/bench/iforest-forests.ts [--forests 5] [set …]
import { parseArgs } from 'node:util';
import { averagePrecision, rocAuc, trainTestSplit } from '@appliedml/engine';
import { ADBENCH_FILES, loadAdbench } from '../src/adbench';
import { fitIsolationForest, scoreIsolationForest } from '../src/iforest';
import { takeRows } from '../src/matrix';

const { values, positionals } = parseArgs({ options: { forests: { type: 'string', default: '5' } }, allowPositionals: true });

async function main(): Promise<void> {
  const forests = Number(values.forests);
  const sets = positionals.length ? positionals : Object.keys(ADBENCH_FILES);
  const seeds = [0, 1, 2];
  for (const set of sets) {
    const data = await loadAdbench(set);
    let roc = 0;
    let pr = 0;
    const single: number[] = [];
    for (const seed of seeds) {
      const split = trainTestSplit(data.x.rows, { testFraction: 0.3, seed, stratify: data.y });
      const train = takeRows(data.x, split.train);
      const test = takeRows(data.x, split.test);
      const y = Uint8Array.from(split.test, (r) => data.y[r] as number);
      for (let f = 0; f < forests; f++) {
        // Forest 0 uses the split's seed, as the bench's detector does; the others are further draws.
        const score = scoreIsolationForest(fitIsolationForest(train, { seed: f === 0 ? seed : f * 7919 + seed }), test);
        const ap = averagePrecision(y, score);
        if (f === 0) single.push(ap);
        roc += rocAuc(y, score) / (forests * seeds.length);
        pr += ap / (forests * seeds.length);
      }
    }
    const first = (100 * single.reduce((a, b) => a + b, 0)) / single.length;
    console.log(
      `${set.padEnd(12)} ${forests} forests per split: ${(100 * roc).toFixed(2)} / ${(100 * pr).toFixed(2)}; the bench's one forest: AUCPR ${first.toFixed(2)}`,
    );
  }
}

void main();
