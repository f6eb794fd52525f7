// Joint augmentation of training images and their masks, drawn anew every epoch by the segmenter.
import { tf } from '@appliedml/engine';
import type { ImageSegmenterConfig } from './image-segmenter';
import type { Turns } from './preprocess';

/** Images `flipPairsInTurns` handles between two event-loop turn checks. */
const FLIP_IMAGES_PER_TURN = 16;

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
  const out = { x: new Float32Array(x.length), y: new Float32Array(y.length) };
  for (let k = 0; k < n; k++) flipOne(x, y, out, k, size, channels, rng, transpose);
  return out;
}

/**
 * `flipPairs` for the segmenter's `train`: the same draws in the same order, so the same arrays, with an
 * event-loop turn every 16 images (`turns` throws E_ABORTED once the call's signal is aborted).
 */
export async function flipPairsInTurns(
  x: Float32Array,
  y: Float32Array,
  n: number,
  size: number,
  channels: number,
  rng: { next(): number },
  transpose: boolean,
  turns: Turns,
): Promise<{ x: Float32Array; y: Float32Array }> {
  const out = { x: new Float32Array(x.length), y: new Float32Array(y.length) };
  for (let k = 0; k < n; k++) {
    flipOne(x, y, out, k, size, channels, rng, transpose);
    if ((k + 1) % FLIP_IMAGES_PER_TURN === 0) {
      const t = turns.turn();
      if (t) await t;
    }
  }
  return out;
}

/** Image `k` and its mask flipped (and transposed) into `out`, its three draws taken from `rng`. */
function flipOne(
  x: Float32Array,
  y: Float32Array,
  out: { x: Float32Array; y: Float32Array },
  k: number,
  size: number,
  channels: number,
  rng: { next(): number },
  transpose: boolean,
): void {
  const pixels = size * size;
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
      out.y[by + dst] = y[by + src]!;
      for (let c = 0; c < channels; c++) out.x[bx + dst * channels + c] = x[bx + src * channels + c]!;
    }
  }
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
  const out = { x: new Float32Array(x.length), y: new Float32Array(y.length) };
  for (let start = 0; start < n; start += WARP_CHUNK) warpChunk(x, y, out, start, n, size, channels, rng, config);
  return out;
}

/** Images warped by one tfjs call. */
const WARP_CHUNK = 64;

/**
 * `warpPairs` for the segmenter's `train`: the same draws and the same tfjs calls in the same order, so
 * the same arrays, with an event-loop turn after each call of 64 images (`turns` throws E_ABORTED once
 * the call's signal is aborted).
 */
export async function warpPairsInTurns(
  x: Float32Array,
  y: Float32Array,
  n: number,
  size: number,
  channels: number,
  rng: { next(): number },
  config: Pick<ImageSegmenterConfig, 'rotation' | 'zoom' | 'shift'>,
  turns: Turns,
): Promise<{ x: Float32Array; y: Float32Array }> {
  const out = { x: new Float32Array(x.length), y: new Float32Array(y.length) };
  for (let start = 0; start < n; start += WARP_CHUNK) {
    warpChunk(x, y, out, start, n, size, channels, rng, config);
    const t = turns.turn();
    if (t) await t;
  }
  return out;
}

/** Images `start` to `start + 64` (or `n`) and their masks warped into `out`, their draws taken from `rng`. */
function warpChunk(
  x: Float32Array,
  y: Float32Array,
  out: { x: Float32Array; y: Float32Array },
  start: number,
  n: number,
  size: number,
  channels: number,
  rng: { next(): number },
  config: Pick<ImageSegmenterConfig, 'rotation' | 'zoom' | 'shift'>,
): void {
  const pixels = size * size;
  const c = (size - 1) / 2;
  const m = Math.min(WARP_CHUNK, n - start);
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
  out.x.set(wx.dataSync(), start * pixels * channels);
  out.y.set(wy.dataSync(), start * pixels);
  tf.dispose([wx, wy]);
}
