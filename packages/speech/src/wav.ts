import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { AppliedMLError, checkKnownKeys, describeValue, statRegularFile } from '@appliedml/engine';
import * as wavefileModule from 'wavefile';
import {
  MAX_SAMPLE_MAGNITUDE,
  MAX_SAMPLE_RATE,
  MIN_SAMPLE_RATE,
  checkAudioSamples,
  asUint8Array,
  isFloat32Array,
  checkFiniteSamples,
  checkSampleRateArgument,
  describeSamples,
} from './features';

// wavefile is CommonJS; reach its class the same way under ESM, CommonJS and bundlers.
type WaveFileClass = typeof import('wavefile').WaveFile;
const wavefile: { WaveFile: WaveFileClass } = {
  WaveFile: ((wavefileModule as unknown as { WaveFile?: WaveFileClass }).WaveFile ??
    (wavefileModule as unknown as { default: { WaveFile: WaveFileClass } }).default.WaveFile) as WaveFileClass,
};

/**
 * WAV reading: RIFF/WAVE with PCM 8/16/24/32-bit integer or IEEE float 32/64 samples, any number of
 * channels (mixed down to mono by averaging), any rate from 1 kHz to 768 kHz (resampled, when another
 * rate is asked for, by a windowed-sinc, band-limited resampler). The chunk structure is checked here
 * first so that every bad file gets a typed error a user can act on; the samples are decoded here too,
 * block by block (wavefile writes WAVs for `encodeWav`).
 */

/** Audio as the SDK accepts it: a path, WAV bytes, or mono samples in [-1, 1] (then give `sampleRate`). */
export type AudioInput = string | Uint8Array | Float32Array;

export interface DecodedAudio {
  /** Mono samples in [-1, 1] at `sampleRate`. */
  samples: Float32Array;
  sampleRate: number;
  /** What the source was before mixdown and resampling. */
  source: { sampleRate: number; channels: number; encoding: WavEncoding; bitsPerSample: number };
  durationSeconds: number;
}

export type WavEncoding = 'pcm' | 'float';

export interface ReadAudioOptions {
  /** Resample to this rate (default: keep the file's rate). */
  targetSampleRate?: number;
  /**
   * Rate of a Float32Array input (default: `targetSampleRate`). A WAV file's rate is its header's: a
   * sampleRate given with a path or WAV bytes that disagrees with it is E_INPUT_INVALID.
   */
  sampleRate?: number;
  /** Longest audio accepted, in seconds (default 600) → E_INPUT_TOO_LARGE; stream longer audio in chunks. */
  maxSeconds?: number;
}

/** Default of the `maxSeconds` option, the cap on one decoded input: ten minutes. Longer audio goes through `StreamingRecognizer` in chunks. */
export const DEFAULT_MAX_AUDIO_SECONDS = 600;

/** The options' names: a misspelt one (`maxAudioSeconds`) is refused with these listed rather than ignored. */
const READ_KEYS = Object.keys({ targetSampleRate: 1, sampleRate: 1, maxSeconds: 1 } satisfies Record<keyof ReadAudioOptions, 1>);
const DECODE_KEYS = [...READ_KEYS, 'name'];

const FORMAT_NAMES: Record<number, string> = {
  0x0002: 'MS ADPCM',
  0x0006: 'A-law',
  0x0007: 'µ-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0055: 'MPEG layer 3',
  0x0050: 'MPEG',
  0x0161: 'WMA',
};

interface WavHeader {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
  dataOffset: number;
  dataBytes: number;
}

function invalid(message: string, details: Record<string, unknown> = {}): AppliedMLError {
  return new AppliedMLError('E_INPUT_INVALID', message, { details });
}

/** A sample rate option: an integer from 1 kHz to 768 kHz (undefined passes). */
function checkRate(rate: number | undefined, option: string, name: string): void {
  if (rate !== undefined && !(Number.isInteger(rate) && rate >= MIN_SAMPLE_RATE && rate <= MAX_SAMPLE_RATE))
    throw invalid(`${name}: ${option} must be an integer in [${MIN_SAMPLE_RATE}, ${MAX_SAMPLE_RATE}] Hz (got ${describeValue(rate)}).`, {
      name,
      option,
    });
}

/** The `maxSeconds` option: positive (undefined passes; NaN, 0 and negatives are refused). */
function checkMaxSeconds(max: number | undefined, name: string): void {
  if (max !== undefined && !(max > 0)) throw invalid(`${name}: maxSeconds must be positive (got ${describeValue(max)}).`, { name });
}

/**
 * What the chunk walk asks for: `length` bytes from byte `at` of the input, always inside it. The walk
 * reads only chunk headers (8 bytes each), the start of the fmt body and 8 bytes at the data chunk's
 * start, never a body it skips; and it keeps numbers, never the bytes it was given (the file reader
 * reuses one buffer).
 */
interface Need {
  at: number;
  length: number;
}

type Walk = Generator<Need, WavHeader, Uint8Array>;

/** `fourcc` and the little-endian uint32 at byte 4 of `bytes` (a chunk header). */
function chunkHeader(bytes: Uint8Array): { id: string; size: number } {
  return { id: fourcc(bytes, 0), size: (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24)) >>> 0 };
}

/** Whether a chunk header (four printable ASCII bytes and a size that fits in the `total` bytes of the input) starts at `at`. */
function* looksLikeChunk(at: number, total: number): Generator<Need, boolean, Uint8Array> {
  if (at + 8 > total) return false;
  const bytes = yield { at, length: 8 };
  for (let i = 0; i < 4; i++) if (bytes[i]! < 0x20 || bytes[i]! > 0x7e) return false;
  return at + 8 + chunkHeader(bytes).size <= total;
}

/** Chunk ids WAV writers put before or after the data (to tell where a chunk starts when a pad byte is missing). */
const KNOWN_CHUNKS = new Set([
  'data',
  'fmt ',
  'LIST',
  'fact',
  'JUNK',
  'junk',
  'PAD ',
  'bext',
  'iXML',
  'cue ',
  'smpl',
  'inst',
  'id3 ',
  'ID3 ',
  'acid',
  'cart',
  'DISP',
  'PEAK',
  'FLLR',
]);

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

/**
 * The most chunks the walk visits before the data chunk (fmt included). Real writers put a handful there
 * (fmt, fact, LIST/INFO, bext, iXML, cue, smpl, id3, JUNK/PAD …; a LIST's entries are inside it, skipped
 * with it); a crafted file of millions of empty chunks took about a second per 100 MB to walk.
 */
export const MAX_WAV_CHUNKS = 10_000;

