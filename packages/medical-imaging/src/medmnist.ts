// PneumoniaMNIST (MedMNIST v2) from its .npz: three official splits of 28×28 uint8 images.
import { basename } from 'node:path';
import { AppliedMLError, readNpz } from '@appliedml/engine';
import type { NpyArray } from '@appliedml/engine';
import type { GrayImage } from './gray-image';
import type { LabeledImages } from './image-classifier';

export const PNEUMONIA_LABELS = ['normal', 'pneumonia'] as const;

export interface MedMnistSplits {
  train: LabeledImages;
  val: LabeledImages;
  test: LabeledImages;
}

export function split(arrays: Record<string, NpyArray>, name: string, labelNames: readonly string[], file: string): LabeledImages {
  const images = arrays[`${name}_images`];
  const labels = arrays[`${name}_labels`];
  if (!images || !labels || images.shape.length !== 3)
    throw new AppliedMLError('E_INPUT_INVALID', `The MedMNIST file has no ${name}_images [n, h, w] / ${name}_labels arrays.`);
  // MedMNIST stores uint8 images (0..255), read here as value / 255: float images already in [0, 1] came
  // out 255 times too dark, uint16 ones up to 257 times too bright, without a word.
  if (images.dtype !== 'uint8')
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `The MedMNIST file's ${name}_images are ${images.dtype}; MedMNIST stores uint8 images (0..255). ` +
        'Convert them to uint8 (or read the arrays with readNpz and build the images yourself).',
      { details: { array: `${name}_images`, dtype: images.dtype } },
    );
  const [n, h, w] = images.shape as [number, number, number];
  if (h < 1 || w < 1)
    throw new AppliedMLError('E_INPUT_INVALID', `The MedMNIST file's ${name}_images are ${h} × ${w} pixels: no image.`, {
      details: { array: `${name}_images`, shape: images.shape },
    });
  if (labels.data.length !== n) throw new AppliedMLError('E_SHAPE_MISMATCH', `${name}: ${n} images but ${labels.data.length} labels.`);
  const out: GrayImage[] = [];
  const pixels = h * w;
  for (let i = 0; i < n; i++) {
    const data = new Float32Array(pixels);
    for (let p = 0; p < pixels; p++) data[p] = Number(images.data[i * pixels + p]) / 255;
    out.push({ width: w, height: h, data });
  }
  return {
    source: { name: 'medmnist', synthetic: false, description: `MedMNIST ${file}, ${name} split (${n} images)` },
    images: out,
    labels: Array.from({ length: n }, (_, i) => {
      const k = Number(labels.data[i]);
      const name = labelNames[k];
      if (name === undefined) throw new AppliedMLError('E_INPUT_INVALID', `Label ${k} is outside 0..${labelNames.length - 1}.`);
      return name;
    }),
  };
}

/**
 * Read a MedMNIST 2-D .npz (PneumoniaMNIST by default: 0 = normal, 1 = pneumonia) into its three splits,
 * each with its `source` (`medmnist`, the file and split named) for a model trained on it to record.
 */
export async function readMedMnist(path: string, labelNames: readonly string[] = PNEUMONIA_LABELS): Promise<MedMnistSplits> {
  const arrays = await readNpz(path);
  const file = basename(path);
  return {
    train: split(arrays, 'train', labelNames, file),
    val: split(arrays, 'val', labelNames, file),
    test: split(arrays, 'test', labelNames, file),
  };
}
