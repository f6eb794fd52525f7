import { AppliedMLError } from '@appliedml/engine';
import { decodeWav, type DecodedAudio, type Recognition, type SequenceRecognition, type SpeechRecognizer } from '@appliedml/speech';
import { featurePictures, pngDataUrl } from './pictures';

/** Longest recording accepted, in seconds (a longer one is 413 E_INPUT_TOO_LARGE). */
export const MAX_AUDIO_SECONDS = 60;

/** One upload for the recogniser: a word (`recognize`) or a digit string (`sequence`). */
export interface SpeechTask {
  kind: 'recognize' | 'sequence';
  bytes: Uint8Array;
}

/** What `POST /recognize` answers: the recognition and its MFCC picture as a PNG data URL. */
export interface RecognizeAnswer extends Recognition {
  mfccPng: string;
  /** Set when the recording seems to hold several words (read as one here): says so and points to `POST /sequence`. */
  warning?: string;
}

export { wordsIn } from './words';
import { wordsIn } from './words';

/** The warning for a recording of `words` (> 1) words sent to `POST /recognize`, which reads one. */
export function severalWordsWarning(words: number): string {
  return `This recording seems to hold ${words} words separated by pauses; /recognize reads it as one word. For a string of words (e.g. digits), send it to POST /sequence.`;
}

/**
 * What the service says about a WAV the decoder refused (`E_INPUT_INVALID`), by the decoder's
 * `details.reason`. The decoder's own message quotes values read from the upload (a declared size, a
 * sample rate, a sample's value): the answer says what is wrong in fixed words instead, and quotes only
 * a sample's index (the decoder's count, not a value from the bytes).
 */
const INVALID_WAV: Record<string, string> = {
  empty: 'The upload is empty; send a WAV file.',
  'fmt-truncated': 'The WAV file is truncated: its fmt chunk (the format header) is cut short.',
  'no-fmt-chunk': 'The WAV file has no fmt chunk (the format header): the header is truncated or malformed.',
  'data-before-fmt': 'The WAV file is malformed: its data chunk comes before its fmt chunk (the format header).',
  'no-data-chunk': 'The WAV file has no data chunk (no audio): it is truncated or malformed.',
  'data-truncated': 'The WAV file is truncated: its data chunk holds fewer bytes than its header declares (a partial upload?).',
  'too-many-chunks': 'The WAV file has too many chunks before its audio (a WAV file has a few); it is not read further.',
  'bad-channels': 'The WAV file is malformed: its channel count is not 1 to 64.',
  'sample-rate-out-of-range': 'The WAV file’s sample rate is out of range: rates from 1 kHz to 768 kHz are read.',
  'bad-block-align': 'The WAV file is malformed: its block alignment does not match its channels and bits per sample.',
  'no-samples': 'The WAV file holds no samples (its data chunk is empty).',
};

function invalidWavMessage(details: Record<string, unknown> | undefined): string {
  const reason = details?.['reason'];
  const index = details?.['index'];
  const at = Number.isSafeInteger(index) && (index as number) >= 0 ? ` at sample ${index as number}` : '';
  if (reason === 'sample-not-finite') return `The WAV file has a float sample that is not a number or infinite${at}.`;
  if (reason === 'sample-out-of-range') return `The WAV file has a float sample far outside [-1, 1]${at}.`;
  if (typeof reason === 'string' && Object.hasOwn(INVALID_WAV, reason)) return INVALID_WAV[reason] as string;
  return 'The WAV file is truncated or malformed, or holds no samples.';
}

const READS = 'this service reads PCM (8, 16, 24 or 32-bit) or IEEE float WAV';
const CONVERT = 'convert it, e.g. ffmpeg -i in.wav -c:a pcm_s16le out.wav';

/** A WAV the decoder refused as E_FORMAT_UNSUPPORTED, said by its details: an encoding or bit depth, else not a WAV. */
function unsupportedMessage(details: Record<string, unknown> | undefined): string {
  // The decoder names a known encoding in `details.encoding` (fixed words from its table, never the upload's).
  if (typeof details?.['formatTag'] === 'number') {
    const name = typeof details['encoding'] === 'string' ? details['encoding'] : undefined;
    return `The WAV file is ${name ? `${name}-encoded` : 'in an encoding that is not PCM or float'}; ${READS}: ${CONVERT}.`;
  }
  // One sentence each (they ran READS into the sentence: "… is not a WAV file this service reads PCM … WAV: send PCM …").
  if (typeof details?.['bitsPerSample'] === 'number')
    return `The WAV file's bit depth is not one this service reads (PCM at 8, 16, 24 or 32 bits, or IEEE float): ${CONVERT}.`;
  return 'The upload is not a WAV file; send a PCM (8, 16, 24 or 32-bit) or IEEE float WAV file.';
}

