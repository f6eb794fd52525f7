// `npx tsx --conditions=@appliedml/source packages/fraud/bench/design-suite.ts`: chooses the unsupervised
// ensemble design WITHOUT touching ADBench. By default it generates synthetic tabular sets (correlated
// Gaussian mixtures with skewed and discrete columns) with the four anomaly types of the ADBench paper
// (global, local, dependency, clustered); with `--real DIR` it reads the .npz outlier tasks in DIR instead
// (real data that is not among the 8 ADBench sets: `bench/export-sklearn-sets.py` makes them from the
// datasets bundled with scikit-learn). Every candidate design runs on the same stratified 70/30 protocol
// and the designs are ranked by the mean of AUCROC and AUCPR. The winner is then measured once on
// ADBench (docs/benchmarks/fraud.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppliedMLError } from '@appliedml/engine';
import { FraudDetector, type FraudDetectorConfig, type UnsupervisedKind } from '../src/detector';
import { FamilyTally, generatedSets, realSets, suiteRuns, type SuiteSet } from './suite-sets';

const HERE = typeof __dirname === 'string' ? __dirname : join(process.cwd(), 'bench');

function subsets(items: UnsupervisedKind[]): UnsupervisedKind[][] {
  const out: UnsupervisedKind[][] = [];
  for (let mask = 1; mask < 1 << items.length; mask++) out.push(items.filter((_, i) => mask & (1 << i)));
  return out;
}

async function main(): Promise<void> {
  // `--real DIR`: the .npz tasks of DIR (e.g. from bench/export-sklearn-sets.py) instead of the generated sets.
  const realAt = process.argv.indexOf('--real');
  const realDir = realAt >= 0 ? process.argv[realAt + 1] : undefined;
  if (realAt >= 0 && !realDir) throw new AppliedMLError('E_INPUT_INVALID', '--real needs the folder of .npz tasks after it.');
  // `--only 'NAME;NAME'`: just those designs (names as the ranking prints them; they contain commas).
  const onlyAt = process.argv.indexOf('--only');
  const only =
    onlyAt >= 0
      ? new Set(
          (process.argv[onlyAt + 1] ?? '')
            .split(';')
            .map((n) => n.trim())
            .filter(Boolean),
        )
      : undefined;
  if (only && only.size === 0) throw new AppliedMLError('E_INPUT_INVALID', '--only needs design names after it, separated by semicolons.');
  let candidates: { name: string; config: FraudDetectorConfig }[] = [];
  for (const members of subsets(['ecod', 'iforest', 'pca', 'knn'])) {
    if (members.length === 1) candidates.push({ name: members[0] as string, config: { detector: members[0] as UnsupervisedKind } });
    else
      for (const normalize of ['zscore', 'tail'] as const) {
        candidates.push({
          name: `${members.join('+')} (${normalize})`,
          config: { detector: 'ensemble', members, normalize, refine: false },
        });
        candidates.push({
          name: `${members.join('+')} (${normalize}, max)`,
          config: { detector: 'ensemble', members, normalize, combine: 'max', refine: false },
        });
      }
  }
  if (only) {
    const unknown = [...only].filter((n) => !candidates.some((c) => c.name === n));
    if (unknown.length)
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Unknown design(s) ${unknown.join(', ')}; valid: ${candidates.map((c) => c.name).join(', ')}.`,
      );
    candidates = candidates.filter((c) => only.has(c.name));
  }
  const sets: SuiteSet[] = realDir ? await realSets(realDir) : generatedSets();
  // The ADBench protocol on each set: stratified 70/30, no labels in training (seeds 0..2 on real sets, 0 on generated).
  const seeds = realDir ? [0, 1, 2] : [0];
  const families = [...new Set(sets.map((s) => s.family))];
  const tally = new FamilyTally();
  for (const { set, seed, train, test, y } of suiteRuns(sets, seeds)) {
    for (const c of candidates) {
      const model = FraudDetector.create({ ...c.config, seed });
      await model.train(train);
      const score = model.scores(test);
      model.dispose();
      tally.add(c.name, set.family, y, score);
    }
  }
  const ranked = candidates
    .map((c) => {
      const { aucroc, aucpr, fam } = tally.summary(c.name, families);
      return { name: c.name, aucroc, aucpr, fam: fam.map((f) => ({ aucroc: f.aucroc, aucpr: f.aucpr })) };
    })
    .sort((a, b) => b.aucroc + b.aucpr - (a.aucroc + a.aucpr));
  console.log(
    `${sets.length} sets, ${families.length} families, seeds ${seeds.join(',')}; ranked by the mean of AUCROC and AUCPR (families weigh the same)`,
  );
  console.log(`design | mean AUCROC | mean AUCPR | ${families.join(' | ')}  (per family: AUCROC / AUCPR)`);
  for (const r of ranked)
    console.log(
      `${r.name} | ${r.aucroc.toFixed(2)} | ${r.aucpr.toFixed(2)} | ${r.fam.map((f) => `${f.aucroc.toFixed(1)} / ${f.aucpr.toFixed(1)}`).join(' | ')}`,
    );
  // The ranking is kept beside the bench's other results (the docs' table is made from it).
  const outAt = process.argv.indexOf('--out');
  const out =
    outAt >= 0 && process.argv[outAt + 1]
      ? (process.argv[outAt + 1] as string)
      : join(HERE, `../../../.bench-out/fraud-design-suite${realDir ? '-real' : ''}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      { date: new Date().toISOString(), argv: process.argv.slice(2), sets: sets.map((x) => x.name), seeds, families, ranked },
      null,
      2,
    ),
  );
  console.log(`ranking written to ${out}`);
}

void main();
