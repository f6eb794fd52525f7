import { AppliedMLError, checkKnownKeys, describeKind, describeValue } from '@appliedml/engine';
import * as meydaModule from 'meyda';

// Meyda ships CommonJS for Node; take its default export the same way under ESM and CommonJS.
const Meyda = ((meydaModule as unknown as { default?: unknown }).default ?? meydaModule) as object;

/**
 * MFCC and log-mel features. Meyda does the framing's FFT (its `amplitudeSpectrum` extractor on a
 * power-of-two buffer: each frame is windowed here and zero-padded to `nFft`); the mel filter bank,
 * the dB scale and the DCT follow librosa's documented conventions (Slaney mel scale and area
 * normalisation, `power_to_db` with `amin` 1e-10 and `top_db`, orthonormal DCT-II), because Meyda's own
 * MFCC takes log(energy + 1) with an unnormalised filter bank, which does not match any reference.
 * Every choice is in one `FeatureConfig`, stored in the model bundle.
 */

export const FEATURE_KINDS = ['mfcc', 'log-mel'] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];
export const WINDOWS = ['hann', 'hamming'] as const;
export type WindowName = (typeof WINDOWS)[number];
export const CMVN_MODES = ['mean-variance', 'mean', 'none'] as const;
export type CmvnMode = (typeof CMVN_MODES)[number];

export interface FeatureConfig {
  /** Model sample rate in Hz; audio is resampled to it (default 8000, the FSDD / telephone band). */
  sampleRate: number;
  /** 'mfcc' (default) or 'log-mel'. */
  kind: FeatureKind;
  /** Analysis window length in ms (default 25). */
  frameMs: number;
  /** Hop in ms (default 10). */
  hopMs: number;
  /** FFT size; 0 = the next power of two ≥ the frame (default 0). Meyda needs a power of two. */
  nFft: number;
  /** Window (periodic, as scipy/librosa `fftbins=True`), default 'hann'. */
  window: WindowName;
  /** Pre-emphasis coefficient, y[n] = x[n] − a·x[n−1] with y[0] = x[0] (default 0.97; 0 = off). */
  preEmphasis: number;
  /** Mel bands (default 40). */
  melBands: number;
  /** Lowest and highest mel frequency in Hz (defaults 20 and sampleRate / 2). */
  fMin: number;
  fMax: number;
  /** Cepstral coefficients kept (default 13; MFCC only). */
  coefficients: number;
  /** 0 = none, 1 = + deltas, 2 = + deltas and delta-deltas (default 2). */
  deltas: 0 | 1 | 2;
  /** Delta regression window (odd, default 9, as librosa). */
  deltaWidth: number;
  /** dB floor below the utterance's maximum (default 80, as librosa; null = no floor). */
  topDb: number | null;
  /** Pad half a frame of zeros at both ends so frame t is centred on t·hop (default true, as librosa). */
  center: boolean;
  /** Per-utterance cepstral mean (and variance) normalisation (default 'mean-variance'). */
  cmvn: CmvnMode;
  /**
   * Append the utterance's cepstral statistics before normalisation to every frame (default false; MFCC
   * only): the means of c1…c(K−1) and the standard deviations of c0…c(K−1), in units of
   * 10·√melBands (tens of dB per band), 2K − 1 extra values after the coefficients and their deltas.
   * c0's mean is left out because it is the only coefficient a change of recording gain moves. CMVN
   * removes these statistics from the frames; they carry the speaker's and the session's spectral
   * envelope, which helps on known speakers.
   */
  utteranceStats: boolean;
}

export const FEATURE_DEFAULTS: FeatureConfig = {
  sampleRate: 8000,
  kind: 'mfcc',
  frameMs: 25,
  hopMs: 10,
  nFft: 0,
  window: 'hann',
  preEmphasis: 0.97,
  melBands: 40,
  fMin: 20,
  fMax: 0,
  coefficients: 13,
  deltas: 2,
  deltaWidth: 9,
  topDb: 80,
  center: true,
  cmvn: 'mean-variance',
  utteranceStats: false,
};

/** The settings' names: a misspelt one is refused (E_INPUT_INVALID listing these), here and in the recognizer's config. */
export const FEATURE_KEYS = Object.keys({
  sampleRate: 1,
  kind: 1,
  frameMs: 1,
  hopMs: 1,
  nFft: 1,
  window: 1,
  preEmphasis: 1,
  melBands: 1,
  fMin: 1,
  fMax: 1,
  coefficients: 1,
  deltas: 1,
  deltaWidth: 1,
  topDb: 1,
  center: 1,
  cmvn: 1,
  utteranceStats: 1,
} satisfies Record<keyof FeatureConfig, 1>);

/** The sizes `resolveFeatureConfig` derives from the settings (a resolved config given back carries them). */
const DERIVED_KEYS = ['winLength', 'hopLength', 'dim', 'cepstralDim'] as const;

