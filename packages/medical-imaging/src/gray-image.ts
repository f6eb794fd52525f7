import { AppliedMLError, describeValue } from '@appliedml/engine';

/** A single-channel image, row-major, values in [0, 1]: what the models read. */
export interface GrayImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** An RGB image, row-major with interleaved channels, values in [0, 1] (e.g. endoscopy frames). */
export interface ColorImage {
  width: number;
  height: number;
  channels: 3;
  data: Float32Array;
}

/** What the segmenter reads: grayscale or RGB. */
export type AnyImage = GrayImage | ColorImage;

/** 3 for an RGB image, 1 for a grayscale one (no `channels`, or 1); E_INPUT_INVALID for anything else. */
export function channelsOf(image: AnyImage): 1 | 3 {
  const channels = (image as { channels?: unknown } | null)?.channels;
  if (image === null || typeof image !== 'object' || (channels !== undefined && channels !== 1 && channels !== 3))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `An image is { width, height, data } (grayscale) or { width, height, channels: 3, data } (RGB); got ${
        image === null || typeof image !== 'object' ? describeValue(image) : `channels ${describeValue(channels)}`
      }.`,
    );
  return channels === 3 ? 3 : 1;
}

/** True for an image that says it is RGB: `channels: 3` (its data then holds width × height × 3 values). */
export function isColorImage(image: unknown): image is ColorImage {
  return image !== null && typeof image === 'object' && (image as { channels?: unknown }).channels === 3;
}

/**
 * The luminance of an RGB image (0.299 R + 0.587 G + 0.114 B, as `readMedicalImage` makes its `image` of a
 * colour PNG, JPEG or TIFF; of a colour DICOM it stretches that to the frame's min..max), one value a pixel; `image.data` must hold width × height × 3 values (the caller checks).
 */
export function luminanceOf(image: ColorImage): GrayImage {
  const pixels = image.width * image.height;
  const rgb = image.data;
  const data = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) data[p] = 0.299 * rgb[3 * p]! + 0.587 * rgb[3 * p + 1]! + 0.114 * rgb[3 * p + 2]!;
  return { width: image.width, height: image.height, data };
}
