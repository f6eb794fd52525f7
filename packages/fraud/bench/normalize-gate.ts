// Session 20's gate (docs/benchmarks/fraud.md, "Robust standardisation of the ensemble's members"), on the
// label-free design suites only (generated sets, or with `--real DIR` the scikit-learn tasks; never the 8
// ADBench sets): the default ensemble's two members, ECOD and the isolation forest, are trained on each
// training part without labels, and their scores combined two ways from the same member scores — the
// shipped z-score (each member standardised by its training scores' mean and standard deviation) and the
// candidate (median and interquartile range / 1.349, the standard deviation where the range is 0) — and
// the default ensemble itself as a check that the first reproduces it.
//
//   npx tsx --conditions=@appliedml/source packages/fraud/bench/normalize-gate.ts [--real DIR] [--out FILE]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { averagePrecision, rocAuc } from '@appliedml/engine';
import { FraudDetector } from '../src/detector';
import { FamilyTally, meanSd, printSummaries, suiteFromArgs, suiteRuns } from './suite-sets';

const HERE = typeof __dirname === 'string' ? __dirname : join(process.cwd(), 'bench');

/** Linear-interpolation quantile of sorted values (numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

function medianIqr(s: Float64Array): [number, number] {
  const sorted = Float64Array.from(s).sort();
  const iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
  return [quantile(sorted, 0.5), iqr > 0 ? iqr / 1.349 : meanSd(s)[1]];
}

const DESIGNS = ['ensemble (shipped)', 'zscore (mean / sd)', 'robust (median / IQR)'] as const;

async function main(): Promise<void> {
  const { realDir, sets, seeds, families } = await suiteFromArgs(process.argv);
  const tally = new FamilyTally();
  let worstCheck = 0;
  for (const { set: s, seed, train, test, y } of suiteRuns(sets, seeds)) {
    const members = [];
    for (const detector of ['ecod', 'iforest'] as const) {
      const m = FraudDetector.create({ detector, seed });
      await m.train(train);
      members.push({ train: m.scores(train), test: m.scores(test) });
      m.dispose();
    }
    // The ensemble as shipped in session 20 (one fit; `refine` came in session 23).
    const shipped = FraudDetector.create({ detector: 'ensemble', seed, refine: false });
    await shipped.train(train);
    const scores: Record<(typeof DESIGNS)[number], Float64Array> = {
      'ensemble (shipped)': shipped.scores(test),
      'zscore (mean / sd)': new Float64Array(y.length),
      'robust (median / IQR)': new Float64Array(y.length),
    };
    shipped.dispose();
    for (const m of members) {
      const [a, sa] = meanSd(m.train);
      const [b, sb] = medianIqr(m.train);
      for (let i = 0; i < y.length; i++) {
        const v = m.test[i] as number;
        scores['zscore (mean / sd)'][i] = (scores['zscore (mean / sd)'][i] as number) + (v - a) / sa / members.length;
        scores['robust (median / IQR)'][i] = (scores['robust (median / IQR)'][i] as number) + (v - b) / sb / members.length;
      }
    }
    for (const d of DESIGNS) tally.add(d, s.family, y, scores[d]);
    // The in-script z-score must be the shipped ensemble's ranking.
    const a = rocAuc(y, scores['ensemble (shipped)']) - rocAuc(y, scores['zscore (mean / sd)']);
    const b = averagePrecision(y, scores['ensemble (shipped)']) - averagePrecision(y, scores['zscore (mean / sd)']);
    worstCheck = Math.max(worstCheck, Math.abs(a), Math.abs(b));
  }
  const rows = DESIGNS.map((d) => tally.summary(d, families));
  console.log(
    `${sets.length} sets, ${families.length} families, seeds ${seeds.join(',')}; largest |shipped − in-script z-score| AUC difference ${worstCheck.toExponential(2)}`,
  );
  printSummaries(rows);
  const outAt = process.argv.indexOf('--out');
  const out =
    outAt >= 0 && process.argv[outAt + 1]
      ? (process.argv[outAt + 1] as string)
      : join(HERE, `../../../.bench-out/fraud-normalize-gate${realDir ? '-real' : ''}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ sets: sets.length, seeds, worstCheck, rows }, null, 1));
}

void main();
