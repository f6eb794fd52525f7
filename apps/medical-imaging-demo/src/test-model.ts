// A small model and real upload files for the service and browser tests: a classifier trained in a
// few seconds on SYNTHETIC chest phantoms, and phantoms written as PNG files.
import { deflateSync } from 'node:zlib';
import { createRng } from '@appliedml/engine';
import { grayToPng, ImageClassifier } from '@appliedml/medical-imaging';
import { phantomClassification } from './data';
import { chestPhantom } from './phantoms';

/** A two-stage CNN on 28 × 28 phantoms (clear vs lesion), trained for a few epochs. */
export async function quickClassifier(): Promise<ImageClassifier> {
  const data = phantomClassification(28, 160);
  const model = ImageClassifier.create({ filters: [4, 8] });
  await model.train(data.train, { epochs: 3, batchSize: 32, validation: data.val, progress: false });
  return model;
}

/** A chest phantom as a PNG file of `size` × `size` pixels (8-bit gray). */
export async function phantomPng(lesion: boolean, size = 128, seed = 7): Promise<Uint8Array> {
  return grayToPng(chestPhantom(size, lesion, createRng(seed)));
}

/** Width and height from a PNG's IHDR chunk (undefined when the bytes are not a PNG). */
export function pngSize(png: Uint8Array): { width: number; height: number } | undefined {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || signature.some((b, i) => png[i] !== b)) return undefined;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A 16-bit grayscale PNG written by hand (no filter), `sample(x, y)` its stored values (0..65535): a
 * 12-bit X-ray export stores 0..4095 so.
 */
export function gray16Png(width: number, height: number, sample: (x: number, y: number) => number): Uint8Array {
  const rows = Buffer.alloc(height * (1 + 2 * width));
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rows.writeUInt16BE(sample(x, y), y * (1 + 2 * width) + 1 + 2 * x);
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 16; // bit depth; colour type 0 (gray), deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** One page of `grayTiff`: its samples as a typed array (Uint16Array, Int16Array, Uint32Array, Float32Array, …). */
export interface TiffPage {
  width: number;
  height: number;
  samples: Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;
}

/**
 * An uncompressed little-endian grayscale TIFF written by hand, one directory a page (an image stack
 * when more than one): BitsPerSample and SampleFormat (unsigned, signed, float) from each page's array.
 */
export function grayTiff(...pages: TiffPage[]): Uint8Array {
  const formatOf = (a: TiffPage['samples']): number =>
    a instanceof Float32Array ? 3 : a instanceof Int8Array || a instanceof Int16Array || a instanceof Int32Array ? 2 : 1;
  const tags = 9;
  const ifdSize = 2 + tags * 12 + 4;
  // Layout: header, then each page's samples followed by its directory.
  const offsets: { data: number; ifd: number }[] = [];
  let at = 8;
  for (const page of pages) {
    const data = at;
    at += page.samples.byteLength + (page.samples.byteLength % 2);
    offsets.push({ data, ifd: at });
    at += ifdSize;
  }
  const out = Buffer.alloc(at);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(offsets[0]!.ifd, 4);
  pages.forEach((page, i) => {
    const { data, ifd } = offsets[i]!;
    const s = page.samples;
    Buffer.from(s.buffer, s.byteOffset, s.byteLength).copy(out, data);
    const entries: [tag: number, type: number, value: number][] = [
      [256, 4, page.width],
      [257, 4, page.height],
      [258, 3, s.BYTES_PER_ELEMENT * 8],
      [259, 3, 1], // no compression
      [262, 3, 1], // black is zero
      [273, 4, data],
      [278, 4, page.height],
      [279, 4, s.byteLength],
      [339, 3, formatOf(s)],
    ];
    out.writeUInt16LE(entries.length, ifd);
    entries.forEach(([tag, type, value], k) => {
      const e = ifd + 2 + 12 * k;
      out.writeUInt16LE(tag, e);
      out.writeUInt16LE(type, e + 2);
      out.writeUInt32LE(1, e + 4);
      if (type === 3) out.writeUInt16LE(value, e + 8);
      else out.writeUInt32LE(value, e + 8);
    });
    out.writeUInt32LE(offsets[i + 1]?.ifd ?? 0, ifd + 2 + 12 * entries.length);
  });
  return out;
}
