// Preprocessing (resize, normalise) on plain arrays and augmentation on tensors inside the trainer's
// augment hook (flips, small rotations/shifts/zoom, brightness/contrast), drawn from the trainer's
// seeded Math.random.
import { AppliedMLError, checkNumberOption, describeValue, tf } from '@appliedml/engine';
import { isColorImage, luminanceOf } from './gray-image';
import type { AnyImage, ColorImage, GrayImage } from './gray-image';

/** The most pixels a resize target holds: the readers' default pixel limit (1 GiB as Float32). */
const MAX_RESIZE_PIXELS = 2 ** 28;
/** The most values `packImages` allocates (4 GiB as Float32): pack larger sets in parts. */
const MAX_PACKED_VALUES = 2 ** 30;

function checkResizeTarget(width: number, height: number): void {
  if (![width, height].every((v) => Number.isInteger(v) && v >= 1 && v <= 65_536))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `A resize target is width × height in whole pixels from 1 to 65536 (got ${describeValue(width)} × ${describeValue(height)}).`,
    );
  if (width * height > MAX_RESIZE_PIXELS)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `A resize target of ${width} × ${height} is over the limit of ${MAX_RESIZE_PIXELS} pixels (16384 × 16384).`,
      { details: { width, height, maxPixels: MAX_RESIZE_PIXELS } },
    );
}

/**
 * Resize to width × height: area averaging along an axis that shrinks, bilinear along one that enlarges
 * (each axis on its own: a strip 1024 wide and 16 high made 64 × 64 averages 16 columns into each). The
 * target is at most 2^28 pixels (E_INPUT_TOO_LARGE).
 */
export function resizeGray(image: GrayImage, width: number, height: number): GrayImage {
  checkImage(image);
  checkResizeTarget(width, height);
  if (image.width === width && image.height === height) return { width, height, data: Float32Array.from(image.data) };
  const out = new Float32Array(width * height);
  const sx = image.width / width;
  const sy = image.height / height;
  const src = image.data;
  const W = image.width;
  const H = image.height;
  if ((sx > 1 && sy < 1) || (sx < 1 && sy > 1)) {
    // One axis shrinks, the other enlarges: bilinear sampling along the shrinking one read 2 of every sx
    // columns (a thin line between them vanished), so each axis gets its own weights. The weights are
    // separable: two passes, the shrinking axis first so the buffer between them is the smaller one
    // (summing the shrunk line again for every output pixel cost height × W × 2: 32768 × 2 made
    // 2 × 32768 took 14 s).
    const columns = axisTaps(W, width);
    const rows = axisTaps(H, height);
    if (sx > 1) {
      // Along x into H × width, then along y.
      const mid = new Float32Array(H * width);
      for (let r = 0; r < H; r++)
        for (let x = 0; x < width; x++) {
          const { index, weight } = columns[x]!;
          let sum = 0;
          for (let j = 0; j < index.length; j++) sum += weight[j]! * src[r * W + index[j]!]!;
          mid[r * width + x] = sum;
        }
      for (let y = 0; y < height; y++) {
        const { index, weight } = rows[y]!;
        for (let x = 0; x < width; x++) {
          let sum = 0;
          for (let i = 0; i < index.length; i++) sum += weight[i]! * mid[index[i]! * width + x]!;
          out[y * width + x] = sum;
        }
      }
    } else {
      // Along y into height × W, then along x.
      const mid = new Float32Array(height * W);
      for (let y = 0; y < height; y++) {
        const { index, weight } = rows[y]!;
        for (let c = 0; c < W; c++) {
          let sum = 0;
          for (let i = 0; i < index.length; i++) sum += weight[i]! * src[index[i]! * W + c]!;
          mid[y * W + c] = sum;
        }
      }
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          const { index, weight } = columns[x]!;
          let sum = 0;
          for (let j = 0; j < index.length; j++) sum += weight[j]! * mid[y * W + index[j]!]!;
          out[y * width + x] = sum;
        }
    }
  } else if (sx >= 1 && sy >= 1) {
    for (let y = 0; y < height; y++) {
      const y0 = y * sy;
      const y1 = y0 + sy;
      for (let x = 0; x < width; x++) {
        const x0 = x * sx;
        const x1 = x0 + sx;
        let sum = 0;
        let area = 0;
        for (let yy = Math.floor(y0); yy < Math.min(H, Math.ceil(y1)); yy++) {
          const wy = Math.min(yy + 1, y1) - Math.max(yy, y0);
          for (let xx = Math.floor(x0); xx < Math.min(W, Math.ceil(x1)); xx++) {
            const w = wy * (Math.min(xx + 1, x1) - Math.max(xx, x0));
            sum += w * src[yy * W + xx]!;
            area += w;
          }
        }
        out[y * width + x] = area > 0 ? sum / area : 0;
      }
    }
  } else {
    for (let y = 0; y < height; y++) {
      const fy = Math.min(H - 1, Math.max(0, (y + 0.5) * sy - 0.5));
      const y0 = Math.floor(fy);
      const y1 = Math.min(H - 1, y0 + 1);
      const ty = fy - y0;
      for (let x = 0; x < width; x++) {
        const fx = Math.min(W - 1, Math.max(0, (x + 0.5) * sx - 0.5));
        const x0 = Math.floor(fx);
        const x1 = Math.min(W - 1, x0 + 1);
        const tx = fx - x0;
        const top = src[y0 * W + x0]! * (1 - tx) + src[y0 * W + x1]! * tx;
        const bottom = src[y1 * W + x0]! * (1 - tx) + src[y1 * W + x1]! * tx;
        out[y * width + x] = top * (1 - ty) + bottom * ty;
      }
    }
  }
  return { width, height, data: out };
}

