import { logMel, mfcc, readAudio, type AudioInput } from '@appliedml/speech';
import sharp from 'sharp';

/** A perceptual blue → green → yellow colour map (viridis-like anchors), t in [0, 1]. */
const STOPS: Array<[number, number, number]> = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function colour(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i] as [number, number, number];
  const b = STOPS[i + 1] as [number, number, number];
  return [0, 1, 2].map((k) => Math.round((a[k] as number) + ((b[k] as number) - (a[k] as number)) * f)) as [number, number, number];
}

/**
 * A [frames × dim] matrix as a PNG: time left to right, low coefficients at the bottom, each cell scaled
 * up. `scale` 'all' colours every value on one scale (the matrix's min to max); 'row' gives each
 * coefficient (row) its own (its min to max over time), so one large coefficient does not flatten the rest.
 */
export async function matrixPng(
  data: Float32Array,
  frames: number,
  dim: number,
  cell = { w: 3, h: 6 },
  scale: 'all' | 'row' = 'all',
): Promise<Buffer> {
  const lo = new Float64Array(dim).fill(Infinity);
  const hi = new Float64Array(dim).fill(-Infinity);
  for (let t = 0; t < frames; t++) {
    for (let d = 0; d < dim; d++) {
      const v = data[t * dim + d] as number;
      const k = scale === 'row' ? d : 0;
      if (v < (lo[k] as number)) lo[k] = v;
      if (v > (hi[k] as number)) hi[k] = v;
    }
  }
  const width = frames * cell.w;
  const height = dim * cell.h;
  const rgb = Buffer.alloc(width * height * 3);
  for (let t = 0; t < frames; t++) {
    for (let d = 0; d < dim; d++) {
      const k = scale === 'row' ? d : 0;
      const [r, g, b] = colour(((data[t * dim + d] as number) - (lo[k] as number)) / ((hi[k] as number) - (lo[k] as number) || 1));
      for (let y = 0; y < cell.h; y++) {
        const row = (dim - 1 - d) * cell.h + y;
        for (let x = 0; x < cell.w; x++) {
          const at = (row * width + t * cell.w + x) * 3;
          rgb[at] = r;
          rgb[at + 1] = g;
          rgb[at + 2] = b;
        }
      }
    }
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/**
 * MFCC (13 coefficients, no CMVN: what the ear-shaped spectrum looks like; each coefficient's row on its
 * own colour scale, else c0, the energy, takes the whole range and the others are one flat colour) and
 * log-mel (one scale for all bands) pictures of a recording: a WAV file's path or bytes (read at
 * `sampleRate`), or samples already at `sampleRate`.
 */
export async function featurePictures(audio: AudioInput, sampleRate = 8000): Promise<{ mfcc: Buffer; logMel: Buffer }> {
  // A path is read as the file it names (it was taken as the WAV bytes themselves).
  const decoded = audio instanceof Float32Array ? { samples: audio } : await readAudio(audio, { targetSampleRate: sampleRate });
  const m = mfcc(decoded.samples, { sampleRate });
  const l = logMel(decoded.samples, { sampleRate });
  return {
    mfcc: await matrixPng(m.data, m.frames, m.dim, { w: 3, h: 8 }, 'row'),
    logMel: await matrixPng(l.data, l.frames, l.dim, { w: 3, h: 3 }),
  };
}

export const pngDataUrl = (png: Buffer): string => `data:image/png;base64,${png.toString('base64')}`;
