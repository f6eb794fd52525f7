// Pictures for people: the image, a Grad-CAM heatmap over it, or masks over it, written as PNG.
import { AppliedMLError, checkKnownKeys, checkNumberOption, describeValue } from '@appliedml/engine';
import type { GrayImage } from './gray-image';
import { loadSharp } from './image-reader';
import { checkImage, resizeGray } from './preprocess';

export interface OverlayOptions {
  /** Output width in pixels (height keeps the aspect); default the image's own width. */
  width?: number;
  /** Opacity of the heatmap or mask colour, in [0, 1] (default 0.45). */
  alpha?: number;
}

export interface MaskOverlayOptions extends OverlayOptions {
  /** RGB of the predicted mask, each from 0 to 255 (default green). */
  color?: [number, number, number];
  /** A second mask (e.g. the ground truth) drawn as an outline in `truthColor` (default red). */
  truth?: GrayImage;
  truthColor?: [number, number, number];
}

const OVERLAY_KEYS = Object.keys({ width: 1, alpha: 1 } satisfies Record<keyof OverlayOptions, 1>);
const MASK_OVERLAY_KEYS = Object.keys({ width: 1, alpha: 1, color: 1, truth: 1, truthColor: 1 } satisfies Record<
  keyof MaskOverlayOptions,
  1
>);

/** The options of an overlay: known names only (a misspelt `colour` is refused), `alpha` in [0, 1]. */
function checkOverlayOptions(what: string, options: OverlayOptions, known: readonly string[]): void {
  checkKnownKeys(`${what} options`, options, known);
  checkNumberOption('alpha', options.alpha, 0, 1);
}

/** An RGB colour option: three numbers in [0, 255] (undefined: the default). */
function checkColor(field: string, value: unknown): void {
  if (value === undefined) return;
  if (!(
    Array.isArray(value) &&
    value.length === 3 &&
    value.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 255)
  ))
    throw new AppliedMLError('E_INPUT_INVALID', `${field} must be [red, green, blue], each from 0 to 255 (got ${describeValue(value)}).`, {
      details: { field },
    });
}

/** One channel of the classic "jet" colour map: 255 · clamp(1.5 − |4t − k|). */
function jetChannel(t: number, k: number): number {
  return Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - k))));
}

/** The image's values at width × height, without a copy when it already has that size. */
function valuesAt(image: GrayImage, width: number, height: number): Float32Array {
  return image.width === width && image.height === height ? image.data : resizeGray(image, width, height).data;
}

/** Longest side of a picture an overlay renders (pixels). */
const MAX_OVERLAY_WIDTH = 8192;

function outputSize(image: GrayImage, options: OverlayOptions): { width: number; height: number } {
  if (options.width !== undefined && !(Number.isInteger(options.width) && options.width >= 1 && options.width <= MAX_OVERLAY_WIDTH))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `An overlay width is an integer from 1 to ${MAX_OVERLAY_WIDTH} pixels (got ${describeValue(options.width)}).`,
      { details: { field: 'width' } },
    );
  let width = Math.max(1, Math.round(options.width ?? image.width));
  let height = Math.max(1, Math.round((image.height * width) / image.width));
  // A very tall (or, unasked, very wide) image is scaled down to fit MAX_OVERLAY_WIDTH on its long side,
  // keeping its aspect ratio: a 1 × 60,000 scan at width 256 would otherwise ask for 15 M rows.
  const long = Math.max(width, height);
  if (long > MAX_OVERLAY_WIDTH) {
    width = Math.max(1, Math.round((width * MAX_OVERLAY_WIDTH) / long));
    height = Math.max(1, Math.round((height * MAX_OVERLAY_WIDTH) / long));
  }
  return { width, height };
}

async function encodePng(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const png = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return new Uint8Array(png);
}