/**
 * The source pixels and weights (summing to 1) of each of `to` output pixels along one axis of `from`
 * pixels: the pixels the output pixel covers, by the length covered, when shrinking; the two nearest,
 * bilinear, when enlarging (the same weights as resizeGray's area and bilinear paths).
 */
function axisTaps(from: number, to: number): { index: number[]; weight: number[] }[] {
  const scale = from / to;
  return Array.from({ length: to }, (_, o) => {
    if (scale >= 1) {
      const a = o * scale;
      const b = a + scale;
      const index: number[] = [];
      const weight: number[] = [];
      let total = 0;
      for (let i = Math.floor(a); i < Math.min(from, Math.ceil(b)); i++) {
        const w = Math.min(i + 1, b) - Math.max(i, a);
        index.push(i);
        weight.push(w);
        total += w;
      }
      return { index, weight: weight.map((w) => w / total) };
    }
    const f = Math.min(from - 1, Math.max(0, (o + 0.5) * scale - 0.5));
    const i0 = Math.floor(f);
    const t = f - i0;
    return { index: [i0, Math.min(from - 1, i0 + 1)], weight: [1 - t, t] };
  });
}

/** Whole positive width and height. */
function hasSize(image: GrayImage | null | undefined): image is GrayImage {
  return !!image && Number.isInteger(image.width) && Number.isInteger(image.height) && image.width >= 1 && image.height >= 1;
}

/** An RGB image's data must hold 3 values a pixel (else E_SHAPE_MISMATCH saying so). */
function checkColorValues(image: ColorImage, what: string): void {
  const values = image.data?.length ?? 0;
  if (values !== image.width * image.height * 3)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `The ${what} (channels: 3) holds ${values} values for ${image.width} × ${image.height} RGB pixels; it needs ${image.width * image.height * 3}.`,
      { details: { width: image.width, height: image.height, channels: 3, values } },
    );
}

/**
 * An image for the grayscale classifier: a grayscale one as it is, an RGB one (`channels: 3`, as
 * `readMedicalImage(…, { color: true }).color` gives) as its luminance, as `readMedicalImage` makes
 * `image` of a colour PNG, JPEG or TIFF (of a colour DICOM, `image` is that stretched to its min..max). Anything else is returned as given, for `checkModelImage` to judge.
 */
