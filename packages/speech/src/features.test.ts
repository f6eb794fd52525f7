import { readFileSync } from 'node:fs';
import { AppliedMLError } from '@appliedml/engine';
import * as meydaModule from 'meyda';
import { describe, expect, it, vi } from 'vitest';
import {
  extractFeatureViews,
  extractFeatures,
  frameCount,
  hzToMel,
  logMel,
  melToHz,
  mfcc,
  resolveFeatureConfig,
  type FeatureConfig,
} from './features';

interface GoldenCase {
  name: string;
  config: Partial<FeatureConfig>;
  pcm16: number[];
  logMel: number[][];
  mfcc: number[][];
  delta: number[][];
  delta2: number[][];
}
const golden = JSON.parse(readFileSync(new URL('../test/fixtures/mfcc-golden.json', import.meta.url), 'utf8')) as { cases: GoldenCase[] };

function maxAbsDiff(actual: Float32Array, expected: number[][], dim: number, offset = 0, stride = dim): number {
  let worst = 0;
  expected.forEach((row, t) => row.forEach((v, d) => (worst = Math.max(worst, Math.abs((actual[t * stride + offset + d] as number) - v)))));
  return worst;
}

// Tolerance: the reference is float64 numpy/scipy (librosa conventions); this side runs Meyda's float32 FFT.
// Measured worst differences are 5e-5 (the fixture is rounded to 1e-4); 1e-3 (dB for log-mel, the same units for MFCC and deltas) is the contract.
const TOLERANCE = 1e-3;

describe('MFCC golden test against the float64 numpy/scipy reference', () => {
  for (const c of golden.cases) {
    it(`matches ${c.name}`, () => {
      const samples = Float32Array.from(c.pcm16, (v) => v / 32768);
      const m = mfcc(samples, c.config);
      expect(m.frames).toBe(c.mfcc.length);
      expect(maxAbsDiff(m.data, c.mfcc, m.dim)).toBeLessThan(TOLERANCE);
      const lm = logMel(samples, c.config);
      expect(lm.frames).toBe(c.logMel.length);
      expect(maxAbsDiff(lm.data, c.logMel, lm.dim)).toBeLessThan(TOLERANCE);
      const full = extractFeatures(samples, { ...c.config, deltas: 2, cmvn: 'none' });
      const K = m.dim;
      expect(maxAbsDiff(full.data, c.delta, K, K, 3 * K)).toBeLessThan(TOLERANCE);
      expect(maxAbsDiff(full.data, c.delta2, K, 2 * K, 3 * K)).toBeLessThan(TOLERANCE);
    });
  }
});

