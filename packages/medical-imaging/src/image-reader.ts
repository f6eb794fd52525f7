// PNG / JPEG / TIFF (and anything else libvips reads) through sharp, with a pixel limit and a limit on
// the bytes the read allocates, both checked from the header before any pixel is decoded; samples keep
// their stored depth and format (8 / 16 / 32-bit unsigned or signed, 32-bit float). `readMedicalImage`
// picks DICOM or sharp from the bytes.
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import { AppliedMLError, checkKnownKeys, describeValue } from '@appliedml/engine';
import type { Logger } from '@appliedml/engine';
import { applyWindowInto, checkVoi, dicomToColor, dicomToDisplay, minMaxScale } from './dicom/dicom-pixels';
import type { VoiSetting } from './dicom/dicom-pixels';
import { isDicom, readDicomCounting } from './dicom/dicom-reader';
import type { DicomImage, DicomMetadata, DicomTag } from './dicom/dicom-reader';
import type { ColorImage, GrayImage } from './gray-image';
import { DEFAULT_MAX_DECODED_BYTES, checkLimit, formatBytes } from './limits';
import { namingFile, readRegularFile } from './read-file';

/** Default pixel limit for every reader: 2^28 (≈ 16,384 × 16,384), as sharp's own default. */
export const DEFAULT_MAX_PIXELS = 2 ** 28;

export { DEFAULT_MAX_DECODED_BYTES } from './limits';

/** How a raster's samples are stored: unsigned or signed (two's complement) integers, or floating point. */
export type SampleFormat = 'uint' | 'int' | 'float';

export interface RasterImage {
  width: number;
  height: number;
  channels: number;
  /** 8, 16 or 32: the decoded sample depth, kept as stored (a 16-bit float TIFF decodes to 32-bit floats). */
  bitDepth: 8 | 16 | 32;
  /**
   * 'uint' (unsigned integers; the default when absent), 'int' (signed: an Int8Array, Int16Array or
   * Int32Array) or 'float' (a Float32Array). `readImage` always sets it.
   */
  sampleFormat?: SampleFormat;
  /** Interleaved samples, in the typed array of the bit depth and sample format. */
  data: Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array | Int32Array | Float32Array;
  format: string;
  /** The images in the file: the pages of a multi-page TIFF (or frames of an animated WebP), else 1. */
  frames?: number;
}

export interface ReadImageOptions {
  /** Refuse images whose header declares more pixels than this (default 2^28). */
  maxPixels?: number;
  /**
   * PNG / JPEG / TIFF / WebP: refuse an image whose read would allocate more bytes than this (default
   * 1.5 GiB, `DEFAULT_MAX_DECODED_BYTES`), counted from the header before decoding: width × height ×
   * channels × bytes per sample of the decoded samples, the decoder's whole-image buffer when it needs
   * one (interlaced PNG, progressive JPEG), one more copy for an EXIF rotation, and for `readMedicalImage`
   * the Float32 images it returns (4 bytes a pixel for `image`, 12 more for `color`). DICOM (in
   * `readMedicalImage`): every frame's stored values, two frames more for decoding copies, and the Float32
   * images made from the frame shown (see `readDicom`'s `maxDecodedBytes`).
   */
  maxDecodedBytes?: number;
  /**
   * Which image of a multi-page TIFF (or animated WebP) to read, numbered from 0 (default 0); a PNG or
   * JPEG holds one. Past the last one → E_INPUT_INVALID with details `{ field: 'frame', frame, frames, format }`.
   */
  frame?: number;
}

type SharpFactory = (input?: Uint8Array, options?: SharpOptions) => Sharp;
let sharpLoaded: Promise<SharpFactory> | undefined;

/**
 * sharp reads environment variables when it loads: load it on first use, not on import. A sharp that
 * cannot be loaded (not installed beside a bundled service, or no native build for this platform) is
 * E_FORMAT_UNSUPPORTED naming it and the fix, not node's bare ERR_MODULE_NOT_FOUND; the next call tries again.
 */