export function grayForModel(image: AnyImage, what = 'image'): GrayImage {
  if (!isColorImage(image) || !hasSize(image)) return image as GrayImage;
  checkColorValues(image, what);
  return luminanceOf(image);
}

/** Throws E_INPUT_INVALID for an image whose data does not match its size or holds NaN/Infinity. */
export function checkImage(image: GrayImage, what = 'image'): void {
  if (!hasSize(image)) throw new AppliedMLError('E_INPUT_INVALID', `The ${what} has no valid width and height.`);
  // An RGB image where a grayscale one is read: say so (the count of values alone read like a corrupt image).
  if (isColorImage(image) && image.data?.length === image.width * image.height * 3)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `The ${what} is an RGB image (channels: 3, ${image.data.length} values for ${image.width} × ${image.height} pixels); this takes a grayscale one: readMedicalImage gives it as image (its luminance) beside color.`,
      { details: { width: image.width, height: image.height, channels: 3, values: image.data.length } },
    );
  if (!image.data || image.data.length !== image.width * image.height)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `The ${what} holds ${image.data?.length ?? 0} values for ${image.width} × ${image.height} pixels.`,
      {
        details: { width: image.width, height: image.height, values: image.data?.length ?? 0 },
      },
    );
  checkValues(image.data, what, false);
}

/** `checkImage` for an image a model reads: its values must also lie in [0, 1] (see `checkValues`). */
export function checkModelImage(image: GrayImage, what = 'image'): void {
  checkImage(image, what);
  checkValues(image.data, what, true);
}

/**
 * Every value finite (else E_INPUT_INVALID naming the first bad one, its place in `details.index`) and,
 * with `unitRange`, within [0, 1] (a little rounding either side allowed): the models read images in
 * [0, 1], as `readMedicalImage` gives them. Values of 0..255 or raw 16-bit samples
 * would be read as nearly all white and scored as garbage, so a model refuses them with the way to scale
 * them. Resizing, overlays and masks take any finite values.
 */
export function checkValues(data: ArrayLike<number>, what: string, unitRange: boolean): void {
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v))
      throw new AppliedMLError('E_INPUT_INVALID', `The ${what} holds ${describeValue(v)} at pixel ${i}.`, { details: { index: i } });
    if (v > max) max = v;
    if (v < min) min = v;
  }
  if (unitRange && (min < -0.01 || max > 1.01))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `The ${what} holds values from ${min} to ${max}; images are values in [0, 1] (readMedicalImage gives them; divide 8-bit samples by 255).`,
      { details: { min, max } },
    );
}

/** How pixel values are scaled before the network. */
export type Normalization = 'dataset' | 'per-image';

export interface FittedNormalization {
  mode: Normalization;
  mean: number;
  std: number;
}

/** An array or typed array (E_INPUT_INVALID naming `name` for null, a string, a number or a plain object). */
function checkArray(values: unknown, name: string): void {
  // The message only when the check fails: describeValue writes the whole value out (every pixel).
  if (!(Array.isArray(values) || (ArrayBuffer.isView(values) && !(values instanceof DataView))))
    throw new AppliedMLError('E_INPUT_INVALID', `${name} must be an array of values (got ${describeValue(values)}).`, {
      details: { argument: name },
    });
}

/** Fit the dataset mean/std (training images only): finite values; mode 'dataset' or 'per-image'. */
export function fitNormalization(images: Float32Array, mode: Normalization): FittedNormalization {
  if (mode !== 'dataset' && mode !== 'per-image')
    throw new AppliedMLError('E_INPUT_INVALID', `mode must be 'dataset' or 'per-image' (got ${describeValue(mode)}).`, {
      details: { argument: 'mode' },
    });
  checkArray(images, 'images');
  if (mode === 'per-image') return { mode, mean: 0, std: 1 };
  if (images.length === 0) throw new AppliedMLError('E_INPUT_INVALID', 'Fitting a normalisation needs at least one pixel.');
  checkValues(images, 'image data', false);
  let sum = 0;
  let sq = 0;
  for (const v of images) {
    sum += v;
    sq += v * v;
  }
  return datasetNormalization(sum, sq, images.length);
}