/**
 * The fmt chunk's checks: an encoding the decoder reads (else E_FORMAT_UNSUPPORTED), then channels, rate
 * and block alignment. Made as soon as the data chunk is found, before its size is looked at: a µ-law file
 * that is also truncated or too long is told first what converting it mends.
 */
function checkFormat(fmt: Omit<WavHeader, 'dataOffset' | 'dataBytes'>, name: string): void {
  if (fmt.format !== 1 && fmt.format !== 3) {
    const encoding = Object.hasOwn(FORMAT_NAMES, fmt.format) ? FORMAT_NAMES[fmt.format] : undefined;
    const what = encoding ?? `format tag 0x${fmt.format.toString(16)}`;
    // `details.encoding` (a known tag's name) lets a service say it without keeping its own table.
    throw new AppliedMLError(
      'E_FORMAT_UNSUPPORTED',
      `${name} is ${what}-encoded; only PCM (8/16/24/32-bit) and IEEE float WAV are read. Convert it, e.g. \`ffmpeg -i in.wav -c:a pcm_s16le out.wav\`.`,
      { details: { name, formatTag: fmt.format, ...(encoding !== undefined ? { encoding } : {}) } },
    );
  }
  const pcmOk = fmt.format === 1 && [8, 16, 24, 32].includes(fmt.bitsPerSample);
  const floatOk = fmt.format === 3 && [32, 64].includes(fmt.bitsPerSample);
  if (!pcmOk && !floatOk) {
    throw new AppliedMLError(
      'E_FORMAT_UNSUPPORTED',
      `${name}: ${fmt.bitsPerSample}-bit ${fmt.format === 3 ? 'float' : 'PCM'} is not supported.`,
      {
        details: { name, bitsPerSample: fmt.bitsPerSample },
      },
    );
  }
  if (fmt.channels < 1 || fmt.channels > 64)
    throw invalid(`${name}: ${fmt.channels} channels is not a valid WAV.`, { name, reason: 'bad-channels' });
  if (fmt.sampleRate < MIN_SAMPLE_RATE || fmt.sampleRate > MAX_SAMPLE_RATE)
    throw invalid(
      `${name}: sample rate ${fmt.sampleRate} Hz is out of range (WAV files are read at ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz).`,
      {
        name,
        reason: 'sample-rate-out-of-range',
        sampleRate: fmt.sampleRate,
      },
    );
  if (fmt.blockAlign !== (fmt.channels * fmt.bitsPerSample) / 8)
    throw invalid(`${name}: inconsistent block alignment in the fmt chunk.`, { name, reason: 'bad-block-align' });
}

/** WAV input that is not bytes, named by type and length (a typed array) or shown (anything else). */
function notBytes(name: string, bytes: unknown): AppliedMLError {
  const got = ArrayBuffer.isView(bytes) ? describeSamples(bytes, 'bytes') : describeValue(bytes);
  return invalid(`${name}: WAV input must be bytes (a Uint8Array or Buffer), got ${got}.`, { name });
}

/** Walks the RIFF chunks and validates what the decoder will rely on. */
export function parseWavHeader(input: Uint8Array, name = 'WAV input'): WavHeader {
  const bytes = asUint8Array(input); // also a Uint8Array from another realm (a vm context, an iframe)
  if (!bytes) throw notBytes(name, input);
  const walk = walkWav(name, bytes.length);
  let step = walk.next();
  while (!step.done) step = walk.next(bytes.subarray(step.value.at, step.value.at + step.value.length));
  return step.value;
}

/**
 * The header of a WAV input of `total` bytes, asking for the bytes it reads (`Need`): the one walk for
 * bytes in memory (`parseWavHeader`) and for a file read at those positions (`readAudio(path)`), so a
 * file's header and errors are the ones its bytes give, wherever its chunks are.
 */
function* walkWav(name: string, total: number): Walk {
  if (total === 0) throw invalid(`${name} is empty (0 bytes).`, { name, reason: 'empty' });
  const head = total < 12 ? new Uint8Array(0) : yield { at: 0, length: 12 };
  if (total < 12 || fourcc(head, 8) !== 'WAVE' || !['RIFF', 'RIFX', 'RF64'].includes(fourcc(head, 0))) {
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `${name} is not a WAV file (no RIFF/WAVE header); convert it to WAV (PCM or float).`, {
      details: { name },
    });
  }
  if (fourcc(head, 0) !== 'RIFF') {
    throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `${name} is a ${fourcc(head, 0)} container; only little-endian RIFF WAV is read.`, {
      details: { name },
    });
  }
  const riff = chunkHeader(head).size;
  let at = 12;
  let fmt: Omit<WavHeader, 'dataOffset' | 'dataBytes'> | undefined;
  let data: { offset: number; bytes: number } | undefined;
  for (let passed = 0; at + 8 <= total; passed++) {
    const { id, size } = chunkHeader(yield { at, length: 8 });
    if (passed === MAX_WAV_CHUNKS && id !== 'data')
      throw invalid(`${name}: more than ${MAX_WAV_CHUNKS} chunks before the data chunk (a WAV file has a few); it is not read further.`, {
        name,
        reason: 'too-many-chunks',
        maxChunks: MAX_WAV_CHUNKS,
        at,
      });
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > total) throw invalid(`${name}: the fmt chunk is truncated.`, { name, reason: 'fmt-truncated' });
      // The 16 bytes every fmt chunk has, and WAVE_FORMAT_EXTENSIBLE's sub-format tag at 24 when present.
      const bytes = yield { at: body, length: Math.min(26, total - body) };
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      let format = view.getUint16(0, true);
      if (format === 0xfffe && size >= 40 && bytes.length >= 26) format = view.getUint16(24, true); // WAVE_FORMAT_EXTENSIBLE sub-format
      fmt = {
        format,
        channels: view.getUint16(2, true),
        sampleRate: view.getUint32(4, true),
        blockAlign: view.getUint16(12, true),
        bitsPerSample: view.getUint16(14, true),
      };
      // PCM of 12 (or any N not a multiple of 8) bits sits left-justified in a container of whole bytes,
      // its low bits zero (the WAV spec): read as the container, it is the same value. It was refused.
      const container = Math.ceil(fmt.bitsPerSample / 8) * 8;
      if (format === 1 && fmt.bitsPerSample % 8 !== 0 && container <= 32 && fmt.blockAlign === (fmt.channels * container) / 8)
        fmt.bitsPerSample = container;
    } else if (id === 'data') {
      if (!fmt) throw invalid(`${name}: the data chunk comes before the fmt chunk.`, { name, reason: 'data-before-fmt' });
      checkFormat(fmt, name);
      const rest = total - body;
      // Recorders that stream (ffmpeg to a pipe, live capture) cannot go back to write the sizes: they
      // leave 0xFFFFFFFF or 0, or a huge placeholder (SoX 0x7ffff000, arecord 0x7fffff00), and the samples
      // run to the end of the file. A zero data size counts as such only when the RIFF size says so too
      // (0 or 0xFFFFFFFF, or a RIFF that ends at the data header); else the chunk is empty.
      const riffUnknown = riff === 0 || riff === 0xffffffff || riff + 8 === body;
      const placeholder = size === 0xffffffff || (size >= 0x7fff0000 && body + size > total);
      if (rest > 0 && (placeholder || (size === 0 && riffUnknown && !(yield* looksLikeChunk(body, total))))) {
        data = { offset: body, bytes: rest - (rest % fmt.blockAlign) }; // blockAlign checked: at least 1
        break;
      }
      if (body + size > total) {
        throw invalid(`${name}: the data chunk is truncated (header says ${size} bytes, ${total - body} present).`, {
          name,
          reason: 'data-truncated',
          declaredBytes: size,
          presentBytes: total - body,
        });
      }
      data = { offset: body, bytes: size };
      break;
    }
    // Any other chunk (LIST, JUNK, id3 cover art, …) is skipped unread, with its pad byte. Some writers
    // leave out the pad byte after an odd-sized chunk: when no chunk starts after it but one starts
    // where it should have been, the walk goes on from there (it said "no data chunk").
    at = body + size + (size % 2);
    if (size % 2 === 1 && at + 7 <= total) {
      const near = yield { at: at - 1, length: Math.min(9, total - at + 1) };
      const padded = fourcc(near, 1);
      const unpadded = fourcc(near, 0);
      if (
        !KNOWN_CHUNKS.has(padded) &&
        (KNOWN_CHUNKS.has(unpadded) || (!(yield* looksLikeChunk(at, total)) && (yield* looksLikeChunk(at - 1, total))))
      )
        at -= 1;
    }
  }
  if (!fmt) throw invalid(`${name}: no fmt chunk (truncated header?).`, { name, reason: 'no-fmt-chunk' });
  if (!data) {
    checkFormat(fmt, name);
    throw invalid(`${name}: no data chunk (truncated file?).`, { name, reason: 'no-data-chunk' });
  }
  return { ...fmt, dataOffset: data.offset, dataBytes: data.bytes - (data.bytes % fmt.blockAlign) };
}

