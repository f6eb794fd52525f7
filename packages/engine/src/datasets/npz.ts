import { open, type FileHandle } from 'node:fs/promises';
import { inflateSync, unzipSync } from 'fflate';
import { AppliedMLError, describeValue } from '../errors';
import { checkIntegerOption, checkKnownKeys } from '../option-checks';
import { crc32 } from './crc32';
import { statRegularFile } from './file-kind';
import { NPY_DEFAULT_MAX_BYTES, NPY_DEFAULT_MAX_HEADER_BYTES, NPY_PARSE_KEYS, parseNpy, type NpyArray, type NpyParseOptions } from './npy';
import { setOwn } from './own-property';
import { readZipDirectory, readZipDirectoryFrom, type ZipEntry, type ZipRead } from './zip-directory';

/**
 * NumPy `.npz` reader (`np.savez` stored entries and `np.savez_compressed` deflate entries).
 *
 * - Keys are the member names without `.npy` (`X.npy` → `X`); members that are not `.npy` files
 *   (and directories) are ignored. Each is an own property of the result, `__proto__.npy` too.
 * - The central directory is validated before anything is inflated; the uncompressed sizes it
 *   declares are summed and checked against `maxUncompressedBytes` (zip-bomb guard) inside fflate's
 *   `filter`, before inflation. A deflated member declaring more than 1032 times its compressed size
 *   (more than deflate can expand to) → E_INPUT_INVALID, one larger than a .npy within `maxBytes` and
 *   `maxHeaderBytes` → E_INPUT_TOO_LARGE, both before anything is inflated (fflate allocates the
 *   declared size first). Each inflated member must match its declared size and CRC-32.
 * - Each member is then parsed with `parseNpy` (same dtype rules and limits).
 * - Failures: not a zip → E_FORMAT_UNSUPPORTED; truncated/corrupt/CRC mismatch → E_INPUT_INVALID
 *   (with the fflate error as `cause` where there is one); too big → E_INPUT_TOO_LARGE; unknown
 *   compression or encryption → E_FORMAT_UNSUPPORTED; a requested key that is absent → E_INPUT_INVALID.
 */
export interface NpzReadOptions extends NpyParseOptions {
  /** Read only these arrays (names without `.npy`). Others are not inflated. */
  keys?: readonly string[];
  /** Limit on the summed uncompressed size of the members read (default 2 GiB). */
  maxUncompressedBytes?: number;
}

export const NPZ_DEFAULT_MAX_UNCOMPRESSED_BYTES = 2 * 1024 ** 3;

/** The most bytes raw deflate data can inflate to per compressed byte (zlib's documented 1032:1). */
const MAX_DEFLATE_RATIO = 1032;

function stripNpy(name: string): string | undefined {
  return name.endsWith('.npy') ? name.slice(0, -4) : undefined;
}

/** parseNpz's and readNpz's option names (parseNpy's and two of their own): a misspelt one was ignored. */
const NPZ_READ_KEYS = [...NPY_PARSE_KEYS, 'keys', 'maxUncompressedBytes'];

/** What parseNpz and readNpz's file form work out from the options before looking at the archive. */
interface NpzLimits {
  /** Limit on the summed uncompressed size of the members read. */
  limit: number;
  maxBytes: number;
  maxHeaderBytes: number;
  /** The largest .npy parseNpy accepts with these limits: the 12-byte preamble, the header and the data. */
  largestMember: number;
  /** What each member's parseNpy takes (it refuses names it does not know). */
  npyOptions: NpyParseOptions;
}

/** The checks of the options' values, in parseNpz's order (their names are checked by the caller). */
function checkNpzOptions(options: NpzReadOptions): NpzLimits {
  // A NaN limit turned the zip-bomb guard off; a string 'Xy' was read as the keys 'X' and 'y'.
  checkIntegerOption('maxUncompressedBytes', options.maxUncompressedBytes, 0, Number.MAX_SAFE_INTEGER);
  // parseNpy's limits bound each member before it is inflated, so they are checked first too.
  checkIntegerOption('maxBytes', options.maxBytes, 0, Number.MAX_SAFE_INTEGER);
  checkIntegerOption('maxHeaderBytes', options.maxHeaderBytes, 0, Number.MAX_SAFE_INTEGER);
  const maxBytes = options.maxBytes ?? NPY_DEFAULT_MAX_BYTES;
  const maxHeaderBytes = options.maxHeaderBytes ?? NPY_DEFAULT_MAX_HEADER_BYTES;
  if (options.keys !== undefined && (!Array.isArray(options.keys) || !options.keys.every((k) => typeof k === 'string')))
    throw new AppliedMLError('E_INPUT_INVALID', `keys must be a list of array names (got ${describeValue(options.keys)}).`, {
      details: { field: 'keys' },
    });
  const { keys: _keys, maxUncompressedBytes: _limit, ...npyOptions } = options;
  return {
    limit: options.maxUncompressedBytes ?? NPZ_DEFAULT_MAX_UNCOMPRESSED_BYTES,
    maxBytes,
    maxHeaderBytes,
    largestMember: 12 + maxHeaderBytes + maxBytes,
    npyOptions,
  };
}

