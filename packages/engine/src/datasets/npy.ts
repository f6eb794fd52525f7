import { open, type FileHandle } from 'node:fs/promises';
import { HOST_BYTE_ORDER, hostOrderBytes } from '../byte-order';
import { AppliedMLError, describeValue } from '../errors';
import { checkIntegerOption, checkKnownKeys } from '../option-checks';
import { statRegularFile } from './file-kind';
import { parsePythonLiteral, PythonLiteralError, type PythonLiteral } from './python-literal';

/**
 * NumPy `.npy` reader and writer (format versions 1.0, 2.0 and 3.0).
 *
 * Decisions:
 * - Supported dtypes: bool (`|b1`), int8/16/32/64, uint8/16/32/64, float16/32/64, in little- or
 *   big-endian order (`<`, `>`, `|`, `=`). Big-endian data is converted to the host order.
 * - `data` is a typed array: bool → Uint8Array of 0/1; int8 → Int8Array; uint8 → Uint8Array;
 *   int16 → Int16Array; uint16 → Uint16Array; int32 → Int32Array; uint32 → Uint32Array;
 *   float16 → Float32Array (widened exactly); float32 → Float32Array; float64 → Float64Array.
 * - int64/uint64 → Float64Array by default, exact for |x| <= 2^53; a larger value throws
 *   E_FORMAT_UNSUPPORTED (never a silently rounded number). Pass `{ int64: 'bigint' }` to get
 *   BigInt64Array / BigUint64Array instead.
 * - `data` is always in C (row-major) order. A file saved with fortran_order=True (ADBench's X
 *   arrays are) is transposed on read; `fortranOrder` reports how the file stored it.
 * - Object (`|O`, pickle), unicode (`<U…`), bytes, void/structured, complex and datetime dtypes are
 *   rejected with E_FORMAT_UNSUPPORTED. Pickle is never loaded; the header is parsed by a small
 *   literal parser, never evaluated.
 * - The byte count must match the header exactly: short → E_INPUT_INVALID (truncated), extra bytes
 *   → E_INPUT_INVALID (corrupt). Header longer than `maxHeaderBytes` or data larger than
 *   `maxBytes` → E_INPUT_TOO_LARGE, checked before anything is allocated; `readNpy` reads the
 *   preamble and header first and checks these (and the file's size against the header) before it
 *   reads the data.
 */

export type NpyDtype =
  'bool' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float16' | 'float32' | 'float64';

export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface NpyArray {
  /** The dtype stored in the file (see the module notes for the typed array each one becomes). */
  dtype: NpyDtype;
  /** Dimensions; `[]` for a 0-d scalar. */
  shape: number[];
  /** Elements in C order; length = product of shape. */
  data: NpyData;
  /** True when the file stored the array column-major. `data` has already been put in C order. */
  fortranOrder: boolean;
}

export interface NpyParseOptions {
  /** Largest data section accepted, in bytes (default 2 GiB). */
  maxBytes?: number;
  /** Largest header accepted, in bytes (default 64 KiB; NumPy itself writes < 1 KiB). */
  maxHeaderBytes?: number;
  /** How int64/uint64 arrive: 'number' (Float64Array, exact or an error; default) or 'bigint'. */
  int64?: 'number' | 'bigint';
}

export interface NpyWriteInput {
  data: NpyData | readonly number[];
  /** Defaults to `[data.length]`. */
  shape?: readonly number[];
  /** Defaults from the typed array (number[] → float64). Use 'bool' for a 0/1 Uint8Array, 'int64' to write numbers as int64. */
  dtype?: NpyDtype;
}

export interface NpyWriteOptions {
  /** Format version (default: 1, or 2 when the header needs it). */
  version?: 1 | 2 | 3;
  /** Byte order of the data (default 'little'). */
  byteOrder?: 'little' | 'big';
  /** Store column-major with fortran_order=True (input `data` is C order). */
  fortranOrder?: boolean;
}

