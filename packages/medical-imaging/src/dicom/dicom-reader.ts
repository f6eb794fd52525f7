// DICOM reader (Part 10, and files without preamble or file meta header): dicom-parser for the data
// set, our own native/RLE paths and the wasm codecs for compressed pixel data. Stored values stay at full bit depth (8/16/32-bit, signed or not);
// rescale, VOI and MONOCHROME1 inversion are applied only when a caller asks for modality or display
// values. Patient identifiers are never read into the result, never logged.
import { constants as bufferConstants } from 'node:buffer';
import { types } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { AppliedMLError, checkKnownKeys, silentLogger } from '@appliedml/engine';
import type { Logger } from '@appliedml/engine';
import { decodeJpeg2000, decodeJpeg8, decodeJpegLossless, decodeJpegLs } from './codecs';
import type { DecodedFrame } from './codecs';
import { decodeJpegDct } from './jpeg-dct';
import { DEFAULT_MAX_DECODED_BYTES, checkLimit, formatBytes } from '../limits';
import { namingFile, readRegularFile } from '../read-file';
import { decodeRle } from './rle';
import { transferSyntaxFor } from './transfer-syntax';
import type { TransferSyntax } from './transfer-syntax';

/** Stored pixel values of one frame, samples interleaved per pixel (RGB as r,g,b,r,g,b …). */
export type DicomPixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/** A VOI LUT from the VOI LUT Sequence (0028,3010). */
export interface VoiLut {
  firstMapped: number;
  bits: number;
  data: number[];
}

/** Technical, non-identifying metadata. No patient name, id, birth date or institution is read. */
export interface DicomMetadata {
  modality?: string;
  sopClassUid?: string;
  transferSyntaxUid: string;
  transferSyntaxName: string;
  /**
   * True when the file has no file meta header (a bare data set, as older ACR-NEMA-style exports are
   * written): the transfer syntax was inferred from how its first elements are encoded.
   */
  transferSyntaxInferred?: true;
  photometricInterpretation: string;
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  /** Row spacing, column spacing in mm (PixelSpacing, else ImagerPixelSpacing). */
  pixelSpacing?: [number, number];
  sliceThickness?: number;
  imagePositionPatient?: number[];
  imageOrientationPatient?: number[];
  patientOrientation?: string[];
  bodyPartExamined?: string;
  rescaleSlope: number;
  rescaleIntercept: number;
  rescaleType?: string;
  windowCenter?: number;
  windowWidth?: number;
  /** VOI LUT Function (0028,1056) of the window, when the file names one the reader knows. */
  voiLutFunction?: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';
  voiLut?: VoiLut;
  /**
   * Why the VOI LUT Sequence (0028,3010) of a grayscale file could not be read (LUT Data shorter than its
   * LUT Descriptor says, or bits outside 1..16); `voiLut` is then absent. The file still reads:
   * `dicomToDisplay` refuses with E_INPUT_INVALID (this message and details) only a frame it would apply
   * the VOI LUT to (`voi: 'auto'` and no usable window). `readDicom` logs one warning.
   */
  voiLutProblem?: { message: string; details: Record<string, unknown> };
  /**
   * The Modality LUT Sequence (0028,3000), which some CR / XA / US files give instead of RescaleSlope and
   * RescaleIntercept: `dicomToModality` maps each stored value through it (it was ignored, so the file's
   * window, written for its output, was applied to the stored values).
   */
  modalityLut?: VoiLut;
  /**
   * Pixel Padding Value (0028,0120) and Pixel Padding Range Limit (0028,0121), stored values: the pixels
   * outside the scanned area (a CT's circle, -2000 or -3024 HU), left out of `dicomToDisplay`'s min..max.
   */
  pixelPaddingValue?: number;
  pixelPaddingRangeLimit?: number;
  manufacturer?: string;
  /**
   * Enhanced multi-frame objects whose Per-frame Functional Groups carry a frame's own rescale or
   * window (Philips enhanced MR rescales every frame differently): one entry per frame, which
   * `dicomToModality` / `dicomToDisplay` use for that frame. The fields above are frame 0's.
   */
  perFrame?: DicomFrameValues[];
}

/** A frame's own rescale and window (Enhanced multi-frame functional groups, PS3.3 C.7.6.16). */
export interface DicomFrameValues {
  rescaleSlope: number;
  rescaleIntercept: number;
  windowCenter?: number;
  windowWidth?: number;
  voiLutFunction?: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';
}

/** One displayed tag (the `serve` page and reports show these). */
export interface DicomTag {
  tag: string;
  name: string;
  value: string;
}

export interface DicomImage {
  rows: number;
  columns: number;
  /** Samples per pixel of the decoded frames (1 or 3). */
  samplesPerPixel: number;
  /**
   * Colour of the decoded frames: the stored interpretation, 'RGB' when a JPEG codec converted YBR, or
   * 'YBR_FULL' for uncompressed YBR_FULL_422 (its chroma expanded to every pixel).
   */
  photometric: string;
  frames: DicomPixelArray[];
  metadata: DicomMetadata;
  tags: DicomTag[];
}

export interface ReadDicomOptions {
  /** Refuse images with more than this many pixels over all frames (default 2^28). */
  maxPixels?: number;
  /**
   * Refuse a file whose pixel data would decode to more bytes than this (default 1.5 GiB,
   * `DEFAULT_MAX_DECODED_BYTES`; the option `readImage` and `readMedicalImage` take), counted from the
   * header before any pixel data is read or decoded, whatever the transfer syntax: every frame's stored
   * values (Rows × Columns × Samples per Pixel × 1, 2 or 4 bytes for Bits Allocated 1 or 8, 16, 32, ×
   * Number of Frames) and two frames more for the copies decoding a frame makes. A small file can
   * declare a huge image (an RLE or JPEG frame of 16,384 × 16,384 takes a few kilobytes).
   */
  maxDecodedBytes?: number;
  /** Refuse files (and inflated data sets) larger than this (default 1 GiB). */
  maxBytes?: number;
  logger?: Logger;
}

export const DICOM_DEFAULT_MAX_PIXELS = 2 ** 28;
const OPTION_KEYS = Object.keys({ maxPixels: 1, maxDecodedBytes: 1, maxBytes: 1, logger: 1 } satisfies Record<keyof ReadDicomOptions, 1>);
const DEFAULT_MAX_BYTES = 2 ** 30;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function invalid(message: string, details: Record<string, unknown> = {}, cause?: unknown): AppliedMLError {
  return new AppliedMLError('E_INPUT_INVALID', message, { details, ...(cause === undefined ? {} : { cause }) });
}

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
// PS3.5 Table 6.2-1; the second set has a 2-byte reserved field and a 4-byte length in explicit VR.
const VRS = new Set('AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '));
const LONG_VRS = new Set('OB OD OF OL OV OW SQ SV UC UN UR UT UV'.split(' '));

/** How the bytes are laid out: where the file meta group starts, or which syntax a bare data set is in. */
type Layout = { kind: 'part10' } | { kind: 'meta'; at: number } | { kind: 'dataset'; transferSyntax: string };

const u16le = (b: Uint8Array, p: number): number => b[p]! | (b[p + 1]! << 8);
const u32le = (b: Uint8Array, p: number): number => u16le(b, p) + u16le(b, p + 2) * 65536;