/** The 'dataset' normalisation of `count` values summing to `sum`, their squares to `sq`. */
function datasetNormalization(sum: number, sq: number, count: number): FittedNormalization {
  const mean = sum / count;
  const std = Math.sqrt(Math.max(1e-8, sq / count - mean * mean));
  if (!Number.isFinite(mean) || !Number.isFinite(std))
    throw new AppliedMLError('E_INPUT_INVALID', 'The images are too large to fit a normalisation (their mean or spread overflows).');
  return { mode: 'dataset', mean, std };
}

/** Values a training path handles between two event-loop turns (a few milliseconds of work). */
const TURN_VALUES = 2 ** 20;

/** What a training path gives the event loop (the engine's `eventLoopTurns`, with the call's signal). */
export interface Turns {
  turn(): Promise<void> | undefined;
}

/**
 * `fitNormalization` for a model's training path: the same sums in the same order (so the same result to
 * the bit), with an event-loop turn every 2^20 values (`turns` throws E_ABORTED once the call's signal is
 * aborted). Its values are `packImages` output of checked images.
 */
export async function fitNormalizationInTurns(images: Float32Array, mode: Normalization, turns: Turns): Promise<FittedNormalization> {
  if (mode !== 'dataset' || images.length === 0) return fitNormalization(images, mode);
  let sum = 0;
  let sq = 0;
  for (let start = 0; start < images.length; start += TURN_VALUES) {
    const end = Math.min(images.length, start + TURN_VALUES);
    checkValues(images.subarray(start, end), 'image data', false);
    for (let i = start; i < end; i++) {
      const v = images[i]!;
      sum += v;
      sq += v * v;
    }
    const t = turns.turn();
    if (t) await t;
  }
  return datasetNormalization(sum, sq, images.length);
}

/** True for a normalisation that maps finite pixels to finite values (as read back from a bundle). */
export function validNormalization(norm: unknown): norm is FittedNormalization {
  const n = norm as Partial<FittedNormalization> | null;
  return (
    !!n &&
    (n.mode === 'dataset' || n.mode === 'per-image') &&
    typeof n.mean === 'number' &&
    Number.isFinite(n.mean) &&
    typeof n.std === 'number' &&
    Number.isFinite(n.std) &&
    n.std > 0
  );
}

/**
 * Normalise packed images of `pixels` values each, in place. A NaN or ±Infinity is E_INPUT_INVALID with
 * its place (`details.index`), checked before any value is changed: it came out as NaN or ±Infinity (in
 * 'per-image' mode, its whole image as NaN). Images the SDK reads never hold one, so it comes from an array built by hand.
 */
export function applyNormalization(packed: Float32Array, pixels: number, norm: FittedNormalization): Float32Array {
  checkArray(packed, 'packed');
  // A string or an object was written as it converts ('16', '[object Object]'), which read like a number.
  if (!(Number.isInteger(pixels) && pixels > 0))
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `pixels must be the whole number of values an image holds, at least 1 (got ${describeValue(pixels)}).`,
      {
        details: { argument: 'pixels' },
      },
    );
  if (packed.length % pixels !== 0)
    throw new AppliedMLError('E_SHAPE_MISMATCH', `${packed.length} values do not split into images of ${pixels} pixels.`);
  if (!validNormalization(norm))
    throw new AppliedMLError('E_INPUT_INVALID', 'The normalisation needs a mode and a finite mean and positive std.');
  checkValues(packed, 'packed array', false);
  return normalizeInPlace(packed, pixels, norm);
}

/**
 * `applyNormalization` with no checks, for the models' own paths: `packed` is `packImages` output (whole
 * images of `pixels` values) of images already checked, and `norm` fitted or read back valid.
 */
