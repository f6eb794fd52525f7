// Masks shared by the segmenter and the segmenter ensemble: the data shape, its checks, thresholding.
import { AppliedMLError } from '@appliedml/engine';
import type { AnyImage, GrayImage } from './gray-image';
import { checkImage } from './preprocess';
import type { Turns } from './preprocess';
import type { DataSource } from './trained-on';

/** Images with their binary masks (values > 0.5 are foreground), each mask the size of its image. */
export interface MaskedImages {
  images: AnyImage[];
  masks: GrayImage[];
  /** Where the images came from; a model trained on them saves it (`trainedOn`). `readKvasirSeg` sets it. */
  source?: DataSource;
}

/** Checks images and masks pair up: typed errors for a wrong shape, a size mismatch or bad values. */
export function assertMasked(data: MaskedImages, what: string): void {
  checkMaskedShape(data, what);
  // Every index, holes included (forEach would skip them).
  for (let i = 0; i < data.images.length; i++) checkMaskedPair(data, i, what);
}

/** `assertMasked` for a segmenter's `train`: the same checks, with an event-loop turn after each pair. */
export async function assertMaskedInTurns(data: MaskedImages, what: string, turns: Turns): Promise<void> {
  checkMaskedShape(data, what);
  for (let i = 0; i < data.images.length; i++) {
    checkMaskedPair(data, i, what);
    const t = turns.turn();
    if (t) await t;
  }
}

function checkMaskedShape(data: MaskedImages, what: string): void {
  if (!data || !Array.isArray(data.images) || !Array.isArray(data.masks))
    throw new AppliedMLError('E_INPUT_INVALID', `The ${what} must be { images, masks }.`);
  if (data.images.length === 0) throw new AppliedMLError('E_INPUT_INVALID', `The ${what} holds no images.`);
  if (data.images.length !== data.masks.length)
    throw new AppliedMLError('E_SHAPE_MISMATCH', `The ${what} has ${data.images.length} images but ${data.masks.length} masks.`);
}

function checkMaskedPair(data: MaskedImages, i: number, what: string): void {
  const image = data.images[i];
  const mask = data.masks[i]!;
  if (image === null || typeof image !== 'object')
    throw new AppliedMLError('E_INPUT_INVALID', `The ${what} image ${i} is not an image.`, { details: { index: i } });
  checkImage(mask, `${what} mask ${i}`);
  if (mask.width !== image.width || mask.height !== image.height)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `The ${what} mask ${i} is ${mask.width} × ${mask.height} but its image is ${image.width} × ${image.height}.`,
      { details: { index: i, image: [image.width, image.height], mask: [mask.width, mask.height] } },
    );
}

/** Foreground (1) where a value is above 0.5, else 0. */
export function thresholdMask(values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = values[i]! > 0.5 ? 1 : 0;
  return out;
}

export function binaryMasks(masks: GrayImage[]): Float32Array[] {
  return masks.map((m) => thresholdMask(m.data));
}
