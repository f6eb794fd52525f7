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
}

/**
 * The upload decoded once, at the model's rate. The SDK's reader messages may quote what they found
 * in the bytes (a container's four letters, a declared size): the service answers in fixed words,
 * keeping only the code.
 */
function decodeUpload(bytes: Uint8Array, sampleRate: number): DecodedAudio {
  try {
    return decodeWav(bytes, { targetSampleRate: sampleRate, maxSeconds: MAX_AUDIO_SECONDS, name: 'The upload' });
  } catch (error) {
    if (AppliedMLError.hasCode(error, 'E_FORMAT_UNSUPPORTED'))
      throw new AppliedMLError(
        'E_FORMAT_UNSUPPORTED',
        'The upload is not a WAV file this service reads: send PCM (8, 16, 24 or 32-bit) or IEEE float WAV.',
      );
    if (AppliedMLError.hasCode(error, 'E_INPUT_TOO_LARGE'))
      throw new AppliedMLError('E_INPUT_TOO_LARGE', `The recording is longer than ${MAX_AUDIO_SECONDS} s; send one word.`);
    if (AppliedMLError.hasCode(error, 'E_INPUT_INVALID'))
      throw new AppliedMLError('E_INPUT_INVALID', 'The WAV file is truncated or malformed, or holds no samples.');
    throw error;
  }
}

/** Recognise one word in WAV bytes and draw its MFCC picture (the `POST /recognize` answer). */
export async function recognizeUpload(model: SpeechRecognizer, bytes: Uint8Array): Promise<RecognizeAnswer> {
  const started = performance.now();
  const decoded = decodeUpload(bytes, model.sampleRate);
  const decodeMs = performance.now() - started;
  const r = await model.recognize(decoded.samples, { sampleRate: decoded.sampleRate });
  const pictures = await featurePictures(decoded.samples, model.sampleRate);
  return {
    ...r,
    durationSeconds: decoded.durationSeconds,
    timing: { ...r.timing, decodeMs: r.timing.decodeMs + decodeMs, totalMs: r.timing.totalMs + decodeMs },
    mfccPng: pngDataUrl(pictures.mfcc),
  };
}

/** The words of a digit string in WAV bytes (the `POST /sequence` answer). */
export async function recognizeSequenceUpload(model: SpeechRecognizer, bytes: Uint8Array): Promise<SequenceRecognition> {
  const decoded = decodeUpload(bytes, model.sampleRate);
  return model.recognizeSequence(decoded.samples, { sampleRate: decoded.sampleRate });
}

/** What one task answers, in this process or in a worker thread. */
export function runTask(model: SpeechRecognizer, task: SpeechTask): Promise<RecognizeAnswer | SequenceRecognition> {
  return task.kind === 'sequence' ? recognizeSequenceUpload(model, task.bytes) : recognizeUpload(model, task.bytes);
}
