import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppliedMLError, describeValue, initEngine } from '@appliedml/engine';
import { binaryDecisions, classificationMetrics, youdenThreshold } from './classification-metrics';
import { applyWindow } from './dicom/dicom-pixels';
import type { GrayImage } from './gray-image';
import { ImageClassifier } from './image-classifier';
import { applyNormalization, fitNormalization, packImages } from './preprocess';

// Checks whose refusal message went through describeValue built it on every call, also when the check
// passed: describeValue writes the whole value out before cutting it to 80 characters, so packImages (and
// with it every classifier predict and train), applyWindow, fitNormalization and applyNormalization
// spent seconds writing every pixel of a 2048 x 2048 radiograph as JSON (4 to 6 s a predict), for work
// that takes milliseconds. The message is built only when the check fails now. The bound is generous
// (the work itself takes well under 100 ms here); the old code took 2.5 to 4.5 s for each.

const BOUND_MS = 1500;

// The engine's own describeValue, counted: on the success path nothing may call it.
vi.mock('@appliedml/engine', async (importOriginal) => {
  const engine = await importOriginal<typeof import('@appliedml/engine')>();
  return { ...engine, describeValue: vi.fn(engine.describeValue) };
});
const described = vi.mocked(describeValue);
beforeEach(() => {
  described.mockClear();
});

function image(size: number): GrayImage {
  const data = new Float32Array(size * size);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
  return { width: size, height: size, data };
}

function timed<T>(f: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = f();
  return { ms: performance.now() - start, value };
}

function refusal(f: () => unknown): AppliedMLError {
  try {
    f();
  } catch (error) {
    expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
    return error as AppliedMLError;
  }
  throw new Error('expected a refusal');
}

let model: ImageClassifier;
const big = image(2048);
beforeAll(async () => {
  await initEngine();
  model = ImageClassifier.create({ imageSize: 28, filters: [4, 8], seed: 1 });
  const images = Array.from({ length: 8 }, () => image(28));
  await model.train({ images, labels: images.map((_, i) => (i % 2 ? 'a' : 'b')) }, { epochs: 1 });
});
afterAll(() => {
  model.dispose();
});

describe('a 2048 x 2048 image', () => {
  it('is packed and classified in milliseconds, not seconds', async () => {
    const packed = timed(() => packImages([big], 28));
    expect(packed.value.length).toBe(28 * 28);
    expect(packed.ms).toBeLessThan(BOUND_MS);
    const start = performance.now();
    const prediction = await model.predict(big);
    expect(performance.now() - start).toBeLessThan(BOUND_MS);
    expect(Object.keys(prediction.probabilities).sort()).toEqual(['a', 'b']);
  }, 60_000);

  it('is windowed and normalised in milliseconds', () => {
    const windowed = timed(() => applyWindow(big.data, 0.5, 1));
    expect(windowed.value).toHaveLength(big.data.length);
    expect(windowed.ms).toBeLessThan(BOUND_MS);
    const fitted = timed(() => fitNormalization(big.data, 'dataset'));
    expect(fitted.ms).toBeLessThan(BOUND_MS);
    const copy = Float32Array.from(big.data);
    expect(timed(() => applyNormalization(copy, copy.length, fitted.value)).ms).toBeLessThan(BOUND_MS);
    expect(described).not.toHaveBeenCalled();
  }, 60_000);

  it('scores are checked without writing them out', () => {
    const scores = new Float32Array(200_000);
    for (let i = 0; i < scores.length; i++) scores[i] = (i % 100) / 100;
    const labels = Array.from(scores, (_, i) => i % 2);
    expect(binaryDecisions(scores, 0.5)[99]).toBe(1);
    expect(Number.isFinite(youdenThreshold(labels, scores))).toBe(true);
    const probabilities = new Float32Array(2 * scores.length).fill(0.5);
    expect(classificationMetrics(labels, probabilities, ['a', 'b'], 0.5).labels).toEqual(['a', 'b']);
    expect(described).not.toHaveBeenCalled();
  }, 60_000);

  it('the refusals say what they said', () => {
    const notList = refusal(() => packImages(image(4) as unknown as GrayImage[], 28));
    expect(notList.code).toBe('E_INPUT_INVALID');
    expect(notList.message).toMatch(/^packImages takes a list of images \(got \{"width":4,"height":4,"data":\{"0":0,.*…\)\.$/);
    expect(notList.details).toEqual({ argument: 'images' });
    const notArray = refusal(() => applyWindow('pixels' as unknown as Float32Array, 0.5, 1));
    expect(notArray.message).toBe('applyWindow takes an array of values (got "pixels").');
    expect(notArray.details).toEqual({ argument: 'values' });
    const mode = refusal(() => fitNormalization(big.data, 'each' as 'dataset'));
    expect(mode.message).toBe(`mode must be 'dataset' or 'per-image' (got "each").`);
    expect(mode.details).toEqual({ argument: 'mode' });
    const packed = refusal(() => applyNormalization(null as unknown as Float32Array, 4, { mode: 'dataset', mean: 0, std: 1 }));
    expect(packed.message).toBe('packed must be an array of values (got null).');
    expect(packed.details).toEqual({ argument: 'packed' });
    const scores = refusal(() => binaryDecisions({ 0: 1 } as unknown as number[], 0.5));
    expect(scores.message).toBe('scores must be an array of numbers (got {"0":1}).');
    const threshold = refusal(() => binaryDecisions([0.5], Number.NaN));
    expect(threshold.message).toBe('threshold must be a finite number (got NaN).');
    expect(threshold.details).toEqual({ argument: 'threshold' });
    const labels = refusal(() => classificationMetrics([0], new Float32Array(2), [], undefined));
    expect(labels.message).toBe('labels must be a non-empty list of class names (got []).');
    const range = refusal(() => classificationMetrics([0], new Float32Array(2), ['a', 'b'], 2));
    expect(range.message).toBe('threshold must be a number in [0, 1] or undefined (got 2).');
  });
});