/** parseNpy's and readNpy's option names: a misspelt `maxbytes` or `int46` was ignored. */
export const NPY_PARSE_KEYS = Object.keys({ maxBytes: 1, maxHeaderBytes: 1, int64: 1 } satisfies Record<keyof NpyParseOptions, 1>);

export const NPY_DEFAULT_MAX_BYTES = 2 * 1024 ** 3;
export const NPY_DEFAULT_MAX_HEADER_BYTES = 64 * 1024;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DTYPE_SIZE: Record<NpyDtype, number> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float16: 2,
  float32: 4,
  float64: 8,
};

const KIND_NAMES: Record<string, string> = {
  O: 'Python objects (pickle)',
  U: 'unicode strings',
  S: 'byte strings',
  a: 'byte strings',
  V: 'void/structured records',
  c: 'complex numbers',
  M: 'datetime64',
  m: 'timedelta64',
};

function invalid(message: string, details?: Record<string, unknown>, cause?: unknown): AppliedMLError {
  return new AppliedMLError('E_INPUT_INVALID', message, { details: details ?? {}, cause });
}

function toBytes(input: Uint8Array | ArrayBuffer): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw invalid('parseNpy expects a Uint8Array, Buffer or ArrayBuffer.');
}

interface ParsedDescr {
  dtype: NpyDtype;
  littleEndian: boolean;
}

function parseDescr(descr: string): ParsedDescr {
  const match = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  const order = match?.[1] ?? '';
  const kind = match?.[2] ?? '';
  const size = Number(match?.[3] ?? '');
  const unsupported = (why: string): AppliedMLError =>
    new AppliedMLError(
      'E_FORMAT_UNSUPPORTED',
      `.npy dtype '${descr}' is not supported (${why}). Save a numeric array instead, e.g. arr.astype('float32').`,
      { details: { descr } },
    );
  if (!match) throw unsupported('unrecognised dtype string');
  if (KIND_NAMES[kind]) throw unsupported(KIND_NAMES[kind] as string);
  let dtype: NpyDtype | undefined;
  if (kind === 'b' && size === 1) dtype = 'bool';
  else if (kind === 'i' && [1, 2, 4, 8].includes(size)) dtype = `int${size * 8}` as NpyDtype;
  else if (kind === 'u' && [1, 2, 4, 8].includes(size)) dtype = `uint${size * 8}` as NpyDtype;
  else if (kind === 'f' && [2, 4, 8].includes(size)) dtype = `float${size * 8}` as NpyDtype;
  if (!dtype) throw unsupported(kind === 'f' ? 'only float16/32/64' : 'unknown kind or size');
  if (order === '|' && size !== 1) throw unsupported("byte order '|' is only valid for 1-byte types");
  const littleEndian = order === '>' ? false : order === '<' ? true : HOST_BYTE_ORDER === 'little';
  return { dtype, littleEndian };
}