/** A config with every derived size filled in. */
export interface ResolvedFeatureConfig extends FeatureConfig {
  winLength: number;
  hopLength: number;
  /** Values per frame: (coefficients or melBands) × (1 + deltas), plus 2 × coefficients − 1 with `utteranceStats`. */
  dim: number;
  /** The first `cepstralDim` values of a frame: (coefficients or melBands) × (1 + deltas). */
  cepstralDim: number;
}

export interface Features {
  /** Row-major [frames × dim]. */
  data: Float32Array;
  frames: number;
  dim: number;
}

function bad(message: string, field: string): AppliedMLError {
  return new AppliedMLError('E_INPUT_INVALID', `Feature config: ${message}`, { details: { field } });
}

/** A feature config given to a public helper is an object (null, a string or an array spread into the defaults unnoticed). */
function checkConfigObject(config: unknown): void {
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new AppliedMLError('E_INPUT_INVALID', 'A feature config must be an object of feature settings.', {
      details: { field: 'features' },
    });
}

/** The number arguments of the helpers: a finite number (NaN, strings and objects are refused, not computed with). */
function checkFinite(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new AppliedMLError('E_INPUT_INVALID', `${name} must be a finite number (got ${describeValue(value)}).`, {
      details: { field: name },
    });
}

/** Warps accepted by the feature helpers: the augmentation's VTLP range. */
function checkWarp(warp: unknown): void {
  checkFinite(warp, 'warp');
  if ((warp as number) < 0.5 || (warp as number) > 2)
    throw new AppliedMLError('E_INPUT_INVALID', `warp must be in [0.5, 2] (got ${warp as number}).`, { details: { field: 'warp' } });
}

export function resolveFeatureConfig(config: Partial<FeatureConfig> = {}): ResolvedFeatureConfig {
  checkConfigObject(config);
  // The derived sizes of a resolved config given back are recomputed from its settings, not read.
  const settings = Object.entries(config).filter(([k]) => !(DERIVED_KEYS as readonly string[]).includes(k));
  checkKnownKeys('Feature config', Object.fromEntries(settings), FEATURE_KEYS);
  // An option left undefined takes its default (a spread would put the undefined over it).
  const given = Object.fromEntries(settings.filter(([, v]) => v !== undefined)) as Partial<FeatureConfig>;
  const c: FeatureConfig = { ...FEATURE_DEFAULTS, ...given };
  // Types first, strictly: comparisons coerce (null >= 0, '4000' > 0, '' >= 0 all hold), and a value that
  // passed that way failed later, at predict, as an error about the audio.
  const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  for (const key of ['frameMs', 'hopMs', 'nFft', 'preEmphasis', 'fMin', 'fMax'] as const)
    if (!isNumber(c[key])) throw bad(`${key} must be a finite number (got ${describeValue(c[key])}).`, key);
  if (c.topDb !== null && !isNumber(c.topDb)) throw bad(`topDb must be a finite number or null (got ${describeValue(c.topDb)}).`, 'topDb');
  if (typeof c.center !== 'boolean') throw bad(`center must be true or false (got ${describeValue(c.center)}).`, 'center');
  // The model rate: under 4 kHz less than 2 kHz of the voice is left; over 48 kHz only what lies above
  // 24 kHz is added (nothing of speech), at an FFT cost growing with the rate. Audio comes at 1–768 kHz.
  if (!Number.isInteger(c.sampleRate) || c.sampleRate < 4000 || c.sampleRate > 48_000)
    throw bad('sampleRate must be an integer 4000–48000.', 'sampleRate');
  if (!FEATURE_KINDS.includes(c.kind)) throw bad(`kind must be one of ${FEATURE_KINDS.join(', ')}.`, 'kind');
  if (!WINDOWS.includes(c.window)) throw bad(`window must be one of ${WINDOWS.join(', ')}.`, 'window');
  if (!CMVN_MODES.includes(c.cmvn)) throw bad(`cmvn must be one of ${CMVN_MODES.join(', ')}.`, 'cmvn');
  // Frames of at most a second and FFTs of at most 2^16 points: anything larger is a mistake that would
  // exhaust memory or time rather than a useful analysis.
  if (!(typeof c.frameMs === 'number' && c.frameMs > 0 && c.frameMs <= 1000)) throw bad('frameMs must be in (0, 1000].', 'frameMs');
  if (!(typeof c.hopMs === 'number' && c.hopMs > 0 && c.hopMs <= c.frameMs)) throw bad('hopMs must be in (0, frameMs].', 'hopMs');
  const winLength = Math.round((c.frameMs * c.sampleRate) / 1000);
  const hopLength = Math.round((c.hopMs * c.sampleRate) / 1000);
  if (winLength < 16 || hopLength < 1 || hopLength > winLength) throw bad('frameMs/hopMs give an unusable frame or hop.', 'frameMs');
  let nFft = c.nFft;
  if (nFft === 0) {
    nFft = 1;
    while (nFft < winLength) nFft *= 2;
  }
  if (!Number.isInteger(nFft) || nFft < winLength || nFft > 65_536 || (nFft & (nFft - 1)) !== 0)
    throw bad('nFft must be a power of two ≥ the frame length, at most 65536.', 'nFft');
  const fMax = c.fMax > 0 ? c.fMax : c.sampleRate / 2;
  if (!(c.fMin >= 0 && fMax > c.fMin && fMax <= c.sampleRate / 2))
    throw bad('need 0 ≤ fMin < fMax ≤ sampleRate / 2.', c.fMin < 0 || c.fMin >= c.sampleRate / 2 ? 'fMin' : 'fMax');
  if (!Number.isInteger(c.melBands) || c.melBands < 4 || c.melBands > 256) throw bad('melBands must be 4–256.', 'melBands');
  if (!Number.isInteger(c.coefficients) || c.coefficients < 1 || c.coefficients > c.melBands)
    throw bad('coefficients must be 1–melBands.', 'coefficients');
  if (![0, 1, 2].includes(c.deltas)) throw bad('deltas must be 0, 1 or 2.', 'deltas');
  if (!Number.isInteger(c.deltaWidth) || c.deltaWidth < 3 || c.deltaWidth > 99 || c.deltaWidth % 2 === 0)
    throw bad('deltaWidth must be odd, 3–99.', 'deltaWidth');
  if (!(c.preEmphasis >= 0 && c.preEmphasis < 1)) throw bad('preEmphasis must be in [0, 1).', 'preEmphasis');
  if (c.topDb !== null && !(c.topDb > 0)) throw bad('topDb must be positive or null.', 'topDb');
  if (typeof c.utteranceStats !== 'boolean') throw bad('utteranceStats must be true or false.', 'utteranceStats');
  if (c.utteranceStats && c.kind !== 'mfcc') throw bad("utteranceStats needs kind 'mfcc'.", 'utteranceStats');
  const base = c.kind === 'mfcc' ? c.coefficients : c.melBands;
  const cepstralDim = base * (1 + c.deltas);
  return { ...c, nFft, fMax, winLength, hopLength, cepstralDim, dim: cepstralDim + (c.utteranceStats ? 2 * base - 1 : 0) };
}

