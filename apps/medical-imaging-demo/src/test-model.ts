// A small model and real upload files for the service and browser tests: a classifier trained in a
// few seconds on SYNTHETIC chest phantoms, and phantoms written as PNG files.
import { createRng } from '@appliedml/engine';
import { grayToPng, ImageClassifier } from '@appliedml/medical-imaging';
import { phantomClassification } from './data';
import { chestPhantom } from './phantoms';

/** A two-stage CNN on 28 × 28 phantoms (clear vs lesion), trained for a few epochs. */
export async function quickClassifier(): Promise<ImageClassifier> {
  const data = phantomClassification(28, 160);
  const model = ImageClassifier.create({ filters: [4, 8] });
  await model.train(data.train, { epochs: 3, batchSize: 32, validation: data.val, progress: false });
  return model;
}

/** A chest phantom as a PNG file of `size` × `size` pixels (8-bit gray). */
export async function phantomPng(lesion: boolean, size = 128, seed = 7): Promise<Uint8Array> {
  return grayToPng(chestPhantom(size, lesion, createRng(seed)));
}

/** Width and height from a PNG's IHDR chunk (undefined when the bytes are not a PNG). */
export function pngSize(png: Uint8Array): { width: number; height: number } | undefined {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || signature.some((b, i) => png[i] !== b)) return undefined;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
