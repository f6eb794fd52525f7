import { AppliedMLError, checkIntegerOption, checkKnownKeys, checkNumberOption, describeValue } from '@appliedml/engine';
import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, checkFiniteSamples, describeSamples, isFloat32Array } from './features';
import { NoiseFloor, checkVadOptions, definedOnly, speechSegments, type VadOptions } from './vad';
import { StreamingResampler } from './wav';

export interface StreamingOptions {
  /** Rate of the pushed chunks in whole Hz (default: the model rate); another rate goes through one resampler for the whole stream. */
  sampleRate?: number;
  /** VAD settings for finding words in the stream (defaults as the sequence mode). */
  vad?: VadOptions;
  /** Emit only detections scoring at least this (default 0.5). */
  minScore?: number;
  /** Longest word: a segment still open after this many seconds is recognised anyway (default 2). */
  maxWordSeconds?: number;
  /** A word is final once this much silence follows it (default 0.25 s). */
  endSilenceSeconds?: number;
}

/** The option names a stream takes (a misspelt one is E_INPUT_INVALID listing these). */
export const STREAM_KEYS = Object.keys({
  sampleRate: 1,
  vad: 1,
  minScore: 1,
  maxWordSeconds: 1,
  endSilenceSeconds: 1,
} satisfies Record<keyof StreamingOptions, 1>);

export interface StreamDetection {
  label: string;
  score: number;
  scores: Record<string, number>;
  /** Seconds from the start of the stream. */
  startSeconds: number;
  endSeconds: number;
}

/**
 * `details.reason` of the E_INPUT_INVALID a recognizer throws when its network's output is not finite: a
 * stream passes that error on (other E_INPUT_INVALID words, too short or silent, are skipped).
 */
export const NOT_FINITE_OUTPUT = 'not-finite-output';

/**
 * `details.reason` of the E_SHAPE_MISMATCH that ends a stream whose recognizer was retrained at another
 * sample rate: the audio it holds (and its resampler) are at the old rate.
 */
export const STREAM_MODEL_CHANGED = 'model-sample-rate-changed';

/**
 * `details.reason` of the E_INPUT_INVALID a stream throws when its classify callback returns something
 * that is not `{ probs, labels }` (one finite probability in [0, 1] per distinct string label),
 * returns a promise, or answers a word with no labels at all.
 */
export const CLASSIFY_OUTPUT_INVALID = 'classify-output-invalid';

/**
 * `details.reason` of the E_INTERNAL a stream throws when its classify callback throws something other than
 * an appliedml error (the thrown value is the error's `cause`).
 */
export const CLASSIFY_FAILED = 'classify-failed';

/**
 * The words a `push` / `flush` recognised before it threw: an error thrown while recognising a word
 * after others in the same call carries them in `details.detections` (in order, with their times), and
 * they are not returned again, so a loop that catches the error keeps every word:
 *
 * ```ts
 * try {
 *   results.push(...stream.push(chunk));
 * } catch (error) {
 *   results.push(...detectionsBefore(error));
 *   log(error);
 * }
 * ```
 *
 * `[]` for any other error (one on the call's first word, a refused chunk, not an appliedml error).
 */
export function detectionsBefore(error: unknown): StreamDetection[] {
  if (!AppliedMLError.isInstance(error)) return [];
  const detections = error.details.detections;
  return Array.isArray(detections) ? (detections as StreamDetection[]) : [];
}

/**
 * The error a word's recognition threw, with the words this call recognised before it in
 * `details.detections` (their audio is already let go): a copy, so an error thrown again later (a
 * stream that ended) does not carry one call's words into another. Code, cause, the other details and
 * the stack (where the word's recognition threw, under the new message) are kept, and the message says
 * where the words are; an error without a stack is the copy's cause instead, unless it has a cause of
 * its own. With no words before it, the error itself.
 */
function withDetections(error: unknown, detections: StreamDetection[]): unknown {
  if (!AppliedMLError.isInstance(error) || detections.length === 0) return error;
  const n = detections.length;
  const note = ` The ${n === 1 ? 'word' : `${n} words`} recognised before it in this call ${n === 1 ? 'is' : 'are'} in details.detections.`;
  const stop = /[.!?)]$/.test(error.message) ? '' : '.';
  const stack = stackOf(error);
  const copy = new AppliedMLError(error.code, `${error.message}${stop}${note}`, {
    cause: stack === undefined ? (error.cause ?? error) : error.cause,
    details: { ...error.details, detections },
  });
  if (stack !== undefined) {
    // The original frames under the copy's own first line (V8 starts a stack with `name: message`).
    const head = `${String(error.name)}: ${error.message}`;
    copy.stack = stack.startsWith(head) ? `${copy.name}: ${copy.message}${stack.slice(head.length)}` : stack;
  }
  return copy;
}

