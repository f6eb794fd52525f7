import { checkAudioSamples, checkSampleRateArgument } from './features';
import { AppliedMLError, checkKnownKeys, checkNumberOption } from '@appliedml/engine';

/**
 * Energy / zero-crossing voice activity detection. A frame is speech when its energy is well above
 * the recording's noise floor (a low percentile of frame energies) and within `rangeDb` of the
 * loudest frame, or when it is a little above the floor with a high zero-crossing rate (unvoiced
 * fricatives such as the "s" of "six"). Runs of speech frames are merged across short gaps, short
 * blips are dropped, and each segment is padded.
 */
export interface VadOptions {
  /** Analysis frame and hop in ms (defaults 20 and 10). */
  frameMs?: number;
  hopMs?: number;
  /** Frames quieter than this (dBFS RMS) are never speech (default −60). */
  absoluteFloorDb?: number;
  /** Speech must be this many dB above the noise floor (default 12). */
  floorMarginDb?: number;
  /** Speech must be within this many dB of the loudest frame (default 35). */
  rangeDb?: number;
  /** Zero-crossing rate (per sample) above which a quieter frame counts as a fricative (default 0.25). */
  fricativeZcr?: number;
  /** Gaps shorter than this join two segments (default 150 ms). */
  minSilenceMs?: number;
  /** Segments shorter than this are dropped (default 80 ms). */
  minSpeechMs?: number;
  /** Padding added before and after each segment (default 30 ms). */
  padMs?: number;
}

export interface Segment {
  /** Sample indices [start, end). */
  start: number;
  end: number;
  startSeconds: number;
  endSeconds: number;
}

const DEFAULTS: Required<VadOptions> = {
  frameMs: 20,
  hopMs: 10,
  absoluteFloorDb: -60,
  floorMarginDb: 12,
  rangeDb: 35,
  fricativeZcr: 0.25,
  minSilenceMs: 150,
  minSpeechMs: 80,
  padMs: 30,
};

/** The settings' names: a misspelt one is refused (E_INPUT_INVALID listing these), in the helpers and the recognizer. */
export const VAD_KEYS = Object.keys({
  frameMs: 1,
  hopMs: 1,
  absoluteFloorDb: 1,
  floorMarginDb: 1,
  rangeDb: 1,
  fricativeZcr: 1,
  minSilenceMs: 1,
  minSpeechMs: 1,
  padMs: 1,
} satisfies Record<keyof VadOptions, 1>);

/** Refuses VAD settings that find no words, trim into them or call everything silence (E_INPUT_INVALID naming the field). */
export function checkVadOptions(options: VadOptions | undefined, prefix = 'vad'): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new AppliedMLError('E_INPUT_INVALID', `${prefix} must be an object of VAD settings.`, { details: { field: prefix } });
  checkKnownKeys(prefix, options, VAD_KEYS);
  // Undefined takes the default; null is refused like any other non-number (spread over the defaults, it was read as 0).
  const n = (key: keyof VadOptions, min: number, max: number, open?: 'min'): void =>
    checkNumberOption(`${prefix}.${key}`, options[key], min, max, { ...(open ? { open } : {}), optional: options[key] === undefined });
  n('frameMs', 0, 1000, 'min');
  n('hopMs', 0, 1000, 'min');
  n('absoluteFloorDb', -200, 0);
  n('floorMarginDb', 0, 200);
  n('rangeDb', 0, 200, 'min');
  n('fricativeZcr', 0, 10);
  n('minSilenceMs', 0, 60_000);
  n('minSpeechMs', 0, 60_000);
  n('padMs', 0, 10_000);
}

/** The options that are set: an undefined one keeps its default rather than being spread over it. */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Speech segments of mono audio, in order; [] for silence. */
export function detectSpeech(samples: Float32Array, sampleRate: number, options: VadOptions = {}): Segment[] {
  checkAudioSamples(samples, 'detectSpeech samples', true);
  checkSampleRateArgument(sampleRate, 'sampleRate');
  checkVadOptions(options);
  return speechSegments(samples, sampleRate, options);
}