function float16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function decodeData(bytes: Uint8Array, count: number, dtype: NpyDtype, littleEndian: boolean, int64: 'number' | 'bigint'): NpyData {
  const size = DTYPE_SIZE[dtype] as 1 | 2 | 4 | 8;
  // A fresh copy in this machine's byte order at the start of its own buffer, so aligned for any typed
  // array: the source view may sit at any offset, and the file may be of the other byte order.
  const host = hostOrderBytes(bytes.subarray(0, count * size), littleEndian ? 'little' : 'big', size);
  const { buffer, byteOffset } = host;
  switch (dtype) {
    case 'bool': {
      for (let i = 0; i < count; i++) if (host[i] !== 0) host[i] = 1;
      return host;
    }
    case 'uint8':
      return host;
    case 'int8':
      return new Int8Array(buffer, byteOffset, count);
    case 'float16': {
      const halves = new Uint16Array(buffer, byteOffset, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = float16ToNumber(halves[i] as number);
      return out;
    }
    case 'int64':
    case 'uint64': {
      const exact = dtype === 'int64' ? new BigInt64Array(buffer, byteOffset, count) : new BigUint64Array(buffer, byteOffset, count);
      if (int64 === 'bigint') return exact;
      const words = new Uint32Array(buffer, byteOffset, count * 2);
      const loOff = HOST_BYTE_ORDER === 'little' ? 0 : 1;
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const lo = words[i * 2 + loOff] as number;
        const high = words[i * 2 + 1 - loOff] as number;
        const hi = dtype === 'int64' ? high | 0 : high;
        // |x| <= 2^53 exactly when hi lies in [-2^21, 2^21] (2^21 only with lo = 0).
        if (hi < -2097152 || hi > 2097152 || (hi === 2097152 && lo !== 0)) {
          throw new AppliedMLError(
            'E_FORMAT_UNSUPPORTED',
            `${dtype} value ${exact[i]} at flat index ${i} exceeds 2^53 and cannot be represented exactly as a number; parse with { int64: 'bigint' }.`,
            { details: { index: i, value: (exact[i] as bigint).toString() } },
          );
        }
        out[i] = hi * 4294967296 + lo;
      }
      return out;
    }
    case 'int16':
      return new Int16Array(buffer, byteOffset, count);
    case 'uint16':
      return new Uint16Array(buffer, byteOffset, count);
    case 'int32':
      return new Int32Array(buffer, byteOffset, count);
    case 'uint32':
      return new Uint32Array(buffer, byteOffset, count);
    case 'float32':
      return new Float32Array(buffer, byteOffset, count);
    default:
      return new Float64Array(buffer, byteOffset, count);
  }
}

type Indexable = { [index: number]: number | bigint; length: number };

/** Reorders column-major data into row-major order (any number of dimensions). */
function reorder<T extends NpyData>(data: T, shape: readonly number[], fromFortran: boolean): T {
  const out = new (data.constructor as new (length: number) => T)(data.length);
  const src = data as unknown as Indexable;
  const dst = out as unknown as Indexable;
  const d = shape.length;
  if (d < 2 || data.length === 0) {
    (out as unknown as { set(a: T): void }).set(data); // 0-d, 1-d and empty need no reordering
    return out;
  }
  // Column-major strides: stride[0] = 1, stride[k] = stride[k-1] * shape[k-1].
  const fStride = new Array<number>(d);
  fStride[0] = 1;
  for (let k = 1; k < d; k++) fStride[k] = (fStride[k - 1] as number) * (shape[k - 1] as number);
  const idx = new Array<number>(d).fill(0);
  let f = 0;
  for (let c = 0; c < data.length; c++) {
    if (fromFortran) dst[c] = src[f] as number;
    else dst[f] = src[c] as number;
    let k = d - 1;
    idx[k] = (idx[k] as number) + 1;
    f += fStride[k] as number;
    while (k > 0 && idx[k] === shape[k]) {
      f -= (fStride[k] as number) * (shape[k] as number);
      idx[k] = 0;
      k--;
      idx[k] = (idx[k] as number) + 1;
      f += fStride[k] as number;
    }
  }
  return out;
}

interface NpyHeader {
  dtype: NpyDtype;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  count: number;
  dataOffset: number;
}

interface NpyPreamble {
  major: number;
  headerStart: number;
  headerLength: number;
}

/** The magic string, version and header length: the first 10 (version 1) or 12 bytes. */
function readPreamble(bytes: Uint8Array, maxHeaderBytes: number): NpyPreamble {
  if (bytes.length === 0) throw invalid('The .npy input is empty (0 bytes).');
  for (let i = 0; i < MAGIC.length; i++) {
    if (i >= bytes.length) throw invalid(`The .npy input is truncated: ${bytes.length} bytes, shorter than the magic string.`);
    if (bytes[i] !== MAGIC[i]) {
      const zip = bytes[0] === 0x50 && bytes[1] === 0x4b;
      throw new AppliedMLError(
        'E_FORMAT_UNSUPPORTED',
        zip
          ? 'This is a zip archive (probably .npz), not a .npy array: read it with readNpz/parseNpz.'
          : 'Not a .npy file: it does not start with the magic bytes \\x93NUMPY.',
        { details: { firstBytes: Array.from(bytes.subarray(0, 8)) } },
      );
    }
  }
  if (bytes.length < 10) throw invalid('The .npy input is truncated inside its preamble.', { bytes: bytes.length });
  const major = bytes[6] as number;
  const minor = bytes[7] as number;
  if (major < 1 || major > 3 || minor !== 0) {
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `.npy format version ${major}.${minor} is not supported (1.0, 2.0 and 3.0 are).`, {
      details: { version: `${major}.${minor}` },
    });
  }
  const lengthSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthSize) throw invalid('The .npy input is truncated inside its preamble.', { bytes: bytes.length });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthSize;
  if (headerLength > maxHeaderBytes) {
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `.npy header is ${headerLength} bytes, over the ${maxHeaderBytes}-byte limit; the file is corrupt or not a plain NumPy array (raise maxHeaderBytes if you trust it).`,
      { details: { headerLength, maxHeaderBytes } },
    );
  }
  return { major, headerStart, headerLength };
}