// ── mel scale (Slaney, as librosa's default htk=False) ─────────────────────────────────────────
const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

export function hzToMel(hz: number): number {
  checkFinite(hz, 'hz');
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : hz / F_SP;
}

export function melToHz(mel: number): number {
  checkFinite(mel, 'mel');
  const hz = mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
  // Past about 10,000 mel the frequency overflows to Infinity.
  if (!Number.isFinite(hz))
    throw new AppliedMLError('E_INPUT_INVALID', `mel ${mel} is beyond any frequency.`, { details: { field: 'mel' } });
  return hz;
}

interface SparseFilter {
  start: number;
  weights: Float64Array;
}

interface Plan {
  config: ResolvedFeatureConfig;
  window: Float64Array; // nFft long, the window centred with zeros around it
  filters: SparseFilter[];
  dct: Float64Array; // [coefficients × melBands]
  meyda: { extract: (feature: 'amplitudeSpectrum', signal: Float32Array) => Float32Array };
  frame: Float32Array;
}

/** Slaney-normalised triangular mel filters over the nFft/2 + 1 FFT bins (librosa.filters.mel). */
export function melFilterBank(config: ResolvedFeatureConfig, warp = 1): Float64Array[] {
  const c = resolved(config);
  checkWarp(warp);
  const bins = c.nFft / 2 + 1;
  // warp ≠ 1: vocal-tract-length perturbation (the frequency axis scaled by `warp` under the filters).
  const fftFreqs = Float64Array.from({ length: bins }, (_, k) => (k * c.sampleRate * warp) / c.nFft);
  const lo = hzToMel(c.fMin);
  const hi = hzToMel(c.fMax);
  const pts = Float64Array.from({ length: c.melBands + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (c.melBands + 1)));
  const out: Float64Array[] = [];
  for (let m = 0; m < c.melBands; m++) {
    const left = pts[m] as number;
    const centre = pts[m + 1] as number;
    const right = pts[m + 2] as number;
    const norm = 2 / (right - left);
    const row = new Float64Array(bins);
    for (let k = 0; k < bins; k++) {
      const f = fftFreqs[k] as number;
      const up = (f - left) / (centre - left);
      const down = (right - f) / (right - centre);
      row[k] = Math.max(0, Math.min(up, down)) * norm;
    }
    out.push(row);
  }
  return out;
}

function windowValues(name: WindowName, length: number): Float64Array {
  const a = name === 'hann' ? 0.5 : 0.54;
  return Float64Array.from({ length }, (_, n) => a - (1 - a) * Math.cos((2 * Math.PI * n) / length));
}

