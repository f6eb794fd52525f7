// `npx tsx --conditions=@appliedml/source packages/fraud/bench/design-suite.ts`: chooses the unsupervised
// ensemble design WITHOUT touching ADBench. It generates synthetic tabular sets (correlated Gaussian
// mixtures with skewed and discrete columns) with the four anomaly types of the ADBench paper
// (global, local, dependency, clustered), runs every candidate design on the same stratified 70/30
// protocol and ranks the designs by the mean of AUCROC and AUCPR. The winner is then measured once on
// ADBench (docs/benchmarks/fraud.md). Everything here is generated; nothing is read from disk.
import { averagePrecision, createRng, rocAuc, trainTestSplit, type Rng } from '@appliedml/engine';
import { FraudDetector, type FraudDetectorConfig, type UnsupervisedKind } from '../src/detector';
import { takeRows, type Matrix } from '../src/matrix';

type AnomalyType = 'global' | 'local' | 'dependency' | 'clustered';

function gauss(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
}

/** One synthetic set: 3,000 normal rows and 150 anomalies of one type. */
export function syntheticSet(seed: number, d: number, type: AnomalyType): { x: Matrix; y: Uint8Array } {
  const rng = createRng(`design-suite:${seed}:${d}:${type}`);
  const clusters = 1 + (seed % 3);
  const means = Array.from({ length: clusters }, () => Array.from({ length: d }, () => 2 * gauss(rng)));
  const mixes = Array.from({ length: clusters }, () =>
    Array.from({ length: d * d }, (_, i) => gauss(rng) / Math.sqrt(d) + (i % (d + 1) === 0 ? 0.3 : 0)),
  );
  const draw = (c: number, meanScale: number, spread: number): number[] => {
    const z = Array.from({ length: d }, () => gauss(rng));
    const mix = mixes[c] as number[];
    return Array.from({ length: d }, (_, i) => {
      let v = ((means[c] as number[])[i] as number) * meanScale;
      for (let j = 0; j < d; j++) v += (mix[i * d + j] as number) * (z[j] as number) * spread;
      return v;
    });
  };
  const normal: number[][] = [];
  for (let i = 0; i < 3000; i++) normal.push(draw(rng.nextInt(clusters), 1, 1));
  const anomalies: number[][] = [];
  for (let i = 0; i < 150; i++) {
    if (type === 'local') anomalies.push(draw(rng.nextInt(clusters), 1, Math.sqrt(5)));
    else if (type === 'clustered') anomalies.push(draw(0, 5, 0.5));
    else if (type === 'dependency')
      anomalies.push(Array.from({ length: d }, (_, j) => (normal[rng.nextInt(3000)] as number[])[j] as number));
    else {
      anomalies.push(
        Array.from({ length: d }, (_, j) => {
          let lo = Infinity;
          let hi = -Infinity;
          for (const r of normal) {
            lo = Math.min(lo, r[j] as number);
            hi = Math.max(hi, r[j] as number);
          }
          const pad = 0.1 * (hi - lo);
          return lo - pad + rng.next() * (hi - lo + 2 * pad);
        }),
      );
    }
  }
  // Column shapes seen in real tables: a third skewed (exp), a sixth discrete (rounded).
  const rows = [...normal, ...anomalies];
  const data = new Float64Array(rows.length * d);
  rows.forEach((r, i) =>
    r.forEach((v, j) => {
      data[i * d + j] = j % 3 === 1 ? Math.exp(v / 2) : j % 6 === 2 ? Math.round(v) : v;
    }),
  );
  const y = new Uint8Array(rows.length);
  y.fill(1, normal.length);
  return { x: { data, rows: rows.length, cols: d }, y };
}

function subsets(items: UnsupervisedKind[]): UnsupervisedKind[][] {
  const out: UnsupervisedKind[][] = [];
  for (let mask = 1; mask < 1 << items.length; mask++) out.push(items.filter((_, i) => mask & (1 << i)));
  return out;
}

async function main(): Promise<void> {
  const candidates: { name: string; config: FraudDetectorConfig }[] = [];
  for (const members of subsets(['ecod', 'iforest', 'pca', 'knn'])) {
    if (members.length === 1) candidates.push({ name: members[0] as string, config: { detector: members[0] as UnsupervisedKind } });
    else
      for (const normalize of ['zscore', 'tail'] as const)
        candidates.push({ name: `${members.join('+')} (${normalize})`, config: { detector: 'ensemble', members, normalize } });
  }
  const sets: { name: string; x: Matrix; y: Uint8Array }[] = [];
  for (const type of ['global', 'local', 'dependency', 'clustered'] as const)
    for (const d of [6, 12, 30]) for (const rep of [0, 1]) sets.push({ name: `${type}-d${d}-r${rep}`, ...syntheticSet(rep, d, type) });
  const totals = candidates.map(() => ({ aucroc: 0, aucpr: 0 }));
  const byType: Record<string, number[]> = {};
  for (const s of sets) {
    const split = trainTestSplit(s.x.rows, { testFraction: 0.3, seed: 0, stratify: s.y });
    const train = takeRows(s.x, split.train);
    const test = takeRows(s.x, split.test);
    const yTest = split.test.map((i) => s.y[i] as number);
    for (const [ci, c] of candidates.entries()) {
      const model = FraudDetector.create({ ...c.config, seed: 0 });
      await model.train(train);
      const score = model.scores(test);
      model.dispose();
      const r = rocAuc(yTest, score);
      const p = averagePrecision(yTest, score);
      (totals[ci] as { aucroc: number }).aucroc += (100 * r) / sets.length;
      (totals[ci] as { aucpr: number }).aucpr += (100 * p) / sets.length;
      const key = `${c.name}|${s.name.split('-')[0] as string}`;
      (byType[key] ??= []).push(50 * (r + p));
    }
  }
  const ranked = candidates
    .map((c, i) => ({ name: c.name, ...(totals[i] as { aucroc: number; aucpr: number }) }))
    .sort((a, b) => b.aucroc + b.aucpr - (a.aucroc + a.aucpr));
  console.log('design | mean AUCROC | mean AUCPR | global | local | dependency | clustered  (per type: mean of AUCROC and AUCPR)');
  for (const r of ranked) {
    const t = (type: string): string => {
      const v = byType[`${r.name}|${type}`] ?? [];
      return (v.reduce((a, b) => a + b, 0) / Math.max(1, v.length)).toFixed(1);
    };
    console.log(
      `${r.name} | ${r.aucroc.toFixed(2)} | ${r.aucpr.toFixed(2)} | ${t('global')} | ${t('local')} | ${t('dependency')} | ${t('clustered')}`,
    );
  }
}

void main();