function readHeader(bytes: Uint8Array, maxHeaderBytes: number): NpyHeader {
  const { major, headerStart, headerLength } = readPreamble(bytes, maxHeaderBytes);
  if (headerStart + headerLength > bytes.length) {
    throw invalid(`The .npy input is truncated: its header needs ${headerLength} bytes but only ${bytes.length - headerStart} remain.`, {
      headerLength,
      bytes: bytes.length,
    });
  }
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLength);
  let headerText: string;
  try {
    headerText = major === 3 ? new TextDecoder('utf-8', { fatal: true }).decode(headerBytes) : latin1(headerBytes);
  } catch (cause) {
    throw invalid('The .npy header is not valid UTF-8.', {}, cause);
  }
  let literal: PythonLiteral;
  try {
    literal = parsePythonLiteral(headerText);
  } catch (cause) {
    const why = cause instanceof PythonLiteralError ? cause.message : String(cause);
    throw invalid(
      `The .npy header is not a valid dict literal (${why}); the file is corrupt.`,
      { header: headerText.slice(0, 200) },
      cause,
    );
  }
  if (typeof literal !== 'object' || literal === null || Array.isArray(literal)) {
    throw invalid('The .npy header must be a dict.', { header: headerText.slice(0, 200) });
  }
  const keys = Object.keys(literal).sort();
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    throw invalid(`The .npy header must have exactly the keys descr, fortran_order and shape; found ${keys.join(', ') || 'none'}.`, {
      keys,
    });
  }
  const { descr, fortran_order: fortranOrder, shape } = literal as Record<string, PythonLiteral>;
  if (Array.isArray(descr)) {
    throw new AppliedMLError(
      'E_FORMAT_UNSUPPORTED',
      '.npy structured (record) dtypes are not supported; save each field as its own array.',
      {
        details: { descr: JSON.stringify(descr).slice(0, 200) },
      },
    );
  }
  if (typeof descr !== 'string') throw invalid(`The .npy header 'descr' must be a string; got ${JSON.stringify(descr)}.`);
  if (typeof fortranOrder !== 'boolean')
    throw invalid(`The .npy header 'fortran_order' must be True or False; got ${JSON.stringify(fortranOrder)}.`);
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw invalid(`The .npy header 'shape' must be a tuple of non-negative integers; got ${JSON.stringify(shape)}.`);
  }
  const dims = shape as number[];
  const { dtype, littleEndian } = parseDescr(descr);
  let count = 1;
  for (const d of dims) {
    count *= d;
    if (!Number.isSafeInteger(count * DTYPE_SIZE[dtype])) {
      throw new AppliedMLError('E_INPUT_TOO_LARGE', `.npy shape (${dims.join(', ')}) is too large to address.`, {
        details: { shape: dims },
      });
    }
  }
  return { dtype, littleEndian, fortranOrder, shape: dims, count, dataOffset: headerStart + headerLength };
}

