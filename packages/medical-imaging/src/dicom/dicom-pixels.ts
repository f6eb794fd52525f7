// From stored DICOM values to modality values (rescale) and display values in [0, 1] (VOI window or
// LUT, MONOCHROME1 inverted). Colour frames become luminance for the grayscale models.
import { AppliedMLError, assertInput, checkKnownKeys, describeValue } from '@appliedml/engine';
import { MAX_RESCALE_INTERCEPT, MAX_RESCALE_SLOPE, boundText } from './dicom-reader';
import type { DicomFrameValues, DicomImage } from './dicom-reader';
import type { ColorImage, GrayImage } from '../gray-image';
import { checkValues } from '../preprocess';

/** How stored values become display values. */
export type VoiSetting =
  /** The file's window, else its VOI LUT, else the frame's min..max (the default). */
  | 'auto'
  /** The frame's own min..max. */
  | 'minmax'
  | { center: number; width: number; function?: VoiLutFunction };

/** The window's shape (VOI LUT Function, 0028,1056): PS3.3 C.11.2.1.2 and C.11.2.1.3. */
export type VoiLutFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

export interface DisplayOptions {
  frame?: number;
  voi?: VoiSetting;
}

const DISPLAY_KEYS = Object.keys({ frame: 1, voi: 1 } satisfies Record<keyof DisplayOptions, 1>);
const WINDOW_KEYS = Object.keys({ center: 1, width: 1, function: 1 } satisfies Record<keyof Exclude<VoiSetting, string>, 1>);

/**
 * The largest |modality value| the reader can give: a stored sample of at most 32 bits (2^32 − 1
 * unsigned, −2^31 signed) times a RescaleSlope of at most 1e6 plus a RescaleIntercept of at most 1e9
 * (the reader's own limits), about 4.3e15.
 */
export const MAX_MODALITY_VALUE = (2 ** 32 - 1) * MAX_RESCALE_SLOPE + MAX_RESCALE_INTERCEPT;

/**
 * The largest |center| and width of a VOI window. DICOM writes them as DS (up to 16 characters, so
 * 1e308 fits) but a window is only useful over values an image can hold: 1e16 covers every window over
 * the modality values the reader can give (`MAX_MODALITY_VALUE`, so a window centred on 0 that spans
 * them all has width 8.6e15), with c ± w / 2 and (x − c) / w finite and far from overflowing.
 * Past it, (x − c) / w rounds every pixel to the same gray (width 1e308 gave 0.5 everywhere) or c ± w / 2
 * overflows to Infinity.
 */
export const MAX_WINDOW = 1e16;
const MAX_WINDOW_TEXT = boundText(MAX_WINDOW);

/** What is wrong with a window (its field and the message), or undefined when it can be applied. */
function windowProblem(center: unknown, width: unknown, fn: unknown): { field: string; message: string } | undefined {
  if (fn !== 'LINEAR' && fn !== 'LINEAR_EXACT' && fn !== 'SIGMOID')
    return { field: 'function', message: `VOI LUT function must be LINEAR, LINEAR_EXACT or SIGMOID (got ${describeValue(fn)}).` };
  if (!(typeof width === 'number' && (fn === 'LINEAR' ? width >= 1 : width > 0) && width <= MAX_WINDOW))
    return {
      field: 'width',
      message: `Window width must be ${fn === 'LINEAR' ? 'at least 1' : 'positive'} and at most ${MAX_WINDOW_TEXT} (got ${describeValue(width)}).`,
    };
  if (!(typeof center === 'number' && Math.abs(center) <= MAX_WINDOW))
    return {
      field: 'center',
      message: `Window center must be a number from -${MAX_WINDOW_TEXT} to ${MAX_WINDOW_TEXT} (got ${describeValue(center)}).`,
    };
  return undefined;
}

/** Throws E_INPUT_INVALID (`details.field` 'center', 'width' or 'function') for a window that cannot be applied. */
function checkWindow(center: unknown, width: unknown, fn: unknown): void {
  const problem = windowProblem(center, width, fn);
  if (problem) throw new AppliedMLError('E_INPUT_INVALID', problem.message, { details: { field: problem.field } });
}

