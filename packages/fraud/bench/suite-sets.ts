// The label-free design suites of the unsupervised ensemble (docs/benchmarks/fraud.md): generated sets with
// the ADBench paper's four anomaly types, and real outlier tasks that are not among the 8 ADBench sets
// (`bench/export-sklearn-sets.py` makes them from the datasets bundled with scikit-learn). Shared by
// design-suite.ts and normalize-gate.ts.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AppliedMLError, averagePrecision, createRng, rocAuc, trainTestSplit, type Rng } from '@appliedml/engine';
import { readLabelledNpz } from '../src/adbench';
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

export interface SuiteSet {
  name: string;
  /** Sets of one family are averaged first, so every family weighs the same. */
  family: string;
  x: Matrix;
  y: Uint8Array;
}

/** Every `.npz` (X, y) in `dir`; the family is the file name up to its first '-'. */
export async function realSets(dir: string): Promise<SuiteSet[]> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.npz'))
    .sort();
  if (files.length === 0) throw new AppliedMLError('E_DATASET_MISSING', `No .npz tasks in ${dir}: run bench/export-sklearn-sets.py first.`);
  console.log(`tasks read from ${dir}: ${files.join(', ')}`);
  const sets: SuiteSet[] = [];
  for (const f of files) {
    const name = f.slice(0, -4);
    sets.push({ name, family: name.split('-')[0] as string, ...(await readLabelledNpz(join(dir, f))) });
  }
  return sets;
}

/** The generated suite: 4 anomaly types × d = 6, 12, 30 × 2 draws (24 sets, a family per type). */
export function generatedSets(): SuiteSet[] {
  const sets: SuiteSet[] = [];
  for (const type of ['global', 'local', 'dependency', 'clustered'] as const)
    for (const d of [6, 12, 30])
      for (const rep of [0, 1]) sets.push({ name: `${type}-d${d}-r${rep}`, family: type, ...syntheticSet(rep, d, type) });
  return sets;
}

/** Mean and standard deviation (1 where it is 0) of a detector's training scores: the ensemble's z-score. */
export function meanSd(s: Float64Array): [number, number] {
  let m = 0;
  for (const v of s) m += v / s.length;
  let ss = 0;
  for (const v of s) ss += (v - m) ** 2;
  return [m, Math.sqrt(ss / s.length) || 1];
}

/** A design's figures on a suite: per family and the mean over families (each family weighs the same). */
export interface DesignSummary {
  design: string;
  aucroc: number;
  aucpr: number;
  /** The mean of AUCROC and AUCPR: the figure the gates compare. */
  figure: number;
  fam: Array<{ family: string; aucroc: number; aucpr: number }>;
}

/** Per design and family, the AUCROC / AUCPR (percent) of every (set, seed) run, averaged on demand. */
export class FamilyTally {
  private readonly sums = new Map<string, { aucroc: number; aucpr: number; n: number }>();

  add(design: string, family: string, y: ArrayLike<number>, score: ArrayLike<number>): void {
    const key = `${design}|${family}`;
    const acc = this.sums.get(key) ?? { aucroc: 0, aucpr: 0, n: 0 };
    acc.aucroc += 100 * rocAuc(y, score);
    acc.aucpr += 100 * averagePrecision(y, score);
    acc.n++;
    this.sums.set(key, acc);
  }

  summary(design: string, families: string[]): DesignSummary {
    const fam = families.map((family) => {
      const a = this.sums.get(`${design}|${family}`) ?? { aucroc: 0, aucpr: 0, n: 1 };
      return { family, aucroc: a.aucroc / a.n, aucpr: a.aucpr / a.n };
    });
    const aucroc = fam.reduce((t, f) => t + f.aucroc, 0) / fam.length;
    const aucpr = fam.reduce((t, f) => t + f.aucpr, 0) / fam.length;
    return { design, aucroc, aucpr, figure: (aucroc + aucpr) / 2, fam };
  }
}

/** One line per design: `name | AUCROC / AUCPR → figure | family AUCROC / AUCPR | …`. */
export function printSummaries(rows: DesignSummary[]): void {
  for (const r of rows)
    console.log(
      `${r.design} | ${r.aucroc.toFixed(2)} / ${r.aucpr.toFixed(2)} → ${r.figure.toFixed(2)} | ${r.fam.map((f) => `${f.family} ${f.aucroc.toFixed(1)} / ${f.aucpr.toFixed(1)}`).join(' | ')}`,
    );
}

/** The suite a script's `--real DIR` names (its scikit-learn tasks, seeds 0–2), else the generated sets (seed 0). */
export async function suiteFromArgs(argv: string[]): Promise<{ realDir?: string; sets: SuiteSet[]; seeds: number[]; families: string[] }> {
  const at = argv.indexOf('--real');
  const realDir = at >= 0 ? argv[at + 1] : undefined;
  if (at >= 0 && !realDir) throw new AppliedMLError('E_INPUT_INVALID', '--real needs the folder of .npz tasks after it.');
  const sets = realDir ? await realSets(realDir) : generatedSets();
  return { ...(realDir ? { realDir } : {}), sets, seeds: realDir ? [0, 1, 2] : [0], families: [...new Set(sets.map((x) => x.family))] };
}

/** One set and seed under the ADBench protocol: a stratified 70/30 split, no labels in training. */
export interface SuiteRun {
  set: SuiteSet;
  seed: number;
  train: Matrix;
  test: Matrix;
  /** The test rows' labels. */
  y: number[];
}

/** Every set × seed of a suite, split as the ADBench protocol splits. */
export function* suiteRuns(sets: SuiteSet[], seeds: number[]): Generator<SuiteRun> {
  for (const set of sets)
    for (const seed of seeds) {
      const split = trainTestSplit(set.x.rows, { testFraction: 0.3, seed, stratify: set.y });
      yield {
        set,
        seed,
        train: takeRows(set.x, split.train),
        test: takeRows(set.x, split.test),
        y: split.test.map((i) => set.y[i] as number),
      };
    }
}