/**
 * `detectSpeech` without its checks, for a caller whose samples, rate and options were checked already
 * (a stream checks each chunk as it comes and its VAD options once, then looks for words many times).
 */
export function speechSegments(samples: Float32Array, sampleRate: number, options: VadOptions): Segment[] {
  const o = { ...DEFAULTS, ...definedOnly(options) };
  const frame = Math.max(1, Math.round((o.frameMs * sampleRate) / 1000));
  const hop = Math.max(1, Math.round((o.hopMs * sampleRate) / 1000));
  const n = samples.length;
  if (n === 0) return [];
  const frames = Math.max(1, 1 + Math.floor(Math.max(0, n - frame) / hop));
  const db = new Float64Array(frames);
  const zcr = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    const s0 = f * hop;
    const s1 = Math.min(n, s0 + frame);
    let energy = 0;
    let mean = 0;
    for (let i = s0; i < s1; i++) mean += samples[i] as number;
    mean /= s1 - s0;
    let crossings = 0;
    let prev = (samples[s0] as number) - mean;
    for (let i = s0; i < s1; i++) {
      const v = (samples[i] as number) - mean;
      energy += v * v;
      if (v >= 0 !== prev >= 0) crossings++;
      prev = v;
    }
    db[f] = 10 * Math.log10(energy / (s1 - s0) + 1e-12);
    zcr[f] = crossings / (s1 - s0);
  }
  const sorted = Float64Array.from(db).sort();
  const floor = sorted[Math.floor(0.1 * (frames - 1))] as number;
  const peak = sorted[frames - 1] as number;
  if (peak < o.absoluteFloorDb) return [];
  // The floor (10th percentile) only tells silence from speech when the recording holds some silence;
  // in audio trimmed to the word it is speech itself, and then only the range below the peak counts.
  const hasSilence = frames >= 10 && peak - floor > 2 * o.floorMarginDb;
  const loud = Math.max(o.absoluteFloorDb, peak - o.rangeDb, hasSilence ? floor + o.floorMarginDb : -Infinity);
  const quiet = Math.max(o.absoluteFloorDb, hasSilence ? floor + o.floorMarginDb / 2 : peak - o.rangeDb - 10);
  const speech = new Uint8Array(frames);
  for (let f = 0; f < frames; f++) {
    const d = db[f] as number;
    speech[f] = d >= loud || (d >= quiet && (zcr[f] as number) >= o.fricativeZcr) ? 1 : 0;
  }
  // Runs of speech frames → sample ranges.
  const runs: Array<[number, number]> = [];
  for (let f = 0; f < frames; f++) {
    if (!speech[f]) continue;
    let g = f;
    while (g + 1 < frames && speech[g + 1]) g++;
    runs.push([f * hop, Math.min(n, g * hop + frame)]);
    f = g;
  }
  const gap = Math.round((o.minSilenceMs * sampleRate) / 1000);
  const merged: Array<[number, number]> = [];
  for (const r of runs) {
    const last = merged[merged.length - 1];
    if (last && r[0] - last[1] < gap) last[1] = r[1];
    else merged.push([r[0], r[1]]);
  }
  const minLen = Math.round((o.minSpeechMs * sampleRate) / 1000);
  const pad = Math.round((o.padMs * sampleRate) / 1000);
  return merged
    .filter(([s, e]) => e - s >= minLen)
    .map(([s, e]) => {
      const start = Math.max(0, s - pad);
      const end = Math.min(n, e + pad);
      return { start, end, startSeconds: start / sampleRate, endSeconds: end / sampleRate };
    });
}

/**
 * The span from the first to the last speech segment (leading and trailing silence removed).
 * Silence only → the input unchanged with `speech: false`.
 */
export function trimSilence(
  samples: Float32Array,
  sampleRate: number,
  options: VadOptions = {},
): { samples: Float32Array; start: number; end: number; speech: boolean } {
  const segments = detectSpeech(samples, sampleRate, options);
  const first = segments[0];
  const last = segments[segments.length - 1];
  if (!first || !last) return { samples, start: 0, end: samples.length, speech: false };
  return { samples: samples.subarray(first.start, last.end), start: first.start, end: last.end, speech: true };
}