/** A `voi` setting: 'auto', 'minmax' or a window object naming only center, width and function (undefined: the default). */
export function checkVoi(voi: unknown): void {
  if (voi === undefined || voi === 'auto' || voi === 'minmax') return;
  if (voi === null || typeof voi !== 'object' || Array.isArray(voi))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `voi must be 'auto', 'minmax' or { center, width, function? } (got ${describeValue(voi)}).`,
      {
        details: { field: 'voi' },
      },
    );
  checkKnownKeys('voi', voi, WINDOW_KEYS);
  // Before any file is read or decoded, not after.
  const { center, width, function: fn } = voi as Exclude<VoiSetting, string>;
  checkWindow(center, width, fn ?? 'LINEAR');
}

/** A DICOM image as readDicom gives it (E_INPUT_INVALID for null, {} or a hand-made object missing its parts). */
function checkDicomImage(image: unknown, what: string): asserts image is DicomImage {
  const d = image as Partial<DicomImage> | null;
  assertInput(
    d !== null &&
      typeof d === 'object' &&
      Number.isInteger(d.rows) &&
      d.rows! > 0 &&
      Number.isInteger(d.columns) &&
      d.columns! > 0 &&
      (d.samplesPerPixel === 1 || d.samplesPerPixel === 3) &&
      Array.isArray(d.frames) &&
      d.metadata !== null &&
      typeof d.metadata === 'object',
    `${what} takes a DICOM image as readDicom returns it ({ rows, columns, samplesPerPixel, frames, metadata, … }).`,
    { argument: 'image' },
  );
}

function frameAt(image: DicomImage, frame: number): DicomImage['frames'][number] {
  if (!Number.isInteger(frame))
    throw new AppliedMLError('E_INPUT_INVALID', `frame must be an integer (got ${describeValue(frame)}).`, { details: { field: 'frame' } });
  const data = image.frames[frame];
  // details.frame / details.frames: a caller can say it in its own words without reading the file again.
  // The numbering said too: "(the image has 10)" beside frame 10 left a caller to guess it starts at 0.
  const count = image.frames.length;
  if (!data)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `Frame ${frame} does not exist: the image has ${count} frame${count === 1 ? '' : 's'}, numbered ${count === 1 ? '0' : `0 to ${count - 1}`}.`,
      { details: { field: 'frame', frame, frames: count } },
    );
  return data;
}

/** The rescale and window of one frame: its own in an enhanced multi-frame object, else the file's. */
function valuesOf(image: DicomImage, frame: number): DicomFrameValues {
  return image.metadata.perFrame?.[frame] ?? image.metadata;
}

/**
 * Modality values (stored × RescaleSlope + RescaleIntercept, e.g. Hounsfield units) of one frame
 * (with the frame's own rescale in an enhanced multi-frame object: `metadata.perFrame`), or, for a
 * grayscale file with a Modality LUT Sequence (`metadata.modalityLut`), each stored value mapped
 * through it (values below its first mapped value take its first entry, above its range its last).
 */
export function dicomToModality(image: DicomImage, frame = 0): Float32Array {
  checkDicomImage(image, 'dicomToModality');
  const data = frameAt(image, frame);
  const out = new Float32Array(data.length);
  const lut = image.metadata.modalityLut;
  if (image.samplesPerPixel === 1 && image.metadata.perFrame === undefined && lut && lut.data.length > 0) {
    const last = lut.data.length - 1;
    for (let i = 0; i < data.length; i++) out[i] = lut.data[Math.min(last, Math.max(0, Number(data[i]) - lut.firstMapped))]!;
    return out;
  }
  const { rescaleSlope: slope, rescaleIntercept: intercept } = valuesOf(image, frame);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * slope + intercept;
  return out;
}

function luminance(values: Float32Array, pixels: number, photometric: string): Float32Array {
  const out = new Float32Array(pixels);
  const ybr = photometric.startsWith('YBR');
  for (let p = 0; p < pixels; p++) {
    const a = values[3 * p]!;
    out[p] = ybr ? a : 0.299 * a + 0.587 * values[3 * p + 1]! + 0.114 * values[3 * p + 2]!;
  }
  return out;
}

/**
 * One colour frame (Samples per Pixel 3) as an RGB image in [0, 1] (each sample over its Bits Stored
 * range), YBR_FULL / YBR_FULL_422 converted to RGB (PS3.3 C.7.6.3.1.2); undefined for a grayscale frame.
 */
