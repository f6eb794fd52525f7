// Joint augmentation of training images and their masks, drawn anew every epoch by the segmenter.
import { tf } from '@appliedml/engine';
import type { ImageSegmenterConfig } from './image-segmenter';

/**
 * Each image and its mask flipped together: left–right and up–down, each with probability 1/2, and
 * with `transpose` also transposed with probability 1/2 (the draw is skipped without it, so flips
 * alone stay as they were).
 */
export function flipPairs(
  x: Float32Array,
  y: Float32Array,
  n: number,
  size: number,
  channels: number,
  rng: { next(): number },
  transpose = false,
): { x: Float32Array; y: Float32Array } {
  const outX = new Float32Array(x.length);
  const outY = new Float32Array(y.length);
  const pixels = size * size;
  for (let k = 0; k < n; k++) {
    const h = rng.next() < 0.5;
    const v = rng.next() < 0.5;
    const t = transpose && rng.next() < 0.5;
    const bx = k * pixels * channels;
    const by = k * pixels;
    for (let row = 0; row < size; row++) {
      const srcRow = v ? size - 1 - row : row;
      for (let col = 0; col < size; col++) {
        const srcCol = h ? size - 1 - col : col;
        const dst = row * size + col;
        const src = t ? srcCol * size + srcRow : srcRow * size + srcCol;
        outY[by + dst] = y[by + src]!;
        for (let c = 0; c < channels; c++) outX[bx + dst * channels + c] = x[bx + src * channels + c]!;
      }
    }
  }
  return { x: outX, y: outY };
}

/** Whether a config asks for the joint geometric warp. */
export function warps(config: Pick<ImageSegmenterConfig, 'rotation' | 'zoom' | 'shift'>): boolean {
  return config.rotation > 0 || config.zoom > 0 || config.shift > 0;
}

/**
 * Warps each image (n × size × size × channels, pixel-interleaved) and its mask (n × size × size) with
 * the same random rotation, zoom and shift (drawn from `rng`), borders filled with the nearest edge pixel
 * (tfjs's 'reflect' fill misplaces coordinates just outside the image: an exact quarter turn read the
 * opposite edge); images are resampled bilinearly, masks bilinearly and thresholded at 0.5 so that they
 * stay binary.
 */
export function warpPairs(
  x: Float32Array,
  y: Float32Array,
  n: number,
  size: number,
  channels: number,
  rng: { next(): number },
  config: Pick<ImageSegmenterConfig, 'rotation' | 'zoom' | 'shift'>,
): { x: Float32Array; y: Float32Array } {
  const outX = new Float32Array(x.length);
  const outY = new Float32Array(y.length);
  const pixels = size * size;
  const c = (size - 1) / 2;
  const chunk = 64;
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    const params = new Float32Array(m * 8);
    for (let i = 0; i < m; i++) {
      const angle = ((rng.next() * 2 - 1) * config.rotation * Math.PI) / 180;
      const scale = 1 + (rng.next() * 2 - 1) * config.zoom;
      const dx = (rng.next() * 2 - 1) * config.shift * size;
      const dy = (rng.next() * 2 - 1) * config.shift * size;
      // Output pixel (u, v) samples the input at A·(u − c) + c + d, A the inverse rotation and zoom.
      const a0 = Math.cos(angle) / scale;
      const a1 = Math.sin(angle) / scale;
      params.set([a0, a1, c - a0 * c - a1 * c + dx, -a1, a0, c + a1 * c - a0 * c + dy, 0, 0], i * 8);
    }
    const [wx, wy] = tf.tidy(() => {
      const xs = tf.tensor4d(x.subarray(start * pixels * channels, (start + m) * pixels * channels), [m, size, size, channels]);
      const ys = tf.tensor4d(y.subarray(start * pixels, (start + m) * pixels), [m, size, size, 1]);
      const warped = tf.image.transform(tf.concat([xs, ys], 3), tf.tensor2d(params, [m, 8]), 'bilinear', 'nearest', 0, [size, size]);
      const [a, b] = tf.split(warped, [channels, 1], 3);
      return [a!, tf.cast(tf.greater(b!, 0.5), 'float32')];
    });
    outX.set(wx.dataSync(), start * pixels * channels);
    outY.set(wy.dataSync(), start * pixels);
    tf.dispose([wx, wy]);
  }
  return { x: outX, y: outY };
}