/** An error's stack, when it has one (a non-empty string; a getter that throws counts as none). */
function stackOf(error: Error): string | undefined {
  try {
    const stack: unknown = error.stack;
    return typeof stack === 'string' && stack.length > 0 ? stack : undefined;
  } catch {
    return undefined;
  }
}

type Classify = (samples: Float32Array) => { probs: Float32Array; labels: string[] };

/**
 * How much new audio a stream takes in before it looks for words again (or a 32nd of the audio it holds,
 * when more): a word is returned at most this much later than after the chunk that completed it.
 */
const ANALYSIS_STEP_SECONDS = 0.05;

/** Scores a little outside [0, 1] are rounding (averaged float32 softmax); more is not a probability. */
const SCORE_SLACK = 1e-3;

function invalidOutput(problem: string, cause?: unknown): AppliedMLError {
  return new AppliedMLError(
    'E_INPUT_INVALID',
    `The stream's classify callback must return { probs, labels }: one probability in [0, 1] per distinct string label; ${problem}.`,
    { ...(cause === undefined ? {} : { cause }), details: { reason: CLASSIFY_OUTPUT_INVALID } },
  );
}

/**
 * `classify`'s answer for one word, checked where it is used: garbage (not an object, NaN scores, labels
 * that are not strings, a promise) was read as a detection, no detection or a TypeError at `push`.
 */
function checkClassifyResult(result: unknown): { probs: ArrayLike<number>; labels: string[] } {
  if (result === null || typeof result !== 'object') throw invalidOutput(`got ${describeValue(result)}`);
  let probs: unknown;
  let labels: unknown;
  let then: unknown;
  try {
    ({ probs, labels, then } = result as { probs?: unknown; labels?: unknown; then?: unknown });
  } catch (cause) {
    // A Proxy or getter that throws: its output cannot be read.
    throw invalidOutput('reading its result threw', cause);
  }
  if (typeof then === 'function') {
    // Handled here, so a rejected promise is not an unhandled rejection on top of this error.
    try {
      (then as (ok: unknown, fail: unknown) => unknown).call(result, undefined, () => {});
    } catch {
      // A thenable whose then throws: nothing is pending.
    }
    throw invalidOutput('it returned a promise (classify is called synchronously)');
  }
  if (!Array.isArray(probs) && !(ArrayBuffer.isView(probs) && !(probs instanceof DataView)))
    throw invalidOutput(`probs is ${describeValue(probs)}`);
  if (!Array.isArray(labels)) throw invalidOutput(`labels is ${describeValue(labels)}`);
  const scores = probs as ArrayLike<unknown>;
  if (scores.length === 0 || scores.length !== labels.length)
    throw invalidOutput(`got ${scores.length} probabilities for ${labels.length} labels`);
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i];
    if (!(typeof p === 'number' && p >= -SCORE_SLACK && p <= 1 + SCORE_SLACK)) throw invalidOutput(`probs[${i}] is ${describeValue(p)}`);
  }
  const bad = labels.findIndex((l) => typeof l !== 'string');
  if (bad >= 0) throw invalidOutput(`labels[${bad}] is ${describeValue(labels[bad])}`);
  if (new Set(labels).size !== labels.length) throw invalidOutput(`labels repeat a name (${describeValue(labels)})`);
  return { probs: scores as ArrayLike<number>, labels: labels as string[] };
}

/**
 * Keyword spotting over an endless stream: chunks are buffered, the VAD finds words, and a word is
 * recognised once enough silence follows it. Memory stays bounded whatever the stream's length
 * (the buffer never holds more than a few seconds), so hours of audio are fed here rather than to
 * `recognize`. Create it with `SpeechRecognizer.createStream()`.
 */
export class StreamingRecognizer {
  /**
   * The audio held, `store[0, held)`, in an array that grows by doubling: a push appends to it (it was
   * copied whole on every push, as long as the open word).
   */
  private store = new Float32Array(0);
  private held = 0;
  /** Stream position (samples) of buffer[0]. */
  private offset = 0;
  /** Samples taken in since the VAD last looked at the buffer. */
  private unseen = 0;
  private closed = false;
  /** Set when `flush` starts: a flush that throws on a word takes no more audio, and a second flush recognises the rest. */
  private ending = false;
  private readonly resampler: StreamingResampler | undefined;
  private readonly vad: VadOptions;
  private readonly maxWord: number;
  private readonly endSilence: number;
  private readonly keep: number;
  private readonly step: number;
  /** The level of the stream's background over the last seconds, which the VAD holds words against. */
  private readonly floor: NoiseFloor;