const plans = new Map<string, Plan>();

function planFor(c: ResolvedFeatureConfig, warp = 1): Plan {
  const key = `${warp}:${JSON.stringify(c)}`;
  const cached = plans.get(key);
  if (cached) return cached;
  const window = new Float64Array(c.nFft);
  window.set(windowValues(c.window, c.winLength), Math.floor((c.nFft - c.winLength) / 2));
  const filters = melFilterBank(c, warp).map((row) => {
    let start = 0;
    while (start < row.length && row[start] === 0) start++;
    let end = row.length;
    while (end > start && row[end - 1] === 0) end--;
    return { start, weights: row.slice(start, end) };
  });
  const M = c.melBands;
  const K = c.kind === 'mfcc' ? c.coefficients : 0;
  const dct = new Float64Array(K * M);
  for (let k = 0; k < K; k++) {
    const scale = k === 0 ? Math.sqrt(1 / M) : Math.sqrt(2 / M);
    for (let m = 0; m < M; m++) dct[k * M + m] = scale * Math.cos((Math.PI * k * (2 * m + 1)) / (2 * M));
  }
  // A private Meyda context: its `extract` reads its settings from `this`, so the global stays untouched.
  const meyda = Object.assign({}, Meyda, {
    bufferSize: c.nFft,
    sampleRate: c.sampleRate,
    windowingFunction: 'rect',
    melBands: Math.min(26, c.melBands),
    numberOfMFCCCoefficients: Math.min(13, c.melBands),
  }) as unknown as Plan['meyda'];
  const plan: Plan = { config: c, window, filters, dct, meyda, frame: new Float32Array(c.nFft) };
  if (plans.size > 64) plans.clear();
  plans.set(key, plan);
  return plan;
}

/** Number of frames `extractFeatures` gives for `n` samples. */
export function frameCount(n: number, config: ResolvedFeatureConfig): number {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new AppliedMLError('E_INPUT_INVALID', `frameCount needs a whole number of samples ≥ 0 (got ${describeValue(n)}).`, {
      details: { field: 'n' },
    });
  const c = resolved(config);
  const padded = c.center ? n + 2 * Math.floor(c.nFft / 2) : n;
  return padded < c.nFft ? 0 : 1 + Math.floor((padded - c.nFft) / c.hopLength);
}

/** Mel energies in dB: [frames × melBands] (power_to_db with ref 1, amin 1e-10, top_db). */
function melDb(samples: Float32Array, plan: Plan): { data: Float64Array; frames: number } {
  const c = plan.config;
  const n = samples.length;
  const pad = c.center ? Math.floor(c.nFft / 2) : 0;
  const frames = frameCount(n, c);
  const M = c.melBands;
  const out = new Float64Array(frames * M);
  // The pre-emphasised signal with the centring zeros, built once.
  const padded = new Float32Array(Math.max(n + 2 * pad, c.nFft));
  const a = c.preEmphasis;
  padded[pad] = samples[0] as number;
  for (let j = 1; j < n; j++) padded[pad + j] = (samples[j] as number) - a * (samples[j - 1] as number);
  const frame = plan.frame;
  const win = plan.window;
  const nFft = c.nFft;
  const filters = plan.filters;
  let max = -Infinity;
  for (let t = 0; t < frames; t++) {
    const s0 = t * c.hopLength;
    for (let k = 0; k < nFft; k++) frame[k] = (padded[s0 + k] as number) * (win[k] as number);
    const amp = plan.meyda.extract('amplitudeSpectrum', frame);
    // Meyda returns nFft/2 bins (no Nyquist bin); the top Slaney filter is zero at Nyquist when fMax = sr/2.
    const bins = amp.length;
    for (let m = 0; m < M; m++) {
      const f = filters[m] as SparseFilter;
      const w = f.weights;
      const end = Math.min(w.length, bins - f.start);
      let e = 0;
      for (let k = 0; k < end; k++) {
        const v = amp[f.start + k] as number;
        e += (w[k] as number) * v * v;
      }
      const db = 10 * Math.log10(e > 1e-10 ? e : 1e-10);
      out[t * M + m] = db;
      if (db > max) max = db;
    }
  }
  if (c.topDb !== null) {
    const floor = max - c.topDb;
    for (let i = 0; i < out.length; i++) if ((out[i] as number) < floor) out[i] = floor;
  }
  return { data: out, frames };
}