/** Where audio over `maxSeconds` came from: a file path, WAV bytes in memory or samples. */
type AudioSource = 'file' | 'bytes' | 'samples';

/**
 * E_INPUT_TOO_LARGE for audio over `maxSeconds`, with a way on that takes it: readAudioChunks reads a
 * file, not bytes or samples (the hint sent bytes to readAudioChunks, which sent them back to decodeWav).
 */
function tooLong(seconds: number, max: number, name: string, source: AudioSource): AppliedMLError {
  const raise = `raise maxSeconds (to ${Math.ceil(seconds)} or more)`;
  const way =
    source === 'file'
      ? `Read longer audio in chunks with readAudioChunks and push them to a stream (recognizer.createStream()), or ${raise}.`
      : source === 'bytes'
        ? `Save the bytes as a file and read it in chunks with readAudioChunks, or ${raise} and push the samples to a stream (recognizer.createStream()).`
        : `Push longer samples to a stream (recognizer.createStream()), or ${raise}.`;
  return new AppliedMLError('E_INPUT_TOO_LARGE', `${name} is ${seconds.toFixed(1)} s long; the limit is ${max} s (maxSeconds). ${way}`, {
    details: { name, seconds, maxSeconds: max, source },
  });
}

// ── resampling ────────────────────────────────────────────────────────────────────────────────
// A windowed-sinc (Kaiser, β = 8.6, 16 zero crossings each side, cut-off at 95 % of the lower Nyquist)
// band-limited resampler with a tabulated kernel. wavefile's own sinc resampler gives the same kind of
// result but took 85–244 ms per second of audio here (16–48 kHz → 8 kHz), over the whole latency budget
// of a recognition; this one takes about a millisecond.
const ZEROS = 16;
const TABLE_STEPS = 512;
const ROLLOFF = 0.95;
let kernelTable: Float64Array | undefined;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

/** sinc(u)·kaiser(u / ZEROS) for u = 0 … ZEROS in 1/TABLE_STEPS steps (u in zero crossings). */
function kernel(): Float64Array {
  if (kernelTable) return kernelTable;
  const beta = 8.6;
  const norm = besselI0(beta);
  const table = new Float64Array(ZEROS * TABLE_STEPS + 2);
  for (let i = 0; i < table.length; i++) {
    const u = i / TABLE_STEPS;
    const r = u / ZEROS;
    const win = r >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / norm;
    table[i] = (u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u)) * win;
  }
  kernelTable = table;
  return table;
}

/** Band-limited (windowed-sinc) resampling; frequencies above the lower rate's Nyquist are removed, not aliased. */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  checkAudioSamples(samples, 'resample samples');
  checkSampleRateArgument(fromRate, 'fromRate');
  checkSampleRateArgument(toRate, 'toRate');
  return resampleUnchecked(samples, fromRate, toRate);
}