function isPart10(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

function vrAt(b: Uint8Array, p: number): string | undefined {
  const vr = String.fromCharCode(b[p]!, b[p + 1]!);
  return VRS.has(vr) ? vr : undefined;
}

/** Where the element at `p` ends, 'open' for an undefined length, undefined when its header does not read. */
function elementEnd(b: Uint8Array, p: number, explicit: boolean): number | 'open' | undefined {
  if (p + 8 > b.length) return undefined;
  if (!explicit) {
    const length = u32le(b, p + 4);
    return length === 0xffffffff ? 'open' : p + 8 + length;
  }
  const vr = vrAt(b, p + 4);
  if (vr === undefined) return undefined;
  if (!LONG_VRS.has(vr)) return p + 8 + u16le(b, p + 6);
  if (p + 12 > b.length || b[p + 6] !== 0 || b[p + 7] !== 0) return undefined;
  const length = u32le(b, p + 8);
  return length === 0xffffffff ? (vr === 'SQ' || vr === 'UN' ? 'open' : undefined) : p + 12 + length;
}

/**
 * True when the first elements from `start` read as a data set in this VR encoding (little endian):
 * every header whole, every value inside the bytes, tags ascending. Up to 8 elements are checked.
 */
function readsAs(b: Uint8Array, explicit: boolean, start = 0): boolean {
  let p = start;
  let previous = -1;
  for (let n = 0; n < 8; n++) {
    if (p === b.length) return n > 0;
    if (p + 4 > b.length) return false;
    const tag = u16le(b, p) * 65536 + u16le(b, p + 2);
    if (tag <= previous) return false;
    const end = elementEnd(b, p, explicit);
    // An undefined length (a sequence) ends the check; it must not be the first element.
    if (end === 'open') return n > 0;
    if (end === undefined || end > b.length) return false;
    previous = tag;
    p = end;
  }
  return true;
}

/**
 * The transfer syntax of a data set stored without preamble and file meta header (ACR-NEMA-style
 * exports, raw data sets): only when it starts with an even group from (0008,xxxx) to (0028,xxxx) and
 * its first elements read as explicit VR little endian (bytes 4–5 a VR), else as implicit VR little
 * endian (the DICOM default). Undefined when neither reads.
 */
function bareDataSetSyntax(b: Uint8Array): string | undefined {
  if (b.length < 8) return undefined;
  const group = u16le(b, 0);
  if (group % 2 !== 0 || group < 0x0008 || group > 0x0028) return undefined;
  if (vrAt(b, 4) !== undefined && readsAs(b, true)) return EXPLICIT_LE;
  return readsAs(b, false) ? IMPLICIT_LE : undefined;
}

function layoutOf(bytes: Uint8Array): Layout | undefined {
  if (isPart10(bytes)) return { kind: 'part10' };
  // 'DICM' then the file meta group, without the 128-byte preamble (some writers do this).
  if (bytes.length >= 12 && bytes[0] === 0x44 && bytes[1] === 0x49 && bytes[2] === 0x43 && bytes[3] === 0x4d && u16le(bytes, 4) === 0x0002)
    return { kind: 'meta', at: 4 };
  // The file meta group (always explicit VR little endian) with neither preamble nor 'DICM'.
  if (u16le(bytes, 0) === 0x0002) {
    const end = elementEnd(bytes, 0, true);
    if (typeof end === 'number' && end <= bytes.length) return { kind: 'meta', at: 0 };
  }
  const transferSyntax = bareDataSetSyntax(bytes);
  return transferSyntax ? { kind: 'dataset', transferSyntax } : undefined;
}

/**
 * True when the bytes look like DICOM: Part 10 ('DICM' at offset 128), 'DICM' at offset 0 without the
 * preamble, a file meta group at offset 0, or a data set without file meta header that `readDicom`
 * reads (see there). Only the first elements are looked at.
 */
export function isDicom(bytes: Uint8Array): boolean {
  return bytes instanceof Uint8Array && layoutOf(bytes) !== undefined;
}

/** What a wrong input is (its type, never its content). */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === '') return 'an empty string';
  if (typeof value !== 'object') return typeof value;
  try {
    return Object.prototype.toString.call(value).slice(8, -1);
  } catch {
    return 'object'; // a Proxy whose getters throw
  }
}

function parseMessage(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object') {
    const e = error as { exception?: unknown; message?: unknown };
    if (typeof e.exception === 'string') return e.exception;
    if (typeof e.message === 'string') return e.message;
  }
  return String(error);
}

/** E_INPUT_INVALID for a file that ends inside (or right after) its file meta header. */
function metaTruncated(bytes: Uint8Array, where: string): AppliedMLError {
  return invalid(`The DICOM file is truncated: it ends at byte ${bytes.length}, ${where}.`, { bytes: bytes.length });
}

/**
 * The file meta group from `at` (explicit VR little endian): where it ends and its Transfer Syntax UID.
 * A file that ends inside the group (an element cut, fewer bytes left than an element header) or right
 * after it, with no data set, is E_INPUT_INVALID "truncated" (dicom-parser reported such a file as one
 * without a Transfer Syntax UID). With `lenient`, an element that does not read as explicit VR ends
 * the walk (dicom-parser then decides); else it is E_INPUT_INVALID.
 */
function readMetaGroup(bytes: Uint8Array, at: number, lenient = false): { end: number; transferSyntax?: string } {
  let p = at;
  let transferSyntax: string | undefined;
  while (p < bytes.length) {
    if (p + 8 > bytes.length) throw metaTruncated(bytes, 'inside its file meta header (group 0002)');
    if (u16le(bytes, p) !== 0x0002) break;
    const end = elementEnd(bytes, p, true);
    if (typeof end !== 'number') {
      if (lenient) return transferSyntax === undefined ? { end: p } : { end: p, transferSyntax };
      throw invalid('The DICOM file meta header is truncated or corrupt (an element of group 0002 does not read).');
    }
    if (end > bytes.length) throw metaTruncated(bytes, 'inside its file meta header (group 0002)');
    if (u16le(bytes, p + 2) === 0x0010)
      transferSyntax =
        new TextDecoder('latin1')
          .decode(bytes.subarray(p + 8, end))
          .replace(/\0/g, '')
          .trim() || undefined;
    p = end;
  }
  if (p >= bytes.length) throw metaTruncated(bytes, 'right after its file meta header, before any data set');
  return transferSyntax === undefined ? { end: p } : { end: p, transferSyntax };
}

interface Parsed {
  ds: DataSet;
  /** Set when the file has no file meta header and the transfer syntax was inferred. */
  inferredSyntax?: string;
}

const NOT_DICOM =
  'Not a DICOM file: expected "DICM" at offset 128 (Part 10) or 0, a file meta group (0002,xxxx) at offset 0, or a data set ' +
  'without file meta header starting with an even group such as (0008,xxxx) in implicit or explicit VR little endian.';

/**
 * A deflated data set inflated, at most `maxBytes` of it: past that E_INPUT_TOO_LARGE, known by zlib's
 * error code (its message, which an earlier check matched, is not the same on every Node version:
 * "Cannot create a Buffer larger than …" on Node 20 read as a corrupt file). zlib takes no output limit
 * above the largest Buffer (4 GiB on Node 20), so a larger maxBytes asks for that, past which no Buffer
 * could hold the data set anyway (a maxBytes over it refused every deflated file as too large).
 */
function inflateWithin(deflated: Uint8Array, maxBytes: number): Buffer {
  const limit = Math.min(maxBytes, bufferConstants.MAX_LENGTH);
  try {
    return inflateRawSync(deflated, { maxOutputLength: limit });
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== 'ERR_BUFFER_TOO_LARGE') throw error;
    const option = limit === maxBytes ? `the maxBytes limit of ${maxBytes} bytes` : `${limit} bytes, the largest Buffer this Node.js makes`;
    throw new AppliedMLError('E_INPUT_TOO_LARGE', `The deflated DICOM data set inflates past ${option}.`, {
      cause: error,
      details: { maxBytes, limit },
    });
  }
}

