// An exploratory screen for the `gbt` default, on the TRAINING parts of the paper's rows only (seeds 1–3,
// `adbenchSplit`; each training part cut into K stratified folds; the test parts are never touched):
// the shipped leaf-wise boosted trees, a second boosted model of oblivious trees and the 50-tree forest
// are trained on the same folds, and each alone and their probability averages are scored on the
// held-out fold. Session 20 (docs/benchmarks/fraud.md, "A CatBoost-like booster beside the default").
//
//   npx tsx --conditions=@appliedml/source packages/fraud/bench/booster-screen.ts thyroid cardio mammography annthyroid satimage-2
//   FRAUD_SCREEN_OBLIVIOUS='{"learningRate":0.03,"trees":1000,"validationFraction":0}'   (merged over the oblivious defaults below)
//   FRAUD_SCREEN_FOLDS=3 FRAUD_SCREEN_SEEDS=1 … campaign shuttle      (the cheaper guard on the large sets)
//   FRAUD_SCREEN_OUT=.bench-out/fraud-booster-screen.json
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppliedMLError, averagePrecision, kFold, rocAuc } from '@appliedml/engine';
import { loadAdbench } from '../src/adbench';
import { ADBENCH_SEEDS, adbenchSplit } from '../src/adbench-split';
import { fitForest, scoreForest } from '../src/forest';
import { fitGbt, scoreGbt, type GbtOptions } from '../src/gbt';
import { takeRows } from '../src/matrix';
import { GBT_CANDIDATES } from './gbt-candidates';

const HERE = typeof __dirname === 'string' ? __dirname : join(process.cwd(), 'bench');

/** gbt-select.ts's `symmetric` candidate: CatBoost-like oblivious depth-6 trees, early-stopped. */
const OBLIVIOUS: GbtOptions = { ...GBT_CANDIDATES['symmetric'] };
if (OBLIVIOUS.growth !== 'symmetric') throw new AppliedMLError('E_INPUT_INVALID', "gbt-candidates.ts has no 'symmetric' candidate.");

type Scores = Record<'lw' | 'ob' | 'forest', Float64Array>;

/** The combinations reported: each model alone and probability averages (the default is lw + forest). */
const COMBOS: Record<string, (s: Scores, i: number) => number> = {
  'leaf-wise': (s, i) => s.lw[i] as number,
  oblivious: (s, i) => s.ob[i] as number,
  forest: (s, i) => s.forest[i] as number,
  'leaf-wise + forest (default)': (s, i) => ((s.lw[i] as number) + (s.forest[i] as number)) / 2,
  'oblivious + forest': (s, i) => ((s.ob[i] as number) + (s.forest[i] as number)) / 2,
  'leaf-wise + oblivious + forest': (s, i) => ((s.lw[i] as number) + (s.ob[i] as number) + (s.forest[i] as number)) / 3,
  'leaf-wise + oblivious': (s, i) => ((s.lw[i] as number) + (s.ob[i] as number)) / 2,
};

async function main(): Promise<void> {
  const sets = process.argv.slice(2);
  if (!sets.length) {
    console.error('name the sets, e.g. thyroid cardio mammography annthyroid satimage-2');
    process.exit(2);
  }
  const oblivious: GbtOptions = { ...OBLIVIOUS, ...(JSON.parse(process.env.FRAUD_SCREEN_OBLIVIOUS ?? '{}') as GbtOptions) };
  const k = Number(process.env.FRAUD_SCREEN_FOLDS ?? 5);
  const seeds = (process.env.FRAUD_SCREEN_SEEDS ?? ADBENCH_SEEDS.join(',')).split(',').map(Number);
  const outPath = process.env.FRAUD_SCREEN_OUT ?? join(HERE, '../../../.bench-out/fraud-booster-screen.json');
  const results: Record<string, unknown> = existsSync(outPath)
    ? (JSON.parse(readFileSync(outPath, 'utf8')) as Record<string, unknown>)
    : {};
  mkdirSync(dirname(outPath), { recursive: true });
  for (const set of sets) {
    const data = await loadAdbench(set);
    const sums: Record<string, { aucroc: number; aucpr: number }> = {};
    const fitSeconds = { lw: 0, ob: 0, forest: 0 };
    let fits = 0;
    for (const seed of seeds) {
      const train = Array.from(adbenchSplit(data.y, seed).train);
      const x = takeRows(data.x, train);
      const y = train.map((i) => data.y[i] as number);
      for (const fold of kFold(x.rows, { k, seed: 100 + seed, stratify: y })) {
        const xt = takeRows(x, fold.train);
        const yt = Uint8Array.from(fold.train.map((i) => y[i] as number));
        const xv = takeRows(x, fold.test);
        const yv = fold.test.map((i) => y[i] as number);
        // The seeds the detector gives its boosted trees and forest (detector.ts / gbt.ts), so the
        // default's figures here are gbt-select.ts's `forest-50`.
        let t0 = performance.now();
        const lw = fitGbt(xt, yt, { forest: false }, seed);
        fitSeconds.lw += (performance.now() - t0) / 1000;
        t0 = performance.now();
        const ob = fitGbt(xt, yt, oblivious, seed + 2_000_003);
        fitSeconds.ob += (performance.now() - t0) / 1000;
        t0 = performance.now();
        const forest = fitForest(xt, yt, { trees: 50 }, seed + 7_777_777);
        fitSeconds.forest += (performance.now() - t0) / 1000;
        const s: Scores = { lw: scoreGbt(lw, xv), ob: scoreGbt(ob, xv), forest: scoreForest(forest, xv) };
        for (const [name, f] of Object.entries(COMBOS)) {
          const score = Array.from({ length: yv.length }, (_, i) => f(s, i));
          const cell = (sums[name] ??= { aucroc: 0, aucpr: 0 });
          cell.aucroc += rocAuc(yv, score) * 100;
          cell.aucpr += averagePrecision(yv, score) * 100;
        }
        fits++;
      }
    }
    const row: Record<string, unknown> = { folds: k, seeds, obliviousOptions: oblivious, fits };
    for (const [name, c] of Object.entries(sums)) row[name] = { aucroc: c.aucroc / fits, aucpr: c.aucpr / fits };
    row.fitSeconds = { leafWise: fitSeconds.lw / fits, oblivious: fitSeconds.ob / fits, forest: fitSeconds.forest / fits };
    results[set] = row;
    writeFileSync(outPath, JSON.stringify(results, null, 1));
    console.log(set);
    for (const name of Object.keys(COMBOS)) {
      const c = row[name] as { aucroc: number; aucpr: number };
      console.log(`  ${name.padEnd(32)} ${c.aucroc.toFixed(2)} / ${c.aucpr.toFixed(2)}`);
    }
  }
}

void main();