/** `resample` of samples and rates already checked (`resample` and the decoder check them once). */
function resampleUnchecked(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (fromRate === toRate || samples.length === 0) return samples;
  const r = new SincResampler(fromRate, toRate);
  const head = r.push(samples);
  const tail = r.flush();
  const out = new Float32Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/**
 * `resample` for a stream that arrives in chunks: the same band-limited filter over the whole stream, so
 * the output of any chunking equals `resample` of the joined input (to float rounding). It keeps the input
 * the filter still needs and the position of the next output sample; each `push` returns the output
 * samples whose filter window is complete, `flush` the rest.
 */
export class StreamingResampler {
  private readonly core: SincResampler;

  constructor(fromRate: number, toRate: number) {
    checkSampleRateArgument(fromRate, 'fromRate');
    checkSampleRateArgument(toRate, 'toRate');
    this.core = new SincResampler(fromRate, toRate);
  }

  push(chunk: Float32Array): Float32Array {
    if (this.core.flushed) throw invalid('This resampler was flushed: its stream has ended.');
    checkAudioSamples(chunk, 'A resampler chunk');
    return this.core.push(chunk);
  }

  /** End of stream: the output samples still owed (as many in all as `resample` gives for the whole input). */
  flush(): Float32Array {
    return this.core.flush();
  }
}

/**
 * The filter of `StreamingResampler`, with no checks of its own: for `resample` and the WAV decoder, whose
 * samples and rates are checked before (the public check would scan every sample a second time).
 */
class SincResampler {
  private readonly ratio: number;
  private readonly scale: number;
  private readonly half: number;
  /** Input samples kept, from absolute index `base`. */
  private history: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private base = 0;
  private received = 0;
  /** Absolute index of the next output sample. */
  private next = 0;
  flushed = false;

  constructor(fromRate: number, toRate: number) {
    this.ratio = toRate / fromRate;
    this.scale = Math.min(1, this.ratio) * ROLLOFF;
    this.half = ZEROS / this.scale;
  }

  /** Samples already checked, before `flush`. */
  push(chunk: Float32Array): Float32Array {
    if (chunk.length > 0) {
      if (this.history.length === 0)
        this.history = chunk.slice(); // a copy: a caller may reuse its chunk buffer (audio worklets do)
      else {
        const joined = new Float32Array(this.history.length + chunk.length);
        joined.set(this.history);
        joined.set(chunk, this.history.length);
        this.history = joined;
      }
      this.received += chunk.length;
    }
    // An output sample is ready once every input its window reaches has arrived.
    const ready = (i: number): boolean => i / this.ratio + this.half <= this.received - 1;
    let end = Math.max(this.next, Math.floor((this.received - 1 - this.half) * this.ratio));
    while (end > this.next && !ready(end - 1)) end--;
    while (ready(end)) end++;
    return this.produce(end);
  }

  flush(): Float32Array {
    if (this.flushed) return new Float32Array(0);
    this.flushed = true;
    const total = this.received === 0 ? 0 : Math.max(1, Math.round(this.received * this.ratio));
    return this.produce(Math.max(this.next, total));
  }

  /** Output samples `next` up to `end` (exclusive). */
  private produce(end: number): Float32Array {
    const table = kernel();
    const step = this.scale * TABLE_STEPS;
    const out = new Float32Array(end - this.next);
    const last = this.received - 1;
    for (let o = 0; o < out.length; o++, this.next++) {
      const pos = this.next / this.ratio;
      const k0 = Math.max(0, Math.ceil(pos - this.half));
      const k1 = Math.min(last, Math.floor(pos + this.half));
      let acc = 0;
      for (let k = k0; k <= k1; k++) {
        const t = Math.abs(pos - k) * step;
        const j = Math.floor(t);
        const f = t - j;
        const a = table[j] ?? 0;
        const b = table[j + 1] ?? 0;
        acc += (this.history[k - this.base] as number) * (a + (b - a) * f);
      }
      // The windowed sinc overshoots near a step: an input at the accepted limit must not come out past it.
      out[o] = Math.max(-MAX_SAMPLE_MAGNITUDE, Math.min(MAX_SAMPLE_MAGNITUDE, acc * this.scale));
    }
    // Drop the input no later output can reach.
    const keepFrom = Math.max(0, Math.ceil(this.next / this.ratio - this.half));
    if (keepFrom > this.base) {
      this.history = this.history.subarray(Math.min(this.history.length, keepFrom - this.base));
      this.base = keepFrom;
    }
    return out;
  }
}

/**
 * How much of the data chunk is decoded at a time (whole frames, at least one): the decoder's working
 * memory beside its output.
 */
const BLOCK_BYTES = 1 << 20;

/**
 * Mono samples from a WAV's data chunk, fed block by block in order: each block of frames is mixed down
 * (the channels' samples in [-1, 1] averaged), checked (float ones: integer ones are in range by
 * construction), and either written to the output or pushed through one resampling filter, unchecked (the
 * same output as `resample` of the whole, bit for bit). Memory beyond the
 * input is the output and one block: no copy of the file, no 64-bit copy of every sample, and no
 * full-rate mono copy when resampling (wavefile's decoder made all three: 120 s of 768 kHz 16-bit mono,
 * a 184 MB file, peaked at 2.1 GB read to 16 kHz).
 */
class MonoDecoder {
  readonly blockBytes: number;
  private readonly out: Float32Array;
  private written = 0;
  private frame = 0;
  private readonly resampler: SincResampler | undefined;
  private readonly block: Float32Array | undefined;

  constructor(
    private readonly header: WavHeader,
    frames: number,
    rate: number,
    private readonly name: string,
  ) {
    this.blockBytes = Math.max(1, Math.floor(BLOCK_BYTES / header.blockAlign)) * header.blockAlign;
    if (rate === header.sampleRate) {
      // Audio already at the rate asked for is not resampled: decoded straight into the output.
      this.out = new Float32Array(frames);
    } else {
      // The rates are checked before and every block is checked here, so the filter checks nothing again
      // (StreamingResampler.push would scan each block a second time). As many samples in all as `resample` gives.
      this.resampler = new SincResampler(header.sampleRate, rate);
      this.out = new Float32Array(Math.max(1, Math.round((frames * rate) / header.sampleRate)));
      this.block = new Float32Array(this.blockBytes / header.blockAlign);
    }
  }

  /** The next whole frames of the data chunk. */
  write(bytes: Uint8Array): void {
    const frames = bytes.length / this.header.blockAlign;
    const mono = this.block ? this.block.subarray(0, frames) : this.out.subarray(this.frame, this.frame + frames);
    mixDown(this.header, bytes, mono, this.name, this.frame);
    this.frame += frames;
    if (this.resampler) this.put(this.resampler.push(mono));
    else this.written += frames;
  }

  /** The decoded samples, once every frame was written. */
  finish(): Float32Array {
    if (this.resampler) this.put(this.resampler.flush());
    return this.written === this.out.length ? this.out : this.out.slice(0, this.written);
  }

  private put(samples: Float32Array): void {
    this.out.set(samples.subarray(0, this.out.length - this.written), this.written);
    this.written += Math.min(samples.length, this.out.length - this.written);
  }
}

/**
 * Whole frames of a data chunk (`bytes`, frame `start` of the file onwards) mixed down to mono in `mono`
 * (one sample a frame): each channel's value scaled to [-1, 1], the channels averaged; float samples
 * checked (integer ones are in range by construction). The one mixdown of `readAudio`, `decodeWav` and
 * `readAudioChunks`, so their samples agree bit for bit.
 */
function mixDown(header: WavHeader, bytes: Uint8Array, mono: Float32Array, name: string, start: number): void {
  const { channels, bitsPerSample, format, blockAlign } = header;
  const frames = bytes.length / blockAlign;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const step = bitsPerSample / 8;
  // The file's values as integers (8-bit unsigned, 16/24/32-bit signed) or floats, scaled to [-1, 1].
  const sample: (at: number) => number =
    format === 3
      ? bitsPerSample === 32
        ? (at) => view.getFloat32(at, true)
        : (at) => view.getFloat64(at, true)
      : bitsPerSample === 8
        ? (at) => (view.getUint8(at) - 128) / 128
        : bitsPerSample === 16
          ? (at) => view.getInt16(at, true) / 32768
          : bitsPerSample === 24
            ? (at) => (view.getUint16(at, true) | (view.getInt8(at + 2) << 16)) / 8388608
            : (at) => view.getInt32(at, true) / 2147483648;
  let at = 0;
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, at += step) sum += sample(at);
    mono[f] = sum / channels;
  }
  // Integer samples are in [-1, 1] by construction; float ones may be anything.
  if (format === 3) checkFiniteSamples(mono.subarray(0, frames), { name, start });
}