/** The members to read, after the checks made on the directory alone (nothing inflated yet). */
interface NpzSelection {
  /** The keys to return, in order. */
  wanted: string[];
  byKey: Map<string, ZipEntry>;
  /** The names of the members to inflate. */
  selected: Set<string>;
}

function selectMembers(entries: ZipEntry[], options: NpzReadOptions, limits: NpzLimits): NpzSelection {
  const { maxBytes, maxHeaderBytes, largestMember } = limits;
  const byName = new Map<string, ZipEntry>();
  const byKey = new Map<string, ZipEntry>();
  for (const entry of entries) {
    if (byName.has(entry.name)) {
      throw new AppliedMLError('E_INPUT_INVALID', `Corrupt .npz: member '${entry.name}' appears twice.`, {
        details: { entry: entry.name },
      });
    }
    byName.set(entry.name, entry);
    const key = stripNpy(entry.name);
    if (key !== undefined) byKey.set(key, entry);
  }
  const wanted = options.keys ? [...new Set(options.keys)] : [...byKey.keys()];
  if (wanted.length === 0 && !options.keys) {
    throw new AppliedMLError('E_INPUT_INVALID', `The .npz archive holds no .npy arrays (${entries.length} other member(s)).`, {
      details: { members: entries.slice(0, 20).map((e) => e.name) },
    });
  }
  const missing = wanted.filter((k) => !byKey.has(k));
  if (missing.length > 0) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `The .npz has no array named ${missing.map((k) => `'${k}'`).join(', ')}; it holds: ${[...byKey.keys()].join(', ') || 'nothing'}.`,
      { details: { missing, available: [...byKey.keys()] } },
    );
  }
  const selected = new Set(wanted.map((k) => (byKey.get(k) as ZipEntry).name));
  for (const name of selected) {
    const entry = byName.get(name) as ZipEntry;
    if (entry.flags & 1) {
      throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `.npz member '${name}' is encrypted; encrypted archives are not supported.`, {
        details: { entry: name },
      });
    }
    if (entry.compression !== 0 && entry.compression !== 8) {
      throw new AppliedMLError(
        'E_FORMAT_UNSUPPORTED',
        `.npz member '${name}' uses zip compression method ${entry.compression}; only stored (0) and deflate (8) are supported (np.savez / np.savez_compressed).`,
        { details: { entry: name, compression: entry.compression } },
      );
    }
    // A member larger than a .npy within maxBytes and maxHeaderBytes can be is refused before it is inflated.
    if (entry.uncompressedSize > largestMember) {
      throw new AppliedMLError(
        'E_INPUT_TOO_LARGE',
        `.npz member '${name}' declares ${entry.uncompressedSize} bytes, more than a .npy within maxBytes (${maxBytes}) and maxHeaderBytes (${maxHeaderBytes}) can hold (${largestMember}); refusing before inflating it (raise maxBytes if you expect it).`,
        { details: { entry: name, uncompressedSize: entry.uncompressedSize, maxBytes, maxHeaderBytes } },
      );
    }
    // fflate allocates the size the directory declares before it inflates: a 300-byte archive declaring
    // 2e9 bytes took 1.9 GB. Deflate expands at most 1032-fold (a 258-byte match in 2 bits), so a larger
    // declared size is a damaged or doctored directory.
    if (entry.compression === 8 && entry.uncompressedSize > entry.compressedSize * MAX_DEFLATE_RATIO) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Corrupt .npz: member '${name}' declares ${entry.uncompressedSize} bytes inflated from ${entry.compressedSize} compressed, more than deflate can expand to (${MAX_DEFLATE_RATIO} times); the file is damaged.`,
        {
          details: {
            entry: name,
            compressedSize: entry.compressedSize,
            uncompressedSize: entry.uncompressedSize,
            maxRatio: MAX_DEFLATE_RATIO,
          },
        },
      );
    }
  }
  return { wanted, byKey, selected };
}

/** The zip-bomb guard's refusal: the members read so far and `name` declare more than `limit` bytes. */
function tooMuchDeclared(name: string, originalSize: number, limit: number): AppliedMLError {
  return new AppliedMLError(
    'E_INPUT_TOO_LARGE',
    `The .npz would inflate to more than ${limit} bytes (member '${name}' alone declares ${originalSize}); refusing (possible zip bomb). Raise maxUncompressedBytes if you trust the file.`,
    { details: { entry: name, originalSize, maxUncompressedBytes: limit } },
  );
}

/** An inflation failure (fflate's error or a RangeError) as the typed error both forms give. */
function corruptArchive(cause: unknown): AppliedMLError {
  if (AppliedMLError.isInstance(cause)) return cause;
  return new AppliedMLError('E_INPUT_INVALID', `Corrupt .npz archive: ${(cause as Error).message ?? String(cause)}.`, { cause });
}

/** Checks each inflated member against its declared size and CRC-32 and parses it, in `wanted`'s order. */
function parseMembers(selection: NpzSelection, files: Record<string, Uint8Array>, npyOptions: NpyParseOptions): Record<string, NpyArray> {
  const out: Record<string, NpyArray> = {};
  for (const key of selection.wanted) {
    const entry = selection.byKey.get(key) as ZipEntry;
    const data = files[entry.name];
    if (!data || data.length !== entry.uncompressedSize || crc32(data) !== entry.crc32) {
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Corrupt .npz: member '${entry.name}' does not match its recorded ${data && data.length === entry.uncompressedSize ? 'CRC-32' : 'size'}; the file is damaged.`,
        { details: { entry: entry.name, expectedBytes: entry.uncompressedSize, actualBytes: data?.length ?? 0 } },
      );
    }
    try {
      setOwn(out, key, parseNpy(data, npyOptions));
    } catch (error) {
      if (AppliedMLError.isInstance(error)) {
        throw new AppliedMLError(error.code, `.npz member '${entry.name}': ${error.message}`, {
          cause: error,
          details: { ...error.details, entry: entry.name },
        });
      }
      throw error;
    }
  }
  return out;
}

