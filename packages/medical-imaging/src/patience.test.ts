// `patience: 0` meant two things: the segmenter always ran exactly one epoch (it checked before the next
// epoch whether more than `patience` had passed since the best), the classifier ran a second and stopped
// if it was no better; for p ≥ 1 both stopped after p epochs without improvement. Both now count as the
// engine's earlyStopping.patience does: p epochs in a row no better are tolerated, the next one stops.
import { describe, expect, it } from 'vitest';
import { initEngine } from '@appliedml/engine';
import { ImageClassifier } from './image-classifier';
import { ImageSegmenter } from './image-segmenter';
import { labelledDiscs as discs, discs as maskedDiscs } from './test-discs';

/** Epochs the engine's rule runs on these per-epoch scores (higher is better), and whether it stopped early. */
function engineRule(scores: number[], patience: number, epochs: number): { epochsRun: number; stopped: boolean } {
  let best = -Infinity;
  let waited = 0;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i]! > best) {
      best = scores[i]!;
      waited = 0;
    } else if (++waited > patience) return { epochsRun: i + 1, stopped: true };
  }
  // Every epoch ran and the last one did not exhaust the patience (the engine reports patience that runs
  // out on the last epoch as stopped early too, above).
  return { epochsRun: Math.min(scores.length, epochs), stopped: false };
}

describe('patience counts as the engine counts it', () => {
  it('patience that runs out on the last epoch is stopping early, as the engine reports it (review R7-2)', async () => {
    await initEngine();
    // Two epochs, patience 0: the second no better than the first ends the run there.
    for (const kind of ['classifier', 'segmenter'] as const) {
      const scores: number[] = [];
      const classifier = kind === 'classifier' ? ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 3 }) : undefined;
      const segmenter = kind === 'segmenter' ? ImageSegmenter.create({ imageSize: 16, filters: [4, 8], seed: 7 }) : undefined;
      const report = classifier
        ? await classifier.train(discs(24, 1), {
            epochs: 2,
            learningRate: 1e-30,
            patience: 0,
            validation: discs(8, 2),
            onEpoch: (e) => scores.push(e.valAuc + 1e-3 * e.valAccuracy),
          })
        : await segmenter!.train(maskedDiscs(16, 32, 1), {
            epochs: 2,
            learningRate: 1e-30,
            patience: 0,
            batchSize: 8,
            validation: maskedDiscs(6, 32, 2),
            onEpoch: (e) => scores.push(e.valDice),
          });
      classifier?.dispose();
      segmenter?.dispose();
      expect(scores[1]! <= scores[0]!).toBe(true);
      expect([report.epochsRun, report.stoppedEarly, report.stoppedBy]).toEqual([2, true, 'earlyStopping']);
    }
  });

  it.each([0, 1])('ImageClassifier, patience %i: the epoch after `patience` epochs no better is the last', async (patience) => {
    await initEngine();
    const model = ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 3 });
    const scores: number[] = [];
    const report = await model.train(discs(24, 1), {
      epochs: 12,
      patience,
      validation: discs(8, 2),
      onEpoch: (e) => scores.push(e.valAuc + 1e-3 * e.valAccuracy),
    });
    expect(report.stoppedEarly).toBe(true);
    expect({ epochsRun: report.epochsRun, stopped: report.stoppedEarly }).toEqual(engineRule(scores, patience, 12));
    // The run ends on patience + 1 epochs in a row no better than the one kept.
    expect(report.epochsRun - 1 - report.selectedEpoch).toBe(patience + 1);
    model.dispose();
  });

  it.each([0, 1])('ImageSegmenter, patience %i: the epoch after `patience` epochs no better is the last', async (patience) => {
    await initEngine();
    const model = ImageSegmenter.create({ imageSize: 16, filters: [4, 8], seed: 7 });
    const dice: number[] = [];
    const report = await model.train(maskedDiscs(16, 32, 1), {
      epochs: 12,
      patience,
      batchSize: 8,
      validation: maskedDiscs(6, 32, 2),
      onEpoch: (e) => dice.push(e.valDice),
    });
    expect(report.stoppedEarly).toBe(true);
    expect({ epochsRun: report.epochsRun, stopped: report.stoppedEarly }).toEqual(engineRule(dice, patience, 12));
    expect(report.epochsRun - 1 - report.selectedEpoch).toBe(patience + 1);
    // Never a single epoch: patience 0 still runs the one that can show no improvement.
    expect(report.epochsRun).toBeGreaterThanOrEqual(2);
    model.dispose();
  });
});