function parse(bytes: Uint8Array, maxBytes: number, logger: Logger): Parsed {
  if (bytes.length === 0) throw invalid('The DICOM input is empty.');
  const layout = layoutOf(bytes);
  if (!layout) throw new AppliedMLError('E_FORMAT_UNSUPPORTED', NOT_DICOM);
  let data = bytes;
  let transferSyntax: string | undefined;
  if (layout.kind === 'meta') {
    const meta = readMetaGroup(bytes, layout.at);
    if (meta.transferSyntax === undefined)
      throw invalid('The DICOM file meta header has no Transfer Syntax UID (0002,0010); the pixel encoding is unknown.');
    transferSyntax = meta.transferSyntax;
    data = bytes.subarray(meta.end);
    logger.debug('dicom file meta header without preamble', { at: layout.at });
  } else if (layout.kind === 'part10') {
    // dicom-parser reads this header itself; walked here only to tell a file cut inside it.
    readMetaGroup(bytes, 132, true);
  } else if (layout.kind === 'dataset') {
    transferSyntax = layout.transferSyntax;
    logger.info('dicom has no file meta header; the transfer syntax is inferred', { transferSyntax });
  }
  // dicom-parser looks for 'DICM' at offset 128 before it takes the given syntax: a data set that holds
  // those bytes there cannot be handed to it unambiguously.
  if (transferSyntax !== undefined && isPart10(data))
    throw new AppliedMLError(
      'E_FORMAT_UNSUPPORTED',
      'The DICOM data set after the file meta header holds "DICM" at its offset 128 and cannot be read.',
    );
  let ds: DataSet;
  try {
    ds = dicomParser.parseDicom(data, {
      ...(transferSyntax === undefined ? {} : { TransferSyntaxUID: transferSyntax }),
      inflater: (array: Uint8Array, at: number | undefined) => {
        // Without a file meta header in the parsed bytes, dicom-parser passes no position.
        const position = at ?? 0;
        const inflated = inflateWithin(array.subarray(position), maxBytes);
        const full = new Uint8Array(position + inflated.length);
        full.set(array.subarray(0, position), 0);
        full.set(inflated, position);
        return full;
      },
    } as never);
  } catch (error) {
    if (AppliedMLError.isInstance(error)) throw error;
    const message = parseMessage(error);
    if (/0002,0010/.test(message))
      throw invalid('The DICOM file meta header has no Transfer Syntax UID (0002,0010); the pixel encoding is unknown.', {}, error);
    throw invalid(`The DICOM data set is truncated or corrupt (${message.replace(/^dicomParser[.:]\w*:?\s*/, '')}).`, {}, error);
  }
  if (layout.kind !== 'dataset') return { ds };
  // The element dicom-parser made up for the syntax it was given is not in the file: no tag lists it.
  delete ds.elements.x00020010;
  return { ds, inferredSyntax: layout.transferSyntax };
}

/** The pixel data elements of floating point values (parametric maps), which are not decoded. */
const FLOAT_PIXEL_DATA = [
  { tag: 'x7fe00008', element: '7FE0,0008', name: 'Float Pixel Data' },
  { tag: 'x7fe00009', element: '7FE0,0009', name: 'Double Float Pixel Data' },
] as const;

function str(ds: DataSet, tag: string): string | undefined {
  const value = ds.string(tag);
  return value === undefined || value === '' ? undefined : value;
}

function intAttr(ds: DataSet, tag: string, name: string): number | undefined {
  const el = ds.elements[tag];
  if (!el) return undefined;
  const vr = el.vr;
  if (vr === 'IS' || vr === 'DS' || (vr === undefined && tag === 'x00280008')) {
    const text = str(ds, tag);
    if (text === undefined) return undefined;
    if (!/^\s*[+-]?\d+\s*$/.test(text)) throw invalid(`DICOM ${name} is not an integer ('${text.slice(0, 16)}').`, { field: name });
    return Number(text);
  }
  return ds.uint16(tag);
}

/**
 * A 2-byte pixel value (US or SS), read as the pixels are (Pixel Representation), whatever VR the file
 * wrote: the standard ties the VR to Pixel Representation, and a signed image's padding written as US or
 * UN (63536 for -2000) matched no pixel. Undefined when absent or not 2 bytes.
 */
function pixelValueAttr(ds: DataSet, tag: string, signed: boolean): number | undefined {
  const el = ds.elements[tag];
  if (!el || el.length !== 2) return undefined;
  return signed ? ds.int16(tag) : ds.uint16(tag);
}

/** The DICOM names of the number elements read here, as messages give them. */
const NUMBER_ELEMENTS: Record<string, { tag: string; name: string }> = {
  x00281052: { tag: '(0028,1052)', name: 'Rescale Intercept' },
  x00281053: { tag: '(0028,1053)', name: 'Rescale Slope' },
  x00281050: { tag: '(0028,1050)', name: 'Window Center' },
  x00281051: { tag: '(0028,1051)', name: 'Window Width' },
  x00280030: { tag: '(0028,0030)', name: 'Pixel Spacing' },
  x00181164: { tag: '(0018,1164)', name: 'Imager Pixel Spacing' },
  x00180050: { tag: '(0018,0050)', name: 'Slice Thickness' },
  x00200032: { tag: '(0020,0032)', name: 'Image Position (Patient)' },
  x00200037: { tag: '(0020,0037)', name: 'Image Orientation (Patient)' },
};

/** Told of a number element whose text is not numbers (its tag key and text), where it is left out. */
type Unreadable = (tag: string, text: string) => void;

/** An element's text as a message quotes it: at most 64 characters, control characters escaped. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

/**
 * A DS / IS element's values: undefined when absent or empty, `{ text }` when a value is not a finite
 * number ("-1024,0" with a decimal comma, "abc", "1e400", an empty value between backslashes).
 */
function readNumbers(ds: DataSet, tag: string): { values: number[] } | { text: string } | undefined {
  const text = str(ds, tag);
  if (text === undefined || text.replace(/[\0\s]/g, '') === '') return undefined;
  const values = text.split('\\').map((v) => {
    const trimmed = v.replace(/\0/g, '').trim();
    return trimmed === '' ? Number.NaN : Number(trimmed);
  });
  return values.every((v) => Number.isFinite(v)) ? { values } : { text };
}

function numbers(ds: DataSet, tag: string, unreadable?: Unreadable): number[] | undefined {
  const read = readNumbers(ds, tag);
  if (read && 'text' in read) unreadable?.(tag, read.text);
  return read && 'values' in read ? read.values : undefined;
}