/** Parses an `.npz` archive held in memory. */
export function parseNpz(input: Uint8Array | ArrayBuffer, options: NpzReadOptions = {}): Record<string, NpyArray> {
  checkKnownKeys('parseNpz options', options, NPZ_READ_KEYS);
  const limits = checkNpzOptions(options);
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  if (!(bytes instanceof Uint8Array)) {
    throw new AppliedMLError('E_INPUT_INVALID', 'parseNpz expects a Uint8Array, Buffer or ArrayBuffer.');
  }
  const selection = selectMembers(readZipDirectory(bytes), options, limits);
  const { selected } = selection;
  const { limit } = limits;

  let declared = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (file) => {
        if (!selected.has(file.name)) return false;
        declared += file.originalSize;
        if (declared > limit) throw tooMuchDeclared(file.name, file.originalSize, limit);
        return true;
      },
    });
  } catch (cause) {
    throw corruptArchive(cause);
  }
  return parseMembers(selection, files, limits.npyOptions);
}

/** A failure to read the open .npz file (the system's error, or the file cut short), for readNpz's E_IO. */
class FileReadFailure extends Error {}

/** Reads `length` bytes at `offset` (fewer at the end of the file) into a fresh array. */
async function readAt(handle: FileHandle, offset: number, length: number, size: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
  let filled = 0;
  while (filled < buffer.length) {
    let bytesRead: number;
    try {
      // Node reads at most 2 GiB in one call; 1 GiB at a time.
      ({ bytesRead } = await handle.read(buffer, filled, Math.min(buffer.length - filled, 2 ** 30), offset + filled));
    } catch (cause) {
      throw new FileReadFailure((cause as Error).message, { cause });
    }
    if (bytesRead === 0) throw new FileReadFailure(`it ended at byte ${offset + filled}, short of the ${size} bytes it had when opened`);
    filled += bytesRead;
  }
  return buffer;
}

/** The most bytes a read of the directory or of a small member takes for the reads that follow. */
const WINDOW = 64 * 1024;

/**
 * The reads of `readZipDirectoryFrom` (and of the small members) from an open file. A read takes the
 * bytes the reader says the next reads will likely fall in too (up to 64 KiB), and the last two such
 * windows are kept: one moves through the central directory, the other through the local headers (or
 * the members' data) it points to, so an archive of many small members is a few reads however many
 * there are.
 */
