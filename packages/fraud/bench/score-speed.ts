// Scoring speed of `gbt` configurations on training data only (session 13's rule 2 in
// docs/benchmarks/fraud.md): the bench's seed-0 stratified 70/30 split of campaign, only its training part,
// cut into 5 stratified folds; each configuration is trained on four and `evaluate` scores the fifth
// five times; the median is reported. No test split is touched, so this can time a candidate before
// any look at test labels.
//
//   npx tsx --conditions=@appliedml/source packages/fraud/bench/score-speed.ts '{"forest-50":{"forest":{"trees":50}}}' [set]
import { AppliedMLError, kFold, trainTestSplit } from '@appliedml/engine';
import { loadAdbench } from '../src/adbench';
import { FraudDetector } from '../src/detector';
import type { GbtOptions } from '../src/gbt';
import { takeRows } from '../src/matrix';

async function main(): Promise<void> {
  const configs = JSON.parse(process.argv[2] ?? '{"forest-50":{"forest":{"trees":50}}}') as Record<string, GbtOptions>;
  const set = process.argv[3] ?? 'campaign';
  const data = await loadAdbench(set);
  const outer = trainTestSplit(data.x.rows, { testFraction: 0.3, seed: 0, stratify: data.y });
  const x = takeRows(data.x, outer.train);
  const y = outer.train.map((i) => data.y[i] as number);
  const fold = kFold(x.rows, { k: 5, seed: 100, stratify: y })[0];
  if (!fold) throw new AppliedMLError('E_INPUT_INVALID', `${set} has too few rows for 5 folds.`);
  const xt = takeRows(x, fold.test);
  const yt = fold.test.map((i) => y[i] as number);
  for (const [name, gbt] of Object.entries(configs)) {
    const m = FraudDetector.create({ detector: 'gbt', seed: 0, gbt });
    await m.train(takeRows(x, fold.train), { labels: fold.train.map((i) => y[i] as number) });
    const rates: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      await m.evaluate(xt, yt);
      rates.push(xt.rows / ((performance.now() - t0) / 1000));
    }
    m.dispose();
    rates.sort((a, b) => a - b);
    console.log(
      `${set} ${name}: ${xt.rows} rows, median ${Math.round(rates[2] as number)} records/s (all ${rates.map(Math.round).join(', ')})`,
    );
  }
}

void main();