export function loadSharp(): Promise<SharpFactory> {
  sharpLoaded ??= import('sharp').then(
    (m) => (m as { default?: SharpFactory }).default ?? (m as unknown as SharpFactory),
    (cause: unknown) => {
      sharpLoaded = undefined;
      const reason = String((cause as Error)?.message ?? cause).split('\n')[0];
      throw new AppliedMLError(
        'E_FORMAT_UNSUPPORTED',
        `Reading and writing PNG / JPEG / TIFF / WebP images needs the 'sharp' package, which cannot be loaded here (${reason}). ` +
          'It is a dependency of @appliedml/medical-imaging with a native library: a service bundled into one file (esbuild, ncc, ' +
          'webpack) keeps it external (esbuild --external:sharp) and installed beside the bundle (npm install sharp).',
        { cause, details: { module: 'sharp' } },
      );
    },
  );
  return sharpLoaded;
}

/** The format whose signature `bytes` start with (PNG, JPEG, TIFF, BigTIFF, WebP), else undefined. */
function signatureFormat(bytes: Uint8Array): string | undefined {
  const starts = (...sig: number[]): boolean => sig.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'PNG';
  if (starts(0xff, 0xd8, 0xff)) return 'JPEG';
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a) || starts(0x49, 0x49, 0x2b, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2b))
    return 'TIFF';
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes.length >= 12 && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP') return 'WebP';
  return undefined;
}

/**
 * A page's BitsPerSample (258) and SampleFormat (339, 1 unsigned by default) in a classic TIFF or a
 * BigTIFF, read from its image directory; undefined when they cannot be read.
 */