export function dicomToColor(image: DicomImage, frame = 0): ColorImage | undefined {
  checkDicomImage(image, 'dicomToColor');
  if (image.samplesPerPixel !== 3) return undefined;
  const values = dicomToModality(image, frame);
  const photometric = image.photometric;
  const full = 2 ** image.metadata.bitsStored - 1;
  const half = 2 ** (image.metadata.bitsStored - 1);
  const pixels = image.rows * image.columns;
  const out = new Float32Array(pixels * 3);
  const ybr = photometric === 'YBR_FULL' || photometric === 'YBR_FULL_422';
  if (!ybr && photometric !== 'RGB')
    throw new AppliedMLError(
      'E_FORMAT_UNSUPPORTED',
      `Colour DICOM in ${photometric} cannot be read as RGB (RGB, YBR_FULL and YBR_FULL_422 can).`,
    );
  for (let p = 0; p < pixels; p++) {
    let r = values[3 * p]!;
    let g = values[3 * p + 1]!;
    let b = values[3 * p + 2]!;
    if (ybr) {
      const [y, cb, cr] = [r, g - half, b - half];
      r = y + 1.402 * cr;
      g = y - 0.344136 * cb - 0.714136 * cr;
      b = y + 1.772 * cb;
    }
    out[3 * p] = Math.min(1, Math.max(0, r / full));
    out[3 * p + 1] = Math.min(1, Math.max(0, g / full));
    out[3 * p + 2] = Math.min(1, Math.max(0, b / full));
  }
  return { width: image.columns, height: image.rows, channels: 3, data: out };
}

/**
 * Apply a DICOM VOI window into [0, 1]: `LINEAR` (the default, PS3.3 C.11.2.1.2, width ≥ 1),
 * `LINEAR_EXACT` ((x − c) / w + 0.5 clipped, width > 0) or `SIGMOID` (1 / (1 + e^(−4 (x − c) / w)), C.11.2.1.3).
 * |center| and width are at most 1e16 (`MAX_WINDOW`, past every value the DICOM reader can give). A NaN or ±Infinity value is E_INPUT_INVALID with its
 * place (`details.index`): NaN came out as NaN, a pixel no display can show, and ±Infinity is refused as by
 * every other image helper; the SDK's readers never give either.
 */
export function applyWindow(values: Float32Array, center: number, width: number, fn: VoiLutFunction = 'LINEAR'): Float32Array {
  // The message only when the check fails: describeValue writes the whole value out (every pixel).
  if (!(Array.isArray(values) || (ArrayBuffer.isView(values) && !(values instanceof DataView))))
    throw new AppliedMLError('E_INPUT_INVALID', `applyWindow takes an array of values (got ${describeValue(values)}).`, {
      details: { argument: 'values' },
    });
  checkWindow(center, width, fn);
  checkValues(values, 'array given to applyWindow', false);
  return applyWindowInto(values, new Float32Array(values.length), center, width, fn);
}

/**
 * `applyWindow` writing into `out` (which may be `values` itself: each value is read before its slot is
 * written), with no checks: for the package's own paths, whose window has already passed `checkVoi` or
 * `windowProblem` and whose values come from the readers (never NaN or ±Infinity).
 */
export function applyWindowInto(
  values: Float32Array,
  out: Float32Array,
  center: number,
  width: number,
  fn: VoiLutFunction = 'LINEAR',
): Float32Array {
  if (fn === 'SIGMOID') {
    for (let i = 0; i < values.length; i++) out[i] = 1 / (1 + Math.exp((-4 * (values[i]! - center)) / width));
    return out;
  }
  if (fn === 'LINEAR_EXACT') {
    for (let i = 0; i < values.length; i++) out[i] = Math.min(1, Math.max(0, (values[i]! - center) / width + 0.5));
    return out;
  }
  const lo = center - 0.5 - (width - 1) / 2;
  const hi = center - 0.5 + (width - 1) / 2;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    out[i] = x <= lo ? 0 : x > hi ? 1 : (x - (center - 0.5)) / (width - 1) + 0.5;
  }
  return out;
}

/**
 * `values` scaled from their min..max to [0, 1]. With `skip`, the values it marks (padding) are left out
 * of the min and max and clamped to [0, 1] with the rest.
 */
