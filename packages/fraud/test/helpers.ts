import { trainTestSplit } from '@appliedml/engine';
import { loadAdbench, type LabelledMatrix } from '../src/adbench';
import { ADBENCH_SEEDS, adbenchSplit } from '../src/adbench-split';
import { FraudDetector, type FraudDetectorConfig } from '../src/detector';
import { takeRows, type Matrix } from '../src/matrix';

export interface ProtocolSplit {
  train: Matrix;
  yTrain: Uint8Array;
  test: Matrix;
  yTest: Uint8Array;
}

/** ADBench protocol: stratified 70/30 with a seed, on the bench's own rows or (`'paper'`) the paper's. */
export function protocolSplit(data: LabelledMatrix, seed: number, rows: 'bench' | 'paper' = 'bench'): ProtocolSplit {
  const split = rows === 'paper' ? adbenchSplit(data.y, seed) : trainTestSplit(data.x.rows, { testFraction: 0.3, seed, stratify: data.y });
  return {
    train: takeRows(data.x, split.train),
    yTrain: Uint8Array.from(split.train, (i) => data.y[i] as number),
    test: takeRows(data.x, split.test),
    yTest: Uint8Array.from(split.test, (i) => data.y[i] as number),
  };
}

/**
 * Mean AUCROC / AUCPR (%) of a detector over the protocol's seeds (the bench's 0–2, or the paper's 1–3 on
 * its rows); supervised detectors get the training labels, unsupervised ones none.
 */
export async function protocolMean(
  name: string,
  config: FraudDetectorConfig,
  rows: 'bench' | 'paper' = 'bench',
): Promise<{ aucroc: number; aucpr: number }> {
  const data = await loadAdbench(name);
  const seeds = rows === 'paper' ? ADBENCH_SEEDS : [0, 1, 2];
  const supervised = config.detector === 'gbt' || config.detector === 'mlp';
  let aucroc = 0;
  let aucpr = 0;
  for (const seed of seeds) {
    const s = protocolSplit(data, seed, rows);
    const model = FraudDetector.create({ ...config, seed });
    await model.train(s.train, supervised ? { labels: s.yTrain } : {});
    const ev = await model.evaluate(s.test, s.yTest);
    aucroc += (ev.aucroc * 100) / seeds.length;
    aucpr += (ev.aucpr * 100) / seeds.length;
    model.dispose();
  }
  return { aucroc, aucpr };
}

export { loadAdbench };