/** Savitzky–Golay derivative (librosa.feature.delta, mode 'interp'; 'nearest' padding when shorter than the window). */
function deltaOf(base: Float64Array, frames: number, dim: number, width: number, order: 1 | 2): Float64Array {
  const half = (width - 1) / 2;
  const coef = new Float64Array(width);
  if (order === 1) {
    let denom = 0;
    for (let n = -half; n <= half; n++) denom += n * n;
    for (let n = -half; n <= half; n++) coef[n + half] = n / denom;
  } else {
    let mean = 0;
    for (let n = -half; n <= half; n++) mean += n * n;
    mean /= width;
    let denom = 0;
    for (let n = -half; n <= half; n++) denom += (n * n - mean) ** 2;
    for (let n = -half; n <= half; n++) coef[n + half] = (2 * (n * n - mean)) / denom;
  }
  const out = new Float64Array(frames * dim);
  const interp = frames >= width;
  for (let t = 0; t < frames; t++) {
    // 'interp': a polynomial fitted to the first/last full window; its derivative there is the window-centre value.
    const tc = interp ? Math.min(frames - 1 - half, Math.max(half, t)) : t;
    const row = t * dim;
    for (let n = -half; n <= half; n++) {
      const w = coef[n + half] as number;
      if (w === 0) continue;
      const src = Math.min(frames - 1, Math.max(0, tc + n)) * dim;
      for (let d = 0; d < dim; d++) out[row + d] = (out[row + d] as number) + w * (base[src + d] as number);
    }
  }
  return out;
}

/** Raw features before deltas and CMVN: MFCCs or log-mel energies, [frames × base]. */
function baseFeatures(samples: Float32Array, c: ResolvedFeatureConfig, warp: number): { data: Float64Array; frames: number; base: number } {
  const plan = planFor(c, warp);
  const mel = melDb(samples, plan);
  if (c.kind === 'log-mel') return { data: mel.data, frames: mel.frames, base: c.melBands };
  const K = c.coefficients;
  const M = c.melBands;
  const out = new Float64Array(mel.frames * K);
  for (let t = 0; t < mel.frames; t++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let m = 0; m < M; m++) s += (plan.dct[k * M + m] as number) * (mel.data[t * M + m] as number);
      out[t * K + k] = s;
    }
  }
  return { data: out, frames: mel.frames, base: K };
}

/** NaN or ±Infinity samples would come out as silence: refused instead (E_INPUT_INVALID with the index). */
/**
 * Largest sample magnitude accepted: audio is nominally in [−1, 1] (int16-scaled floats reach 32,768);
 * far beyond that, a spectrum's power overflows float32 and every feature turns NaN.
 */
export const MAX_SAMPLE_MAGNITUDE = 1e6;

/**
 * A typed array of the given kind from this realm or another (a `vm` context, an iframe): `instanceof`
 * misses the latter. The tag of a view cannot be faked by a plain object (ArrayBuffer.isView), and the
 * element size rules out a DataView given the tag by hand.
 */
function isTypedArrayOf(value: unknown, type: 'Float32Array' | 'Float64Array' | 'Int16Array' | 'Uint8Array', size: number): boolean {
  return (
    ArrayBuffer.isView(value) &&
    Object.prototype.toString.call(value) === `[object ${type}]` &&
    (value as unknown as { BYTES_PER_ELEMENT: unknown }).BYTES_PER_ELEMENT === size
  );
}

/** A Float32Array, also one made in another realm (a `vm` context, an iframe). */
export function isFloat32Array(value: unknown): value is Float32Array {
  return value instanceof Float32Array || isTypedArrayOf(value, 'Float32Array', 4);
}

/**
 * Bytes as a Uint8Array of this realm: a Uint8Array or Buffer as is, one made in another realm (a `vm`
 * context, an iframe: `instanceof` misses it) as a view of the same memory; anything else undefined.
 */
