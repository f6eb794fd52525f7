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

/** Sounds shorter than this are no word, by default (`minSpeechMs`). */
export const DEFAULT_MIN_SPEECH_MS = 80;

const DEFAULTS: Required<VadOptions> = {
  frameMs: 20,
  hopMs: 10,
  absoluteFloorDb: -60,
  floorMarginDb: 12,
  rangeDb: 35,
  fricativeZcr: 0.25,
  minSilenceMs: 150,
  minSpeechMs: DEFAULT_MIN_SPEECH_MS,
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
  return speechSegments(samples, sampleRate, options, 'recording');
}

/** Analysis frame and hop in samples for `options` at `sampleRate`. */
export function vadFrames(sampleRate: number, options: VadOptions): { frame: number; hop: number } {
  const o = { ...DEFAULTS, ...definedOnly(options) };
  return { frame: Math.max(1, Math.round((o.frameMs * sampleRate) / 1000)), hop: Math.max(1, Math.round((o.hopMs * sampleRate) / 1000)) };
}

/** The level (dB RMS, its mean removed) of `samples[s0, s1)`, and its zero-crossing rate per sample. */
export function frameLevel(samples: Float32Array, s0: number, s1: number): { db: number; zcr: number } {
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
  return { db: 10 * Math.log10(energy / (s1 - s0) + 1e-12), zcr: crossings / (s1 - s0) };
}

/**
 * In a stream, a buffer of at least 10 frames whose loudest frame is less than this many dB above its quiet
 * ones (the 10th percentile) is a steady sound: noise, a hum, a tone. Spoken words rise and fall far more (the
 * 2,500 FSDD recordings, trimmed to the word: at least 4.9 dB, 23.8 dB typically); white noise of 20 ms
 * frames spreads about 2 dB.
 */
export const STEADY_SPREAD_DB = 3;

/** Why a buffer holds no speech segment: quiet, a steady sound, or sounds shorter than `minSpeechMs`. */
export type NoSpeechReason = 'silence' | 'steady-sound' | 'too-short';

/**
 * `detectSpeech` without its checks, for a caller whose samples, rate and options were checked already
 * (a stream checks each chunk as it comes and its VAD options once, then looks for words many times).
 * `noiseFloorDb`, a stream's floor over the last seconds (see `NoiseFloor`), or 'recording' for the floor
 * of one recording's steady background (`recordingNoiseFloor`'s rule on the levels measured here, which
 * `detectSpeech` passes), is used where the buffer holds no silence of its own to measure one (a buffer
 * of steady noise, or of a noise that varies): only frames `floorMarginDb` above it can be speech. Without it such a buffer counted every frame within
 * `rangeDb` of its loudest as speech, so background noise became one long "word".
 */
export function speechSegments(
  samples: Float32Array,
  sampleRate: number,
  options: VadOptions,
  noiseFloorDb?: number | 'recording',
): Segment[] {
  return speechAnalysis(samples, sampleRate, options, noiseFloorDb).segments;
}

