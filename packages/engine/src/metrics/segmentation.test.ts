import { describe, expect, it } from 'vitest';
import { expectClose, expectCode, fixtures, rng } from './__fixtures__/fixtures';
import { dice, iou, meanDice, meanIou } from './segmentation';

describe('segmentation metrics against scikit-learn fixtures', () => {
  it('has fixture cases', () => {
    expect(fixtures.segmentation.length).toBeGreaterThanOrEqual(5);
  });

  for (const c of fixtures.segmentation) {
    it(c.name, () => {
      for (const e of c.expected) {
        const label = JSON.stringify(e.options);
        expectClose(dice(c.maskTrue, c.maskPred, e.options), e.dice, `dice ${label}`);
        expectClose(iou(c.maskTrue, c.maskPred, e.options), e.iou, `iou ${label}`);
        // Float32 data needs a float32 threshold: fround(0.3) in the data is > the double 0.3.
        const options32 = e.options.threshold === undefined ? e.options : { ...e.options, threshold: Math.fround(e.options.threshold) };
        expectClose(dice(Float32Array.from(c.maskTrue), Float32Array.from(c.maskPred), options32), e.dice, `dice float32 ${label}`, 1e-6);
      }
    });
  }

  it(`per-image means: ${fixtures.segmentationBatch.name}`, () => {
    const b = fixtures.segmentationBatch;
    expectClose(meanDice(b.masksTrue, b.masksPred), b.expected.meanDice, 'meanDice');
    expectClose(meanIou(b.masksTrue, b.masksPred), b.expected.meanIou, 'meanIou');
  });
});

describe('segmentation metrics, hand-computed', () => {
  it('binary masks', () => {
    expect(dice([1, 1, 0, 0], [1, 0, 1, 0])).toBe(0.5);
    expect(iou([1, 1, 0, 0], [1, 0, 1, 0])).toBe(1 / 3);
    expect(dice([1, 1, 0], [1, 1, 0])).toBe(1);
    expect(iou([1, 0, 0], [0, 1, 0])).toBe(0);
  });

  it('threshold applies to both masks (value > threshold)', () => {
    expect(dice([1, 1, 0], [0.9, 0.5, 0.2])).toBe(2 / 3); // 0.5 is not > 0.5
    expect(dice([1, 1, 0], [0.9, 0.5, 0.2], { threshold: 0.4 })).toBe(1);
    // ... and to the truth mask as well: a soft label of exactly 0.5 is background.
    expect(dice([0.5, 1], [1, 1])).toBe(2 / 3);
  });

  it('empty masks score emptyScore; smoothing', () => {
    expect(dice([0, 0], [0, 0])).toBe(1);
    expect(iou([0, 0], [0.1, 0.2], { emptyScore: 0 })).toBe(0);
    // |A∩B| = 1, |A| = 2, |B| = 1, |A∪B| = 2
    expect(dice([1, 1], [1, 0], { smooth: 1 })).toBe(0.75);
    expect(iou([1, 1], [1, 0], { smooth: 1 })).toBe(2 / 3);
    expect(iou([1, 0], [0, 1], { smooth: 1 })).toBe(1 / 3);
  });

  it('soft Dice uses the probabilities', () => {
    // 2·(1·0.8 + 0·0.4) / (1 + 1.2) = 1.6 / 2.2
    expectClose(dice([1, 0], [0.8, 0.4], { soft: true }), 1.6 / 2.2, 'soft dice', 1e-15);
    // 0.8 / (1 + 1.2 − 0.8)
    expectClose(iou([1, 0], [0.8, 0.4], { soft: true }), 0.8 / 1.4, 'soft iou', 1e-15);
  });

  it('dice = 2·iou / (1 + iou) on random binary masks', () => {
    const r = rng(3);
    const t = Array.from({ length: 500 }, () => (r() < 0.3 ? 1 : 0));
    const p = Array.from({ length: 500 }, () => r());
    const j = iou(t, p);
    expectClose(dice(t, p), (2 * j) / (1 + j), 'identity', 1e-12);
  });

  it('mean over images is the mean of per-image scores', () => {
    const a = dice([1, 0], [1, 1]);
    const b = dice([1, 1, 1], [1, 0, 0]);
    expectClose(
      meanDice(
        [
          [1, 0],
          [1, 1, 1],
        ],
        [
          [1, 1],
          [1, 0, 0],
        ],
      ),
      (a + b) / 2,
      'meanDice',
      1e-15,
    );
  });
});

describe('segmentation metrics, typed errors', () => {
  it('shape problems', () => {
    expectCode(() => dice([1, 0], [1]), 'E_SHAPE_MISMATCH');
    expectCode(() => iou([], []), 'E_INPUT_INVALID');
    expectCode(() => meanDice([[1]], [[1], [0]]), 'E_SHAPE_MISMATCH');
    expectCode(() => meanIou([], []), 'E_INPUT_INVALID');
    const err = expectCode(() => meanDice([[1], [1, 0]], [[1], [1]]), 'E_SHAPE_MISMATCH');
    expect(err.message).toContain('maskTrue[1]');
  });

  it('bad values and options', () => {
    expectCode(() => dice([1, Number.NaN], [1, 0]), 'E_INPUT_INVALID');
    expectCode(() => iou([1, 0], [1, 1.5], { soft: true }), 'E_INPUT_INVALID');
    expectCode(() => dice([1, 0], [1, 0], { smooth: -1 }), 'E_INPUT_INVALID');
    expectCode(() => dice([1, 0], [1, 0], { threshold: Number.NaN }), 'E_INPUT_INVALID');
  });
});