/** A data chunk that holds no whole frame. */
function noSamples(name: string): AppliedMLError {
  return invalid(`${name} has no samples (empty data chunk).`, { name, reason: 'no-samples' });
}

/** The checks on a parsed header that need no samples (frames, `maxSeconds`), then its decoder. */
function decoderFor(header: WavHeader, options: ReadAudioOptions, name: string, source: 'file' | 'bytes'): MonoDecoder {
  // sampleRate is the rate of float samples; a WAV file's comes from its header. One that disagrees was
  // silently ignored (r2 F10): the caller believed something of the audio that is not so.
  if (options.sampleRate !== undefined && options.sampleRate !== header.sampleRate)
    throw invalid(
      `${name}: sampleRate ${describeValue(options.sampleRate)} disagrees with the WAV header's ${header.sampleRate} Hz. A WAV file's rate is read from its header; sampleRate is the rate of a Float32Array of samples: leave it out for WAV input.`,
      { name, reason: 'sample-rate-mismatch', option: 'sampleRate' },
    );
  const frames = header.dataBytes / header.blockAlign;
  if (frames === 0) throw noSamples(name);
  const max = options.maxSeconds ?? DEFAULT_MAX_AUDIO_SECONDS;
  if (frames / header.sampleRate > max) throw tooLong(frames / header.sampleRate, max, name, source);
  return new MonoDecoder(header, frames, options.targetSampleRate ?? header.sampleRate, name);
}

function decoded(header: WavHeader, samples: Float32Array, rate: number): DecodedAudio {
  return {
    samples,
    sampleRate: rate,
    source: {
      sampleRate: header.sampleRate,
      channels: header.channels,
      encoding: header.format === 3 ? 'float' : 'pcm',
      bitsPerSample: header.bitsPerSample,
    },
    durationSeconds: samples.length / rate,
  };
}

/** Decode WAV bytes to mono float samples (mixdown, optional resampling). */
export function decodeWav(input: Uint8Array, options: ReadAudioOptions & { name?: string } = {}): DecodedAudio {
  checkKnownKeys('decodeWav options', options, DECODE_KEYS);
  const name = options.name ?? 'WAV input';
  const bytes = asUint8Array(input); // also a Uint8Array from another realm (a vm context, an iframe)
  if (!bytes) throw notBytes(name, input);
  checkRate(options.targetSampleRate, 'targetSampleRate', name);
  checkMaxSeconds(options.maxSeconds, name);
  const header = parseWavHeader(bytes, name);
  const decoder = decoderFor(header, options, name, 'bytes');
  const end = header.dataOffset + header.dataBytes;
  for (let at = header.dataOffset; at < end; at += decoder.blockBytes)
    decoder.write(bytes.subarray(at, Math.min(end, at + decoder.blockBytes)));
  return decoded(header, decoder.finish(), options.targetSampleRate ?? header.sampleRate);
}

/**
 * How much of a file `readAudio` reads at a time for its chunk walk: the chunks before the data are
 * usually small, so one read holds them all; a big one (cover art) is skipped, not read.
 */
const HEADER_BYTES = 64 * 1024;

/**
 * A WAV file decoded from the file block by block: its chunk walk reads only the chunk headers and the
 * fmt body, at their positions (a window of HEADER_BYTES at a time), never a chunk it skips; then the
 * data chunk is read a block at a time. The whole file is never in memory, and a file longer than
 * `maxSeconds` is refused from its header before any sample is read, wherever its data chunk starts.
 */
async function decodeWavFile(path: string, size: number, options: ReadAudioOptions): Promise<DecodedAudio> {
  const file = await open(path, 'r');
  try {
    const header = await walkFile(file, path, size);
    const decoder = decoderFor(header, options, path, 'file');
    const block = new Uint8Array(decoder.blockBytes);
    const end = header.dataOffset + header.dataBytes;
    for (let at = header.dataOffset; at < end; at += block.length) {
      const part = block.subarray(0, Math.min(block.length, end - at));
      await readFully(file, part, at, path);
      decoder.write(part);
    }
    return decoded(header, decoder.finish(), options.targetSampleRate ?? header.sampleRate);
  } finally {
    await file.close();
  }
}

/**
 * `walkWav` over a file of `total` bytes (its size at `stat`): each range it asks for comes from a
 * window of up to HEADER_BYTES read at that position, which serves the ranges after it that it holds.
 */
async function walkFile(file: FileHandle, path: string, total: number): Promise<WavHeader> {
  const window = new Uint8Array(Math.min(total, HEADER_BYTES));
  let start = 0;
  let held = 0;
  const walk = walkWav(path, total);
  let step = walk.next();
  while (!step.done) {
    const { at, length } = step.value;
    if (at < start || at + length > start + held) {
      start = at;
      held = Math.min(window.length, total - at);
      await readFully(file, window.subarray(0, held), at, path);
    }
    step = walk.next(window.subarray(at - start, at - start + length));
  }
  return step.value;
}

/** Fills `into` from byte `position` of the file; a file that ends first (it shrank while read) is E_IO. */
async function readFully(file: FileHandle, into: Uint8Array, position: number, path: string): Promise<void> {
  for (let got = 0; got < into.length;) {
    const { bytesRead } = await file.read(into, got, into.length - got, position + got);
    if (bytesRead === 0)
      throw new AppliedMLError(
        'E_IO',
        `Cannot read audio file ${path}: it ended at byte ${position + got} while it was read (did it change?).`,
        {
          details: { file: path, reason: 'file-changed' },
        },
      );
    got += bytesRead;
  }
}