/** `speechSegments`, with the reason it found none (`reason` is set exactly when `segments` is empty). */
export function speechAnalysis(
  samples: Float32Array,
  sampleRate: number,
  options: VadOptions,
  noiseFloorDb?: number | 'recording',
): { segments: Segment[]; reason?: NoSpeechReason } {
  const o = { ...DEFAULTS, ...definedOnly(options) };
  const n = samples.length;
  if (n === 0) return { segments: [], reason: 'silence' };
  const { frame, hop, frames, db, zcr, sorted } = measureFrames(samples, sampleRate, options);
  const floor = sorted[Math.floor(0.1 * (frames - 1))] as number;
  const peak = sorted[frames - 1] as number;
  if (peak < o.absoluteFloorDb) return { segments: [], reason: 'silence' };
  // One recording's floor is decided from these levels (not measured again).
  const against = noiseFloorDb === 'recording' ? backgroundFloor(sorted, hop, sampleRate, o.floorMarginDb) : noiseFloorDb;
  // In a stream: noise, a hum, a tone, where no frame stands out from the rest, is no word (it was one
  // long word). Not in one recording (detectSpeech, recognize, train): a model with a background-noise
  // class learns and answers such recordings, and refusing them failed its training (recordingNoiseFloor
  // gives no floor for them).
  if (against !== undefined && frames >= 10 && peak - floor < STEADY_SPREAD_DB) return { segments: [], reason: 'steady-sound' };
  // The floor (10th percentile) only tells silence from speech when the recording holds some silence;
  // in audio trimmed to the word it is speech itself, and then only the range below the peak counts,
  // and the stream's floor when there is one.
  const hasSilence = frames >= 10 && peak - floor > 2 * o.floorMarginDb;
  const known = against ?? -Infinity;
  const loud = Math.max(o.absoluteFloorDb, peak - o.rangeDb, hasSilence ? floor + o.floorMarginDb : known + o.floorMarginDb);
  const quiet = Math.max(
    o.absoluteFloorDb,
    hasSilence ? floor + o.floorMarginDb / 2 : Math.max(peak - o.rangeDb - 10, known + o.floorMarginDb / 2),
  );
  // 2 = above `loud`, 1 = a quieter fricative frame.
  const speech = new Uint8Array(frames);
  let any = false;
  for (let f = 0; f < frames; f++) {
    const d = db[f] as number;
    speech[f] = d >= loud ? 2 : d >= quiet && (zcr[f] as number) >= o.fricativeZcr ? 1 : 0;
    if (speech[f]) any = true;
  }
  if (!any) return { segments: [], reason: against === undefined ? 'silence' : 'steady-sound' };
  // Runs of speech frames → sample ranges, with whether a frame of each is loud.
  const runs: Array<[number, number, boolean]> = [];
  for (let f = 0; f < frames; f++) {
    if (!speech[f]) continue;
    let g = f;
    let voiced = speech[f] === 2;
    while (g + 1 < frames && speech[g + 1]) {
      g++;
      if (speech[g] === 2) voiced = true;
    }
    runs.push([f * hop, Math.min(n, g * hop + frame), voiced]);
    f = g;
  }
  const gap = Math.round((o.minSilenceMs * sampleRate) / 1000);
  const merged: Array<[number, number, boolean]> = [];
  for (const r of runs) {
    const last = merged[merged.length - 1];
    if (last && r[0] - last[1] < gap) {
      last[1] = r[1];
      last[2] ||= r[2];
    } else merged.push([r[0], r[1], r[2]]);
  }
  // In a stream, hiss a few dB over the floor (a high zero-crossing rate, as a fricative's) is no word
  // unless something in it is loud: a fricative is the edge of a word, not one.
  const voicedOnly = against !== undefined;
  const minLen = Math.round((o.minSpeechMs * sampleRate) / 1000);
  const pad = Math.round((o.padMs * sampleRate) / 1000);
  const segments = merged
    .filter(([s, e, voiced]) => e - s >= minLen && (voiced || !voicedOnly))
    .map(([s, e]) => {
      const start = Math.max(0, s - pad);
      const end = Math.min(n, e + pad);
      return { start, end, startSeconds: start / sampleRate, endSeconds: end / sampleRate };
    });
  return segments.length > 0 ? { segments } : { segments, reason: 'too-short' };
}

/**
 * A stream's noise floor: the 10th percentile of the levels of its frames over the last `seconds`
 * (minimum statistics), known once 10 frames (100 ms by default) have been measured. Frames are measured as they
 * come, whatever the VAD later keeps of the buffer, so a steady level (a fan, line noise) becomes the
 * floor however loud, while the words over it stay above it.
 */
export class NoiseFloor {
  private readonly levels: Float64Array;
  private count = 0;
  private next = 0;
  /** Stream position (samples) where the next frame starts. */
  private position = 0;
  private readonly frame: number;
  private readonly hop: number;

  constructor(sampleRate: number, options: VadOptions, seconds = 5) {
    ({ frame: this.frame, hop: this.hop } = vadFrames(sampleRate, options));
    this.levels = new Float64Array(Math.max(10, Math.round((seconds * sampleRate) / this.hop)));
  }

  /** Measures the frames that `buffer` (stream positions [offset, offset + buffer.length)) now completes. */
  measure(buffer: Float32Array, offset: number): void {
    this.position = Math.max(this.position, offset);
    while (this.position + this.frame <= offset + buffer.length) {
      const s0 = this.position - offset;
      this.levels[this.next] = frameLevel(buffer, s0, s0 + this.frame).db;
      this.next = (this.next + 1) % this.levels.length;
      this.count = Math.min(this.count + 1, this.levels.length);
      this.position += this.hop;
    }
  }

