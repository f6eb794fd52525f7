// Chooses the gradient-boosted trees' configuration WITHOUT the ADBench test splits: for each set and
// each outer seed, the bench's own stratified 70/30 split (or, with FRAUD_SELECT_SPLITS=paper, the
// paper's rows) is made and only its 70 % training part is used, cut into K stratified inner folds (train on K-1, score the held-out fold with its labels).
// The test 30 % is never touched, so the configuration chosen here can then be run once on the real
// protocol (`FRAUD_BENCH_DETECTORS=gbt npm run bench -w @appliedml/fraud`).
//
//   npx tsx --conditions=@appliedml/source packages/fraud/bench/gbt-select.ts [set …]
//   FRAUD_SELECT_CONFIGS=default,symmetric  FRAUD_SELECT_FOLDS=5  FRAUD_SELECT_SEEDS=0,1,2
//   FRAUD_SELECT_OUT=.bench-out/fraud-gbt-select.json  FRAUD_SELECT_SPLITS=bench|paper
//
// Default sets: the 8 minus donors (every configuration scores 100 / 100 there and it costs more than the
// other seven together). Writes per-set inner means as it goes.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { kFold, trainTestSplit } from '@appliedml/engine';
import { ADBENCH_FILES, loadAdbench } from '../src/adbench';
import { ADBENCH_SEEDS, adbenchSplit } from '../src/adbench-split';
import { FraudDetector } from '../src/detector';
import { takeRows } from '../src/matrix';
import { CANDIDATE_DETECTOR, GBT_CANDIDATES } from './gbt-candidates';

const HERE = typeof __dirname === 'string' ? __dirname : join(process.cwd(), 'bench');

/**
 * Outer splits: 'bench' (default; the bench's stratified 70/30, seeds 0, 1, 2) or 'paper' (the paper's
 * own rows, `adbenchSplit`, seeds 1, 2, 3: ADBench's 10,000-row subsample of the larger sets, then its
 * split); only the training part is used either way.
 */
const SPLITS = process.env.FRAUD_SELECT_SPLITS ?? 'bench';
if (SPLITS !== 'bench' && SPLITS !== 'paper') {
  console.error(`FRAUD_SELECT_SPLITS must be bench or paper (got ${SPLITS})`);
  process.exit(2);
}
/** Outer seeds; FRAUD_SELECT_SEEDS=0 (or 1 with paper splits) makes a cheaper check on the large sets. */
const SEEDS = (process.env.FRAUD_SELECT_SEEDS ?? (SPLITS === 'paper' ? ADBENCH_SEEDS.join(',') : '0,1,2')).split(',').map(Number);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const sets = args.length ? args : Object.keys(ADBENCH_FILES).filter((n) => n !== 'donors');
  const names = (process.env.FRAUD_SELECT_CONFIGS ?? Object.keys(GBT_CANDIDATES).join(',')).split(',');
  const k = Number(process.env.FRAUD_SELECT_FOLDS ?? 5);
  const outPath = process.env.FRAUD_SELECT_OUT ?? join(HERE, '../../../.bench-out/fraud-gbt-select.json');
  // Runs add to the file (a later run of the same set and configuration replaces that cell only), so
  // the small-set selection and the large-set guard can share one results file.
  type Cell = { aucroc: number; aucpr: number; fitSeconds: number; fits: number; folds?: number; seeds?: number[]; splits?: string };
  let results: Record<string, Record<string, Cell>> = {};
  if (existsSync(outPath)) results = (JSON.parse(readFileSync(outPath, 'utf8')) as { results: typeof results }).results ?? {};
  mkdirSync(dirname(outPath), { recursive: true });
  for (const set of sets) {
    const data = await loadAdbench(set);
    results[set] ??= {};
    for (const name of names) {
      const gbt = GBT_CANDIDATES[name];
      if (!gbt) {
        console.error(`unknown candidate ${name}; known: ${Object.keys(GBT_CANDIDATES).join(', ')}`);
        process.exit(2);
      }
      const cell = { aucroc: 0, aucpr: 0, fitSeconds: 0, fits: 0 };
      for (const seed of SEEDS) {
        const outer =
          SPLITS === 'paper'
            ? { train: Array.from(adbenchSplit(data.y, seed).train) }
            : trainTestSplit(data.x.rows, { testFraction: 0.3, seed, stratify: data.y });
        // Only the training part from here on.
        const x = takeRows(data.x, outer.train);
        const y = outer.train.map((i) => data.y[i] as number);
        for (const fold of kFold(x.rows, { k, seed: 100 + seed, stratify: y })) {
          const model = FraudDetector.create({ detector: 'gbt', seed, gbt, ...(CANDIDATE_DETECTOR[name] ?? {}) });
          const t0 = performance.now();
          await model.train(takeRows(x, fold.train), { labels: fold.train.map((i) => y[i] as number) });
          cell.fitSeconds += (performance.now() - t0) / 1000;
          const ev = await model.evaluate(
            takeRows(x, fold.test),
            fold.test.map((i) => y[i] as number),
          );
          model.dispose();
          cell.aucroc += ev.aucroc * 100;
          cell.aucpr += ev.aucpr * 100;
          cell.fits++;
        }
      }
      cell.aucroc /= cell.fits;
      cell.aucpr /= cell.fits;
      cell.fitSeconds /= cell.fits;
      results[set][name] = { ...cell, folds: k, seeds: SEEDS, splits: SPLITS };
      console.log(set, name, cell.aucroc.toFixed(2), cell.aucpr.toFixed(2), `fit ${cell.fitSeconds.toFixed(2)} s`);
      writeFileSync(outPath, JSON.stringify({ date: new Date().toISOString(), results }, null, 2));
    }
  }
  for (const name of names) {
    const cells = sets.map((s) => results[s]?.[name]).filter((c) => c !== undefined);
    const mean = (f: (c: (typeof cells)[number]) => number): string => (cells.reduce((a, c) => a + f(c), 0) / cells.length).toFixed(2);
    console.log(
      `mean over ${cells.length} sets`,
      name,
      mean((c) => c.aucroc),
      mean((c) => c.aucpr),
    );
  }
}

void main();