describe('features', () => {
  it('mel scale round-trips', () => {
    for (const hz of [0, 300, 999, 1000, 3999]) expect(melToHz(hzToMel(hz))).toBeCloseTo(hz, 6);
  });

  it('applies per-utterance CMVN: zero mean, unit variance per coefficient', () => {
    const samples = Float32Array.from(
      { length: 8000 },
      (_, i) => Math.sin(i * 0.3) * (0.2 + 0.1 * Math.sin(i / 500)) + 0.01 * Math.cos(i * 1.7),
    );
    const f = extractFeatures(samples);
    expect(f.dim).toBe(39);
    for (let d = 0; d < f.dim; d += 7) {
      let mean = 0;
      for (let t = 0; t < f.frames; t++) mean += f.data[t * f.dim + d] as number;
      expect(Math.abs(mean / f.frames)).toBeLessThan(1e-4);
    }
  });

  it('is invariant to gain after CMVN', () => {
    const samples = Float32Array.from({ length: 4000 }, (_, i) => Math.sin(i * 0.21) * Math.exp(-i / 3000));
    const a = extractFeatures(samples);
    const b = extractFeatures(samples.map((v) => v * 0.1));
    let worst = 0;
    a.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (b.data[i] as number)))));
    expect(worst).toBeLessThan(1e-3);
  });

  it('appends the utterance statistics before CMVN when asked: constant over frames, gain-invariant, the frames unchanged', () => {
    const samples = Float32Array.from({ length: 4000 }, (_, i) => Math.sin(i * 0.21 + 0.002 * i * i) * Math.exp(-i / 3000));
    const c = resolveFeatureConfig({ utteranceStats: true });
    expect([c.cepstralDim, c.dim]).toEqual([39, 39 + 25]);
    const plain = extractFeatures(samples);
    const withStats = extractFeatures(samples, c);
    const raw = mfcc(samples);
    const K = 13;
    for (let t = 0; t < withStats.frames; t++) {
      for (let d = 0; d < 39; d++) expect(withStats.data[t * 64 + d]).toBe(plain.data[t * 39 + d]);
      for (let d = 39; d < 64; d++) expect(withStats.data[t * 64 + d]).toBe(withStats.data[d]);
    }
    // The values: means of c1…c12, then standard deviations of c0…c12, of the raw MFCCs, in tens of dB per band.
    const scale = 10 * Math.sqrt(40);
    for (let k = 0; k < K; k++) {
      let mean = 0;
      for (let t = 0; t < raw.frames; t++) mean += raw.data[t * K + k] as number;
      mean /= raw.frames;
      let variance = 0;
      for (let t = 0; t < raw.frames; t++) variance += ((raw.data[t * K + k] as number) - mean) ** 2;
      if (k > 0) expect(withStats.data[39 + k - 1]).toBeCloseTo(mean / scale, 4);
      expect(withStats.data[39 + K - 1 + k]).toBeCloseTo(Math.sqrt(variance / raw.frames) / scale, 4);
    }
    const quieter = extractFeatures(
      samples.map((v) => v * 0.1),
      c,
    );
    for (let d = 39; d < 64; d++) expect(Math.abs((quieter.data[d] as number) - (withStats.data[d] as number))).toBeLessThan(1e-3);
    expect(() => resolveFeatureConfig({ utteranceStats: true, kind: 'log-mel' })).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID' }),
    );
    expect(() => resolveFeatureConfig({ utteranceStats: 'yes' as unknown as boolean })).toThrow(/utteranceStats/);
  });

  it('several views of one utterance equal extracting each alone (one shared analysis per spectral config)', () => {
    const x = new Float32Array(6000).map((_, i) => Math.sin(i * 0.05) * (1 + Math.sin(i * 0.001)) + 0.01 * Math.cos(i * 1.3));
    const configs: Array<Partial<FeatureConfig>> = [
      {},
      { cmvn: 'mean', utteranceStats: true },
      { cmvn: 'none' },
      { coefficients: 20, cmvn: 'mean' },
      { kind: 'log-mel' },
    ];
    for (const warp of [1, 1.08]) {
      const views = extractFeatureViews(x, configs, { warp });
      configs.forEach((c, i) => expect(views[i], JSON.stringify(c)).toEqual(extractFeatures(x, c, { warp })));
    }
    expect(() => extractFeatureViews(new Float32Array(0), [{}])).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });

  it('views that differ only in normalisation share one spectral analysis: one FFT per frame per distinct analysis', () => {
    const Meyda = ((meydaModule as unknown as { default?: unknown }).default ?? meydaModule) as {
      extract: (...args: unknown[]) => unknown;
    };
    const spy = vi.spyOn(Meyda, 'extract');
    // A warp no other test uses: the feature plans are cached per warp and config, and only plans made
    // after the spy copy it.
    const warp = 1.03;
    const x = new Float32Array(6000).map((_, i) => Math.sin(i * 0.05) + 0.01 * Math.cos(i * 1.3));
    const frames = frameCount(x.length, resolveFeatureConfig({}));
    try {
      extractFeatureViews(x, [{}, { cmvn: 'mean', utteranceStats: true }, { cmvn: 'none' }], { warp });
      expect(spy).toHaveBeenCalledTimes(frames);
      spy.mockClear();
      extractFeatureViews(x, [{}, { coefficients: 20 }], { warp });
      expect(spy).toHaveBeenCalledTimes(2 * frames);
    } finally {
      spy.mockRestore();
    }
  });

  it('rejects bad configs and empty audio with typed errors', () => {
    expect(() => resolveFeatureConfig({ nFft: 300 })).toThrow(AppliedMLError);
    expect(() => resolveFeatureConfig({ coefficients: 80 })).toThrow(/coefficients/);
    expect(() => extractFeatures(new Float32Array(0))).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
  });
});
