import { AppliedMLError } from '../errors';

/**
 * Reads and validates a zip archive's central directory without inflating anything. The npz reader
 * uses it to check structure, sizes and bounds up front (so a truncated or doctored archive fails
 * cleanly) and to get each entry's CRC-32, which fflate's `unzipSync` does not verify.
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

export function readZipDirectory(bytes: Uint8Array): ZipEntry[] {
  const len = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number): number => view.getUint16(at, true);
  const u32 = (at: number): number => view.getUint32(at, true);
  const u64 = (at: number): number => u32(at) + u32(at + 4) * 4294967296;

  if (len >= 6 && bytes[0] === 0x93 && bytes[1] === 0x4e && bytes[2] === 0x55) {
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', 'This is a .npy array, not a zip/.npz archive: read it with parseNpy/readNpy.');
  }
  const looksLikeZip = len >= 4 && u32(0) === LOCAL;
  if (len < 22) {
    if (len === 0) throw new AppliedMLError('E_INPUT_INVALID', 'The zip/.npz input is empty (0 bytes).');
    throw corrupt(`only ${len} bytes`, { bytes: len });
  }
  let e = -1;
  for (let at = len - 22; at >= 0 && at >= len - 22 - 65535; at--) {
    if (u32(at) === EOCD) {
      e = at;
      break;
    }
  }
  if (e < 0) {
    if (looksLikeZip) throw corrupt('no end-of-central-directory record (the file was probably cut short)', { bytes: len });
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', 'Not a zip/.npz archive: no zip signature found.', {
      details: { firstBytes: Array.from(bytes.subarray(0, 8)) },
    });
  }
  let count = u16(e + 10);
  let cdSize = u32(e + 12);
  let cdOffset = u32(e + 16);
  if (e >= 20 && u32(e - 20) === EOCD64_LOCATOR) {
    const z = u64(e - 12);
    if (z + 56 > len || u32(z) !== EOCD64) throw corrupt('bad zip64 end-of-central-directory record');
    count = u64(z + 32);
    cdSize = u64(z + 40);
    cdOffset = u64(z + 48);
  }
  const cdEnd = cdOffset + cdSize;
  if (cdEnd > len) throw corrupt('the central directory lies past the end of the file', { cdOffset, cdSize, bytes: len });
  if (count * 46 > cdSize) throw corrupt(`the directory claims ${count} entries but is only ${cdSize} bytes`, { count, cdSize });

  const entries: ZipEntry[] = [];
  const utf8 = new TextDecoder();
  let o = cdOffset;
  for (let i = 0; i < count; i++) {
    if (o + 46 > cdEnd || u32(o) !== CENTRAL) throw corrupt(`central directory entry ${i} is damaged`, { entry: i, offset: o });
    const flags = u16(o + 8);
    const compression = u16(o + 10);
    const crc = u32(o + 16);
    let compressedSize = u32(o + 20);
    let uncompressedSize = u32(o + 24);
    const nameLength = u16(o + 28);
    const extraLength = u16(o + 30);
    const commentLength = u16(o + 32);
    let localHeaderOffset = u32(o + 42);
    const nameStart = o + 46;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > cdEnd) throw corrupt(`central directory entry ${i} overruns the directory`, { entry: i });
    const rawName = bytes.subarray(nameStart, extraStart);
    const name = flags & 0x800 ? utf8.decode(rawName) : String.fromCharCode(...rawName);
    if (compressedSize === MAX32 || uncompressedSize === MAX32 || localHeaderOffset === MAX32) {
      let found = false;
      for (let x = extraStart; x + 4 <= extraStart + extraLength; x += 4 + u16(x + 2)) {
        if (u16(x) !== 1) continue;
        let at = x + 4;
        const end = x + 4 + u16(x + 2);
        const take = (): number => {
          if (at + 8 > end) throw corrupt(`zip64 field of '${name}' is short`);
          const v = u64(at);
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
    if (localHeaderOffset + 30 > len || u32(localHeaderOffset) !== LOCAL) {
      throw corrupt(`the local header of '${name}' is missing or damaged`, { entry: name, offset: localHeaderOffset });
    }
    const localNameLength = u16(localHeaderOffset + 26);
    const localName = bytes.subarray(localHeaderOffset + 30, localHeaderOffset + 30 + localNameLength);
    if (localNameLength !== nameLength || !localName.every((b, k) => b === rawName[k])) {
      throw corrupt(`the local header name of '${name}' differs from the directory`, { entry: name });
    }
    const dataStart = localHeaderOffset + 30 + localNameLength + u16(localHeaderOffset + 28);
    if (dataStart + compressedSize > len) {
      throw corrupt(`the data of '${name}' runs past the end of the file`, { entry: name, compressedSize, bytes: len });
    }
    entries.push({ name, compression, flags, crc32: crc, compressedSize, uncompressedSize, localHeaderOffset });
    o = next;
  }
  return entries;
}