function tiffSamples(bytes: Uint8Array, page: number): { bits: number; sampleFormat: number; bigTiff: boolean } | undefined {
  if (bytes.length < 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = bytes[0] === 0x49;
  // BigTIFF (version 43): 8-byte offsets and counts, 20-byte entries whose values fit 8 bytes inline.
  const big = view.getUint16(2, little) === 43;
  if (big && (bytes.length < 16 || view.getUint16(4, little) !== 8)) return undefined;
  const offset = (at: number): number => (big ? Number(view.getBigUint64(at, little)) : view.getUint32(at, little));
  const countSize = big ? 8 : 2;
  const entrySize = big ? 20 : 12;
  const inline = big ? 8 : 4;
  const fits = (at: number, size: number): boolean => at > 0 && at + size <= bytes.length;
  const entries = (at: number): number => (big ? offset(at) : view.getUint16(at, little));
  let ifd = offset(big ? 8 : 4);
  for (let p = 0; p < page && fits(ifd, countSize); p++) {
    const next = ifd + countSize + entrySize * entries(ifd);
    ifd = fits(next, inline) ? offset(next) : 0;
  }
  if (!fits(ifd, countSize)) return undefined;
  const count = entries(ifd);
  let bits: number | undefined;
  let sampleFormat = 1;
  for (let i = 0; i < count && fits(ifd + countSize + entrySize * i, entrySize); i++) {
    const entry = ifd + countSize + entrySize * i;
    const tag = view.getUint16(entry, little);
    if (tag !== 258 && tag !== 339) continue;
    // SHORT values: inline when they fit the entry's value field, else at the offset it gives.
    const values = offset(entry + 4);
    const field = entry + 4 + (big ? 8 : 4);
    const at = values * 2 <= inline ? field : offset(field);
    if (view.getUint16(entry + 2, little) !== 3 || !fits(at, 2)) return undefined;
    if (tag === 258) bits = view.getUint16(at, little);
    else sampleFormat = view.getUint16(at, little);
  }
  return bits === undefined ? undefined : { bits, sampleFormat, bigTiff: big };
}

/**
 * E_FORMAT_UNSUPPORTED for a TIFF page whose samples libvips does not read or reads wrong (64-bit or
 * 16-bit floats, 12- or 24-bit integers, 8-bit floats), else undefined. libvips calls the first ones
 * corrupt ("samples out of range") and reads 16-bit floats as zeros; the message says how to convert.
 */
function unreadTiffSamples(bytes: Uint8Array, page: number, cause?: unknown): AppliedMLError | undefined {
  const layout = signatureFormat(bytes) === 'TIFF' ? tiffSamples(bytes, page) : undefined;
  if (!layout) return undefined;
  const { bits, sampleFormat, bigTiff } = layout;
  const read = sampleFormat === 3 ? bits === 32 : [1, 2, 4, 8, 16, 32].includes(bits);
  if (read) return undefined;
  const kind = { 1: 'unsigned integer', 2: 'signed integer', 3: 'float' }[sampleFormat] ?? `sample format ${sampleFormat}`;
  // What to write it as instead: floats as 32-bit floats, integers at the next width read.
  const float = sampleFormat === 3;
  const target = float ? 'float32' : `${sampleFormat === 2 ? '' : 'u'}int${bits <= 16 ? 16 : 32}`;
  const words = float ? '32-bit float' : `${bits <= 16 ? 16 : 32}-bit ${sampleFormat === 2 ? 'signed ' : ''}integer`;
  return new AppliedMLError(
    'E_FORMAT_UNSUPPORTED',
    `The ${bigTiff ? 'BigTIFF' : 'TIFF'} image holds ${bits}-bit ${kind} samples, which are not read (the image decoder, libvips, ` +
      'does not read them): only 8-, 16- and 32-bit integer (unsigned or signed) and 32-bit float samples are. ' +
      `Convert it to ${words} samples first, e.g. in Python: ` +
      `tifffile.imwrite('out.tif', tifffile.imread('in.tif').astype('${target}')).`,
    {
      ...(cause === undefined ? {} : { cause }),
      details: { format: 'tiff', bitDepth: bits, sampleFormat, ...(bigTiff ? { bigTiff: true } : {}), convertTo: target },
    },
  );
}

/** sharp's error for `bytes` as a typed one: over the pixel limit, corrupt or truncated, or not an image format the readers know. */
export function mapSharpError(error: unknown, bytes: Uint8Array, page = 0): AppliedMLError {
  // libvips repeats lines ("premature end of JPEG image" three times): one line, each reason once.
  const lines = (error instanceof Error ? error.message : String(error)).split('\n').map((l) => l.trim());
  const message = [...new Set(lines.filter((l) => l !== ''))].join('; ');
  if (/pixel limit/i.test(message))
    return new AppliedMLError('E_INPUT_TOO_LARGE', `The image is over the pixel limit (${message}).`, { cause: error });
  const known = signatureFormat(bytes);
  // A TIFF whose sample width libvips does not read (64-bit floats, 12-bit packed) is not a damaged file.
  const unread = unreadTiffSamples(bytes, page, error);
  if (unread) return unread;
  if (/unsupported image format|bad seek|not a known file format/i.test(message) && known !== undefined)
    // The file starts as a format the reader knows, but the decoder found no image in it: a TIFF cut
    // before its directory (at the end of the file), a PNG or JPEG cut in its header.
    return new AppliedMLError('E_INPUT_INVALID', `The ${known} image is corrupt or truncated (the decoder could not read its structure).`, {
      cause: error,
      details: { format: known.toLowerCase() },
    });
  if (/unsupported image format|bad seek|not a known file format/i.test(message))
    return new AppliedMLError(
      'E_FORMAT_UNSUPPORTED',
      'The bytes are not an image format this reader knows (PNG, JPEG, TIFF, WebP, DICOM).',
      {
        cause: error,
      },
    );
  return new AppliedMLError('E_INPUT_INVALID', `The image is corrupt or truncated (${message}).`, { cause: error });
}

/** Width and height from a PNG IHDR or a JPEG SOF header, read without any decoder. */
function headerSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 24 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return { width: view.getUint32(16), height: view.getUint32(20) };
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    for (let i = 2; i + 9 < bytes.length;) {
      if (bytes[i] !== 0xff) return undefined;
      const marker = bytes[i + 1]!;
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
        return { height: view.getUint16(i + 5), width: view.getUint16(i + 7) };
      i += 2 + view.getUint16(i + 2);
    }
  }
  return undefined;
}

/** Bytes a pixel an interlaced PNG or progressive JPEG decoder holds for the whole image. */
function wholeImageDecodeBytes(meta: Metadata, bytesPerSample: number): number {
  const sourceChannels = meta.channels ?? 4;
  if (meta.format !== 'jpeg') return sourceChannels * bytesPerSample;
  // JPEG: 2 bytes a DCT coefficient, one coefficient a sample of each component; chroma subsampled
  // 4:2:0 (or 4:1:1) holds a quarter of the luma samples in each chroma component, 4:2:2 a half.
  const chroma = { '4:2:0': 0.25, '4:1:1': 0.25, '4:2:2': 0.5 }[meta.chromaSubsampling ?? ''] ?? 1;
  return sourceChannels === 3 ? 2 * (1 + 2 * chroma) : 2 * sourceChannels;
}

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels)
    throw new AppliedMLError('E_INPUT_TOO_LARGE', `The image declares ${width} × ${height} pixels, over the limit of ${maxPixels}.`, {
      details: { width, height, maxPixels },
    });
}