export function minMaxScale(values: Float32Array, out: Float32Array = new Float32Array(values.length), skip?: Uint8Array): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (skip?.[i]) continue;
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi - lo;
  if (!(range > 0)) out.fill(0);
  else if (skip) for (let i = 0; i < values.length; i++) out[i] = Math.min(1, Math.max(0, (values[i]! - lo) / range));
  else for (let i = 0; i < values.length; i++) out[i] = (values[i]! - lo) / range;
  return out;
}

/**
 * The pixels of a grayscale frame whose stored value is the Pixel Padding Value (or within its range to
 * the Pixel Padding Range Limit), or undefined when the file declares no padding or no pixel has it.
 */
function paddingMask(image: DicomImage, frame: number): Uint8Array | undefined {
  const { pixelPaddingValue: value, pixelPaddingRangeLimit: limit } = image.metadata;
  if (typeof value !== 'number' || image.samplesPerPixel !== 1) return undefined;
  const lo = typeof limit === 'number' ? Math.min(value, limit) : value;
  const hi = typeof limit === 'number' ? Math.max(value, limit) : value;
  const stored = frameAt(image, frame);
  const mask = new Uint8Array(stored.length);
  let any = false;
  for (let i = 0; i < stored.length; i++) {
    const v = Number(stored[i]);
    if (v >= lo && v <= hi) mask[i] = 1;
    any ||= mask[i] === 1;
  }
  return any ? mask : undefined;
}

/**
 * One frame as a grayscale display image in [0, 1]: rescale, then the VOI window / LUT (or min..max),
 * MONOCHROME1 inverted so that bright means dense everywhere. Full bit depth is kept until this step.
 */
export function dicomToDisplay(image: DicomImage, options: DisplayOptions = {}): GrayImage {
  checkDicomImage(image, 'dicomToDisplay');
  checkKnownKeys('dicomToDisplay options', options, DISPLAY_KEYS);
  checkVoi(options.voi);
  const frame = options.frame ?? 0;
  const pixels = image.rows * image.columns;
  let values = dicomToModality(image, frame);
  const color = image.samplesPerPixel === 3;
  if (color) values = luminance(values, pixels, image.photometric);
  const voi = options.voi ?? 'auto';
  const meta = image.metadata;
  const own = valuesOf(image, frame);
  let out: Float32Array;
  const fn = own.voiLutFunction ?? 'LINEAR';
  // The window was checked above (checkVoi, windowProblem) and the values are the reader's: applied unchecked.
  if (typeof voi === 'object')
    out = applyWindowInto(values, new Float32Array(values.length), voi.center, voi.width, voi.function ?? 'LINEAR');
  // The file's window when it can be applied; one that cannot (width 0, or 1e308 from a DS value) is passed over.
  else if (voi === 'auto' && !color && windowProblem(own.windowCenter, own.windowWidth, fn) === undefined)
    out = applyWindowInto(values, new Float32Array(values.length), own.windowCenter!, own.windowWidth!, fn);
  // A VOI LUT the reader could not read (metadata.voiLutProblem) is refused only here, where it would be applied.
  else if (voi === 'auto' && !color && meta.voiLutProblem && !(meta.voiLut && meta.voiLut.data.length > 0))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${meta.voiLutProblem.message} Frame ${frame} has no usable window to show instead; pass voi: 'minmax' or a window.`,
      {
        details: { ...meta.voiLutProblem.details, frame },
      },
    );
  else if (voi === 'auto' && !color && meta.voiLut && meta.voiLut.data.length > 0) {
    const { firstMapped, bits, data } = meta.voiLut;
    const scale = 1 / (2 ** bits - 1);
    out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const index = Math.min(data.length - 1, Math.max(0, Math.round(values[i]!) - firstMapped));
      out[i] = Math.min(1, data[index]! * scale);
    }
  } else out = minMaxScale(values, new Float32Array(values.length), color ? undefined : paddingMask(image, frame)); // padding left out of min..max
  if (!color && meta.photometricInterpretation === 'MONOCHROME1') for (let i = 0; i < out.length; i++) out[i] = 1 - out[i]!;
  return { width: image.columns, height: image.rows, data: out };
}