export function asUint8Array(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (!isTypedArrayOf(value, 'Uint8Array', 1)) return undefined;
  const view = value as unknown as { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function isFloat64Array(value: unknown): value is Float64Array {
  return value instanceof Float64Array || isTypedArrayOf(value, 'Float64Array', 8);
}

/**
 * Audio given to a public helper: a Float32Array (or, where `float64` says so, a Float64Array) of finite
 * samples, also one from another realm. Anything else (null, a number, a string, a plain array) is
 * E_INPUT_INVALID rather than a TypeError or a silently empty result.
 */
export function checkAudioSamples(samples: unknown, what: string, float64 = false): void {
  if (!(isFloat32Array(samples) || (float64 && isFloat64Array(samples))))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${what} must be a Float32Array${float64 ? ' or Float64Array' : ''} of mono audio samples (got ${describeSamples(samples)}).`,
      { details: { field: 'samples' } },
    );
  checkFiniteSamples(samples as ArrayLike<number>);
}

/**
 * The conversion a refusal of bytes suggests for raw 16-bit little-endian PCM: the even part copied into
 * a buffer of its own (a chunk from a pipe or socket can start at an odd offset, which an Int16Array
 * cannot view, and a Buffer's `slice` and `buffer` are the shared pool), an odd last byte kept for the
 * next chunk (dropped, it shifted every later sample by a byte: noise).
 */
export const PCM_BYTES_HINT =
  'raw 16-bit little-endian PCM is new Int16Array(Uint8Array.from(bytes.subarray(0, bytes.length & ~1)).buffer), then / 32768, with an odd last byte put before the next chunk';

/** A WHATWG URL (also one from another realm). */
function isUrl(value: unknown): value is URL {
  return value instanceof URL || (Object.prototype.toString.call(value) === '[object URL]' && typeof (value as URL).href === 'string');
}

/**
 * What a refusal's hint may point at: `audio`, a reader that takes a file path, WAV bytes or samples
 * (readAudio, predict); `path`, one that takes a file path only (readAudioChunks); `samples`, a helper that
 * takes samples only (extractFeatures, resample, encodeWav …); `stream`, a stream's push; `bytes`, a
 * decoder of WAV bytes (decodeWav). A hint names only an input the call it came from (or the one it
 * names) takes: "pass a file path" to a stream's push, which refuses paths too, sent a user round.
 */
export type SamplesHintFor = 'audio' | 'path' | 'samples' | 'stream' | 'bytes';

/**
 * What was given where samples were expected, for a refusal: an array of another type by its name and
 * length, with the conversion for 16-bit PCM (a microphone's or ffmpeg's `s16le`), which describeValue
 * wrote as `{"0":12,"1":-40,…}`, or from a plain array; anything else as the engine's describeValue writes
 * it. `hintFor` says what the refusing call takes (SamplesHintFor), so a hint never names an input it refuses.
 */
export function describeSamples(value: unknown, hintFor: SamplesHintFor = 'samples'): string {
  if (Array.isArray(value)) return `an array of ${value.length} values: samples are Float32Array.from(values)`;
  // describeValue writes a URL as its text, which read like a refused path.
  if (isUrl(value)) return `a URL object, ${describeValue(value.href)}: ${urlHint(value.protocol === 'file:', hintFor)}`;
  if (isPlainObjectWithViews(value)) return describeObject(value, hintFor);
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return describeValue(value);
  const type = typeof Buffer !== 'undefined' && Buffer.isBuffer(value) ? 'Buffer' : Object.prototype.toString.call(value).slice(8, -1);
  const what = `${/^[AEIO]/.test(type) ? 'an' : 'a'} ${type} of ${(value as unknown as ArrayLike<unknown>).length} values`;
  if (isTypedArrayOf(value, 'Int16Array', 2))
    return hintFor === 'bytes'
      ? `${what}: 16-bit PCM needs no decoding, its samples are Float32Array.from(pcm, (v) => v / 32768)`
      : `${what}: 16-bit PCM becomes samples with Float32Array.from(pcm, (v) => v / 32768)`;
  if (type === 'Buffer' || isTypedArrayOf(value, 'Uint8Array', 1)) return `${what}: a WAV file's bytes go to decodeWav; ${PCM_BYTES_HINT}`;
  return what;
}

/** An object (not an array or typed array) with an `audio` field or a typed array among its fields. */
function isPlainObjectWithViews(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return false;
  try {
    return 'audio' in value || Object.values(value).some((v) => ArrayBuffer.isView(v));
  } catch {
    return false;
  }
}

/**
 * Such an object by kind, not by its contents: describeValue wrote a training example's samples back as
 * `{"audio":{"0":0,"1":-0.0005,…` (r2 F11). An example (`{ audio, sampleRate }`) given where audio goes
 * gets the call that takes it.
 */
function describeObject(value: Record<string, unknown>, hintFor: SamplesHintFor): string {
  let keys: string[] = [];
  try {
    keys = Object.keys(value);
  } catch {
    keys = [];
  }
  const shown = keys.slice(0, 6).map((k) => describeValue(k));
  const fields = keys.length === 0 ? '' : ` with fields ${shown.join(', ')}${keys.length > shown.length ? ', …' : ''}`;
  if (!('audio' in value)) return `${describeKind(value)}${fields}`;
  const audio = value.audio;
  const inner = ArrayBuffer.isView(audio) ? describeSamples(audio, hintFor).split(':')[0] : describeKind(audio);
  const pass =
    isFloat32Array(audio) && hintFor === 'audio'
      ? 'pass example.audio, with { sampleRate: example.sampleRate }'
      : 'pass example.audio, not the example';
  return `${describeKind(value)}${fields}, its audio ${inner} (a training example?): ${pass}`;
}

/** The way from a URL to what the refusing call takes (see SamplesHintFor). */
function urlHint(file: boolean, hintFor: SamplesHintFor): string {
  const node = " (fileURLToPath from 'node:url')";
  switch (hintFor) {
    case 'audio':
    case 'path':
      return `pass a file path${file ? ", fileURLToPath(url) from 'node:url'" : ' (read or download it first)'}`;
    case 'stream':
      return file
        ? `a stream takes samples: read the file in chunks with readAudioChunks(fileURLToPath(url)) and push each${node}`
        : 'a stream takes samples: download it to a file, read that in chunks with readAudioChunks(path) and push each';
    default:
      return file
        ? `this takes samples: (await readAudio(fileURLToPath(url))).samples${node}`
        : 'this takes samples: download it to a file, then (await readAudio(path)).samples';
  }
}

/**
 * The sample rates audio may have here, in Hz: from 1 kHz to 768 kHz (the highest rate pro audio
 * records at), for a WAV file's header and for every audio rate given to a function or option alike, so
 * that audio one part reads another takes. The rate features are computed at (`features.sampleRate`,
 * the model rate) is narrower, 4–48 kHz (see resolveFeatureConfig): audio reaches it resampled.
 */
export const MIN_SAMPLE_RATE = 1000;
export const MAX_SAMPLE_RATE = 768_000;

/** A sample rate given to a public helper: a finite number of Hz from MIN_SAMPLE_RATE to MAX_SAMPLE_RATE. */
export function checkSampleRateArgument(rate: unknown, name: string): void {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `${name} must be a sample rate from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz (got ${describeValue(rate)}).`,
      {
        details: { field: name },
      },
    );
}

/**
 * Finite samples no larger than MAX_SAMPLE_MAGNITUDE (what the features can take). A bad one is refused as
 * `Sample i is v; …` (`details.sample`), or, given `input`, naming it: `<name> has … at index i`
 * (`details.name`, `details.index`), `input.start` being the index of `samples[0]` in the whole input (a
 * block of it, as the WAV decoder checks).
 */
export function checkFiniteSamples(samples: ArrayLike<number>, input?: { name: string; start?: number }): void {
  const start = input?.start ?? 0;
  for (let j = 0; j < samples.length; j++) {
    const v = samples[j] as number;
    if (Number.isFinite(v) && Math.abs(v) <= MAX_SAMPLE_MAGNITUDE) continue;
    const i = start + j;
    const finite = Number.isFinite(v);
    const range = `audio samples are expected in [-1, 1] (at most ${MAX_SAMPLE_MAGNITUDE} in size).`;
    if (input) {
      const { name } = input;
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        finite ? `${name} has a sample of ${v} at index ${i}; ${range}` : `${name} has a non-finite sample (${v}) at index ${i}.`,
        { details: { name, index: i, reason: finite ? 'sample-out-of-range' : 'sample-not-finite' } },
      );
    }
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      finite ? `Sample ${i} is ${v}; ${range}` : `Sample ${i} is ${v}; audio samples must be finite.`,
      {
        details: { sample: i, reason: finite ? 'sample-out-of-range' : 'sample-not-finite' },
      },
    );
  }
}

