import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { FraudDetector, type FraudDetectorConfig } from './detector';
import { TransactionScorer } from './scorer';
import { TransactionFeatures } from './stream';

/** A copy of `list` with an empty slot at `index` (a sparse array, as `delete list[i]` or `[, x]` leaves). */
function holed<T>(list: T[], index: number): T[] {
  const copy = list.slice();
  delete copy[index];
  return copy;
}

function refusal(make: () => unknown): unknown {
  try {
    make();
  } catch (error) {
    return error;
  }
  return 'created';
}

// List options given with an empty slot: some / every / forEach skip it, so they were accepted at create
// and failed at train with another error's words (or, for windowsSeconds, silently lost a window and gave a
// scorer whose save could not be loaded). Now refused where they are given, naming the option and index.
describe('list options with empty slots', () => {
  const cases: Array<[string, number, () => unknown]> = [
    ['members', 0, () => FraudDetector.create({ members: holed(['ecod', 'iforest'], 0) as FraudDetectorConfig['members'] })],
    [
      'outlierFeatures',
      0,
      () =>
        FraudDetector.create({ detector: 'gbt', outlierFeatures: holed(['ecod', 'iforest'], 0) as FraudDetectorConfig['outlierFeatures'] }),
    ],
    ['mlp.hidden', 0, () => FraudDetector.create({ detector: 'mlp', mlp: { hidden: holed([8, 4], 0) } })],
    ['autoencoder.hidden', 1, () => FraudDetector.create({ detector: 'autoencoder', autoencoder: { hidden: holed([8, 4], 1) } })],
    ['mlp.classWeight', 0, () => FraudDetector.create({ detector: 'mlp', mlp: { classWeight: holed([1, 5], 0) as [number, number] } })],
    ['preprocess.required', 1, () => FraudDetector.create({ preprocess: { required: holed(['amount', 'merchant'], 1) } })],
    ['windowsSeconds', 0, () => TransactionScorer.create({ features: { windowsSeconds: holed([3600, 86400], 0) } })],
    ['windowsSeconds', 1, () => new TransactionFeatures({ windowsSeconds: [3600, , 604800] as number[] })],
    ['members', 0, () => TransactionScorer.create({ detector: { members: new Array(2) as FraudDetectorConfig['members'] } })],
  ];

  it.each(cases)('%s with an empty slot at %i is E_INPUT_INVALID at create, naming the option and index', (field, index, make) => {
    const error = refusal(make);
    expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code: 'E_INPUT_INVALID', details: { field, index, reason: 'empty-slot' } });
    expect((error as Error).message).toContain(`${field} has an empty slot at index ${index}`);
  });

  it('the same lists without the slot empty are accepted (the check is the slot, not the list)', () => {
    const made = [
      FraudDetector.create({ members: ['ecod', 'iforest'] }),
      FraudDetector.create({ detector: 'gbt', outlierFeatures: ['ecod', 'iforest'] }),
      FraudDetector.create({ detector: 'mlp', mlp: { hidden: [8, 4], classWeight: [1, 5] } }),
      FraudDetector.create({ detector: 'autoencoder', autoencoder: { hidden: [8, 4] } }),
      FraudDetector.create({ preprocess: { required: ['amount', 'merchant'] } }),
    ];
    for (const m of made) m.dispose();
    const scorer = TransactionScorer.create({ features: { windowsSeconds: [3600, 86400] } });
    expect(scorer.featureNames).toContain('count_1h');
    scorer.dispose();
  });
});