export function normalizeInPlace(packed: Float32Array, pixels: number, norm: FittedNormalization): Float32Array {
  return normalizeImages(packed, pixels, norm, 0, packed.length / pixels);
}

/**
 * `normalizeInPlace` for a model's training path: the same arithmetic, image by image, with an event-loop
 * turn every ~2^20 values (`turns` throws E_ABORTED once the call's signal is aborted).
 */
export async function normalizeInTurns(
  packed: Float32Array,
  pixels: number,
  norm: FittedNormalization,
  turns: Turns,
): Promise<Float32Array> {
  const count = packed.length / pixels;
  const step = Math.max(1, Math.floor(TURN_VALUES / pixels));
  for (let from = 0; from < count; from += step) {
    normalizeImages(packed, pixels, norm, from, Math.min(count, from + step));
    const t = turns.turn();
    if (t) await t;
  }
  return packed;
}

/** Normalises images `from` to `to` (exclusive) of `packed` in place. */
function normalizeImages(packed: Float32Array, pixels: number, norm: FittedNormalization, from: number, to: number): Float32Array {
  if (norm.mode === 'dataset') {
    for (let i = from * pixels; i < to * pixels; i++) packed[i] = (packed[i]! - norm.mean) / norm.std;
    return packed;
  }
  for (let start = from * pixels; start < to * pixels; start += pixels) {
    let sum = 0;
    let sq = 0;
    for (let i = start; i < start + pixels; i++) {
      sum += packed[i]!;
      sq += packed[i]! * packed[i]!;
    }
    const mean = sum / pixels;
    const std = Math.sqrt(Math.max(1e-6, sq / pixels - mean * mean));
    for (let i = start; i < start + pixels; i++) packed[i] = (packed[i]! - mean) / std;
  }
  return packed;
}

/**
 * Resize each image to size × size and pack them into one array (N·size·size). At most 2^28 pixels an
 * image and 2^30 values in all (E_INPUT_TOO_LARGE), checked before anything is allocated.
 */
export function packImages(images: GrayImage[], size: number): Float32Array {
  const out = packTarget(images, size);
  images.forEach((image, i) => out.set(resizeGray(image, size, size).data, i * size * size));
  return out;
}

/**
 * `packImages` for a model's training path: the same values, with an event-loop turn after each image
 * (`turns` gives one every ~50 ms and throws E_ABORTED once the call's signal is aborted).
 */
export async function packImagesInTurns(images: GrayImage[], size: number, turns: Turns): Promise<Float32Array> {
  const out = packTarget(images, size);
  for (let i = 0; i < images.length; i++) {
    out.set(resizeGray(images[i]!, size, size).data, i * size * size);
    const t = turns.turn();
    if (t) await t;
  }
  return out;
}

/** The checks of `packImages` and the array it fills. */
function packTarget(images: GrayImage[], size: number): Float32Array {
  // The message only when the check fails: describeValue on the images wrote out every pixel of every
  // image on every call (seconds for a 2048 × 2048 radiograph, a call that otherwise takes milliseconds).
  if (!Array.isArray(images))
    throw new AppliedMLError('E_INPUT_INVALID', `packImages takes a list of images (got ${describeValue(images)}).`, {
      details: { argument: 'images' },
    });
  checkResizeTarget(size, size);
  const pixels = size * size;
  if (images.length * pixels > MAX_PACKED_VALUES)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `${images.length} images of ${size} × ${size} are ${images.length * pixels} values, over the limit of ${MAX_PACKED_VALUES}; pack them in parts.`,
      { details: { images: images.length, size, maxValues: MAX_PACKED_VALUES } },
    );
  return new Float32Array(images.length * pixels);
}

/** Training-time augmentation; each value is the largest random change (0 turns it off). */
export interface AugmentationConfig {
  /** Random left–right flips (off by default: chest images have a side). */
  flipHorizontal: boolean;
  flipVertical: boolean;
  /** Degrees. */
  rotation: number;
  /** Fraction of the image size. */
  shift: number;
  /** Fractional zoom in or out. */
  zoom: number;
  /** Added to the normalised values (in standard deviations). */
  brightness: number;
  /** Fractional change of contrast around each image's mean. */
  contrast: number;
}