/** Enhanced (multi-frame) objects keep rescale, window and spacing in functional group sequences. */
function searchGroups(ds: DataSet, tag: string, depth = 0): DataSet | undefined {
  if (ds.elements[tag]) return ds;
  if (depth > 3) return undefined;
  for (const key of Object.keys(ds.elements)) {
    const el = ds.elements[key]!;
    for (const item of el.items ?? []) {
      if (!item.dataSet) continue;
      const found = searchGroups(item.dataSet, tag, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * The data set holding `tag` for one frame: the top level, else the Shared Functional Groups, else
 * that frame's item of the Per-frame Functional Groups (frame 0 when none is named).
 */
function withGroups(ds: DataSet, tag: string, frame = 0): DataSet | undefined {
  if (ds.elements[tag]) return ds;
  const shared = ds.elements.x52009229?.items?.[0]?.dataSet;
  const found = shared ? searchGroups(shared, tag) : undefined;
  if (found) return found;
  const own = ds.elements.x52009230?.items?.[frame]?.dataSet;
  return own ? searchGroups(own, tag) : undefined;
}

function groupNumbers(ds: DataSet, tag: string, frame = 0, unreadable?: Unreadable): number[] | undefined {
  const holder = withGroups(ds, tag, frame);
  return holder ? numbers(holder, tag, unreadable) : undefined;
}

type FrameWindow = Pick<DicomFrameValues, 'windowCenter' | 'windowWidth' | 'voiLutFunction'>;

/**
 * The largest |RescaleSlope| and |RescaleIntercept| the reader takes (modality values are float32: a slope
 * or intercept much larger turns every pixel into Infinity). The VOI window bound (`MAX_WINDOW` in
 * dicom-pixels.ts) covers every modality value they allow (`MAX_MODALITY_VALUE`, tested there).
 */
export const MAX_RESCALE_SLOPE = 1e6;
export const MAX_RESCALE_INTERCEPT = 1e9;

/** A bound in a message as the docs write it: 1e6, 1e16, 4.3e15 (not 1000000). */
export function boundText(bound: number): string {
  return Math.abs(bound) >= 1e5 ? bound.toExponential().replace('e+', 'e') : String(bound);
}

/**
 * One frame's rescale (checked: text that is not a number is E_INPUT_INVALID, as the modality values
 * cannot be made without it) and window (left out, through `unreadable`, when it is not numbers).
 */
function frameValues(ds: DataSet, frame: number, unreadable: Unreadable): DicomFrameValues {
  const rescale = (tag: string): number | undefined =>
    groupNumbers(ds, tag, frame, (key, text) => {
      const { tag: at, name } = NUMBER_ELEMENTS[key]!;
      throw invalid(
        `The DICOM ${name} ${at}${frame > 0 ? ` of frame ${frame}` : ''} is ${quoted(text)}, not a number: the modality values ` +
          '(e.g. Hounsfield units) cannot be computed without it.',
        { tag: at, name: name.replace(' ', ''), value: text, ...(frame > 0 ? { frame } : {}) },
      );
    })?.[0];
  const slope = rescale('x00281053') ?? 1;
  const intercept = rescale('x00281052') ?? 0;
  if (!(
    Number.isFinite(slope) &&
    Math.abs(slope) <= MAX_RESCALE_SLOPE &&
    Number.isFinite(intercept) &&
    Math.abs(intercept) <= MAX_RESCALE_INTERCEPT
  ))
    throw invalid(
      `RescaleSlope ${slope} / RescaleIntercept ${intercept}${frame > 0 ? ` of frame ${frame}` : ''} are out of range (|slope| ≤ ${boundText(MAX_RESCALE_SLOPE)}, |intercept| ≤ ${boundText(MAX_RESCALE_INTERCEPT)}).`,
    );
  const values: DicomFrameValues = { rescaleSlope: slope, rescaleIntercept: intercept };
  const center = groupNumbers(ds, 'x00281050', frame, unreadable)?.[0];
  const width = groupNumbers(ds, 'x00281051', frame, unreadable)?.[0];
  if (center !== undefined && width !== undefined && width > 0) {
    const window: FrameWindow = { windowCenter: center, windowWidth: width };
    const holder = withGroups(ds, 'x00281056', frame);
    const fn = holder ? str(holder, 'x00281056')?.trim().toUpperCase() : undefined;
    if (fn === 'LINEAR' || fn === 'LINEAR_EXACT' || fn === 'SIGMOID') window.voiLutFunction = fn;
    Object.assign(values, window);
  }
  return values;
}

/** Every frame's values, when the Per-frame Functional Groups hold a rescale or window (else undefined). */
function perFrameValues(ds: DataSet, frameCount: number, unreadable: Unreadable): DicomFrameValues[] | undefined {
  const items = ds.elements.x52009230?.items;
  if (!items || frameCount < 2) return undefined;
  const own = (tag: string): boolean => items.some((item) => item.dataSet !== undefined && searchGroups(item.dataSet, tag) !== undefined);
  if (!['x00281052', 'x00281053', 'x00281050', 'x00281051'].some((tag) => !ds.elements[tag] && own(tag))) return undefined;
  if (items.length !== frameCount)
    throw invalid(`The Per-frame Functional Groups have ${items.length} items for ${frameCount} frames.`, {
      items: items.length,
      frames: frameCount,
    });
  return Array.from({ length: frameCount }, (_, f) => frameValues(ds, f, unreadable));
}

const LUT_SEQUENCES: Record<string, string> = { x00283010: 'VOI LUT Sequence (0028,3010)', x00283000: 'Modality LUT Sequence (0028,3000)' };

/**
 * The first item of a LUT sequence: the VOI LUT Sequence (0028,3010) or the Modality LUT Sequence (0028,3000).
 * The descriptor (0028,3002) gives the entry count (0 = 65536), the first mapped value and the bits of an
 * entry (1 to 16); the entries are 16-bit words, or bytes when the descriptor says 8 bits and the data is
 * shorter than a word an entry (one pad byte allowed). LUT Data longer than the descriptor says is read
 * for its first described entries with one `logger.warn` (as DCMTK does); shorter LUT Data, or bits
 * outside 1..16 (0 gave NaN display pixels), is E_INPUT_INVALID naming the sequence. The caller decides
 * whether that refuses the file: only when the LUT would be applied (`readDicom`).
 */
function voiLut(ds: DataSet, sequence: string, logger: Logger): VoiLut | undefined {
  const item = ds.elements[sequence]?.items?.[0]?.dataSet;
  if (!item) return undefined;
  const descriptor = item.elements.x00283002;
  const dataEl = item.elements.x00283006;
  if (!descriptor || !dataEl) return undefined;
  const name = LUT_SEQUENCES[sequence] ?? sequence;
  if (descriptor.length < 6)
    throw invalid(`The ${name} has a LUT Descriptor (0028,3002) of ${descriptor.length} bytes, not three values.`, {
      field: 'LUT Descriptor',
      bytes: descriptor.length,
    });
  const entries = item.uint16('x00283002', 0) || 65536;
  const firstRaw = item.uint16('x00283002', 1) ?? 0;
  const bits = item.uint16('x00283002', 2) ?? 16;
  if (bits < 1 || bits > 16)
    throw invalid(`The ${name} has a LUT Descriptor (0028,3002) saying ${bits} bits an entry; it must be 1 to 16.`, {
      field: 'LUT Descriptor',
      bits,
    });
  const firstMapped = (ds.uint16('x00280103') ?? 0) === 1 && firstRaw > 32767 ? firstRaw - 65536 : firstRaw;
  const bytes = dataEl.length;
  // 8-bit entries come one a byte, or one a 16-bit word (the 8-in-16 layout); wider ones one a word.
  const width = bits === 8 && bytes < entries * 2 ? 1 : 2;
  if (bytes < entries * width || dataEl.dataOffset + entries * width > item.byteArray.length)
    throw invalid(
      `The ${name} holds ${bytes} bytes of LUT Data (0028,3006) where its descriptor says ${entries} entries of ${bits} bits (${entries * width} bytes).`,
      { field: 'LUT Data', entries, bits, bytes },
    );
  if (bytes > entries * width + 1)
    logger.warn(
      `dicom ${name} holds ${bytes} bytes of LUT Data (0028,3006) where its descriptor says ${entries} entries of ${bits} bits (${entries * width} bytes); the first ${entries} entries are used`,
      { entries, bits, bytes },
    );
  const data: number[] = new Array<number>(entries);
  for (let i = 0; i < entries; i++) data[i] = width === 2 ? (item.uint16('x00283006', i) ?? 0) : item.byteArray[dataEl.dataOffset + i]!;
  return { firstMapped, bits, data };
}

/** A LUT sequence read with `voiLut`, or the E_INPUT_INVALID that says why it cannot be. */
function lutOrProblem(ds: DataSet, sequence: string, logger: Logger): { lut?: VoiLut; problem?: AppliedMLError } {
  try {
    const lut = voiLut(ds, sequence, logger);
    return lut ? { lut } : {};
  } catch (error) {
    if (error instanceof AppliedMLError) return { problem: error };
    throw error;
  }
}

const SAFE_TAGS: Array<[string, string]> = [
  ['x00080060', 'Modality'],
  ['x00080016', 'SOP Class UID'],
  ['x00020010', 'Transfer Syntax UID'],
  ['x00080070', 'Manufacturer'],
  ['x00180015', 'Body Part Examined'],
  ['x00280010', 'Rows'],
  ['x00280011', 'Columns'],
  ['x00280008', 'Number of Frames'],
  ['x00280002', 'Samples per Pixel'],
  ['x00280004', 'Photometric Interpretation'],
  ['x00280100', 'Bits Allocated'],
  ['x00280101', 'Bits Stored'],
  ['x00280103', 'Pixel Representation'],
  ['x00280030', 'Pixel Spacing'],
  ['x00181164', 'Imager Pixel Spacing'],
  ['x00180050', 'Slice Thickness'],
  ['x00200032', 'Image Position (Patient)'],
  ['x00200037', 'Image Orientation (Patient)'],
  ['x00200020', 'Patient Orientation'],
  ['x00281052', 'Rescale Intercept'],
  ['x00281053', 'Rescale Slope'],
  ['x00281054', 'Rescale Type'],
  ['x00281050', 'Window Center'],
  ['x00281051', 'Window Width'],
];

const US_TAGS = new Set(['x00280010', 'x00280011', 'x00280002', 'x00280100', 'x00280101', 'x00280103']);

function tagList(ds: DataSet): DicomTag[] {
  const out: DicomTag[] = [];
  for (const [tag, name] of SAFE_TAGS) {
    if (!ds.elements[tag]) continue;
    const value = US_TAGS.has(tag) ? String(ds.uint16(tag) ?? '') : (str(ds, tag) ?? '');
    if (value === '') continue;
    out.push({ tag: `(${tag.slice(1, 5).toUpperCase()},${tag.slice(5).toUpperCase()})`, name, value: value.slice(0, 128) });
  }
  return out;
}

function bytesToPixels(bytes: Uint8Array, bitsAllocated: number, signed: boolean, littleEndian: boolean, count: number): DicomPixelArray {
  if (bitsAllocated === 8) {
    const out = signed ? new Int8Array(count) : new Uint8Array(count);
    out.set(signed ? new Int8Array(bytes.buffer, bytes.byteOffset, count) : bytes.subarray(0, count));
    return out;
  }
  if (littleEndian && HOST_LITTLE_ENDIAN && (bitsAllocated === 16 || bitsAllocated === 32)) {
    // One aligned copy, then a typed view.
    const width = bitsAllocated / 8;
    const aligned = bytes.slice(0, count * width).buffer;
    if (bitsAllocated === 16) return signed ? new Int16Array(aligned) : new Uint16Array(aligned);
    return signed ? new Int32Array(aligned) : new Uint32Array(aligned);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bitsAllocated === 16) {
    const out = signed ? new Int16Array(count) : new Uint16Array(count);
    for (let i = 0; i < count; i++) out[i] = signed ? view.getInt16(2 * i, littleEndian) : view.getUint16(2 * i, littleEndian);
    return out;
  }
  if (bitsAllocated === 32) {
    const out = signed ? new Int32Array(count) : new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = signed ? view.getInt32(4 * i, littleEndian) : view.getUint32(4 * i, littleEndian);
    return out;
  }
  throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `DICOM Bits Allocated ${bitsAllocated} is not supported (1, 8, 16 and 32 are).`);
}

/**
 * The stored bits of each sample as its value: shifted down so High Bit is the top one, the bits above
 * cleared, and sign-extended from the top stored bit when the pixels are signed.
 */
function keepStoredBits(values: DicomPixelArray, bitsStored: number, highBit: number, signed: boolean): DicomPixelArray {
  const shift = highBit + 1 - bitsStored;
  const range = 2 ** bitsStored;
  const half = range / 2;
  const out = values.slice() as DicomPixelArray;
  for (let i = 0; i < out.length; i++) {
    // Read as the unsigned bit pattern of its width, then keep bits [shift, shift + bitsStored).
    const raw = values[i]!;
    const pattern = raw < 0 ? raw + 2 ** (8 * values.BYTES_PER_ELEMENT) : raw;
    const v = Math.floor(pattern / 2 ** shift) % range;
    out[i] = signed && v >= half ? v - range : v;
  }
  return out;
}

/** Planar (rrr…ggg…bbb…) to interleaved (rgbrgb…). */
/**
 * Uncompressed YBR_FULL_422 (PS3.3 C.7.6.3.1.2): each horizontal pair of pixels is stored
 * as Y1 Y2 Cb Cr; expanded to Y Cb Cr for every pixel, the pair's chroma given to both (as pydicom does).
 */
function expandYbr422<T extends DicomPixelArray>(stored: T, pixels: number): T {
  const out = new (stored.constructor as new (length: number) => T)(pixels * 3);
  for (let pair = 0; 2 * pair < pixels; pair++) {
    const at = 4 * pair;
    const [cb, cr] = [stored[at + 2]!, stored[at + 3]!];
    out.set([stored[at]!, cb, cr, stored[at + 1]!, cb, cr], 6 * pair);
  }
  return out;
}

function interleave<T extends DicomPixelArray>(planar: T, pixels: number, samples: number): T {
  const out = planar.slice() as T;
  for (let s = 0; s < samples; s++) for (let p = 0; p < pixels; p++) out[p * samples + s] = planar[s * pixels + p]!;
  return out;
}

function encapsulatedFrames(ds: DataSet, el: Element, frameCount: number): Uint8Array[] {
  const fragments = el.fragments ?? [];
  if (fragments.length === 0) throw invalid('The encapsulated pixel data holds no fragments.');
  if (ds.warnings.some((w) => /delimiter/.test(w)))
    throw invalid('The encapsulated pixel data ends before its sequence delimiter: the file is truncated.');
  for (const f of fragments) {
    if (f.position + f.length > ds.byteArray.length)
      throw invalid('A pixel data fragment runs past the end of the file: the file is truncated.');
  }
  try {
    if (frameCount === 1) return [dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, fragments.length)];
    if (el.basicOffsetTable && el.basicOffsetTable.length === frameCount)
      return Array.from({ length: frameCount }, (_, i) => dicomParser.readEncapsulatedImageFrame(ds, el, i));
    if (fragments.length === frameCount)
      return Array.from({ length: frameCount }, (_, i) => dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, i, 1));
    const table = dicomParser.createJPEGBasicOffsetTable(ds, el);
    return Array.from({ length: frameCount }, (_, i) => dicomParser.readEncapsulatedImageFrame(ds, el, i, table));
  } catch (error) {
    throw invalid(`The encapsulated pixel data cannot be split into ${frameCount} frames (${parseMessage(error)}).`, {}, error);
  }
}

interface Geometry {
  rows: number;
  columns: number;
  samples: number;
  bitsAllocated: number;
  signed: boolean;
}

function checkDecoded(decoded: DecodedFrame, g: Geometry, what: string): void {
  if (decoded.width !== g.columns || decoded.height !== g.rows)
    throw invalid(
      `The ${what} frame is ${decoded.width}×${decoded.height} but the header says ${g.columns}×${g.rows}: the stream is corrupt.`,
    );
  if (decoded.components !== g.samples)
    throw invalid(`The ${what} frame has ${decoded.components} components but the header says ${g.samples}.`);
}

function hasEndMarker(frame: Uint8Array): boolean {
  // The end-of-codestream marker closes the stream; encoders may pad the fragment after it.
  for (let i = frame.length - 2; i >= Math.max(0, frame.length - 16); i--) if (frame[i] === 0xff && frame[i + 1] === 0xd9) return true;
  return false;
}

/**
 * The width and height a compressed frame's own header declares, read before a codec sees it: a JPEG or
 * JPEG-LS frame header (SOF, SOF55), or a JPEG 2000 codestream's SIZ (image size less its offset).
 * Undefined when the frame starts otherwise or no frame header comes before the first scan. A JPEG's
 * height may be 0 (given by a DNL marker after the scan).
 */
function declaredFrameSize(frame: Uint8Array): { width: number; height: number } | undefined {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length >= 24 && view.getUint16(0) === 0xff4f && view.getUint16(2) === 0xff51)
    return { width: view.getUint32(8) - view.getUint32(16), height: view.getUint32(12) - view.getUint32(20) };
  if (frame.length < 4 || view.getUint16(0) !== 0xffd8) return undefined;
  for (let i = 2; i + 4 <= frame.length;) {
    if (frame[i] !== 0xff) return undefined;
    const marker = frame[i + 1]!;
    if (marker === 0xff)
      i += 1; // a fill byte before a marker
    else if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8))
      i += 2; // markers without a length
    else if ((marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7)
      return i + 9 <= frame.length ? { height: view.getUint16(i + 5), width: view.getUint16(i + 7) } : undefined;
    else if (marker === 0xda || marker === 0xd9)
      return undefined; // a scan or the end before any frame header
    else i += 2 + view.getUint16(i + 2);
  }
  return undefined;
}

