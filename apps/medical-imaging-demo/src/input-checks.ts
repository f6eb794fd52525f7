// What `predict` warns about: images unlike anything the classifier was trained on (chest X-rays and
// phantoms, square-ish, at least 16 × 16, with some contrast, not nearly black). The prediction is still made and
// printed; these only say it means little.
import type { ColorImage, GrayImage } from '@appliedml/medical-imaging';
import sharp, { type Sharp } from 'sharp';

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
 * The mean chroma (max − min of a pixel's R, G and B, in [0, 1]), once the image's own cast is taken out
 * (each channel scaled to the image's mean gray: grey-world white balance), from which an image is in colour.
 * A uniform tint is a cast, not colour: a chest X-ray tinted warm (1, .97, .92), blue (.88, .95, 1), sepia
 * (1, .89, .70) or orange (1, .7, .4) measures 0.003 to 0.009 in PNG or JPEG (0.05 to 0.47 before the cast
 * is taken out); Kvasir-SEG's endoscopy photos 0.029 to 0.23 (all 1,000 of them), on `colourPreview`'s
 * 64-pixel preview.
 */
export const MIN_CHROMA = 0.02;

/** The long side of the preview `isColourful` measures: small to read, and it smooths JPEG noise. */
export const PREVIEW_SIDE = 64;

const toPreview = async (image: Sharp): Promise<ColorImage> => {
  const { data, info } = await image
    .removeAlpha()
    .toColourspace('srgb')
    .resize(PREVIEW_SIDE, PREVIEW_SIDE, { fit: 'inside' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: Float32Array.from(data, (v) => v / 255) };
};

/**
 * An RGB raster (PNG, JPEG, TIFF, WebP: bytes or a file path), or its page `frame`, as a small RGB preview
 * (at most PREVIEW_SIDE on a side) for `isColourful`, without decoding it in full as Float32; undefined
 * for a grayscale raster, or bytes sharp does not read (DICOM, a corrupt file: the reader says why).
 */
export async function colourPreview(input: Uint8Array | string, frame = 0, maxPixels?: number): Promise<ColorImage | undefined> {
  try {
    const options = { ...(frame > 0 ? { page: frame } : {}), ...(maxPixels !== undefined ? { limitInputPixels: maxPixels } : {}) };
    const source = sharp(input, options);
    const meta = await source.metadata();
    if (!['png', 'jpeg', 'tiff', 'webp'].includes(meta.format ?? '') || (meta.channels ?? 0) < 3) return undefined;
    return await toPreview(source);
  } catch {
    return undefined;
  }
}

/** A decoded RGB image (a colour DICOM frame) as `colourPreview`'s small preview. */
export async function previewOfColour(color: ColorImage): Promise<ColorImage> {
  const rgb = Uint8Array.from(color.data, (v) => Math.round(255 * Math.min(1, Math.max(0, v))));
  return toPreview(sharp(rgb, { raw: { width: color.width, height: color.height, channels: 3 } }));
}

/**
 * The mean chroma of `color` once its cast is taken out (each channel scaled so its mean is the mean of
 * the three): 0 for a gray image under any uniform tint, more for colours that vary across the image.
 */
export function colourSpread(color: ColorImage): number {
  const { data } = color;
  const pixels = data.length / 3;
  if (pixels === 0) return 0;
  const means = [0, 0, 0];
  for (let p = 0; p < data.length; p++) means[p % 3]! += data[p]!;
  const gray = (means[0]! + means[1]! + means[2]!) / 3;
  const gain = means.map((m) => (m > 0 ? gray / m : 0));
  let sum = 0;
  for (let p = 0; p < data.length; p += 3) {
    const r = data[p]! * gain[0]!;
    const g = data[p + 1]! * gain[1]!;
    const b = data[p + 2]! * gain[2]!;
    sum += Math.max(r, g, b) - Math.min(r, g, b);
  }
  return sum / pixels;
}

/**
 * True for an image in colour: `colourSpread` of its preview (`colourPreview`, `previewOfColour`) is at
 * least MIN_CHROMA. A gray image saved as RGB is not, nor one under a uniform tint (a warm or blue cast, sepia).
 */
export function isColourful(preview: ColorImage | undefined): preview is ColorImage {
  return preview !== undefined && colourSpread(preview) >= MIN_CHROMA;
}

/**
 * The CLI's `predict` reason for a colour image (`isColourful`), beside `outOfDistribution`'s: the prediction
 * is still printed, with the warning that it means nothing.
 */
export const COLOUR_REASON =
  'it is a colour image (a photo, such as an endoscopy frame), and the classifier was trained on grayscale images';

/** The warning of an upload in colour given to the classifier, which was trained on grayscale images: its verdict is not given. */
export const COLOUR_NOT_CLASSIFIED =
  'This is a colour image (a photo, such as an endoscopy frame), and the classifier was trained on grayscale images: it was not run, as its verdict on a colour photo would mean nothing.';