export const AUGMENTATION_DEFAULTS: AugmentationConfig = {
  flipHorizontal: false,
  flipVertical: false,
  rotation: 10,
  shift: 0.08,
  zoom: 0.1,
  brightness: 0.1,
  contrast: 0.15,
};

/** Refuses augmentation settings that would warp images out of shape (E_INPUT_INVALID naming the field). */
export function checkAugmentation(a: AugmentationConfig, prefix = 'augmentation'): void {
  for (const key of ['flipHorizontal', 'flipVertical'] as const)
    if (typeof a[key] !== 'boolean')
      throw new AppliedMLError('E_INPUT_INVALID', `${prefix}.${key} must be true or false (got ${String(a[key])}).`, {
        details: { field: `${prefix}.${key}` },
      });
  checkNumberOption(`${prefix}.rotation`, a.rotation, 0, 360, { optional: false });
  checkNumberOption(`${prefix}.shift`, a.shift, 0, 1, { optional: false });
  checkNumberOption(`${prefix}.zoom`, a.zoom, 0, 1, { open: 'max', optional: false });
  checkNumberOption(`${prefix}.brightness`, a.brightness, 0, 10, { optional: false });
  checkNumberOption(`${prefix}.contrast`, a.contrast, 0, 1, { open: 'max', optional: false });
}

/** The augment hook for `fitModel`: x is [n, h, w, c]; returns a new tensor of the same shape. */
export function augmenter(config: AugmentationConfig): ((x: tf.Tensor) => tf.Tensor) | undefined {
  const geometric = config.rotation > 0 || config.shift > 0 || config.zoom > 0 || config.flipHorizontal || config.flipVertical;
  const photometric = config.brightness > 0 || config.contrast > 0;
  if (!geometric && !photometric) return undefined;
  return (x) =>
    tf.tidy(() => {
      const [n, h, w] = x.shape as number[];
      let out = x as tf.Tensor4D;
      if (geometric) {
        const params = new Float32Array(n! * 8);
        const cx = (w! - 1) / 2;
        const cy = (h! - 1) / 2;
        for (let i = 0; i < n!; i++) {
          const angle = ((Math.random() * 2 - 1) * config.rotation * Math.PI) / 180;
          const scale = 1 + (Math.random() * 2 - 1) * config.zoom;
          const dx = (Math.random() * 2 - 1) * config.shift * w!;
          const dy = (Math.random() * 2 - 1) * config.shift * h!;
          const fx = config.flipHorizontal && Math.random() < 0.5 ? -1 : 1;
          const fy = config.flipVertical && Math.random() < 0.5 ? -1 : 1;
          // Output pixel (u, v) samples the input at A·(u − c) + c + d (the inverse map).
          const cos = Math.cos(angle) / scale;
          const sin = Math.sin(angle) / scale;
          const a0 = cos * fx;
          const a1 = sin * fy;
          const b0 = -sin * fx;
          const b1 = cos * fy;
          params.set([a0, a1, cx - a0 * cx - a1 * cy + dx, b0, b1, cy - b0 * cx - b1 * cy + dy, 0, 0], i * 8);
        }
        out = tf.image.transform(out, tf.tensor2d(params, [n!, 8]), 'bilinear', 'nearest', 0, [h!, w!]);
      }
      if (photometric) {
        const gain = tf.randomUniform([n!, 1, 1, 1], 1 - config.contrast, 1 + config.contrast);
        const bias = tf.randomUniform([n!, 1, 1, 1], -config.brightness, config.brightness);
        const mean = tf.mean(out, [1, 2, 3], true);
        out = tf.add(tf.add(tf.mul(tf.sub(out, mean), gain), mean), bias) as tf.Tensor4D;
      }
      return out;
    });
}