const READ_IMAGE_KEYS = Object.keys({ maxPixels: 1, maxDecodedBytes: 1, frame: 1 } satisfies Record<keyof ReadImageOptions, 1>);

/**
 * What each of libvips' sample formats (sharp's `depth`) is read as: its bits, sample format and typed
 * array. 64-bit floats and complex samples are not read (E_FORMAT_UNSUPPORTED).
 */
const DEPTHS = {
  uchar: { bits: 8, format: 'uint', array: Uint8Array },
  char: { bits: 8, format: 'int', array: Int8Array },
  ushort: { bits: 16, format: 'uint', array: Uint16Array },
  short: { bits: 16, format: 'int', array: Int16Array },
  uint: { bits: 32, format: 'uint', array: Uint32Array },
  int: { bits: 32, format: 'int', array: Int32Array },
  float: { bits: 32, format: 'float', array: Float32Array },
} as const;
type Depth = keyof typeof DEPTHS;

/** A sample format in words: "32-bit float", "16-bit signed integer". */
function describeSamples(bits: number, format: SampleFormat): string {
  return `${bits}-bit ${format === 'float' ? 'float' : format === 'int' ? 'signed integer' : 'unsigned integer'}`;
}

/**
 * The frame asked of an image of `frames` pages: a whole number from 0 to the last, else E_INPUT_INVALID
 * with `details.field` 'frame' and the format (and the count, for a multi-page one).
 */
function checkFrame(frame: unknown, frames: number, format: string): number {
  if (frame === undefined || frame === 0) return 0;
  const whole = typeof frame === 'number' && Number.isInteger(frame) && frame >= 0;
  if (whole && frame < frames) return frame;
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    frames === 1
      ? `frame ${describeValue(frame)} applies to DICOM files and multi-page TIFFs; this is a ${format} image with one frame (frame 0).`
      : whole
        ? `frame ${frame} is out of range: this ${format} image has ${frames} pages, numbered 0 to ${frames - 1}.`
        : `frame must be a whole number from 0 to ${frames - 1} (got ${describeValue(frame)}).`,
    { details: frames === 1 ? { field: 'frame', format } : { field: 'frame', frame, frames, format } },
  );
}

/** Decode PNG/JPEG/TIFF/WebP bytes at their own bit depth and sample format. */
export async function readImage(bytes: Uint8Array, options: ReadImageOptions = {}): Promise<RasterImage> {
  if (!(bytes instanceof Uint8Array))
    throw new AppliedMLError('E_INPUT_INVALID', 'readImage takes the image bytes (a Uint8Array or Buffer).');
  checkKnownKeys('readImage options', options, READ_IMAGE_KEYS);
  return decodeRaster(bytes, options, () => 0);
}

/**
 * Decode through sharp. `floatBytesPerPixel(colour)` is what the caller will allocate per pixel from the
 * raster (its Float32 images), counted with the decode against `maxDecodedBytes` before decoding.
 */
