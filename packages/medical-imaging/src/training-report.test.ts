import { describe, expect, it } from 'vitest';
import { createRng, initEngine } from '@appliedml/engine';
import type { GrayImage } from './gray-image';
import { ImageClassifier, type LabeledImages } from './image-classifier';

// The engine's TrainingReport gained stoppedBy ('earlyStopping' | 'shouldStop'); the classifier stops on
// its own patience through the engine's shouldStop callback, so its report said stoppedBy 'shouldStop'
// (a callback its user never passed) for what is early stopping on validation AUC.

function discs(count: number, seed: number): LabeledImages {
  const rng = createRng(seed);
  const images: GrayImage[] = [];
  const labels: string[] = [];
  for (let k = 0; k < count; k++) {
    const disc = k % 2 === 0;
    const data = new Float32Array(16 * 16);
    for (let p = 0; p < data.length; p++) {
      const inside = disc && Math.hypot((p % 16) - 8, Math.floor(p / 16) - 8) < 4;
      data[p] = 0.2 * rng.next() + (inside ? 0.7 : 0.1);
    }
    images.push({ width: 16, height: 16, data });
    labels.push(disc ? 'disc' : 'plain');
  }
  return { images, labels };
}

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
});
