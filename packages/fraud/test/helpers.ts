import { trainTestSplit } from '@appliedml/engine';
import { loadAdbench, type LabelledMatrix } from '../src/adbench';
import { takeRows, type Matrix } from '../src/matrix';

export interface ProtocolSplit {
  train: Matrix;
  yTrain: Uint8Array;
  test: Matrix;
  yTest: Uint8Array;
}

/** ADBench protocol: stratified 70/30 with a seed. */
export function adbenchSplit(data: LabelledMatrix, seed: number): ProtocolSplit {
  const split = trainTestSplit(data.x.rows, { testFraction: 0.3, seed, stratify: data.y });
  return {
    train: takeRows(data.x, split.train),
    yTrain: Uint8Array.from(split.train, (i) => data.y[i] as number),
    test: takeRows(data.x, split.test),
    yTest: Uint8Array.from(split.test, (i) => data.y[i] as number),
  };
}

export { loadAdbench };