/** The upload decoded once, at the model's rate; the decoder's errors answered in the service's own words. */
function decodeUpload(bytes: Uint8Array, sampleRate: number, kind: SpeechTask['kind']): DecodedAudio {
  try {
    return decodeWav(bytes, { targetSampleRate: sampleRate, maxSeconds: MAX_AUDIO_SECONDS, name: 'The upload' });
  } catch (error) {
    if (AppliedMLError.hasCode(error, 'E_FORMAT_UNSUPPORTED'))
      throw new AppliedMLError('E_FORMAT_UNSUPPORTED', unsupportedMessage(error.details));
    if (AppliedMLError.hasCode(error, 'E_INPUT_TOO_LARGE'))
      // By route: "send one word" was wrong advice for a digit string (r2 F5).
      throw new AppliedMLError(
        'E_INPUT_TOO_LARGE',
        `The recording is longer than ${MAX_AUDIO_SECONDS} s; ${kind === 'sequence' ? `send at most ${MAX_AUDIO_SECONDS} s of digits` : 'send one word'}.`,
      );
    if (AppliedMLError.hasCode(error, 'E_INPUT_INVALID')) {
      const reason = error.details?.['reason'];
      throw new AppliedMLError('E_INPUT_INVALID', invalidWavMessage(error.details), {
        ...(typeof reason === 'string' && /^[a-z-]{1,40}$/.test(reason) ? { details: { reason } } : {}),
      });
    }
    throw error;
  }
}

/** Recognise one word in WAV bytes and draw its MFCC picture (the `POST /recognize` answer). */
export async function recognizeUpload(model: SpeechRecognizer, bytes: Uint8Array): Promise<RecognizeAnswer> {
  const started = performance.now();
  const decoded = decodeUpload(bytes, model.sampleRate, 'recognize');
  const decodeMs = performance.now() - started;
  const r = await model.recognize(decoded.samples, { sampleRate: decoded.sampleRate });
  const pictures = await featurePictures(decoded.samples, model.sampleRate);
  // A digit string read as one word got one label at 99.5 % and no hint (FSDD 3, 1, 4 joined: "1").
  const words = wordsIn(decoded.samples, decoded.sampleRate);
  return {
    ...r,
    ...(words > 1 ? { warning: severalWordsWarning(words) } : {}),
    durationSeconds: decoded.durationSeconds,
    timing: { ...r.timing, decodeMs: r.timing.decodeMs + decodeMs, totalMs: r.timing.totalMs + decodeMs },
    mfccPng: pngDataUrl(pictures.mfcc),
  };
}

/** The words of a digit string in WAV bytes (the `POST /sequence` answer). */
export async function recognizeSequenceUpload(model: SpeechRecognizer, bytes: Uint8Array): Promise<SequenceRecognition> {
  const started = performance.now();
  const decoded = decodeUpload(bytes, model.sampleRate, 'sequence');
  const decodeMs = performance.now() - started;
  const r = await model.recognizeSequence(decoded.samples, { sampleRate: decoded.sampleRate });
  return { ...r, timing: { totalMs: r.timing.totalMs + decodeMs } };
}

/** What one task answers, in this process or in a worker thread. */
export function runTask(model: SpeechRecognizer, task: SpeechTask): Promise<RecognizeAnswer | SequenceRecognition> {
  return task.kind === 'sequence' ? recognizeSequenceUpload(model, task.bytes) : recognizeUpload(model, task.bytes);
}

/**
 * A short synthetic recording for the warm-up, as a 16-bit mono WAV at `sampleRate`: 0.2 s of silence,
 * 0.5 s of a voiced sound (a 140 Hz pulse with harmonics, faded in and out, so the VAD finds speech), 0.2 s
 * of silence. No voice, no data set: only what a request's decode, VAD, features, networks and picture run on.
 */
export function warmUpWav(sampleRate: number): Uint8Array {
  const n = Math.round(0.9 * sampleRate);
  const start = Math.round(0.2 * sampleRate);
  const length = Math.round(0.5 * sampleRate);
  const out = Buffer.alloc(44 + 2 * n);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + 2 * n, 4);
  out.write('WAVEfmt ', 8, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(2 * sampleRate, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < length; i++) {
    const t = i / sampleRate;
    let v = 0;
    for (let h = 1; h <= 8 && 140 * h < sampleRate / 2; h++) v += Math.sin(2 * Math.PI * 140 * h * t) / h;
    const fade = Math.sin((Math.PI * i) / length);
    out.writeInt16LE(Math.round(8000 * fade * v), 44 + 2 * (start + i));
  }
  return out;
}

/**
 * Recognises `calls` synthetic recordings through a request's own path (decode, recognize, the MFCC
 * picture) and drops the answers: the first calls after `load` run every step for the first time and
 * took 150-390 ms against 2-5 ms warmed (docs/speech.md), so a service does this before it says ready.
 */
export async function warmUp(model: SpeechRecognizer, calls = 2): Promise<void> {
  const wav = warmUpWav(model.sampleRate);
  for (let i = 0; i < calls; i++) await recognizeUpload(model, wav);
}