/** The grayscale image alone, as PNG. */
export async function grayToPng(image: GrayImage, options: OverlayOptions = {}): Promise<Uint8Array> {
  checkOverlayOptions('grayToPng', options, OVERLAY_KEYS);
  checkImage(image);
  const { width, height } = outputSize(image, options);
  const base = resizeGray(image, width, height).data;
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < base.length; p++) rgb.fill(Math.round(255 * Math.min(1, Math.max(0, base[p]!))), 3 * p, 3 * p + 3);
  return encodePng(rgb, width, height);
}

/** A heatmap (values in [0, 1], any size) in jet colours over the image, as PNG. */
export async function heatmapOverlayPng(image: GrayImage, heatmap: GrayImage, options: OverlayOptions = {}): Promise<Uint8Array> {
  checkOverlayOptions('heatmapOverlayPng', options, OVERLAY_KEYS);
  checkImage(image);
  checkImage(heatmap, 'heatmap');
  const { width, height } = outputSize(image, options);
  const base = valuesAt(image, width, height);
  const heat = valuesAt(heatmap, width, height);
  const alpha = options.alpha ?? 0.45;
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const g = 255 * Math.min(1, Math.max(0, base[p]!));
    const h = Math.min(1, Math.max(0, heat[p]!));
    const a = alpha * Math.sqrt(h);
    const keep = (1 - a) * g;
    rgb[3 * p] = Math.round(keep + a * jetChannel(h, 3));
    rgb[3 * p + 1] = Math.round(keep + a * jetChannel(h, 2));
    rgb[3 * p + 2] = Math.round(keep + a * jetChannel(h, 1));
  }
  return encodePng(rgb, width, height);
}

function sameAspect(image: GrayImage, mask: GrayImage, what: string): void {
  if (mask.width !== image.width || mask.height !== image.height)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `The ${what} is ${mask.width} × ${mask.height} but the image is ${image.width} × ${image.height}.`,
      { details: { image: [image.width, image.height], mask: [mask.width, mask.height] } },
    );
}

/** A binary mask (values > 0.5) filled in colour over the image, optionally a second mask's outline; as PNG. */
export async function maskOverlayPng(image: GrayImage, mask: GrayImage, options: MaskOverlayOptions = {}): Promise<Uint8Array> {
  checkOverlayOptions('maskOverlayPng', options, MASK_OVERLAY_KEYS);
  checkColor('color', options.color);
  checkColor('truthColor', options.truthColor);
  checkImage(image);
  checkImage(mask, 'mask');
  sameAspect(image, mask, 'mask');
  if (options.truth) sameAspect(image, options.truth, 'truth mask');
  const { width, height } = outputSize(image, options);
  const base = valuesAt(image, width, height);
  const m = valuesAt(mask, width, height);
  const truth = options.truth ? valuesAt(options.truth, width, height) : undefined;
  const [cr, cg, cb] = options.color ?? [0, 220, 90];
  const [tr, tg, tb] = options.truthColor ?? [255, 40, 40];
  const alpha = options.alpha ?? 0.45;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const g = 255 * Math.min(1, Math.max(0, base[p]!));
      if (m[p]! > 0.5) {
        rgb[3 * p] = Math.round((1 - alpha) * g + alpha * cr);
        rgb[3 * p + 1] = Math.round((1 - alpha) * g + alpha * cg);
        rgb[3 * p + 2] = Math.round((1 - alpha) * g + alpha * cb);
      } else rgb.fill(Math.round(g), 3 * p, 3 * p + 3);
      // The truth's outline: its pixels with a neighbour outside it (or on the border).
      if (
        truth &&
        truth[p]! > 0.5 &&
        (x === 0 ||
          y === 0 ||
          x === width - 1 ||
          y === height - 1 ||
          !(truth[p - 1]! > 0.5) ||
          !(truth[p + 1]! > 0.5) ||
          !(truth[p - width]! > 0.5) ||
          !(truth[p + width]! > 0.5))
      ) {
        rgb[3 * p] = tr;
        rgb[3 * p + 1] = tg;
        rgb[3 * p + 2] = tb;
      }
    }
  return encodePng(rgb, width, height);
}