async function decodeCompressed(encoded: Uint8Array, syntax: TransferSyntax, g: Geometry): Promise<DicomPixelArray> {
  const pixels = g.rows * g.columns;
  const count = pixels * g.samples;
  // A codec allocates for the size its stream declares, not the DICOM header's (which maxDecodedBytes
  // bounds): a 64 × 64 JPEG-LS file whose frame header said 20,000 × 20,000 grew the codec's wasm memory,
  // which never shrinks, by 800 MB before it failed. The size is compared before decoding, as after.
  const declared = syntax.encoding === 'rle' ? undefined : declaredFrameSize(encoded);
  if (declared && (declared.width !== g.columns || (declared.height !== g.rows && declared.height !== 0)))
    throw invalid(
      `The ${syntax.name} frame is ${declared.width}×${declared.height} but the header says ${g.columns}×${g.rows}: the stream is corrupt.`,
      { streamWidth: declared.width, streamHeight: declared.height, columns: g.columns, rows: g.rows },
    );
  let decoded: DecodedFrame;
  switch (syntax.encoding) {
    case 'rle': {
      const bytesPerSample = g.bitsAllocated / 8;
      const bytes = decodeRle(encoded, pixels, g.samples, bytesPerSample);
      return bytesToPixels(bytes, g.bitsAllocated, g.signed, true, count);
    }
    case 'jpeg-2000':
    case 'htj2k':
      if (!hasEndMarker(encoded)) throw invalid('The JPEG 2000 codestream has no end-of-codestream marker: it is truncated or corrupt.');
      decoded = await decodeJpeg2000(encoded);
      break;
    case 'jpeg-ls':
      decoded = await decodeJpegLs(encoded);
      break;
    case 'jpeg-lossless':
      decoded = decodeJpegLossless(encoded, g.bitsAllocated > 8 ? 2 : 1, g.columns, g.rows);
      break;
    case 'jpeg-baseline':
    case 'jpeg-extended':
      decoded = precisionOf(encoded) > 8 ? decodeJpegDct(encoded) : await decodeJpeg8(encoded);
      break;
    default:
      throw new AppliedMLError('E_INTERNAL', `No decoder for ${syntax.name}.`);
  }
  checkDecoded(decoded, g, syntax.name);
  const wide = decoded.bitsPerSample > 8;
  if (!wide && g.bitsAllocated > 8) {
    const widened = new Uint8Array(count * 2);
    for (let i = 0; i < count; i++) widened[2 * i] = decoded.bytes[i]!;
    return bytesToPixels(widened, 16, g.signed, true, count);
  }
  if (wide && g.bitsAllocated === 8)
    throw invalid(`The ${syntax.name} stream holds ${decoded.bitsPerSample}-bit samples but the header allocates 8 bits.`);
  if (decoded.bytes.length < count * (wide ? 2 : 1)) throw invalid(`The ${syntax.name} frame holds too few samples.`);
  return bytesToPixels(decoded.bytes, wide ? 16 : 8, g.signed, true, count);
}