async function decodeRaster(
  bytes: Uint8Array,
  options: ReadImageOptions,
  floatBytesPerPixel: (colour: boolean) => number,
): Promise<RasterImage> {
  checkLimit('maxPixels', options.maxPixels);
  checkLimit('maxDecodedBytes', options.maxDecodedBytes);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxDecodedBytes = options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
  if (bytes.length === 0) throw new AppliedMLError('E_INPUT_INVALID', 'The image input is empty.');
  const sharp = await loadSharp();
  const declared = headerSize(bytes);
  if (declared) checkPixels(declared.width, declared.height, maxPixels);
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw mapSharpError(error, bytes);
  }
  // sharp renders vector and document formats (SVG, PDF) too: text is not a medical image.
  if (!['png', 'jpeg', 'tiff', 'webp'].includes(meta.format ?? ''))
    throw new AppliedMLError(
      'E_FORMAT_UNSUPPORTED',
      `The bytes are ${meta.format ?? 'of an unknown format'}, not an image format this reader knows (PNG, JPEG, TIFF, WebP, DICOM).`,
      { details: { format: meta.format ?? null } },
    );
  // A multi-page TIFF (an image stack) or an animated WebP: `frame` picks the page, whose own header
  // gives its size and depth (the pages of a pyramid differ).
  const frames = meta.pages ?? 1;
  const frame = checkFrame(options.frame, frames, meta.format ?? 'unknown');
  const pageOptions = frame > 0 ? { page: frame } : {};
  if (frame > 0)
    try {
      meta = { ...(await sharp(bytes, { limitInputPixels: false, ...pageOptions }).metadata()), pages: frames };
    } catch (error) {
      throw mapSharpError(error, bytes, frame);
    }
  // libvips reads a 16-bit float TIFF as zeros: refused from its directory.
  const unread = meta.format === 'tiff' && meta.depth === 'float' ? unreadTiffSamples(bytes, frame) : undefined;
  if (unread) throw unread;
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width < 1 || height < 1) throw new AppliedMLError('E_INPUT_INVALID', 'The image header declares no size.');
  checkPixels(width, height, maxPixels);
  const depth = DEPTHS[meta.depth as Depth] as (typeof DEPTHS)[Depth] | undefined;
  if (depth === undefined)
    throw new AppliedMLError(
      'E_FORMAT_UNSUPPORTED',
      `The ${meta.format} image holds ${meta.depth === 'double' ? '64-bit float' : `${meta.depth ?? 'unknown'}`} samples, which are not read: ` +
        'only 8-, 16- and 32-bit integer (unsigned or signed) and 32-bit float samples are.',
      { details: { format: meta.format, depth: meta.depth ?? null } },
    );
  // Signed and 32-bit samples are read as stored, one channel: libvips' colour conversions would cast
  // them to unsigned 8 or 16 bits (a float 0.5 became 0, a signed -1000 became 0).
  const plain = depth.array === Uint8Array || depth.array === Uint16Array;
  if (!plain && meta.channels !== 1)
    throw new AppliedMLError(
      'E_FORMAT_UNSUPPORTED',
      `The ${meta.format} image has ${meta.channels ?? 'an unknown number of'} channels of ${describeSamples(depth.bits, depth.format)} samples; ` +
        'samples of this format are read from one-channel (grayscale) images only.',
      { details: { format: meta.format, channels: meta.channels ?? null, bitDepth: depth.bits, sampleFormat: depth.format } },
    );
  const deep = depth.bits > 8;
  const grey = (meta.channels ?? 3) <= 2;
  // What the read allocates, from the header: sharp's raw output (one or three channels, plus alpha
  // kept); the decoder's whole image when it cannot stream (an interlaced PNG at its own depth, a
  // progressive JPEG's 16-bit DCT coefficients for each component at its sampling); one more copy of
  // the samples when the EXIF orientation turns or flips the image; the caller's Float32 images.
  const pixels = width * height;
  const channels = (grey ? 1 : 3) + (meta.hasAlpha ? 1 : 0);
  const bytesPerSample = depth.bits / 8;
  const decoderCopy = meta.isProgressive ? wholeImageDecodeBytes(meta, bytesPerSample) : 0;
  const rotateCopy = (meta.orientation ?? 1) > 1 ? channels * bytesPerSample : 0;
  const decodedBytes = Math.ceil(pixels * (channels * bytesPerSample + decoderCopy + rotateCopy + floatBytesPerPixel(!grey)));
  if (decodedBytes > maxDecodedBytes)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `Reading this ${width} × ${height} image (${channels} channels, ${8 * bytesPerSample}-bit) would allocate ${formatBytes(decodedBytes)}, ` +
        `over the maxDecodedBytes limit of ${formatBytes(maxDecodedBytes)}; raise maxDecodedBytes to read it.`,
      { details: { width, height, channels, bitDepth: 8 * bytesPerSample, decodedBytes, maxDecodedBytes } },
    );
  // A signed 16-bit gray image goes through libvips' 16-bit gray space, which is unsigned: it is offset
  // by 32768 there (exactly) and back here.
  const signed16 = depth.array === Int16Array;
  try {
    const decoder = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', ...pageOptions }).rotate();
    if (signed16) decoder.linear(1, 32768);
    const { data, info } = await decoder
      .toColourspace(deep && depth.bits === 16 ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb')
      .raw({ depth: signed16 ? 'ushort' : (meta.depth as Depth) })
      .toBuffer({ resolveWithObject: true });
    // sharp hands over its output buffer whole: view it rather than copy it (a copy only for a buffer
    // that shares its memory with others or, for wider samples, starts at an unaligned offset).
    const own = data.byteOffset === 0 && data.buffer.byteLength === data.byteLength;
    const memory = own ? data.buffer : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    let samples: RasterImage['data'];
    if (signed16) {
      const shifted = new Uint16Array(memory, 0, data.byteLength / 2);
      samples = new Int16Array(memory, 0, shifted.length);
      for (let i = 0; i < shifted.length; i++) samples[i] = shifted[i]! - 32768;
    } else samples = new depth.array(memory, 0, data.byteLength / depth.array.BYTES_PER_ELEMENT);
    return {
      width: info.width,
      height: info.height,
      channels: info.channels,
      bitDepth: depth.bits,
      sampleFormat: depth.format,
      data: samples,
      format: meta.format ?? 'unknown',
      frames,
    };
  } catch (error) {
    throw mapSharpError(error, bytes, frame);
  }
}

