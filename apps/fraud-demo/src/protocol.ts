import type { Logger } from '@appliedml/engine';
import { ADBENCH_PUBLISHED, adbenchSplit, FraudDetector, loadAdbench, takeRows, type DetectorKind } from '@appliedml/fraud';
import type { CurveEntry } from './report';

export interface ProtocolResult {
  set: string;
  detector: DetectorKind;
  aucroc: number;
  aucpr: number;
  fitSeconds: number;
  /** The first seed's test labels and scores, for the curves. */
  curve: CurveEntry;
}

/** The detectors that learn from labels. */
export function isSupervised(detector: DetectorKind): boolean {
  return detector === 'mlp' || detector === 'gbt';
}

/**
 * ADBench protocol on one set, on the paper's own rows for the given seeds (`adbenchSplit`: ADBench's
 * generator, a 10,000-row subsample of larger sets, stratified 70/30), so the published columns were
 * measured on the same rows; unsupervised detectors never see labels.
 */
export async function runProtocol(
  set: string,
  detector: DetectorKind,
  seeds: number[],
  options: { mlpEpochs?: number; logger?: Logger; signal?: AbortSignal } = {},
): Promise<ProtocolResult> {
  const data = await loadAdbench(set);
  let aucroc = 0;
  let aucpr = 0;
  let fit = 0;
  let curve: CurveEntry | undefined;
  for (const seed of seeds) {
    const split = adbenchSplit(data.y, seed);
    const train = takeRows(data.x, split.train);
    const test = takeRows(data.x, split.test);
    const yTest = split.test.map((i) => data.y[i] as number);
    const model = FraudDetector.create({ detector, seed, mlp: { epochs: options.mlpEpochs ?? 40 } });
    try {
      const t0 = performance.now();
      // The signal (Ctrl-C in the demo, stopOnSignals) stops the training after its current step: E_ABORTED.
      await model.train(train, {
        ...(isSupervised(detector)
          ? { labels: split.train.map((i) => data.y[i] as number), ...(options.logger ? { logger: options.logger } : {}) }
          : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      fit += (performance.now() - t0) / 1000 / seeds.length;
      const ev = await model.evaluate(test, yTest);
      aucroc += (ev.aucroc * 100) / seeds.length;
      aucpr += (ev.aucpr * 100) / seeds.length;
      if (!curve) curve = { title: `${set} · ${detector}`, labels: yTest, scores: model.scores(test), aucroc: ev.aucroc, aucpr: ev.aucpr };
    } finally {
      model.dispose();
    }
  }
  return { set, detector, aucroc, aucpr, fitSeconds: fit, curve: curve as CurveEntry };
}

/** The published column to compare against: best of IForest/ECOD/COPOD unsupervised, CatBoost supervised. */
export function publishedFor(set: string, supervised: boolean): string {
  const p = ADBENCH_PUBLISHED[set];
  if (!p) return '–';
  if (supervised) return `CatB ${p.CatB[0].toFixed(2)} / ${p.CatB[1].toFixed(2)}`;
  const best = (['IForest', 'ECOD', 'COPOD'] as const).reduce((a, b) => (p[b][0] > p[a][0] ? b : a));
  return `${best} ${p[best][0].toFixed(2)} / ${p[best][1].toFixed(2)}`;
}
