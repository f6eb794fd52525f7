// Generated phantom images for the offline default: SYNTHETIC, not medical data. A "chest" phantom
// (body outline, two darker lung fields, noise) with or without a bright round opacity in a lung, and
// an "endoscopy" phantom (textured RGB background) with an elliptic lesion and its mask.
import { createRng } from '@appliedml/engine';
import type { ColorImage, GrayImage, LabeledImages, MaskedImages } from '@appliedml/medical-imaging';

export const PHANTOM_LABELS = ['clear', 'lesion'] as const;

interface Rng {
  next(): number;
}

function gaussian(rng: Rng): number {
  const u = Math.max(1e-9, rng.next());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

function inEllipse(x: number, y: number, cx: number, cy: number, rx: number, ry: number, angle = 0): number {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const dx = x - cx;
  const dy = y - cy;
  const u = (dx * c + dy * s) / rx;
  const v = (-dx * s + dy * c) / ry;
  return u * u + v * v;
}

/** One chest phantom of size × size; `lesion` adds a soft bright opacity inside a lung field. */
export function chestPhantom(size: number, lesion: boolean, rng: Rng): GrayImage {
  const data = new Float32Array(size * size);
  const jitter = (v: number): number => v * (1 + 0.08 * gaussian(rng));
  const body = { rx: jitter(0.42 * size), ry: jitter(0.46 * size) };
  const lungs = [-1, 1].map((side) => ({
    cx: size / 2 + side * jitter(0.17 * size),
    cy: jitter(0.45 * size),
    rx: jitter(0.13 * size),
    ry: jitter(0.27 * size),
  }));
  const target = lungs[rng.next() < 0.5 ? 0 : 1]!;
  const spot = {
    cx: target.cx + (rng.next() - 0.5) * target.rx,
    cy: target.cy + (rng.next() - 0.5) * target.ry,
    r: (0.08 + 0.06 * rng.next()) * size,
  };
  const brightness = 0.55 + 0.15 * rng.next();
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let v = inEllipse(x, y, size / 2, size / 2, body.rx, body.ry) < 1 ? brightness : 0.08;
      for (const l of lungs) if (inEllipse(x, y, l.cx, l.cy, l.rx, l.ry) < 1) v = 0.22;
      if (lesion) {
        const d = inEllipse(x, y, spot.cx, spot.cy, spot.r, spot.r);
        if (d < 1.5) v += 0.5 * Math.exp(-d);
      }
      data[y * size + x] = Math.min(1, Math.max(0, v + 0.05 * gaussian(rng)));
    }
  return { width: size, height: size, data };
}

/** A labelled set of chest phantoms, half with a lesion. */
export function chestPhantoms(count: number, size: number, seed: number): LabeledImages {
  const rng = createRng(seed);
  const images: GrayImage[] = [];
  const labels: string[] = [];
  for (let i = 0; i < count; i++) {
    const lesion = i % 2 === 1;
    images.push(chestPhantom(size, lesion, rng));
    labels.push(PHANTOM_LABELS[lesion ? 1 : 0]);
  }
  return { images, labels };
}

/** RGB "endoscopy" phantoms with one elliptic reddish lesion each, and its mask. */
export function lesionPhantoms(count: number, size: number, seed: number): MaskedImages {
  const rng = createRng(seed);
  const images: ColorImage[] = [];
  const masks: GrayImage[] = [];
  for (let i = 0; i < count; i++) {
    const data = new Float32Array(size * size * 3);
    const mask = new Float32Array(size * size);
    const cx = size * (0.25 + 0.5 * rng.next());
    const cy = size * (0.25 + 0.5 * rng.next());
    const rx = size * (0.1 + 0.15 * rng.next());
    const ry = size * (0.1 + 0.15 * rng.next());
    const angle = rng.next() * Math.PI;
    const phase = rng.next() * 6;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const p = y * size + x;
        const texture = 0.08 * Math.sin((x + phase) / 3) * Math.cos((y - phase) / 4);
        const inside = inEllipse(x, y, cx, cy, rx, ry, angle) < 1;
        mask[p] = inside ? 1 : 0;
        const base = inside ? [0.75, 0.35, 0.3] : [0.65, 0.45, 0.4];
        for (let c = 0; c < 3; c++) data[p * 3 + c] = Math.min(1, Math.max(0, base[c]! + texture + 0.06 * gaussian(rng)));
      }
    images.push({ width: size, height: size, channels: 3, data });
    masks.push({ width: size, height: size, data: mask });
  }
  return { images, masks };
}