  constructor(
    private readonly rate: number,
    private readonly classify: Classify,
    private readonly options: StreamingOptions = {},
    /**
     * Throws when the recognizer behind the stream is gone (E_MODEL_DISPOSED) or was retrained at another
     * sample rate (E_SHAPE_MISMATCH); checked on every push and flush.
     */
    private readonly alive: () => void = () => {},
  ) {
    // The model's rate and the callbacks too: a NaN rate or a null classify was taken here and failed at push.
    checkIntegerOption('rate', rate, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE, false);
    if (typeof classify !== 'function' || typeof alive !== 'function')
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        'A StreamingRecognizer needs a classify function (create it with SpeechRecognizer.createStream()).',
        {
          details: { field: typeof classify !== 'function' ? 'classify' : 'alive' },
        },
      );
    // Checked here, at createStream: a zero maxWordSeconds made push() loop forever on an empty word. A
    // misspelt name (minscore) was ignored without a word; null, a list or a number is refused too.
    if (options === null)
      throw new AppliedMLError('E_INPUT_INVALID', 'Stream options must be an object.', { details: { field: 'options' } });
    checkKnownKeys('StreamingRecognizer options', options, STREAM_KEYS);
    checkNumberOption('sampleRate', options.sampleRate, MIN_SAMPLE_RATE, MAX_SAMPLE_RATE);
    if (options.sampleRate !== undefined && !Number.isInteger(options.sampleRate))
      throw new AppliedMLError('E_INPUT_INVALID', `sampleRate must be a whole number of Hz (got ${options.sampleRate}).`, {
        details: { field: 'sampleRate' },
      });
    if (options.sampleRate !== undefined && options.sampleRate !== rate) this.resampler = new StreamingResampler(options.sampleRate, rate);
    checkNumberOption('minScore', options.minScore, 0, 1);
    checkNumberOption('maxWordSeconds', options.maxWordSeconds, 0.05, 60);
    checkNumberOption('endSilenceSeconds', options.endSilenceSeconds, 0.01, 10);
    checkVadOptions(options.vad);
    this.vad = { minSilenceMs: 100, minSpeechMs: 100, padMs: 30, ...definedOnly(options.vad ?? {}) };
    this.maxWord = Math.round((options.maxWordSeconds ?? 2) * rate);
    this.endSilence = Math.round((options.endSilenceSeconds ?? 0.25) * rate);
    this.keep = Math.round(0.5 * rate);
    this.step = Math.round(ANALYSIS_STEP_SECONDS * rate);
    this.floor = new NoiseFloor(rate, this.vad);
  }

  /** The audio held (a view: copy what outlives the next push). */
  private get buffer(): Float32Array {
    return this.store.subarray(0, this.held);
  }

  private append(samples: Float32Array): void {
    if (this.held + samples.length > this.store.length) {
      const grown = new Float32Array(Math.max(2 * this.store.length, this.held + samples.length, this.keep));
      grown.set(this.buffer);
      this.store = grown;
    }
    this.store.set(samples, this.held);
    this.held += samples.length;
  }

  /**
   * Seconds of audio received so far, in the model's rate: mid-stream at another rate, the few
   * milliseconds the resampler still holds come in with the next chunk (all of it after `flush`).
   */
  get seconds(): number {
    return (this.offset + this.held) / this.rate;
  }

  /**
   * Add samples; returns the words found since the last push (the stream looks for words once 50 ms of
   * new audio has come, or a 32nd of what it holds, not after every chunk: a word may come up to that
   * much audio after the chunk that completed it). E_MODEL_DISPOSED once its recognizer was disposed.
   * When recognising a word throws after others this call found, those words are in the error's
   * `details.detections` (read them with `detectionsBefore(error)`), not returned again.
   */
  push(chunk: Float32Array): StreamDetection[] {
    this.alive();
    if (this.closed || this.ending) throw new AppliedMLError('E_INPUT_INVALID', 'This stream was flushed; create a new one.');
    if (!isFloat32Array(chunk))
      throw new AppliedMLError(
        'E_INPUT_INVALID',
        `Stream chunks must be Float32Array samples in [-1, 1] (got ${describeSamples(chunk, 'stream')}).`,
        {
          details: { field: 'chunk' },
        },
      );
    // Every check before the chunk is kept: a refused chunk leaves the stream as it was.
    try {
      checkFiniteSamples(chunk);
    } catch (cause) {
      if (!AppliedMLError.isInstance(cause)) throw cause;
      // `index` as before (the sample's place in the chunk), beside the shared check's `sample`.
      throw new AppliedMLError(cause.code, `Stream chunk: ${cause.message}`, {
        cause,
        details: { ...cause.details, index: cause.details?.sample },
      });
    }
    // One resampler over the whole stream: resampling chunk by chunk drifted in time and broke up tiny chunks.
    const input = this.resampler ? this.resampler.push(chunk) : chunk;
    this.append(input);
    this.floor.measure(this.buffer, this.offset);
    // The VAD reads the whole buffer: looked at after every tiny chunk (a browser's 128 frames), its cost
    // grew with the open word (maxWordSeconds 60: slower than real time after 20 s of sound).
    this.unseen += input.length;
    if (this.unseen < Math.max(this.step, this.held / 32)) return [];
    return this.drain(false);
  }

  /**
   * End of stream: recognise whatever word is still open. E_MODEL_DISPOSED once its recognizer was
   * disposed. A word that throws carries the words before it in `details.detections`, as in `push`.
   */
  flush(): StreamDetection[] {
    this.alive();
    if (this.closed) return [];
    this.ending = true;
    if (this.resampler) this.append(this.resampler.flush());
    const out = this.drain(true);
    this.closed = true;
    // The audio stays counted in `seconds` after the buffer is let go.
    this.offset += this.held;
    this.held = 0;
    this.store = new Float32Array(0);
    return out;
  }

  private drain(final: boolean): StreamDetection[] {
    this.unseen = 0;
    const out: StreamDetection[] = [];
    for (;;) {
      // Samples checked at push, options at construction.
      // Against the stream's own background: steady noise, however loud, is no word (each buffer of it
      // was read as one, closed every maxWordSeconds).
      const segments = speechSegments(this.buffer, this.rate, this.vad, this.floor.db);
      const first = segments[0];
      if (!first) {
        // Silence: keep only a short tail so a word starting at the chunk edge is not cut.
        if (this.buffer.length > this.keep) this.cut(this.buffer.length - this.keep);
        return out;
      }
      const closedByGap = this.buffer.length - first.end >= this.endSilence || segments.length > 1;
      const tooLong = first.end - first.start >= this.maxWord;
      if (!(closedByGap || tooLong || final)) {
        if (first.start > this.keep) this.cut(first.start - this.keep);
        return out;
      }
      const end = tooLong && !closedByGap ? first.start + this.maxWord : first.end;
      const word = this.buffer.slice(first.start, end);
      let detection: ReturnType<StreamingRecognizer['recognise']>;
      try {
        detection = this.recognise(word, end);
      } catch (error) {
        // The words before it are not lost with the call's return value: they travel on the error.
        throw withDetections(error, out);
      }
      if (detection)
        out.push({ ...detection, startSeconds: (this.offset + first.start) / this.rate, endSeconds: (this.offset + end) / this.rate });
      this.cut(end);
      if (final && this.buffer.length === 0) return out;
    }
  }

  /**
   * The word's detection (undefined when it scores under minScore or its recogniser skips it: too short or
   * silent). On any error the word, which ends at `end`, is let go first, so a caller that goes on pushing
   * is not handed it again.
   */
  private recognise(word: Float32Array, end: number): Omit<StreamDetection, 'startSeconds' | 'endSeconds'> | undefined {
    let checked: ReturnType<typeof checkClassifyResult>;
    try {
      let result: unknown;
      try {
        result = this.classify(word);
      } catch (error) {
        if (!AppliedMLError.isInstance(error))
          throw new AppliedMLError(
            'E_INTERNAL',
            `The stream's classify callback threw: ${error instanceof Error ? error.message || error.name : describeValue(error)}`,
            { cause: error, details: { reason: CLASSIFY_FAILED } },
          );
        // Too short or silent: skipped. A broken network fails every word: said at once, not read as a
        // stream without words. Other appliedml errors (a disposed or retrained recognizer) as they are.
        if (error.code === 'E_INPUT_INVALID' && (error.details as { reason?: unknown } | undefined)?.reason !== NOT_FINITE_OUTPUT)
          return undefined;
        throw error;
      }
      checked = checkClassifyResult(result);
    } catch (error) {
      this.cut(end);
      throw error;
    }
    const { probs, labels } = checked;
    let k = 0;
    for (let i = 1; i < probs.length; i++) if ((probs[i] as number) > (probs[k] as number)) k = i;
    const score = probs[k] as number;
    if (score < (this.options.minScore ?? 0.5)) return undefined;
    return { label: labels[k] as string, score, scores: Object.fromEntries(labels.map((l, i) => [l, probs[i] as number])) };
  }

  private cut(n: number): void {
    this.store.copyWithin(0, n, this.held);
    this.held -= n;
    this.offset += n;
    // After a long word, the array it grew to is let go.
    if (this.store.length > 4 * Math.max(this.held, this.rate)) this.store = this.store.slice(0, 2 * Math.max(this.held, this.rate));
  }
}