/** Read audio from a path, WAV bytes or float samples; mono, at `targetSampleRate` when given. */
export async function readAudio(input: AudioInput, options: ReadAudioOptions = {}): Promise<DecodedAudio> {
  checkKnownKeys('readAudio options', options, READ_KEYS);
  if (typeof input === 'string') {
    // The options first: a negative maxSeconds is a bad option, not a file too long.
    checkRate(options.targetSampleRate, 'targetSampleRate', input);
    checkMaxSeconds(options.maxSeconds, input);
    // A missing path, a directory, a FIFO or a device is refused before it is opened, in the words every
    // SDK's readers use (a FIFO would wait for a writer, a device never end).
    const { size } = await statRegularFile(input, 'audio file', { detailsKey: 'file' });
    try {
      // Read from the file block by block: its chunk headers, then its data chunk.
      return await decodeWavFile(input, size, options);
    } catch (cause) {
      if (AppliedMLError.isInstance(cause)) throw cause;
      throw new AppliedMLError('E_IO', `Cannot read audio file ${input}: ${(cause as Error).message}`, {
        cause,
        details: { file: input },
      });
    }
  }
  return decodeInMemory(input, options, 'readAudio');
}

/** Options of `readAudioChunks`. */
export interface ReadAudioChunksOptions {
  /**
   * Length of each chunk in seconds, at the rate of the chunks (default 1): every chunk holds
   * `round(chunkSeconds × sampleRate)` samples (at least one), the last one what is left. At most 600.
   */
  chunkSeconds?: number;
  /** Resample to this rate, through one resampler for the whole file (default: keep the file's rate). */
  targetSampleRate?: number;
}

/** Default of `readAudioChunks`' `chunkSeconds`. */
export const DEFAULT_CHUNK_SECONDS = 1;
/** The largest `chunkSeconds`: a chunk is one array in memory (600 s of 768 kHz audio is 1.8 GB). */
const MAX_CHUNK_SECONDS = DEFAULT_MAX_AUDIO_SECONDS;
const CHUNK_KEYS = Object.keys({ chunkSeconds: 1, targetSampleRate: 1 } satisfies Record<keyof ReadAudioChunksOptions, 1>);

/**
 * A WAV file read in chunks (`readAudioChunks`): what its header says, and its mono samples as
 * `Float32Array` chunks for `for await`. Each iteration opens the file, reads it from the start and
 * closes it when the loop ends, breaks or throws.
 */
export interface AudioChunks extends AsyncIterable<Float32Array> {
  /** Rate of the chunks: `targetSampleRate`, else the file's. */
  readonly sampleRate: number;
  /** Samples in each chunk but the last. */
  readonly chunkSamples: number;
  /** Samples in all the chunks together: as many as `readAudio` of the file returns. */
  readonly totalSamples: number;
  /** `totalSamples / sampleRate`. */
  readonly durationSeconds: number;
  /** What the file holds before mixdown and resampling. */
  readonly source: DecodedAudio['source'];
}

function checkChunkSeconds(seconds: unknown, name: string): void {
  if (seconds !== undefined && !(typeof seconds === 'number' && seconds > 0 && seconds <= MAX_CHUNK_SECONDS))
    throw invalid(`${name}: chunkSeconds must be a number in (0, ${MAX_CHUNK_SECONDS}] (got ${describeValue(seconds)}).`, {
      name,
      option: 'chunkSeconds',
    });
}

/** A system error from opening or reading `path` as the typed E_IO every reader here throws (typed errors pass). */
function ioError(cause: unknown, path: string): AppliedMLError {
  if (AppliedMLError.isInstance(cause)) return cause;
  return new AppliedMLError('E_IO', `Cannot read audio file ${path}: ${(cause as Error).message}`, { cause, details: { file: path } });
}

/** The header `walkFile` finds in the file at `path` now (opened and closed here). */
async function headerOfFile(path: string, size: number): Promise<WavHeader> {
  const file = await open(path, 'r');
  try {
    return await walkFile(file, path, size);
  } finally {
    await file.close();
  }
}

/**
 * Stream a WAV file from disk as mono `Float32Array` chunks of `chunkSeconds` (default 1 s), without
 * reading it whole: for a recording longer than `readAudio`'s `maxSeconds` (a two-hour call), fed to a
 * `StreamingRecognizer` or to `mfcc` chunk by chunk. It takes the files `readAudio` takes (PCM
 * 8/16/24/32-bit, float 32/64, any number of channels mixed down by averaging, 1–768 kHz) and has no
 * length cap.
 *
 * The promise reads and checks the header, with `readAudio`'s typed errors and messages (not a WAV →
 * E_FORMAT_UNSUPPORTED; truncated header or data chunk, no samples → E_INPUT_INVALID; a missing path,
 * a directory or FIFO → E_IO), and closes the file again. Each `for await` over the result opens the
 * file, reads its data chunk 1 MB at a time (whole frames), mixes each block down, resamples it (one
 * filter for the whole file, 65,536 output samples at a time) and hands out chunks as they fill; the
 * file is closed when the loop ends, `break`s or throws. Memory is a block, a resampled slice and a
 * chunk, however long the file and whatever the rates. The chunks joined are
 * `readAudio(path, { targetSampleRate, maxSeconds: Infinity })`'s samples, bit for bit; a float sample
 * that is NaN, infinite or beyond ±10⁶ is E_INPUT_INVALID when the 1 MB block that holds it is read
 * (the chunks of the blocks before it have been handed out; those of its own block before it have not). A file whose header changed since this promise read it, that ends before
 * its data chunk does, or that is no longer a regular file when a pass opens it (removed, a directory or
 * FIFO in its place: checked first, as `readAudio` checks it), is E_IO with `details.reason` 'file-changed'.
 *
 * ```ts
 * const audio = await readAudioChunks('call.wav', { chunkSeconds: 0.5 });
 * const stream = model.createStream({ sampleRate: audio.sampleRate });
 * for await (const chunk of audio) for (const word of stream.push(chunk)) console.log(word);
 * stream.flush();
 * ```
 */