  /** The floor in dB, or undefined before 10 frames. */
  get db(): number | undefined {
    if (this.count < 10) return undefined;
    const sorted = this.levels.slice(0, this.count).sort();
    return sorted[Math.floor(0.1 * (this.count - 1))] as number;
  }
}

/**
 * A recording holding at least this long a steady level (frames within `STEADY_SPREAD_DB` of its 10th
 * percentile) has a background to hold words against: no spoken word holds one level that long (over the
 * 2,500 FSDD recordings at most 0.28 s, the hiss of a "six").
 */
export const STEADY_BACKGROUND_SECONDS = 1;

/**
 * The noise floor one recording's words are held against (`detectSpeech`, so `recognizeSequence` and
 * `trimSilence`), measured as a stream measures its own (`NoiseFloor`, here over the whole recording), or
 * undefined where the recording is read without one, as before. A floor is used for a recording with a
 * steady background (at least `STEADY_BACKGROUND_SECONDS` of frames within `STEADY_SPREAD_DB` of the
 * floor) and something rising `floorMarginDb` above it, but no silence of its own (its loudest frame at
 * most twice that margin above the floor): there every frame within `rangeDb` of the loudest was speech,
 * so words over steady noise merged into one segment. A recording holding silence, a word alone (trimmed
 * or not), a steady sound throughout (noise, a hum: read whole, as a model with a background-noise class
 * needs) and a sound nowhere `floorMarginDb` above its background are read as before.
 */
export function recordingNoiseFloor(samples: Float32Array, sampleRate: number, options: VadOptions): number | undefined {
  if (samples.length === 0) return undefined;
  const { hop, sorted } = measureFrames(samples, sampleRate, options);
  return backgroundFloor(sorted, hop, sampleRate, options.floorMarginDb ?? DEFAULTS.floorMarginDb);
}

/**
 * The frames `speechAnalysis` reads (hop apart, the last one cut short when the audio is shorter than one
 * frame): their level (dB) and zero-crossing rate, and the levels sorted. `samples` is not empty.
 */
function measureFrames(
  samples: Float32Array,
  sampleRate: number,
  options: VadOptions,
): { frame: number; hop: number; frames: number; db: Float64Array; zcr: Float64Array; sorted: Float64Array } {
  const { frame, hop } = vadFrames(sampleRate, options);
  const n = samples.length;
  const frames = Math.max(1, 1 + Math.floor(Math.max(0, n - frame) / hop));
  const db = new Float64Array(frames);
  const zcr = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    const level = frameLevel(samples, f * hop, Math.min(n, f * hop + frame));
    db[f] = level.db;
    zcr[f] = level.zcr;
  }
  return { frame, hop, frames, db, zcr, sorted: Float64Array.from(db).sort() };
}

/**
 * `recordingNoiseFloor`'s rule on a recording's frame levels, sorted, `hop` samples apart at `sampleRate`:
 * its 10th percentile when at least 10 frames, a steady background and a rise as described there, else
 * undefined.
 * The floor and the levels are those a `NoiseFloor` over the whole recording holds (the same frames: one
 * shorter than a frame is too few either way).
 */
function backgroundFloor(sorted: Float64Array, hop: number, sampleRate: number, margin: number): number | undefined {
  const frames = sorted.length;
  if (frames < 10) return undefined;
  const floor = sorted[Math.floor(0.1 * (frames - 1))] as number;
  const peak = sorted[frames - 1] as number;
  // Sorted: the frames within STEADY_SPREAD_DB of the floor are the first ones.
  let steady = 0;
  while (steady < frames && (sorted[steady] as number) < floor + STEADY_SPREAD_DB) steady++;
  const background = (steady * hop) / sampleRate >= STEADY_BACKGROUND_SECONDS;
  // Never a steady sound throughout (under STEADY_SPREAD_DB, which a floor would refuse as a stream does),
  // whatever floorMarginDb is set to.
  const rise = peak - floor;
  return background && rise >= Math.max(margin, STEADY_SPREAD_DB) && rise <= 2 * margin ? floor : undefined;
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
