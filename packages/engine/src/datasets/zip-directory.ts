import { AppliedMLError } from '../errors';

/**
 * Reads and validates a zip archive's central directory without inflating anything. The npz reader
 * uses it to check structure, sizes and bounds up front (so a truncated or doctored archive fails
 * cleanly) and to get each entry's CRC-32, which fflate's `unzipSync` does not verify. One parser
 * serves bytes in memory (`readZipDirectory`) and a file read by offset (`readZipDirectoryFrom`, which
 * reads only the end records, the directory and the local headers).
 */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate; anything else is unsupported. */
  compression: number;
  /** General-purpose flags (bit 0 = encrypted, bit 11 = UTF-8 name). */
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  /** Where the member's (compressed) data starts: after its local header, name and extra field. */
  dataOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

function corrupt(message: string, details: Record<string, unknown> = {}): AppliedMLError {
  return new AppliedMLError('E_INPUT_INVALID', `Corrupt or truncated zip archive: ${message}.`, { details });
}

/**
 * A read the directory parser asks for: `length` bytes at `offset`, fewer at the end of the archive
 * (a source returns what there is, as `subarray` does). `ahead` says how many bytes from `offset` the
 * next reads of the same kind will likely fall in (the rest of the central directory; the rest of the
 * archive, for a local header), for a source that reads ahead.
 */
export interface ZipRead {
  offset: number;
  length: number;
  ahead: number;
}

/** The central directory's entries, and how many of them fflate's `unzipSync` goes through. */
export interface ZipDirectory {
  entries: ZipEntry[];
  /**
   * How many entries (from the first) `unzipSync` inflates from: the end record's count of entries
   * on this disk, a 16-bit field read before the zip64 record (0: none), else the zip64 record's
   * count. A multi-disk or doctored end record may list fewer than the directory holds; `unzipSync`
   * then leaves the others out, and readNpz's path form does the same to give parseNpz's results.
   */
  listed: number;
}

/** The parser, one read at a time, so that bytes in memory and a file read by offset share it. */
type DirectorySteps = Generator<ZipRead, ZipDirectory, Uint8Array>;

/** Little-endian fields of a read; a field past its end is a RangeError, as a DataView's would be. */
function inside(b: Uint8Array, at: number, size: number): void {
  if (!(at >= 0 && at + size <= b.length)) throw new RangeError(`Offset ${at} is outside the ${b.length} bytes read`);
}
const le16 = (b: Uint8Array, at: number): number => {
  inside(b, at, 2);
  return (b[at] as number) | ((b[at + 1] as number) << 8);
};
const le32 = (b: Uint8Array, at: number): number => {
  inside(b, at, 4);
  return ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)) >>> 0;
};
const le64 = (b: Uint8Array, at: number): number => le32(b, at) + le32(b, at + 4) * 4294967296;
const want = (offset: number, length: number, ahead = length): ZipRead => ({ offset, length, ahead });

/** Reads the central directory of an archive held in memory. */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] {
  const steps = directorySteps(bytes.length);
  let step = steps.next();
  while (!step.done) step = steps.next(bytes.subarray(step.value.offset, step.value.offset + step.value.length));
  return step.value.entries;
}

/**
 * Reads the central directory of an archive of `size` bytes through `read` (a file read by offset):
 * the first bytes, the end records, the directory and each member's local header, nothing else.
 */
export async function readZipDirectoryFrom(size: number, read: (wanted: ZipRead) => Promise<Uint8Array>): Promise<ZipDirectory> {
  const steps = directorySteps(size);
  let step = steps.next();
  while (!step.done) step = steps.next(await read(step.value));
  return step.value;
}