/** Sample precision from a JPEG SOF marker (8 when none is found). */
function precisionOf(jpeg: Uint8Array): number {
  for (let i = 2; i + 4 < jpeg.length;) {
    if (jpeg[i] !== 0xff) return 8;
    const marker = jpeg[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return jpeg[i + 4]!;
    i += 2 + ((jpeg[i + 2]! << 8) | jpeg[i + 3]!);
  }
  return 8;
}

function unpackBits1(bytes: Uint8Array, offsetBits: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const bit = offsetBits + i;
    out[i] = (bytes[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

/** The size limits given: positive integers (a NaN turned its check off, a fraction or a string is a mistake). */
function checkLimits(options: ReadDicomOptions): void {
  checkLimit('maxPixels', options.maxPixels);
  checkLimit('maxDecodedBytes', options.maxDecodedBytes);
  checkLimit('maxBytes', options.maxBytes);
}

/**
 * Read a DICOM file from bytes: every frame's stored values at full bit depth, the technical
 * metadata, and the non-identifying tags. Part 10 files are read, and also files without the 128-byte
 * preamble ('DICM' or the file meta group at offset 0) and data sets without any file meta header
 * (implicit or explicit VR little endian, inferred from their first elements; then
 * `metadata.transferSyntaxInferred` is true). Typed errors: E_INPUT_INVALID (truncated, corrupt,
 * inconsistent), E_FORMAT_UNSUPPORTED (not DICOM, unknown transfer syntax, Float or Double Float Pixel
 * Data), E_INPUT_TOO_LARGE (over
 * `maxBytes`, `maxPixels` or `maxDecodedBytes`, the last two from the header before any pixel is decoded).
 */
export function readDicom(input: Uint8Array | ArrayBuffer, options: ReadDicomOptions = {}): Promise<DicomImage> {
  return readDicomCounting(input, options, () => 0);
}

/**
 * `readDicom`, counting against `maxDecodedBytes` also what the caller will allocate from the frame it
 * shows: `shownBytesPerPixel(samplesPerPixel)` bytes a pixel of one frame (`readMedicalImage`'s Float32
 * images).
 */
export async function readDicomCounting(
  input: Uint8Array | ArrayBuffer,
  options: ReadDicomOptions,
  shownBytesPerPixel: (samplesPerPixel: number) => number,
): Promise<DicomImage> {
  // Only bytes: `new Uint8Array(x)` would take a number as a length (42 → 42 zero bytes), throw a
  // RangeError for Infinity and a TypeError for a bigint.
  if (!types.isUint8Array(input) && !types.isAnyArrayBuffer(input))
    throw invalid(`readDicom takes the file's bytes (a Uint8Array, Buffer or ArrayBuffer), not ${kindOf(input)}.`);
  checkKnownKeys('readDicom options', options, OPTION_KEYS);
  checkLimits(options);
  const logger = options.logger ?? silentLogger;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxPixels = options.maxPixels ?? DICOM_DEFAULT_MAX_PIXELS;
  const maxDecodedBytes = options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
  const bytes = types.isUint8Array(input) ? input : new Uint8Array(input);
  if (bytes.length > maxBytes) throw fileTooLarge(bytes.length, maxBytes);
  const { ds, inferredSyntax } = parse(bytes, maxBytes, logger);

  const tsUid = inferredSyntax ?? (str(ds, 'x00020010') ?? '').replace(/\0/g, '').trim();
  const syntax = transferSyntaxFor(tsUid);
  if (!syntax)
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `DICOM transfer syntax ${tsUid || '(none)'} is not supported.`, {
      details: { transferSyntax: tsUid },
    });
  const pixelEl = ds.elements.x7fe00010;
  if (!pixelEl) {
    // Parametric maps and other computed images keep their values as floats in elements of their own:
    // pixel data, only not the integer kind this reader decodes (it said "no pixel data").
    const float = FLOAT_PIXEL_DATA.find((f) => ds.elements[f.tag]);
    if (float)
      throw new AppliedMLError(
        'E_FORMAT_UNSUPPORTED',
        `The DICOM file holds ${float.name} (${float.element}), which is not decoded: only integer Pixel Data (7FE0,0010) is.`,
        { details: { element: float.element, name: float.name } },
      );
    // A file cut between two elements parses whole: its data set just ends early. Which element it
    // ends after is said, and that such a file is truncated (or not an image at all).
    const last = Object.keys(ds.elements)
      .filter((k) => /^x[0-9a-f]{8}$/.test(k) && !k.startsWith('x0002'))
      .sort()
      .at(-1);
    const after = last ? `(${last.slice(1, 5).toUpperCase()},${last.slice(5).toUpperCase()})` : undefined;
    throw invalid(
      `The DICOM file holds no pixel data (7FE0,0010): its data set ends ${after ? `after ${after}` : 'with no element'}, so the file is truncated, or holds no image.`,
      after ? { lastElement: after } : {},
    );
  }

  const rows = intAttr(ds, 'x00280010', 'Rows') ?? 0;
  const columns = intAttr(ds, 'x00280011', 'Columns') ?? 0;
  const frameCount = intAttr(ds, 'x00280008', 'NumberOfFrames') ?? 1;
  const samples = intAttr(ds, 'x00280002', 'SamplesPerPixel') ?? 1;
  const bitsAllocated = intAttr(ds, 'x00280100', 'BitsAllocated') ?? 0;
  const bitsStored = intAttr(ds, 'x00280101', 'BitsStored') ?? bitsAllocated;
  const signed = (intAttr(ds, 'x00280103', 'PixelRepresentation') ?? 0) === 1;
  const highBit = intAttr(ds, 'x00280102', 'HighBit') ?? bitsStored - 1;
  const photometric = (str(ds, 'x00280004') ?? 'MONOCHROME2').trim();
  if (rows < 1 || columns < 1) throw invalid(`DICOM Rows × Columns ${rows} × ${columns} is not an image.`);
  if (frameCount < 1) throw invalid(`DICOM NumberOfFrames ${frameCount} is not a positive integer.`);
  if (samples !== 1 && samples !== 3) throw invalid(`DICOM SamplesPerPixel ${samples} is not 1 or 3.`);
  if (![1, 8, 16, 32].includes(bitsAllocated))
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `DICOM Bits Allocated ${bitsAllocated} is not supported (1, 8, 16 and 32 are).`);
  if (bitsAllocated > 1 && !(bitsStored >= 1 && bitsStored <= bitsAllocated && highBit >= bitsStored - 1 && highBit < bitsAllocated))
    throw invalid(`DICOM Bits Stored ${bitsStored} / High Bit ${highBit} do not fit Bits Allocated ${bitsAllocated}.`);
  const total = rows * columns * frameCount;
  if (total > maxPixels)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `The DICOM image declares ${total} pixels (${rows} × ${columns} × ${frameCount} frame${frameCount === 1 ? '' : 's'}), over the maxPixels limit of ${maxPixels}.`,
      {
        details: { rows, columns, frames: frameCount, maxPixels },
      },
    );
  const g: Geometry = { rows, columns, samples, bitsAllocated, signed };
  const pixels = rows * columns;
  const count = pixels * samples;
  // What decoding allocates, from the header, before any pixel data is read: every frame's stored values
  // (one byte a 1-bit value), two frames more for the copies one frame's decoding makes (the frame's
  // bytes, the RLE segments or a codec's output, then its typed array; the stored bits kept), and what
  // the caller makes from the frame it shows. An RLE frame of 16,384 × 16,384 RGB at 32 bits (within
  // maxPixels) takes a few kilobytes and allocated 3 GiB before its segments were looked at.
  const frameBytes = count * (bitsAllocated <= 8 ? 1 : bitsAllocated / 8);
  const decodedBytes = frameBytes * (frameCount + 2) + pixels * shownBytesPerPixel(samples);
  if (decodedBytes > maxDecodedBytes)
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `Reading this DICOM image (${rows} × ${columns}, ${frameCount} frame${frameCount === 1 ? '' : 's'}, ${samples} sample${samples === 1 ? '' : 's'} a pixel, ` +
        `${bitsAllocated} bits allocated) would allocate ${formatBytes(decodedBytes)}, over the maxDecodedBytes limit of ${formatBytes(maxDecodedBytes)}; ` +
        'raise maxDecodedBytes to read it.',
      { details: { rows, columns, frames: frameCount, samplesPerPixel: samples, bitsAllocated, decodedBytes, maxDecodedBytes } },
    );
  const frames: DicomPixelArray[] = [];
  let decodedPhotometric = photometric;

  if (syntax.encoding === 'native' || syntax.encoding === 'deflated') {
    if (pixelEl.encapsulatedPixelData) throw invalid('Pixel data is encapsulated under an uncompressed transfer syntax.');
    const data = ds.byteArray;
    // YBR 4:2:2 stores two samples a pixel (Y1 Y2 Cb Cr for each horizontal pair): a row of an even
    // number of pixels, interleaved, of 8 or 16 bits.
    const ybr422 = samples === 3 && /^YBR_(FULL|PARTIAL)_422$/.test(photometric);
    if (ybr422) {
      const planarConfiguration = ds.uint16('x00280006') ?? 0;
      const problem =
        photometric === 'YBR_PARTIAL_422'
          ? 'the retired YBR_PARTIAL_422 is not decoded (YBR_FULL_422 is)'
          : columns % 2 !== 0
            ? `its ${columns} columns are odd (each pair of pixels shares its chroma)`
            : planarConfiguration !== 0
              ? `Planar Configuration ${planarConfiguration} is not the 0 it requires`
              : bitsAllocated !== 8 && bitsAllocated !== 16
                ? `Bits Allocated ${bitsAllocated} is not 8 or 16`
                : undefined;
      if (problem)
        throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `Uncompressed ${photometric} pixel data is not decoded: ${problem}.`, {
          details: { photometricInterpretation: photometric, columns, planarConfiguration, bitsAllocated },
        });
    }
    const stored = ybr422 ? pixels * 2 : count;
    // What the header says the pixel data holds (bits packed for 1-bit), and what the file holds: the
    // element's length, cut at the end of the file.
    const need = bitsAllocated === 1 ? Math.ceil((count * frameCount) / 8) : ((stored * bitsAllocated) / 8) * frameCount;
    const actual = Math.max(0, Math.min(pixelEl.length, data.length - pixelEl.dataOffset));
    if (actual < need)
      throw invalid(`DICOM pixel data holds ${actual} bytes where ${need} are expected: the file is truncated.`, {
        expectedBytes: need,
        actualBytes: actual,
      });
    // One byte pads an odd length to even (PS3.5 §8.1.1); anything more is read past, as pydicom does, with a warning.
    if (actual > need + (need % 2))
      logger.warn(`dicom pixel data holds ${actual} bytes where ${need} are expected; the ${actual - need} bytes after them are ignored`, {
        expectedBytes: need,
        actualBytes: actual,
      });
    if (bitsAllocated === 1) {
      for (let f = 0; f < frameCount; f++) frames.push(unpackBits1(data.subarray(pixelEl.dataOffset), f * count, count));
    } else {
      const frameBytes = (stored * bitsAllocated) / 8;
      const planar = samples > 1 && !ybr422 && (ds.uint16('x00280006') ?? 0) === 1;
      for (let f = 0; f < frameCount; f++) {
        let frameData = data.subarray(pixelEl.dataOffset + f * frameBytes, pixelEl.dataOffset + (f + 1) * frameBytes);
        if (!syntax.littleEndian && bitsAllocated === 8 && pixelEl.vr === 'OW') {
          // 8-bit samples in a big-endian OW element are byte-swapped in pairs.
          const swapped = new Uint8Array(frameData.length);
          for (let i = 0; i + 1 < frameData.length; i += 2) {
            swapped[i] = frameData[i + 1]!;
            swapped[i + 1] = frameData[i]!;
          }
          frameData = swapped;
        }
        let values = bytesToPixels(Uint8Array.from(frameData), bitsAllocated, signed, syntax.littleEndian, stored);
        if (planar) values = interleave(values, pixels, samples);
        if (ybr422) values = expandYbr422(values, pixels);
        frames.push(values);
      }
      if (ybr422) decodedPhotometric = 'YBR_FULL';
    }
  } else {
    if (bitsAllocated !== 8 && bitsAllocated !== 16 && !(syntax.encoding === 'rle' && bitsAllocated === 32))
      throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `Compressed DICOM with Bits Allocated ${bitsAllocated} is not supported.`);
    if (!pixelEl.encapsulatedPixelData) throw invalid(`${syntax.name} pixel data is not encapsulated.`);
    const encoded = encapsulatedFrames(ds, pixelEl, frameCount);
    for (const frame of encoded) frames.push(await decodeCompressed(frame, syntax, g));
    if (samples === 3 && (syntax.encoding === 'jpeg-baseline' || syntax.encoding === 'jpeg-extended') && photometric.startsWith('YBR'))
      decodedPhotometric = 'RGB';
    if (samples === 3 && syntax.encoding !== 'rle' && photometric.startsWith('YBR_ICT')) decodedPhotometric = 'RGB';
    if (samples === 3 && syntax.encoding !== 'rle' && photometric.startsWith('YBR_RCT')) decodedPhotometric = 'RGB';
  }

  // Only Bits Stored of each sample carry the value (High Bit its top bit); the bits above may hold
  // overlays or junk, and a signed value need not be sign-extended into them (PS3.5 §8.1.1).
  if (bitsAllocated > 1 && bitsStored < bitsAllocated)
    for (let f = 0; f < frames.length; f++) frames[f] = keepStoredBits(frames[f]!, bitsStored, highBit, signed);
  // A window, spacing, thickness, position or orientation whose text is not numbers is a hint left out,
  // with one warning for each element.
  const warned = new Set<string>();
  const unreadable: Unreadable = (tag, text) => {
    if (warned.has(tag)) return;
    warned.add(tag);
    const { tag: at, name } = NUMBER_ELEMENTS[tag] ?? { tag, name: 'element' };
    const what = tag === 'x00281050' || tag === 'x00281051' ? "the file's window is left out" : 'it is left out of the metadata';
    logger.warn(`dicom ${name} ${at} is ${quoted(text)}, not a number: ${what}`, { tag: at, value: text });
  };
  const spacing = groupNumbers(ds, 'x00280030', 0, unreadable) ?? numbers(ds, 'x00181164', unreadable);
  const first = frameValues(ds, 0, unreadable);
  const perFrame = perFrameValues(ds, frameCount, unreadable);
  const voi = lutOrProblem(ds, 'x00283010', logger);
  const orientation = str(ds, 'x00200020');
  const metadata: DicomMetadata = {
    transferSyntaxUid: syntax.uid,
    transferSyntaxName: syntax.name,
    photometricInterpretation: photometric,
    rows,
    columns,
    frames: frameCount,
    samplesPerPixel: samples,
    bitsAllocated,
    bitsStored,
    signed,
    rescaleSlope: first.rescaleSlope,
    rescaleIntercept: first.rescaleIntercept,
  };
  if (inferredSyntax) metadata.transferSyntaxInferred = true;
  const modality = str(ds, 'x00080060');
  if (modality) metadata.modality = modality.trim();
  const sop = str(ds, 'x00080016');
  if (sop) metadata.sopClassUid = sop.replace(/\0/g, '').trim();
  if (spacing && spacing.length >= 2) metadata.pixelSpacing = [spacing[0]!, spacing[1]!];
  const thickness = groupNumbers(ds, 'x00180050', 0, unreadable)?.[0];
  if (thickness !== undefined) metadata.sliceThickness = thickness;
  const position = groupNumbers(ds, 'x00200032', 0, unreadable);
  if (position) metadata.imagePositionPatient = position;
  const orient = groupNumbers(ds, 'x00200037', 0, unreadable);
  if (orient) metadata.imageOrientationPatient = orient;
  if (orientation) metadata.patientOrientation = orientation.split('\\').map((s) => s.trim());
  const body = str(ds, 'x00180015');
  if (body) metadata.bodyPartExamined = body.trim();
  const rescaleType = str(ds, 'x00281054');
  if (rescaleType) metadata.rescaleType = rescaleType.trim();
  if (first.windowCenter !== undefined && first.windowWidth !== undefined) {
    metadata.windowCenter = first.windowCenter;
    metadata.windowWidth = first.windowWidth;
    if (first.voiLutFunction) metadata.voiLutFunction = first.voiLutFunction;
  }
  // A LUT that cannot be read refuses the file only where it would be applied. A Modality LUT is applied
  // to every grayscale frame unless the frames carry their own rescale (perFrame); there it is refused
  // now. A VOI LUT is applied only by dicomToDisplay's 'auto' on a grayscale frame without a usable window,
  // which depends on the call: it is left out with its problem in metadata.voiLutProblem, and
  // dicomToDisplay refuses such a frame. Either way left out, it is one warning; a colour image's is
  // never applied.
  if (voi.lut) metadata.voiLut = voi.lut;
  else if (voi.problem) {
    if (samples === 1) metadata.voiLutProblem = { message: voi.problem.message, details: { ...voi.problem.details } };
    logger.warn(
      `dicom VOI LUT Sequence left out: ${voi.problem.message}${samples === 1 ? ' dicomToDisplay refuses a frame it would be applied to (no usable window).' : ''}`,
      { ...voi.problem.details },
    );
  }
  const modalityRead = samples === 1 ? lutOrProblem(ds, 'x00283000', logger) : {};
  if (modalityRead.problem && !perFrame) throw modalityRead.problem;
  if (modalityRead.problem)
    logger.warn(`dicom Modality LUT Sequence left out (the frames carry their own rescale): ${modalityRead.problem.message}`, {
      ...modalityRead.problem.details,
    });
  if (modalityRead.lut && modalityRead.lut.data.length > 0) metadata.modalityLut = modalityRead.lut;
  const padding = pixelValueAttr(ds, 'x00280120', signed);
  if (padding !== undefined) {
    metadata.pixelPaddingValue = padding;
    const limit = pixelValueAttr(ds, 'x00280121', signed);
    if (limit !== undefined) metadata.pixelPaddingRangeLimit = limit;
  }
  if (perFrame) metadata.perFrame = perFrame;
  const manufacturer = str(ds, 'x00080070');
  if (manufacturer) metadata.manufacturer = manufacturer.trim();
  // Only technical facts are logged; never names, ids or dates.
  logger.debug('dicom decoded', { modality: metadata.modality, transferSyntax: syntax.name, rows, columns, frames: frameCount });
  return { rows, columns, samplesPerPixel: samples, photometric: decodedPhotometric, frames, metadata, tags: tagList(ds) };
}

/** Read a DICOM file from disk (see `readDicom`); a directory, FIFO or device is `E_IO`, and errors name the file. */
/** E_INPUT_TOO_LARGE for a DICOM file of `bytes` bytes over `maxBytes`. */
function fileTooLarge(bytes: number, maxBytes: number): AppliedMLError {
  return new AppliedMLError('E_INPUT_TOO_LARGE', `The DICOM file is ${bytes} bytes, over the maxBytes limit of ${maxBytes}.`, {
    details: { bytes, maxBytes },
  });
}

export async function readDicomFile(path: string, options: ReadDicomOptions = {}): Promise<DicomImage> {
  // A number would be read as a file descriptor.
  if (typeof path !== 'string' || path === '') throw invalid(`readDicomFile takes a file path, not ${kindOf(path)}.`);
  checkKnownKeys('readDicomFile options', options, OPTION_KEYS);
  checkLimits(options);
  // A directory, FIFO or device is refused before it is opened; errors from the bytes name the file.
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, 'DICOM file', { maxBytes, refuse: (size) => fileTooLarge(size, maxBytes) });
  } catch (error) {
    throw namingFile(error, path);
  }
  try {
    return await readDicom(bytes, options);
  } catch (error) {
    throw namingFile(error, path);
  }
}