function checkRaster(raster: RasterImage, name: string): void {
  if (raster === null || typeof raster !== 'object' || !raster.data)
    throw new AppliedMLError('E_INPUT_INVALID', `${name} needs a raster { width, height, channels, bitDepth, data }.`);
  const { width, height, channels } = raster;
  const format = raster.sampleFormat ?? 'uint';
  if (!['uint', 'int', 'float'].includes(format))
    throw new AppliedMLError('E_INPUT_INVALID', `${name}: sampleFormat must be 'uint', 'int' or 'float' (got ${describeValue(format)}).`);
  if (format !== 'float' && ![8, 16, 32].includes(raster.bitDepth))
    throw new AppliedMLError('E_INPUT_INVALID', `${name}: bitDepth must be 8, 16 or 32 (got ${describeValue(raster.bitDepth)}).`);
  if (!(Number.isInteger(channels) && channels >= 1 && channels <= 4))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${name} reads rasters of 1 to 4 channels (gray, gray + alpha, RGB, RGBA); got ${describeValue(channels)}.`,
    );
  if (![width, height, channels].every((v) => Number.isInteger(v) && v > 0) || raster.data.length !== width * height * channels)
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `A ${width}×${height} raster with ${channels} channels needs ${width * height * channels} values; it holds ${raster.data.length}.`,
    );
}

/**
 * The offset and scale that map an integer raster's samples over the full range of their type onto
 * [0, 1] ((v + offset) × scale: 0..255 or 0..65535 unsigned, −32768..32767 signed); undefined for float
 * samples, which have no such range.
 */
function typeRange(raster: RasterImage): { offset: number; scale: number } | undefined {
  const format = raster.sampleFormat ?? 'uint';
  if (format === 'float') return undefined;
  return { offset: format === 'int' ? 2 ** (raster.bitDepth - 1) : 0, scale: 1 / (2 ** raster.bitDepth - 1) };
}

/** A float raster's NaN or ±Infinity samples (alpha aside) are E_INPUT_INVALID: no display value holds them. */
function checkFinite(raster: RasterImage): void {
  if (raster.sampleFormat !== 'float') return;
  const c = raster.channels;
  const colour = c >= 3 ? 3 : 1;
  let count = 0;
  let first = -1;
  for (let i = 0; i < raster.data.length; i++)
    if (i % c < colour && !Number.isFinite(raster.data[i]!)) {
      if (first < 0) first = Math.floor(i / c);
      count++;
    }
  if (count > 0)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `The float image holds ${count} NaN or infinite sample${count === 1 ? '' : 's'} (the first at x ${first % raster.width}, ` +
        `y ${Math.floor(first / raster.width)}), which have no display value; replace them (e.g. by the background value) first.`,
      { details: { nonFinite: count, index: first } },
    );
}

/**
 * A raster as grayscale in [0, 1] (luminance of RGB; alpha ignored): integer samples over the full range
 * of their type (unsigned from 0, signed from the type's minimum), float samples from the image's min..max.
 */
export function rasterToGray(raster: RasterImage): GrayImage {
  checkRaster(raster, 'rasterToGray');
  checkFinite(raster);
  const range = typeRange(raster);
  const values = luminance(raster, range?.scale ?? 1, range?.offset ?? 0);
  return { width: raster.width, height: raster.height, data: range ? values : minMaxScale(values, values) };
}

/** The raster's luminance (its one channel for grayscale) plus `offset`, times `scale`, one Float32 a pixel. */
function luminance(raster: RasterImage, scale: number, offset = 0): Float32Array {
  const pixels = raster.width * raster.height;
  const out = new Float32Array(pixels);
  const c = raster.channels;
  for (let p = 0; p < pixels; p++) {
    const base = p * c;
    out[p] =
      c >= 3
        ? (0.299 * raster.data[base]! + 0.587 * raster.data[base + 1]! + 0.114 * raster.data[base + 2]! + offset) * scale
        : (raster.data[base]! + offset) * scale;
  }
  return out;
}

/**
 * A raster as RGB in [0, 1] (a grayscale one repeated in the three channels; alpha ignored), mapped as
 * `rasterToGray` maps it (float samples: the min..max of all three channels together).
 */
export function rasterToColor(raster: RasterImage): ColorImage {
  checkRaster(raster, 'rasterToColor');
  checkFinite(raster);
  const pixels = raster.width * raster.height;
  const out = new Float32Array(pixels * 3);
  const range = typeRange(raster);
  const { scale, offset } = range ?? { scale: 1, offset: 0 };
  const c = raster.channels;
  const first = c >= 3 ? 1 : 0; // grayscale: the one channel in all three
  for (let p = 0; p < pixels; p++) for (let k = 0; k < 3; k++) out[3 * p + k] = (raster.data[p * c + k * first]! + offset) * scale;
  if (!range) minMaxScale(out, out);
  return { width: raster.width, height: raster.height, channels: 3, data: out };
}

/** A colour DICOM frame as RGB, or undefined when its colour layout has no conversion here (the grayscale image still serves). */
function colorOrNone(dicom: DicomImage, frame: number): ColorImage | undefined {
  try {
    return dicomToColor(dicom, frame);
  } catch (error) {
    if (AppliedMLError.hasCode(error, 'E_FORMAT_UNSUPPORTED')) return undefined;
    throw error;
  }
}

/** A raster's gray values in its stored units (0..255, 0..65535, signed, float), windowed by `voi` into [0, 1]. */
function rasterDisplay(raster: RasterImage, voi: VoiSetting): GrayImage {
  if (voi === 'auto') return rasterToGray(raster);
  checkRaster(raster, 'rasterDisplay');
  checkFinite(raster);
  // One Float32 image, windowed in place.
  const stored = luminance(raster, 1);
  const data =
    voi === 'minmax' ? minMaxScale(stored, stored) : applyWindowInto(stored, stored, voi.center, voi.width, voi.function ?? 'LINEAR');
  return { width: raster.width, height: raster.height, data };
}

/** What `readMedicalImage` returns: the display image plus, for DICOM, its metadata and tags. */
export interface MedicalImage {
  image: GrayImage;
  /**
   * With `color: true`, a colour input (an RGB raster, a colour DICOM frame) as RGB in [0, 1]; absent for
   * grayscale, and for a colour DICOM layout `dicomToColor` cannot convert (YBR_PARTIAL_*): `image` serves.
   */
  color?: ColorImage;
  format: 'dicom' | string;
  /** Bits a stored sample: DICOM's Bits Stored, else the raster's 8, 16 or 32. */
  bitDepth: number;
  /** How the samples are stored: 'uint', 'int' (signed; DICOM Pixel Representation 1) or 'float' (a float TIFF). */
  sampleFormat: SampleFormat;
  /** The images in the file: a DICOM file's frames, a multi-page TIFF's pages, else 1; `frame` picks one. */
  frames: number;
  dicom?: { metadata: DicomMetadata; tags: DicomTag[]; frames: number };
}

export interface ReadMedicalImageOptions extends ReadImageOptions {
  /**
   * Which frame of a DICOM file or page of a multi-page TIFF (default 0). A PNG or JPEG holds one image:
   * any frame but 0 is E_INPUT_INVALID.
   */
  frame?: number;
  /**
   * How stored values become [0, 1] (default 'auto'). DICOM: the file's window, else its VOI LUT, else
   * min..max. PNG / JPEG / TIFF: 'auto' divides by the full range of the bit depth (255 or 65535);
   * 'minmax' stretches the image's own range (a 12-bit X-ray in a 16-bit PNG), and a window
   * `{ center, width }` is in stored units.
   */
  voi?: VoiSetting;
  /** Also return a colour input as RGB (`color`), for a segmenter trained on RGB images. */
  color?: boolean;
  /**
   * A path only: a file larger than this many bytes (default 1 GiB, as `readDicomFile`'s) is refused
   * (E_INPUT_TOO_LARGE) from its size, before it is read.
   */
  maxBytes?: number;
  logger?: Logger;
}

/** `readMedicalImage`'s default `maxBytes` for a file read from a path. */
const DEFAULT_MAX_FILE_BYTES = 2 ** 30;

const READ_MEDICAL_KEYS = Object.keys({
  maxPixels: 1,
  maxDecodedBytes: 1,
  maxBytes: 1,
  frame: 1,
  voi: 1,
  color: 1,
  logger: 1,
} satisfies Record<keyof ReadMedicalImageOptions, 1>);

/**
 * Read a DICOM file or a PNG/JPEG/TIFF into a grayscale image in [0, 1], choosing by content. Alpha is
 * discarded, not composited: a transparent pixel reads as the colour stored under it.
 */
export async function readMedicalImage(input: Uint8Array | string, options: ReadMedicalImageOptions = {}): Promise<MedicalImage> {
  if (!(input instanceof Uint8Array) && typeof input !== 'string')
    throw new AppliedMLError('E_INPUT_INVALID', 'readMedicalImage takes a file path or the file bytes (a Uint8Array or Buffer).');
  checkKnownKeys('readMedicalImage options', options, READ_MEDICAL_KEYS);
  checkVoi(options.voi);
  checkLimit('maxPixels', options.maxPixels);
  checkLimit('maxDecodedBytes', options.maxDecodedBytes);
  checkLimit('maxBytes', options.maxBytes);
  if (typeof input !== 'string') return decodeMedicalImage(input, options);
  // A path: a directory, FIFO or device is refused before it is opened, a file over maxBytes from its
  // size (it was read whole first: 1.1 GiB took 5 s and 1.3 GB of memory to refuse), and every error
  // from the bytes names the file (its code kept).
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const bytes = await readRegularFile(input, 'image file', {
    maxBytes,
    refuse: (size) =>
      new AppliedMLError(
        'E_INPUT_TOO_LARGE',
        `The image file ${input} is ${size} bytes (${formatBytes(size)}), over the maxBytes limit of ${maxBytes}; raise maxBytes to read it.`,
        { details: { path: input, bytes: size, maxBytes } },
      ),
  });
  try {
    return await decodeMedicalImage(bytes, options);
  } catch (error) {
    throw namingFile(error, input);
  }
}

async function decodeMedicalImage(bytes: Uint8Array, options: ReadMedicalImageOptions): Promise<MedicalImage> {
  if (isDicom(bytes)) {
    // The Float32 images made below from the frame shown, counted against maxDecodedBytes with the frames:
    // the modality values (4 bytes a sample) and `image` (4), with the luminance (4) of a colour frame;
    // with `color: true` a colour frame's modality values again (12) and `color` (12).
    const dicom = await readDicomCounting(
      bytes,
      {
        maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
        maxDecodedBytes: options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES,
        ...(options.logger ? { logger: options.logger } : {}),
      },
      (samples) => (samples === 3 ? 20 + (options.color ? 24 : 0) : 8),
    );
    const image = dicomToDisplay(dicom, { frame: options.frame ?? 0, voi: options.voi ?? 'auto' });
    const color = options.color ? colorOrNone(dicom, options.frame ?? 0) : undefined;
    return {
      image,
      ...(color ? { color } : {}),
      format: 'dicom',
      bitDepth: dicom.metadata.bitsStored,
      sampleFormat: dicom.metadata.signed ? 'int' : 'uint',
      frames: dicom.frames.length,
      dicom: { metadata: dicom.metadata, tags: dicom.tags, frames: dicom.frames.length },
    };
  }
  // The Float32 images made below: `image` (4 bytes a pixel), and `color` (12) for a colour input.
  const wantColor = Boolean(options.color);
  const raster = await decodeRaster(
    bytes,
    { maxPixels: options.maxPixels, maxDecodedBytes: options.maxDecodedBytes, frame: options.frame },
    (colour) => 4 + (wantColor && colour ? 12 : 0),
  );
  return {
    image: rasterDisplay(raster, options.voi ?? 'auto'),
    ...(wantColor && raster.channels >= 3 ? { color: rasterToColor(raster) } : {}),
    format: raster.format,
    bitDepth: raster.bitDepth,
    sampleFormat: raster.sampleFormat ?? 'uint',
    frames: raster.frames ?? 1,
  };
}