/**
 * Features of mono samples at `config.sampleRate`: [frames × dim] with deltas and CMVN as configured.
 * Audio shorter than one frame (without centring) gives zero frames → E_INPUT_INVALID.
 */
export function extractFeatures(
  samples: Float32Array,
  config: ResolvedFeatureConfig | Partial<FeatureConfig> = {},
  options: { warp?: number } = {},
): Features {
  return extractFeatureViews(samples, [resolved(config)], options)[0] as Features;
}

/**
 * Features of one utterance under several configs at once (an ensemble's front ends): configs that
 * differ only in `cmvn` and `utteranceStats` share one spectral analysis and its deltas, so the second
 * view costs only its normalisation. Each view equals `extractFeatures` with its config.
 */
export function extractFeatureViews(
  samples: Float32Array,
  configs: ReadonlyArray<ResolvedFeatureConfig | Partial<FeatureConfig>>,
  options: { warp?: number } = {},
): Features[] {
  checkAudioSamples(samples, 'Samples', true);
  if (samples.length === 0) throw new AppliedMLError('E_INPUT_INVALID', 'No samples to extract features from.');
  // Every index, holes included (map would skip a hole and return one).
  if (!Array.isArray(configs))
    throw new AppliedMLError('E_INPUT_INVALID', 'extractFeatureViews needs a list of feature configs.', { details: { field: 'configs' } });
  for (let i = 0; i < configs.length; i++) checkConfigObject(configs[i]);
  if (options === null || typeof options !== 'object')
    throw new AppliedMLError('E_INPUT_INVALID', 'Feature options must be an object.', { details: { field: 'options' } });
  if (options.warp !== undefined) checkWarp(options.warp);
  const warp = Math.round((options.warp ?? 1) * 100) / 100;
  const shared = new Map<string, { parts: Float64Array[]; frames: number; B: number }>();
  return configs.map((config) => {
    const c = resolved(config);
    // Everything but the normalisation and the statistics (and the width they change) shapes the analysis.
    const { cmvn: _cmvn, utteranceStats: _stats, dim: _dim, ...spectral } = c;
    void _cmvn;
    void _stats;
    void _dim;
    const key = JSON.stringify(spectral);
    let analysis = shared.get(key);
    if (!analysis) {
      const { data: base, frames, base: B } = baseFeatures(samples, c, warp);
      if (frames === 0)
        throw new AppliedMLError('E_INPUT_INVALID', `Audio of ${samples.length} samples is shorter than one frame (${c.nFft}).`);
      const parts = [base];
      if (c.deltas >= 1) parts.push(deltaOf(base, frames, B, c.deltaWidth, 1));
      if (c.deltas >= 2) parts.push(deltaOf(base, frames, B, c.deltaWidth, 2));
      analysis = { parts, frames, B };
      shared.set(key, analysis);
    }
    return normalised(analysis.parts, analysis.frames, analysis.B, c);
  });
}