export async function readAudioChunks(path: string, options: ReadAudioChunksOptions = {}): Promise<AudioChunks> {
  if (typeof path !== 'string') {
    const bytes = asUint8Array(path);
    const buffer = (path as unknown) instanceof ArrayBuffer ? (path as unknown as ArrayBuffer) : undefined;
    const options = maxSecondsFor(bytes ?? (buffer && new Uint8Array(buffer)));
    throw invalid(
      bytes
        ? `readAudioChunks takes the path of a WAV file, not its bytes (${bytes.length} bytes given): decode bytes in memory with decodeWav${options ? `(bytes${options})` : ''}.`
        : buffer
          ? `readAudioChunks takes the path of a WAV file, not its bytes (an ArrayBuffer of ${buffer.byteLength} bytes): decode them in memory with decodeWav(new Uint8Array(buffer)${options}).`
          : `readAudioChunks takes the path of a WAV file (got ${notAPath(path)}).`,
    );
  }
  checkKnownKeys('readAudioChunks options', options, CHUNK_KEYS);
  checkRate(options.targetSampleRate, 'targetSampleRate', path);
  checkChunkSeconds(options.chunkSeconds, path);
  const { size } = await statRegularFile(path, 'audio file', { detailsKey: 'file' });
  let header: WavHeader;
  try {
    header = await headerOfFile(path, size);
  } catch (cause) {
    throw ioError(cause, path);
  }
  const frames = header.dataBytes / header.blockAlign;
  if (frames === 0) throw noSamples(path);
  const rate = options.targetSampleRate ?? header.sampleRate;
  // As many samples as `readAudio` gives: its output length, which cuts the resampler's output there.
  const totalSamples = rate === header.sampleRate ? frames : Math.max(1, Math.round((frames * rate) / header.sampleRate));
  const chunkSamples = Math.max(1, Math.round((options.chunkSeconds ?? DEFAULT_CHUNK_SECONDS) * rate));
  const source = decoded(header, new Float32Array(0), rate).source;
  return {
    sampleRate: rate,
    chunkSamples,
    totalSamples,
    durationSeconds: totalSamples / rate,
    source,
    [Symbol.asyncIterator]: () => fileChunks(path, header, rate, chunkSamples, totalSamples),
  };
}

/** True when two headers describe the same data chunk in the same encoding. */
function sameHeader(a: WavHeader, b: WavHeader): boolean {
  return (Object.keys(a) as Array<keyof WavHeader>).every((key) => a[key] === b[key]);
}

/** E_IO 'file-changed': the file a pass of `readAudioChunks` reads is no longer the regular file it was. */
function changed(path: string, cause: unknown): AppliedMLError {
  // The check's own reason, without its "Cannot read audio file <path>: " again.
  const text = AppliedMLError.isInstance(cause) ? cause.message : '';
  const at = text.indexOf(`${path}: `);
  const why = text ? `: ${(at >= 0 ? text.slice(at + path.length + 2) : text).replace(/\.$/, '')}` : '';
  return new AppliedMLError('E_IO', `Cannot read audio file ${path}: it is no longer the regular file readAudioChunks read${why}.`, {
    ...(cause === undefined ? {} : { cause }),
    details: { file: path, reason: 'file-changed' },
  });
}

/**
 * The options decodeWav needs for WAV bytes given to readAudioChunks: `, { maxSeconds: n }` when they hold
 * more than its default maxSeconds (decodeWav refused them, and its refusal pointed back at
 * readAudioChunks); '' otherwise, or when they are no WAV decodeWav would read anyway.
 */
function maxSecondsFor(bytes: Uint8Array | undefined): string {
  if (!bytes) return '';
  let header: WavHeader;
  try {
    header = parseWavHeader(bytes);
  } catch {
    return ''; // decodeWav says what is wrong with them
  }
  const seconds = header.dataBytes / header.blockAlign / header.sampleRate;
  return seconds > DEFAULT_MAX_AUDIO_SECONDS ? `, { maxSeconds: ${Math.ceil(seconds)} }` : '';
}

/**
 * What was given to `readAudioChunks` instead of a path: an array by its type and length, with no hint
 * toward another input it refuses too (the samples' conversions `describeSamples` gives), a URL as one.
 */