function latin1(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

/**
 * The data section's size in bytes, once the header is read: over `maxBytes` → E_INPUT_TOO_LARGE; fewer
 * or more than `available` bytes after the header → E_INPUT_INVALID (truncated, or trailing bytes).
 */
function checkDataSize(header: NpyHeader, available: number, maxBytes: number): number {
  const byteLength = header.count * DTYPE_SIZE[header.dtype];
  const shapeText = `(${header.shape.join(', ')})`;
  if (byteLength > maxBytes) {
    throw new AppliedMLError(
      'E_INPUT_TOO_LARGE',
      `.npy array ${header.dtype}${shapeText} needs ${byteLength} bytes, over the ${maxBytes}-byte limit (raise maxBytes if you expect it).`,
      { details: { shape: header.shape, dtype: header.dtype, byteLength, maxBytes } },
    );
  }
  if (available < byteLength) {
    throw invalid(
      `The .npy data is truncated: the header declares ${header.dtype}${shapeText} = ${byteLength} bytes but only ${available} are present.`,
      { shape: header.shape, dtype: header.dtype, expectedBytes: byteLength, actualBytes: available },
    );
  }
  if (available > byteLength) {
    throw invalid(
      `The .npy data has ${available - byteLength} unexpected trailing bytes after ${header.dtype}${shapeText}; the file is corrupt.`,
      { shape: header.shape, dtype: header.dtype, expectedBytes: byteLength, actualBytes: available },
    );
  }
  return byteLength;
}

function checkLimits(options: NpyParseOptions): { maxBytes: number; maxHeaderBytes: number } {
  // A NaN limit turned the size guards off.
  checkIntegerOption('maxBytes', options.maxBytes, 0, Number.MAX_SAFE_INTEGER);
  checkIntegerOption('maxHeaderBytes', options.maxHeaderBytes, 0, Number.MAX_SAFE_INTEGER);
  return {
    maxBytes: options.maxBytes ?? NPY_DEFAULT_MAX_BYTES,
    maxHeaderBytes: options.maxHeaderBytes ?? NPY_DEFAULT_MAX_HEADER_BYTES,
  };
}

/** Parses a `.npy` file held in memory. See the module notes for dtypes, order and limits. */
export function parseNpy(input: Uint8Array | ArrayBuffer, options: NpyParseOptions = {}): NpyArray {
  checkKnownKeys('parseNpy options', options, NPY_PARSE_KEYS);
  const { maxBytes, maxHeaderBytes } = checkLimits(options);
  const bytes = toBytes(input);
  const header = readHeader(bytes, maxHeaderBytes);
  checkDataSize(header, bytes.length - header.dataOffset, maxBytes);
  let data = decodeData(bytes.subarray(header.dataOffset), header.count, header.dtype, header.littleEndian, options.int64 ?? 'number');
  if (header.fortranOrder && header.shape.length > 1) data = reorder(data, header.shape, true);
  return { dtype: header.dtype, shape: header.shape, data, fortranOrder: header.fortranOrder };
}

/** Up to `length` bytes of the file from its start (fewer when it ends first). */
async function readStart(handle: FileHandle, length: number, path: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let filled = 0;
  try {
    while (filled < length) {
      const { bytesRead } = await handle.read(out, filled, length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
  } catch (cause) {
    throw new AppliedMLError('E_IO', `Cannot read .npy file ${path}: ${(cause as Error).message}`, { cause, details: { path } });
  }
  return out.subarray(0, filled);
}

/**
 * Reads and parses a `.npy` file. What is not a regular file (a folder, FIFO, device) and a missing one
 * are E_IO in `statRegularFile`'s words (`details.path`, `details.reason`); other I/O failures become E_IO.
 * The preamble and header are read first: a data section over `maxBytes`, or a file whose size does not
 * match its header (truncated, trailing bytes), is refused before the data is read.
 */
export async function readNpy(path: string, options: NpyParseOptions = {}): Promise<NpyArray> {
  checkKnownKeys('readNpy options', options, NPY_PARSE_KEYS);
  const { maxBytes, maxHeaderBytes } = checkLimits(options);
  // A FIFO or device (/dev/zero) was read without bound: only a regular file is read, as readNpz does.
  await statRegularFile(path, '.npy file');
  // parseNpy's refusals name the file.
  const named = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      if (AppliedMLError.isInstance(error)) {
        throw new AppliedMLError(error.code, `${path}: ${error.message}`, { cause: error, details: { ...error.details, path } });
      }
      throw error;
    }
  };
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw new AppliedMLError('E_IO', `Cannot read .npy file ${path}: ${(cause as Error).message}`, { cause, details: { path } });
  }
  try {
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (cause) {
      throw new AppliedMLError('E_IO', `Cannot read .npy file ${path}: ${(cause as Error).message}`, { cause, details: { path } });
    }
    // The whole file was read before the limit was looked at: 800 MB (and 2.7 s) to refuse a 1 MB maxBytes.
    const preamble = await readStart(handle, Math.min(size, 12), path);
    const { headerStart, headerLength } = named(() => readPreamble(preamble, maxHeaderBytes));
    // A header that runs past the end of the file: parseNpy says so from the file's few bytes.
    let length = size;
    if (headerStart + headerLength <= size) {
      const head = await readStart(handle, headerStart + headerLength, path);
      const header = named(() => readHeader(head, maxHeaderBytes));
      length = header.dataOffset + named(() => checkDataSize(header, size - header.dataOffset, maxBytes));
    }
    const bytes = await readStart(handle, length, path);
    return named(() => parseNpy(bytes, options));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function inferDtype(data: NpyWriteInput['data']): NpyDtype {
  if (Array.isArray(data)) return 'float64';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof BigUint64Array) return 'uint64';
  throw invalid('writeNpy: data must be a typed array or an array of numbers.');
}

function descrFor(dtype: NpyDtype, littleEndian: boolean): string {
  const size = DTYPE_SIZE[dtype];
  const order = size === 1 ? '|' : littleEndian ? '<' : '>';
  const kind = dtype === 'bool' ? 'b' : dtype.startsWith('float') ? 'f' : dtype.startsWith('uint') ? 'u' : 'i';
  return `${order}${kind}${size}`;
}

const INT64_RANGE: Record<'int64' | 'uint64', [bigint, bigint]> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** version 1, 2 or 3, byteOrder 'little' or 'big', fortranOrder a boolean ('middle' meant big-endian). */
function checkWriteOptions(options: NpyWriteOptions): void {
  const { version, byteOrder, fortranOrder } = options as Record<string, unknown>;
  if (version !== undefined && version !== 1 && version !== 2 && version !== 3)
    throw invalid(`writeNpy: version must be 1, 2 or 3 (got ${describeValue(version)}).`, { field: 'version' });
  if (byteOrder !== undefined && byteOrder !== 'little' && byteOrder !== 'big')
    throw invalid(`writeNpy: byteOrder must be 'little' or 'big' (got ${describeValue(byteOrder)}).`, { field: 'byteOrder' });
  if (fortranOrder !== undefined && typeof fortranOrder !== 'boolean')
    throw invalid(`writeNpy: fortranOrder must be true or false (got ${describeValue(fortranOrder)}).`, { field: 'fortranOrder' });
}

/**
 * Serialises an array as `.npy` bytes (for fixtures, caches and tests). Values are written as
 * `dtype`, converting from the input's type; non-integers written as an integer dtype, or values
 * outside the dtype's range, throw E_INPUT_INVALID. float16 output is not supported.
 */
export function writeNpy(input: NpyWriteInput, options: NpyWriteOptions = {}): Uint8Array {
  checkKnownKeys('writeNpy options', options, ['version', 'byteOrder', 'fortranOrder']);
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw invalid(`writeNpy needs {data, dtype?, shape?} (got ${describeValue(input)}).`, { field: 'input' });
  if (!Array.isArray(input.data) && !(ArrayBuffer.isView(input.data) && !(input.data instanceof DataView)))
    throw invalid(`writeNpy: data must be a typed array or an array of numbers (got ${describeValue(input.data)}).`, { field: 'data' });
  const dtype = input.dtype ?? inferDtype(input.data);
  if (!Object.hasOwn(DTYPE_SIZE, dtype))
    throw invalid(`writeNpy: dtype must be one of ${Object.keys(DTYPE_SIZE).join(', ')} (got ${describeValue(dtype)}).`, {
      field: 'dtype',
    });
  checkWriteOptions(options);
  if (dtype === 'float16') throw new AppliedMLError('E_FORMAT_UNSUPPORTED', 'writeNpy cannot write float16; use float32.');
  const shape = input.shape ? [...input.shape] : [input.data.length];
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalid(`writeNpy: shape must be non-negative integers; got [${shape.join(', ')}].`);
  }
  const count = shape.reduce((p, d) => p * d, 1);
  if (count !== input.data.length) {
    throw new AppliedMLError(
      'E_SHAPE_MISMATCH',
      `writeNpy: shape [${shape.join(', ')}] holds ${count} elements but data has ${input.data.length}.`,
      {
        details: { shape, length: input.data.length },
      },
    );
  }
  const littleEndian = (options.byteOrder ?? 'little') === 'little';
  const fortran = options.fortranOrder ?? false;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descrFor(dtype, littleEndian)}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  let version = options.version ?? 1;
  if (version === 1 && dict.length + 11 > 65535) version = 2;
  const preamble = version === 1 ? 10 : 12;
  const total = Math.ceil((preamble + dict.length + 1) / 64) * 64;
  const headerLength = total - preamble;
  const size = DTYPE_SIZE[dtype];
  const out = new Uint8Array(total + count * size);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  const headerText = dict.padEnd(headerLength - 1, ' ') + '\n';
  for (let i = 0; i < headerText.length; i++) out[preamble + i] = headerText.charCodeAt(i);

  let values = input.data as unknown as Indexable;
  if (fortran && shape.length > 1) {
    const typed = Array.isArray(input.data) ? Float64Array.from(input.data as readonly number[]) : (input.data as NpyData);
    values = reorder(typed, shape, false) as unknown as Indexable;
  }

  const base = total;
  for (let i = 0; i < count; i++) {
    const raw = values[i] as number | bigint;
    const at = base + i * size;
    if (dtype === 'int64' || dtype === 'uint64') {
      let big: bigint;
      if (typeof raw === 'bigint') big = raw;
      else if (Number.isInteger(raw)) big = BigInt(raw);
      else throw invalid(`writeNpy: value ${describeValue(raw)} at index ${i} is not an integer (dtype ${dtype}).`, { index: i });
      const [lo, hi] = INT64_RANGE[dtype];
      // DataView wraps silently: 2^70 was written as 0 and -1 as uint64 as 2^64 − 1.
      if (big < lo || big > hi) throw invalid(`writeNpy: value ${big} at index ${i} does not fit dtype ${dtype}.`, { index: i });
      if (dtype === 'int64') view.setBigInt64(at, big, littleEndian);
      else view.setBigUint64(at, big, littleEndian);
      continue;
    }
    // A hole or a string in a plain array was written as NaN.
    if (typeof raw !== 'number' && typeof raw !== 'bigint')
      throw invalid(`writeNpy: value ${describeValue(raw)} at index ${i} is not a number.`, { index: i });
    const value = typeof raw === 'bigint' ? Number(raw) : raw;
    if (dtype === 'float32') view.setFloat32(at, value, littleEndian);
    else if (dtype === 'float64') view.setFloat64(at, value, littleEndian);
    else {
      const ranges: Record<string, [number, number]> = {
        bool: [0, 1],
        int8: [-128, 127],
        uint8: [0, 255],
        int16: [-32768, 32767],
        uint16: [0, 65535],
        int32: [-2147483648, 2147483647],
        uint32: [0, 4294967295],
      };
      const [lo, hi] = ranges[dtype] as [number, number];
      const v = value;
      if (!Number.isInteger(v) || v < lo || v > hi) {
        throw invalid(`writeNpy: value ${value} at index ${i} does not fit dtype ${dtype}.`, { index: i });
      }
      if (size === 1) out[at] = v & 0xff;
      else if (size === 2) view.setUint16(at, v & 0xffff, littleEndian);
      else view.setUint32(at, v >>> 0, littleEndian);
    }
  }
  return out;
}