/**
 * The config a helper was given, resolved again on every call (cheap beside the analysis): a resolved
 * config changed afterwards (`{ ...resolved, sampleRate: 16000 }`, or by hand) is checked like any
 * other, and the derived sizes it carries must still match its settings (E_INPUT_INVALID otherwise).
 */
function resolved(config: ResolvedFeatureConfig | Partial<FeatureConfig>): ResolvedFeatureConfig {
  checkConfigObject(config);
  const derived = DERIVED_KEYS.filter((key) => key in config);
  const hint = 'a resolved config was changed after resolveFeatureConfig; change its settings and resolve it again';
  let c: ResolvedFeatureConfig;
  try {
    c = resolveFeatureConfig(config);
  } catch (cause) {
    if (derived.length === 0 || !AppliedMLError.isInstance(cause)) throw cause;
    throw new AppliedMLError(cause.code, `${cause.message} (The config carries derived sizes: ${hint}.)`, {
      cause,
      details: cause.details,
    });
  }
  for (const key of derived) {
    const value = (config as Record<string, unknown>)[key];
    if (value !== c[key]) throw bad(`${key} is ${describeValue(value)} but its settings give ${c[key]}: ${hint}.`, key);
  }
  return c;
}

/** One view's frames: the coefficient blocks side by side, the utterance statistics, then CMVN. */
function normalised(parts: Float64Array[], frames: number, B: number, c: ResolvedFeatureConfig): Features {
  const base = parts[0] as Float64Array;
  const dim = c.dim;
  const out = new Float64Array(frames * dim);
  for (let t = 0; t < frames; t++) parts.forEach((p, i) => out.set(p.subarray(t * B, (t + 1) * B), t * dim + i * B));
  if (c.utteranceStats) {
    const stats = staticStats(base, frames, B, 1 / (10 * Math.sqrt(c.melBands)));
    for (let t = 0; t < frames; t++) out.set(stats, t * dim + c.cepstralDim);
  }
  if (c.cmvn !== 'none') {
    for (let d = 0; d < c.cepstralDim; d++) {
      let mean = 0;
      for (let t = 0; t < frames; t++) mean += out[t * dim + d] as number;
      mean /= frames;
      let variance = 0;
      if (c.cmvn === 'mean-variance') {
        for (let t = 0; t < frames; t++) variance += ((out[t * dim + d] as number) - mean) ** 2;
        variance /= frames;
      }
      const inv = c.cmvn === 'mean-variance' ? 1 / Math.sqrt(variance + 1e-8) : 1;
      for (let t = 0; t < frames; t++) out[t * dim + d] = ((out[t * dim + d] as number) - mean) * inv;
    }
  }
  return { data: Float32Array.from(out), frames, dim };
}

/** Means of coefficients 1…B−1, then standard deviations of 0…B−1, over the frames, times `scale`. */
function staticStats(base: Float64Array, frames: number, B: number, scale: number): Float64Array {
  const out = new Float64Array(2 * B - 1);
  for (let k = 0; k < B; k++) {
    let mean = 0;
    for (let t = 0; t < frames; t++) mean += base[t * B + k] as number;
    mean /= frames;
    let variance = 0;
    for (let t = 0; t < frames; t++) variance += ((base[t * B + k] as number) - mean) ** 2;
    if (k > 0) out[k - 1] = mean * scale;
    out[B - 1 + k] = Math.sqrt(variance / frames) * scale;
  }
  return out;
}

/** MFCCs only (no deltas, no CMVN): the values the golden test compares with the float64 reference. */
export function mfcc(samples: Float32Array, config: Partial<FeatureConfig> = {}): Features {
  checkConfigObject(config);
  return extractFeatures(samples, { ...settingsOf(config), kind: 'mfcc', deltas: 0, cmvn: 'none' });
}

/** A config's settings without the sizes derived from them (which the overrides of mfcc and logMel change). */
function settingsOf(config: Partial<FeatureConfig>): Partial<FeatureConfig> {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !(DERIVED_KEYS as readonly string[]).includes(k)));
}

/** Log-mel energies in dB (no deltas, no CMVN). */
export function logMel(samples: Float32Array, config: Partial<FeatureConfig> = {}): Features {
  checkConfigObject(config);
  return extractFeatures(samples, { ...settingsOf(config), kind: 'log-mel', deltas: 0, cmvn: 'none' });
}
