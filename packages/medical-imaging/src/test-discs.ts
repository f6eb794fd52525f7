// Test data only (not exported by the package): small generated segmentation sets.
import { AppliedMLError, createRng } from '@appliedml/engine';
import type { ColorImage, GrayImage } from './gray-image';
import type { LabeledImages } from './image-classifier';
import type { MaskedImages } from './segmentation-masks';

/** Bright discs on noise, the disc as the mask. */
export function discs(count: number, size: number, seed: number): MaskedImages {
  const rng = createRng(seed);
  const images: ColorImage[] = [];
  const masks: GrayImage[] = [];
  for (let k = 0; k < count; k++) {
    const cx = size * (0.3 + 0.4 * rng.next());
    const cy = size * (0.3 + 0.4 * rng.next());
    const r = size * (0.1 + 0.15 * rng.next());
    const data = new Float32Array(size * size * 3);
    const mask = new Float32Array(size * size);
    for (let p = 0; p < size * size; p++) {
      const inside = Math.hypot((p % size) - cx, Math.floor(p / size) - cy) < r;
      mask[p] = inside ? 1 : 0;
      for (let c = 0; c < 3; c++) data[3 * p + c] = 0.3 * rng.next() + (inside ? 0.5 : 0.1);
    }
    images.push({ width: size, height: size, channels: 3, data });
    masks.push({ width: size, height: size, data: mask });
  }
  return { images, masks };
}

/** 16 × 16 gray images, every other one a bright disc ('disc'), the rest noise ('plain'): a two-class set. */
export function labelledDiscs(count: number, seed: number): LabeledImages {
  const rng = createRng(seed);
  const images: GrayImage[] = [];
  const labels: string[] = [];
  for (let k = 0; k < count; k++) {
    const disc = k % 2 === 0;
    const data = new Float32Array(16 * 16);
    for (let p = 0; p < data.length; p++) {
      const inside = disc && Math.hypot((p % 16) - 8, Math.floor(p / 16) - 8) < 4;
      data[p] = 0.2 * rng.next() + (inside ? 0.7 : 0.1);
    }
    images.push({ width: 16, height: 16, data });
    labels.push(disc ? 'disc' : 'plain');
  }
  return { images, labels };
}

/** The error code `fn` throws (or rejects with), `untyped …` for another error, 'no error' otherwise. */
export async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return AppliedMLError.isInstance(e) ? e.code : `untyped ${String(e)}`;
  }
  return 'no error';
}