function* directorySteps(len: number): DirectorySteps {
  const head = yield want(0, Math.min(8, len));
  if (len >= 6 && head[0] === 0x93 && head[1] === 0x4e && head[2] === 0x55) {
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', 'This is a .npy array, not a zip/.npz archive: read it with parseNpy/readNpy.');
  }
  const looksLikeZip = len >= 4 && le32(head, 0) === LOCAL;
  if (len < 22) {
    if (len === 0) throw new AppliedMLError('E_INPUT_INVALID', 'The zip/.npz input is empty (0 bytes).');
    throw corrupt(`only ${len} bytes`, { bytes: len });
  }
  // The end record is in the last 22 + 65535 (its comment) bytes.
  const tailStart = Math.max(0, len - 22 - 65535);
  const tail = yield want(tailStart, len - tailStart);
  let e = -1;
  for (let at = len - 22; at >= tailStart; at--) {
    if (le32(tail, at - tailStart) === EOCD) {
      e = at;
      break;
    }
  }
  if (e < 0) {
    if (looksLikeZip) throw corrupt('no end-of-central-directory record (the file was probably cut short)', { bytes: len });
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', 'Not a zip/.npz archive: no zip signature found.', {
      details: { firstBytes: Array.from(head) },
    });
  }
  let count = le16(tail, e - tailStart + 10);
  const onThisDisk = le16(tail, e - tailStart + 8);
  let listed = Math.min(onThisDisk, count);
  let cdSize = le32(tail, e - tailStart + 12);
  let cdOffset = le32(tail, e - tailStart + 16);
  if (e >= 20) {
    const locator = yield want(e - 20, 20);
    if (le32(locator, 0) === EOCD64_LOCATOR) {
      const z = le64(locator, 8);
      if (z + 56 > len) throw corrupt('bad zip64 end-of-central-directory record');
      const record = yield want(z, 56);
      if (le32(record, 0) !== EOCD64) throw corrupt('bad zip64 end-of-central-directory record');
      count = le64(record, 32);
      listed = onThisDisk === 0 ? 0 : count;
      cdSize = le64(record, 40);
      cdOffset = le64(record, 48);
    }
  }
  const cdEnd = cdOffset + cdSize;
  if (cdEnd > len) throw corrupt('the central directory lies past the end of the file', { cdOffset, cdSize, bytes: len });
  if (count * 46 > cdSize) throw corrupt(`the directory claims ${count} entries but is only ${cdSize} bytes`, { count, cdSize });

  const entries: ZipEntry[] = [];
  const utf8 = new TextDecoder();
  let o = cdOffset;
  for (let i = 0; i < count; i++) {
    const damaged = (): AppliedMLError => corrupt(`central directory entry ${i} is damaged`, { entry: i, offset: o });
    if (o + 46 > cdEnd) throw damaged();
    const fixed = yield want(o, 46, cdEnd - o);
    if (le32(fixed, 0) !== CENTRAL) throw damaged();
    const flags = le16(fixed, 8);
    const compression = le16(fixed, 10);
    const crc = le32(fixed, 16);
    let compressedSize = le32(fixed, 20);
    let uncompressedSize = le32(fixed, 24);
    const nameLength = le16(fixed, 28);
    const extraLength = le16(fixed, 30);
    const commentLength = le16(fixed, 32);
    let localHeaderOffset = le32(fixed, 42);
    const next = o + 46 + nameLength + extraLength + commentLength;
    if (next > cdEnd) throw corrupt(`central directory entry ${i} overruns the directory`, { entry: i });
    // The name and the extra field (offsets below are within `record`, which starts at `o`).
    const record = yield want(o, 46 + nameLength + extraLength, cdEnd - o);
    const extraStart = 46 + nameLength;
    const extraEnd = extraStart + extraLength;
    const rawName = record.subarray(46, extraStart);
    const name = flags & 0x800 ? utf8.decode(rawName) : String.fromCharCode(...rawName);
    if (compressedSize === MAX32 || uncompressedSize === MAX32 || localHeaderOffset === MAX32) {
      let found = false;
      for (let x = extraStart; x + 4 <= extraEnd; x += 4 + le16(record, x + 2)) {
        if (le16(record, x) !== 1) continue;
        let at = x + 4;
        // A field longer than the extra field it is in is short too (its values were read from the
        // bytes after it, or past the end of the archive as a RangeError).
        const end = Math.min(x + 4 + le16(record, x + 2), extraEnd);
        const take = (): number => {
          if (at + 8 > end) throw corrupt(`zip64 field of '${name}' is short`);
          const v = le64(record, at);
          at += 8;
          return v;
        };
        if (uncompressedSize === MAX32) uncompressedSize = take();
        if (compressedSize === MAX32) compressedSize = take();
        if (localHeaderOffset === MAX32) localHeaderOffset = take();
        found = true;
        break;
      }
      if (!found) throw corrupt(`entry '${name}' has 32-bit overflow sizes but no zip64 field`);
    }
    const badLocal = (): AppliedMLError =>
      corrupt(`the local header of '${name}' is missing or damaged`, { entry: name, offset: localHeaderOffset });
    if (localHeaderOffset + 30 > len) throw badLocal();
    // The local header and as much of its name as the directory's (a different length is refused
    // anyway); the next members' headers follow it.
    const local = yield want(localHeaderOffset, 30 + nameLength, len - localHeaderOffset);
    if (le32(local, 0) !== LOCAL) throw badLocal();
    const localNameLength = le16(local, 26);
    const localName = local.subarray(30, 30 + localNameLength);
    if (localNameLength !== nameLength || !localName.every((b, k) => b === rawName[k])) {
      throw corrupt(`the local header name of '${name}' differs from the directory`, { entry: name });
    }
    const dataOffset = localHeaderOffset + 30 + localNameLength + le16(local, 28);
    if (dataOffset + compressedSize > len) {
      throw corrupt(`the data of '${name}' runs past the end of the file`, { entry: name, compressedSize, bytes: len });
    }
    entries.push({ name, compression, flags, crc32: crc, compressedSize, uncompressedSize, localHeaderOffset, dataOffset });
    o = next;
  }
  return { entries, listed };
}
