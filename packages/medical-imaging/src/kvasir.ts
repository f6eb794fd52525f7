// Kvasir-SEG: RGB colonoscopy frames and JPEG masks (binarised at 128), resized to size × size.
// Research and educational use only (see docs/medical-imaging.md): it measures the segmenter, no
// model trained on it ships.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AppliedMLError,
  checkIntegerOption,
  checkKnownKeys,
  checkPathArgument,
  checkSignalOption,
  describeValue,
  statDirectory,
  throwIfAborted,
} from '@appliedml/engine';
import type { Sharp } from 'sharp';
import type { ColorImage, GrayImage } from './gray-image';
import { loadSharp, mapSharpError } from './image-reader';
import { namingFile, readRegularFile } from './read-file';
import type { DataSource } from './trained-on';

export interface SegmentationSet {
  images: (GrayImage | ColorImage)[];
  masks: GrayImage[];
  ids: string[];
  /** `{ name: 'kvasir-seg', synthetic: false, description }`: a model trained on the set records it (`trainedOn`). */
  source: DataSource;
}

/**
 * The sorted image ids of a Kvasir-SEG folder (images/<id>.jpg with masks/<id>.jpg). The images folder is
 * checked before it is listed (the engine's `statDirectory`): a missing one, a file in its place or one
 * that cannot be listed is E_IO `Cannot read Kvasir-SEG images folder <dir>: no such directory.` (…),
 * `details.path` and `details.reason`, as the readers word a file.
 */
export async function kvasirIds(root: string): Promise<string[]> {
  checkPathArgument(root, 'root');
  const images = join(root, 'images');
  await statDirectory(images, 'Kvasir-SEG images folder');
  let files: string[];
  try {
    files = await readdir(images);
  } catch (cause) {
    // Changed since the check (removed, made unreadable), or a system failure (EMFILE, EIO).
    const code = (cause as { code?: unknown } | null)?.code;
    throw new AppliedMLError('E_IO', `Cannot read Kvasir-SEG images folder ${images}: ${(cause as Error).message}`, {
      cause,
      details: { path: images, reason: typeof code === 'string' ? code : 'readdir-failed' },
    });
  }
  return files
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => f.slice(0, -4))
    .sort();
}

export interface ReadKvasirSegOptions {
  /**
   * Stops the read when aborted (an `AbortController`'s signal, or `AbortSignal.timeout(ms)`): checked
   * before each image is read, the call rejects with E_ABORTED (`cause`: the signal's reason). An
   * already-aborted signal rejects before any file is read.
   */
  signal?: AbortSignal;
}

/**
 * Load the given ids at size × size (1..1024): RGB images in [0, 1], masks as 0/1. An id is a file name
 * without `.jpg` (as `kvasirIds` lists them): one with a path separator or `..` is refused, so that no
 * file outside `root` is read. `options.signal` stops a long read (about 10 ms an image).
 */
export async function readKvasirSeg(
  root: string,
  ids: string[],
  size: number,
  options: ReadKvasirSegOptions = {},
): Promise<SegmentationSet> {
  checkPathArgument(root, 'root');
  checkKnownKeys('readKvasirSeg options', options, ['signal']);
  const signal = checkSignalOption(options.signal);
  if (!Array.isArray(ids))
    throw new AppliedMLError('E_INPUT_INVALID', `ids must be a list of image ids (got ${describeValue(ids)}).`, {
      details: { field: 'ids' },
    });
  ids.forEach((id: unknown, i) => {
    if (typeof id !== 'string' || id === '' || /[/\\\0]/.test(id) || id.includes('..'))
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `ids[${i}] = ${describeValue(id)} is not an image id (a file name in ${join(root, 'images')} without .jpg: no path separator or '..').`,
        { details: { field: 'ids', index: i } },
      );
  });
  checkIntegerOption('size', size, 1, 1024, false);
  const images: ColorImage[] = [];
  const masks: GrayImage[] = [];
  for (const id of ids) {
    // Each image is decoded asynchronously: an abort meanwhile is seen before the next one.
    throwIfAborted(signal, 'readKvasirSeg');
    const rgb = await decodeJpeg(join(root, 'images', `${id}.jpg`), 'Kvasir-SEG image', (image) =>
      image.resize(size, size, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer(),
    );
    const mask = await decodeJpeg(join(root, 'masks', `${id}.jpg`), 'Kvasir-SEG mask', (image) =>
      image.resize(size, size, { fit: 'fill' }).toColourspace('b-w').raw().toBuffer(),
    );
    images.push({ width: size, height: size, channels: 3, data: Float32Array.from(rgb, (v) => v / 255) });
    masks.push({ width: size, height: size, data: Float32Array.from(mask.subarray(0, size * size), (v) => (v >= 128 ? 1 : 0)) });
  }
  const source: DataSource = {
    name: 'kvasir-seg',
    synthetic: false,
    description: `Kvasir-SEG (Jha et al., MMM 2020; research and education only): ${ids.length} images at ${size} × ${size}`,
  };
  return { images, masks, ids, source };
}

/**
 * The file at `path` through sharp: read as every reader here reads a path (`readRegularFile`: a missing
 * file, a directory, FIFO or device is E_IO in the engine's words, before it is opened; a FIFO blocked the
 * read for ever), and what sharp cannot decode is the image readers' typed error naming the file (sharp's
 * own Error came out as it was).
 */
async function decodeJpeg(path: string, what: string, decode: (image: Sharp) => Promise<Buffer>): Promise<Buffer> {
  const sharp = await loadSharp();
  const bytes = await readRegularFile(path, what);
  try {
    return await decode(sharp(bytes, { limitInputPixels: 2 ** 26 }));
  } catch (error) {
    throw namingFile(AppliedMLError.isInstance(error) ? error : mapSharpError(error, bytes), path);
  }
}
