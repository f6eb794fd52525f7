// What `predict` warns about: images unlike anything the classifier was trained on (chest X-rays and
// phantoms, square-ish, at least 16 × 16, with some contrast, not nearly black). The prediction is still made and
// printed; these only say it means little.
import type { ColorImage, GrayImage } from '@appliedml/medical-imaging';

/** An image with a side shorter than this is too small to show anything the model knows. */
export const MIN_SIDE = 16;
/** An image whose long side is more than this many times its short side is a strip, not an image the model saw. */
export const MAX_ASPECT_RATIO = 4;

/**
 * An image whose brightest pixel is at most this (1/16 of full scale) is nearly black: the model saw
 * images that use the range. A 12-bit X-ray stored in a 16-bit PNG reads so (its samples / 65535 stay
 * at or below 4095 / 65535) unless stretched (`--voi minmax`).
 */
export const MAX_DARK = 1 / 16;

/** Why `image` is outside what the model was trained on: one short reason each, empty when none applies. */
export function outOfDistribution(image: GrayImage): string[] {
  const { width, height, data } = image;
  const reasons: string[] = [];
  if (Math.min(width, height) < MIN_SIDE) reasons.push(`it is ${width}×${height} pixels, smaller than ${MIN_SIDE} on a side`);
  const aspect = Math.max(width, height) / Math.max(1, Math.min(width, height));
  if (aspect > MAX_ASPECT_RATIO) reasons.push(`its sides are ${aspect.toFixed(0)}:1, more than ${MAX_ASPECT_RATIO}:1`);
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (data.length > 1 && max - min === 0) reasons.push(`every pixel has the same value (${min.toFixed(3)})`);
  else if (data.length > 1 && max <= MAX_DARK)
    reasons.push(`its brightest pixel is at ${(max * 100).toFixed(1)} % of full scale: the image is nearly black`);
  return reasons;
}

/** What `stretchAdvice` reads of `readMedicalImage`'s answer. */
export interface StoredAs {
  format: string;
  bitDepth: number;
  /** 'uint', 'int' (signed) or 'float'; absent is 'uint'. */
  sampleFormat?: string;
}

/**
 * With `voi` auto, a PNG / TIFF of integer samples is mapped over its whole type's range, so an image whose
 * values use little of it reads badly: a 12-bit X-ray in 16 (or 32) unsigned bits nearly black (a reason
 * `outOfDistribution` already gave), a signed one as flat mid-grey (signed samples map from the type's
 * minimum, so 0 is 0.5; no reason applied). The words to add to `reasons`, `how` naming the stretch
 * (`--voi minmax`, `voi=minmax`); none for DICOM (its own window), float samples (mapped by min..max),
 * 8-bit samples (dark is dark) or `voi` minmax.
 */
export function stretchAdvice(read: StoredAs, image: GrayImage, voi: string, reasons: readonly string[], how: string): string[] {
  if (read.format === 'dicom' || voi !== 'auto' || read.bitDepth <= 8) return [];
  const format = read.sampleFormat ?? 'uint';
  if (format === 'uint') {
    if (!reasons.some((r) => r.includes('nearly black'))) return [];
    return [
      read.bitDepth === 16
        ? `a 12-bit image stored in 16 bits reads so: ${how} stretches it`
        : `an image whose values use little of their ${read.bitDepth}-bit range reads so: ${how} stretches it`,
    ];
  }
  if (format !== 'int') return [];
  let min = Infinity;
  let max = -Infinity;
  for (const v of image.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max > min) || max - min > MAX_DARK) return [];
  return [
    `its values span ${((max - min) * 100).toFixed(1)} % of the signed ${read.bitDepth}-bit range, which reads as nearly flat grey: ${how} stretches it`,
  ];
}

/**
 * The mean chroma (max − min of a pixel's R, G and B, in [0, 1]) from which an image is in colour. Kvasir-SEG's
 * endoscopy photos measure 0.19 to 0.48 (40 of them); a grayscale image saved as RGB (a chest X-ray exported
 * as a colour JPEG) 0, its JPEG noise well under this.
 */
export const MIN_CHROMA = 0.05;

/** True for an image in colour: its mean chroma is at least MIN_CHROMA (a gray image saved as RGB is not). */
export function isColourful(color: ColorImage | undefined): color is ColorImage {
  if (color === undefined) return false;
  const { data } = color;
  const pixels = data.length / 3;
  if (pixels === 0) return false;
  let sum = 0;
  for (let p = 0; p < data.length; p += 3) {
    const r = data[p]!;
    const g = data[p + 1]!;
    const b = data[p + 2]!;
    sum += Math.max(r, g, b) - Math.min(r, g, b);
  }
  return sum / pixels >= MIN_CHROMA;
}

/** The warning of an upload in colour given to the classifier, which was trained on grayscale images: its verdict is not given. */
export const COLOUR_NOT_CLASSIFIED =
  'This is a colour image (a photo, such as an endoscopy frame), and the classifier was trained on grayscale images: it was not run, as its verdict on a colour photo would mean nothing.';