function windowReader(handle: FileHandle, size: number): (wanted: ZipRead) => Promise<Uint8Array> {
  let windows: { start: number; bytes: Uint8Array }[] = [];
  return async ({ offset, length, ahead }) => {
    const end = Math.min(offset + length, size);
    let hit = windows.find((w) => offset >= w.start && end <= w.start + w.bytes.length);
    if (!hit) {
      hit = { start: offset, bytes: await readAt(handle, offset, Math.max(length, Math.min(ahead, WINDOW)), size) };
    }
    // The window just used last, so the other one is replaced next.
    windows = [hit, ...windows.filter((w) => w !== hit)].slice(0, 2);
    return hit.bytes.subarray(offset - hit.start, end - hit.start);
  };
}

/**
 * readNpz's path form: reads the end of the file, the central directory and the local headers, checks
 * them as parseNpz does, then reads and inflates only the members asked for, one at a time.
 */
async function readNpzFile(handle: FileHandle, options: NpzReadOptions): Promise<Record<string, NpyArray>> {
  const limits = checkNpzOptions(options);
  let size: number;
  try {
    ({ size } = await handle.stat());
  } catch (cause) {
    throw new FileReadFailure((cause as Error).message, { cause });
  }
  const read = windowReader(handle, size);
  const { entries, listed } = await readZipDirectoryFrom(size, read);
  const selection = selectMembers(entries, options, limits);
  // The members unzipSync would inflate: those past the end record's count stay out, as in parseNpz.
  const members = entries.filter((entry, i) => i < listed && selection.selected.has(entry.name));
  // The zip-bomb guard, over the same members in the same order as parseNpz's, before any is read.
  let declared = 0;
  for (const entry of members) {
    declared += entry.uncompressedSize;
    if (declared > limits.limit) throw tooMuchDeclared(entry.name, entry.uncompressedSize, limits.limit);
  }
  const files: Record<string, Uint8Array> = {};
  for (const entry of members) {
    // A small member through the windows (the next members' data follow it), a large one by itself.
    const data =
      entry.compressedSize <= WINDOW
        ? await read({ offset: entry.dataOffset, length: entry.compressedSize, ahead: size - entry.dataOffset })
        : await readAt(handle, entry.dataOffset, entry.compressedSize, size);
    try {
      // As fflate's unzipSync does: a stored member is a copy of its bytes, a deflated one is inflated into its declared size.
      setOwn(
        files,
        entry.name,
        entry.compression === 0 ? data.slice() : inflateSync(data, { out: new Uint8Array(entry.uncompressedSize) }),
      );
    } catch (cause) {
      throw corruptArchive(cause);
    }
  }
  return parseMembers(selection, files, limits.npyOptions);
}

/**
 * Reads an `.npz` from a path or from bytes. Returns `{ [name]: NpyArray }` with names stripped of
 * `.npy`. File-system failures become E_IO. A path is read by offset: the end of the file, the
 * central directory and the local headers first, then only the members asked for, so an archive
 * refused on what its directory declares costs a few reads whatever its size.
 */
export async function readNpz(
  pathOrBuffer: string | Uint8Array | ArrayBuffer,
  options: NpzReadOptions = {},
): Promise<Record<string, NpyArray>> {
  checkKnownKeys('readNpz options', options, NPZ_READ_KEYS);
  if (typeof pathOrBuffer !== 'string') return parseNpz(pathOrBuffer, options);
  const path = pathOrBuffer;
  // A FIFO or device is refused before it is opened (reading one blocks or never ends).
  await statRegularFile(path, '.npz file');
  const readFailure = (cause: unknown): AppliedMLError =>
    new AppliedMLError('E_IO', `Cannot read .npz file ${path}: ${(cause as Error).message}`, { cause, details: { path } });
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw readFailure(cause);
  }
  try {
    return await readNpzFile(handle, options);
  } catch (error) {
    if (AppliedMLError.isInstance(error)) {
      throw new AppliedMLError(error.code, `${path}: ${error.message}`, { cause: error, details: { ...error.details, path } });
    }
    // The file system's own errors (and a file cut short while it was read) are E_IO, as readFile's were.
    if (error instanceof FileReadFailure) throw readFailure(error.cause ?? error);
    throw error;
  } finally {
    await handle.close().catch(() => undefined);
  }
}
