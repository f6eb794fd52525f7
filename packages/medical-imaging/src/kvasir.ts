// Kvasir-SEG: RGB colonoscopy frames and JPEG masks (binarised at 128), resized to size × size.
// Research and educational use only (see docs/medical-imaging.md): it measures the segmenter, no
// model trained on it ships.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppliedMLError, checkPathArgument } from '@appliedml/engine';
import type { ColorImage, GrayImage } from './gray-image';
import { loadSharp } from './image-reader';

export interface SegmentationSet {
  images: (GrayImage | ColorImage)[];
  masks: GrayImage[];
  ids: string[];
}

/** The sorted image ids of a Kvasir-SEG folder (images/<id>.jpg with masks/<id>.jpg). */
export async function kvasirIds(root: string): Promise<string[]> {
  checkPathArgument(root, 'root');
  let files: string[];
  try {
    files = await readdir(join(root, 'images'));
  } catch (cause) {
    throw new AppliedMLError('E_IO', `Cannot list ${join(root, 'images')}: ${(cause as Error).message}`, { cause });
  }
  return files
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => f.slice(0, -4))
    .sort();
}

/** Load the given ids at size × size: RGB images in [0, 1], masks as 0/1. */
export async function readKvasirSeg(root: string, ids: string[], size: number): Promise<SegmentationSet> {
  checkPathArgument(root, 'root');
  const sharp = await loadSharp();
  const images: ColorImage[] = [];
  const masks: GrayImage[] = [];
  for (const id of ids) {
    const rgb = await sharp(await readBytes(join(root, 'images', `${id}.jpg`)), { limitInputPixels: 2 ** 26 })
      .resize(size, size, { fit: 'fill' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer();
    const mask = await sharp(await readBytes(join(root, 'masks', `${id}.jpg`)), { limitInputPixels: 2 ** 26 })
      .resize(size, size, { fit: 'fill' })
      .toColourspace('b-w')
      .raw()
      .toBuffer();
    images.push({ width: size, height: size, channels: 3, data: Float32Array.from(rgb, (v) => v / 255) });
    masks.push({ width: size, height: size, data: Float32Array.from(mask.subarray(0, size * size), (v) => (v >= 128 ? 1 : 0)) });
  }
  return { images, masks, ids };
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new AppliedMLError('E_IO', `Cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
}
