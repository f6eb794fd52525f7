import { describe, expect, it } from 'vitest';
import { initEngine } from '@appliedml/engine';
import { ImageClassifier, type LabeledImages } from './image-classifier';
import { ImageSegmenter } from './image-segmenter';
import { labelledDiscs as discs, discs as maskedDiscs } from './test-discs';

// The engine's TrainingReport gained stoppedBy ('earlyStopping' | 'shouldStop'); the classifier stops on
// its own patience through the engine's shouldStop callback, so its report said stoppedBy 'shouldStop'
// (a callback its user never passed) for what is early stopping on validation AUC.

describe("ImageClassifier's training report", () => {
  it("a run its patience stops says stoppedEarly with stoppedBy 'earlyStopping'; a run of every epoch says neither", async () => {
    await initEngine();
    const model = ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 3 });
    // Validation AUC reaches 1 at once on such discs: no better epoch follows, patience 1 stops the run.
    const stopped = await model.train(discs(24, 1), { epochs: 12, patience: 1, validation: discs(8, 2) });
    expect(stopped.epochsRun).toBeLessThan(12);
    expect(stopped.stoppedEarly).toBe(true);
    expect(stopped.stoppedBy).toBe('earlyStopping');
    const full = await model.train(discs(24, 1), { epochs: 1, validation: discs(8, 2) });
    expect(full.epochsRun).toBe(1);
    expect(full.stoppedEarly).toBe(false);
    expect(full.stoppedBy).toBeUndefined();
    model.dispose();
  });

  // Review R2-1: the report spread the engine's fields (monitor 'loss', bestEpoch / bestValue the lowest
  // training loss, restoredBestWeights false) while the classifier kept the epoch of best validation AUC.
  it('its selection fields describe the epoch kept: bestEpoch is selectedEpoch, bestValue its AUC, weights restored', async () => {
    await initEngine();
    const model = ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 3 });
    const aucs: number[] = [];
    // AUC 1 at the first epoch, none better after: patience 1 stops at the second and puts the first back.
    const stopped = await model.train(discs(24, 1), {
      epochs: 12,
      patience: 1,
      validation: discs(8, 2),
      onEpoch: (e) => aucs.push(e.valAuc),
    });
    expect(stopped.epochsRun).toBeGreaterThan(stopped.selectedEpoch + 1);
    // Found by W4: it said 'val_accuracy' (the engine's report had no name for AUC), read as an accuracy.
    expect(stopped.monitor).toBe('val_auc');
    expect(stopped.bestEpoch).toBe(stopped.selectedEpoch);
    expect(stopped.bestValue).toBe(aucs[stopped.selectedEpoch]);
    expect(stopped.bestValue).toBe(stopped.validation.auc);
    expect(stopped.restoredBestWeights).toBe(true);
    // One epoch: the epoch kept is the last, nothing was put back.
    const one = await model.train(discs(24, 1), { epochs: 1, validation: discs(8, 2) });
    expect([one.bestEpoch, one.selectedEpoch, one.restoredBestWeights]).toEqual([0, 0, false]);
    model.dispose();
  });

  it('names the validation accuracy when that is what it selected on (the AUC undefined: validation of one class)', async () => {
    await initEngine();
    const model = ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 3 });
    const all = discs(8, 2);
    const plainOnly: LabeledImages = {
      images: all.images.filter((_, i) => all.labels[i] === 'plain'),
      labels: all.labels.filter((l) => l === 'plain'),
    };
    const accuracies: number[] = [];
    const report = await model.train(discs(24, 1), {
      epochs: 2,
      validation: plainOnly,
      onEpoch: (e) => accuracies.push(e.valAccuracy),
    });
    expect(report.validation.auc).toBeNaN();
    expect(report.monitor).toBe('val_accuracy');
    expect(report.bestValue).toBe(accuracies[report.selectedEpoch]);
    model.dispose();
  });

  // Review R2-1: the segmenter said monitor 'loss' beside a bestValue that is the validation Dice, and a
  // run its patience stopped had no stoppedBy.
  it("the segmenter's report names a validation monitor and says a patience stop is early stopping", async () => {
    await initEngine();
    const model = ImageSegmenter.create({ imageSize: 16, filters: [4, 8], seed: 7 });
    const dice: number[] = [];
    const report = await model.train(maskedDiscs(16, 32, 1), {
      epochs: 12,
      patience: 1,
      batchSize: 8,
      validation: maskedDiscs(6, 32, 2),
      onEpoch: (e) => dice.push(e.valDice),
    });
    expect(report.monitor).toBe('val_dice');
    expect(report.bestEpoch).toBe(report.selectedEpoch);
    expect(report.bestValue).toBe(dice[report.selectedEpoch]);
    // This run (seed 7) improves once, then not: patience 1 stops it with the best epoch not the last.
    expect(report.stoppedEarly).toBe(true);
    expect(report.stoppedBy).toBe('earlyStopping');
    expect(report.selectedEpoch).toBeLessThan(report.epochsRun - 1);
    expect(report.restoredBestWeights).toBe(true);
    model.dispose();
  });
});
