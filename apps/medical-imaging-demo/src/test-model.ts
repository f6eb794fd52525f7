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