function notAPath(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length} values`;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const type = Object.prototype.toString.call(value).slice(8, -1);
    const what = `${/^[AEIO]/.test(type) ? 'an' : 'a'} ${type} of ${(value as unknown as ArrayLike<unknown>).length} values`;
    return type === 'Float32Array' ? `${what}: samples already in memory need no reading; push them to a stream` : what;
  }
  return describeSamples(value, 'path');
}

/**
 * The most samples `readAudioChunks` resamples at once (64 KB of Float32): a few milliseconds of work,
 * after which the event loop may run (see YIELD_MS).
 */
const RESAMPLE_SLICE_SAMPLES = 16_384;

/**
 * How long `readAudioChunks` resamples before it lets the event loop run: the only other waits were its
 * file reads, one a 1 MB block, and resampling a block of 8 kHz 16-bit audio to 16 kHz (65 s of it) held
 * the loop for about 0.2 s a block (0.9 s measured on a busy machine), stalling a server's other requests.
 */
const YIELD_MS = 10;

/** A turn of the event loop (timers and I/O callbacks run), not only its microtasks. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One pass of `readAudioChunks` over the file: opened here, closed when the pass ends, breaks or throws. */
async function* fileChunks(
  path: string,
  expected: WavHeader,
  rate: number,
  chunkSamples: number,
  totalSamples: number,
): AsyncGenerator<Float32Array, void, undefined> {
  let file: FileHandle | undefined;
  try {
    // Checked again on every pass, as readAudio checks it: a FIFO put in its place blocked open() for a
    // writer, and a directory or a removed file failed with the system's words (it said nothing of the
    // file having changed). Opened without blocking, in case one is swapped in after the check.
    await statRegularFile(path, 'audio file', { detailsKey: 'file' }).catch((cause: unknown) => {
      throw changed(path, cause);
    });
    file = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const stats = await file.stat();
    if (!stats.isFile()) throw changed(path, undefined);
    const header = await walkFile(file, path, stats.size);
    if (!sameHeader(header, expected))
      throw new AppliedMLError('E_IO', `Cannot read audio file ${path}: its header changed since readAudioChunks read it.`, {
        details: { file: path, reason: 'file-changed' },
      });
    const blockBytes = Math.max(1, Math.floor(BLOCK_BYTES / header.blockAlign)) * header.blockAlign;
    const block = new Uint8Array(blockBytes);
    const mono = new Float32Array(blockBytes / header.blockAlign);
    const resampler = rate === header.sampleRate ? undefined : new SincResampler(header.sampleRate, rate);
    // Input frames resampled at once: at most RESAMPLE_SLICE_SAMPLES out.
    const slice = Math.max(1, Math.floor((RESAMPLE_SLICE_SAMPLES * header.sampleRate) / rate));
    let chunk = new Float32Array(Math.min(chunkSamples, totalSamples));
    let filled = 0;
    let handed = 0; // samples handed out in full chunks
    const end = header.dataOffset + header.dataBytes;
    let frame = 0;
    // The samples of `part` that fit before `totalSamples`, into chunks; the full ones returned.
    const take = (part: Float32Array): Float32Array[] => {
      const full: Float32Array[] = [];
      let from = 0;
      const usable = Math.min(part.length, totalSamples - handed - filled);
      while (from < usable) {
        const n = Math.min(chunk.length - filled, usable - from);
        chunk.set(part.subarray(from, from + n), filled);
        filled += n;
        from += n;
        if (filled === chunk.length) {
          full.push(chunk);
          handed += filled;
          filled = 0;
          chunk = new Float32Array(Math.min(chunkSamples, totalSamples - handed) || 1);
        }
      }
      return full;
    };
    let turn = performance.now(); // when the event loop last ran
    for (let at = header.dataOffset; at < end; at += blockBytes) {
      const bytes = block.subarray(0, Math.min(blockBytes, end - at));
      await readFully(file, bytes, at, path);
      turn = performance.now();
      const frames = bytes.length / header.blockAlign;
      const part = mono.subarray(0, frames);
      mixDown(header, bytes, part, path, frame);
      frame += frames;
      if (!resampler) {
        for (const full of take(part)) yield full;
        continue;
      }
      // Resampled a slice at a time: a whole block upsampled at once (1 kHz 8-bit to 48 kHz: 1 MB in,
      // 190 MB out) held its output whole and handed out no chunk until it was done. Every YIELD_MS of
      // that work, the event loop runs (the output is the same: the resampler keeps its state).
      for (let from = 0; from < part.length; from += slice) {
        if (performance.now() - turn >= YIELD_MS) {
          await nextTurn();
          turn = performance.now();
        }
        for (const full of take(resampler.push(part.subarray(from, from + slice)))) yield full;
      }
    }
    if (resampler) for (const full of take(resampler.flush())) yield full;
    if (filled > 0) yield chunk.subarray(0, filled);
  } catch (cause) {
    throw ioError(cause, path);
  } finally {
    await file?.close();
  }
}

/** The synchronous core of `readAudio` for bytes and samples. */
export function decodeAudioSync(input: Uint8Array | Float32Array, options: ReadAudioOptions & { name?: string } = {}): DecodedAudio {
  return decodeInMemory(input, options, 'decodeAudioSync');
}

/**
 * `decodeAudioSync` for `caller`: its refusal of another input names what that call takes (readAudio
 * takes a path too; decodeAudioSync's said "Audio must be a file path", which it refuses).
 */
function decodeInMemory(
  input: unknown,
  options: ReadAudioOptions & { name?: string },
  caller: 'readAudio' | 'decodeAudioSync',
): DecodedAudio {
  checkKnownKeys('decodeAudioSync options', options, DECODE_KEYS);
  if (isFloat32Array(input)) {
    const name = options.name ?? 'audio samples';
    const rate = options.sampleRate ?? options.targetSampleRate;
    if (rate === undefined) throw invalid(`${name}: float samples need a sampleRate.`);
    checkRate(rate, 'sampleRate', name);
    checkRate(options.targetSampleRate, 'targetSampleRate', name);
    checkMaxSeconds(options.maxSeconds, name);
    if (input.length === 0) throw invalid(`${name} has no samples.`, { name });
    const max = options.maxSeconds ?? DEFAULT_MAX_AUDIO_SECONDS;
    if (input.length / rate > max) throw tooLong(input.length / rate, max, name, 'samples');
    checkFiniteSamples(input, { name });
    const target = options.targetSampleRate ?? rate;
    const samples = resampleUnchecked(input, rate, target); // samples and rates checked above
    return {
      samples,
      sampleRate: target,
      source: { sampleRate: rate, channels: 1, encoding: 'float', bitsPerSample: 32 },
      durationSeconds: samples.length / target,
    };
  }
  const bytes = asUint8Array(input); // also from another realm (a vm context, an iframe), like a Float32Array
  if (bytes) return decodeWav(bytes, options);
  throw invalid(
    caller === 'readAudio'
      ? `Audio must be a file path, WAV bytes (a Uint8Array or Buffer) or a Float32Array of samples (got ${describeSamples(input, 'audio')}).`
      : `decodeAudioSync takes WAV bytes (a Uint8Array or Buffer) or a Float32Array of samples; a file path goes to readAudio (got ${describeSamples(input)}).`,
  );
}

/**
 * Encode mono float samples as a WAV (for tests, demos and debugging): PCM at `bitDepth` (the string
 * '8', '16' (default), '24' or '32'), or IEEE float with '32f'. `channels` writes the mono signal copied
 * into each channel; the input is never read as interleaved channels (interleaved stereo given with
 * `channels: 2` would come out twice as long): mix it to mono first.
 */
export function encodeWav(
  samples: Float32Array,
  sampleRate: number,
  bitDepth: '8' | '16' | '24' | '32' | '32f' = '16',
  channels = 1,
): Uint8Array {
  checkAudioSamples(samples, 'encodeWav samples');
  if (!Number.isInteger(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE)
    throw invalid(
      `encodeWav: sampleRate must be an integer in [${MIN_SAMPLE_RATE}, ${MAX_SAMPLE_RATE}] Hz (got ${describeValue(sampleRate)}).`,
      {
        option: 'sampleRate',
      },
    );
  if (!(['8', '16', '24', '32', '32f'] as unknown[]).includes(bitDepth)) {
    // encodeWav(x, 8000, 16) from plain JavaScript (or tsx, which does not typecheck): say the number is the slip.
    const asString = typeof bitDepth === 'number' && [8, 16, 24, 32].includes(bitDepth) ? `; pass the string '${bitDepth}'` : '';
    throw invalid(
      `encodeWav: bitDepth must be the string '8', '16', '24', '32' or '32f' (got ${typeof bitDepth === 'number' ? 'the number ' : ''}${describeValue(bitDepth)}${asString}).`,
      { option: 'bitDepth' },
    );
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 64)
    throw invalid(`encodeWav: channels must be an integer from 1 to 64 (got ${describeValue(channels)}).`, { option: 'channels' });
  const wav = new wavefile.WaveFile();
  const scale = bitDepth === '32f' ? 1 : 2 ** (Number(bitDepth) - 1) - 1;
  const offset = bitDepth === '8' ? 128 : 0;
  const ints = Array.from(samples, (v) => Math.round(Math.max(-1, Math.min(1, v)) * scale + offset));
  const data = bitDepth === '32f' ? Array.from(samples) : ints;
  const interleaved = channels === 1 ? data : data.flatMap((v) => Array.from({ length: channels }, () => v));
  wav.fromScratch(channels, sampleRate, bitDepth, interleaved);
  return wav.toBuffer();
}
