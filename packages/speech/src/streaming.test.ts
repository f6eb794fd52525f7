import { AppliedMLError } from '@appliedml/engine';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CLASSIFY_FAILED,
  CLASSIFY_OUTPUT_INVALID,
  NOT_FINITE_OUTPUT,
  StreamingRecognizer,
  detectionsBefore,
  type StreamDetection,
} from './streaming';
import { errorOf } from './test-helpers';

// A StreamingRecognizer built directly takes any classify callback: what it returns (or throws) was used
// unchecked at push, and a misspelt top-level option was ignored (review S1, S2).

const RATE = 8000;

/** 0.3 s of tone then 0.6 s of silence: one word, closed by the silence after it. */
function word(): Float32Array {
  const a = new Float32Array(Math.round(0.9 * RATE));
  for (let i = 0; i < 0.3 * RATE; i++) a[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / RATE);
  return a;
}

const good = (): { probs: Float32Array; labels: string[] } => ({ probs: Float32Array.from([0.9, 0.1]), labels: ['a', 'b'] });

describe('StreamingRecognizer: a classify callback that returns garbage or throws (S1)', () => {
  afterEach(() => vi.restoreAllMocks());

  const garbage: Record<string, () => unknown> = {
    'a number': () => 42,
    null: () => null,
    'NaN scores': () => ({ probs: Float32Array.from([Number.NaN, Number.NaN]), labels: ['a', 'b'] }),
    'an infinite score': () => ({ probs: Float32Array.from([Infinity, 0]), labels: ['a', 'b'] }),
    'a score that is no probability (a logit)': () => ({ probs: Float32Array.from([3.5, -2]), labels: ['a', 'b'] }),
    'scores as strings': () => ({ probs: ['0.9', '0.1'], labels: ['a', 'b'] }),
    'labels that are numbers': () => ({ probs: Float32Array.from([0.9, 0.1]), labels: [1, 2] }),
    'labels that are not a list': () => ({ probs: Float32Array.from([0.9, 0.1]), labels: 'ab' }),
    'fewer labels than scores': () => ({ probs: Float32Array.from([0.9, 0.1]), labels: ['a'] }),
    'no scores at all': () => ({ probs: new Float32Array(0), labels: [] }),
    'a repeated label': () => ({ probs: Float32Array.from([0.6, 0.4]), labels: ['a', 'a'] }),
    'a promise': () => Promise.resolve(good()),
    'a getter that throws': () => ({
      get probs(): never {
        throw new Error('no');
      },
      labels: ['a'],
    }),
  };

  for (const [name, classify] of Object.entries(garbage)) {
    it(`${name}: E_INPUT_INVALID with reason ${CLASSIFY_OUTPUT_INVALID}, and the next push works`, () => {
      const stream = new StreamingRecognizer(RATE, classify as never, { minScore: 0 });
      const e = errorOf(() => stream.push(word()));
      expect([e.code, e.details.reason]).toEqual(['E_INPUT_INVALID', CLASSIFY_OUTPUT_INVALID]);
      expect(e.message).toMatch(/^The stream's classify callback must return \{ probs, labels \}/);
      // The word was let go: more audio is not handed the same word again.
      expect(stream.push(new Float32Array(800))).toEqual([]);
      expect(stream.flush()).toEqual([]);
    });
  }

  it('a rejected promise is refused without an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const stream = new StreamingRecognizer(RATE, (() => Promise.reject(new Error('async boom'))) as never);
      const e = errorOf(() => stream.push(word()));
      expect([e.code, e.details.reason]).toEqual(['E_INPUT_INVALID', CLASSIFY_OUTPUT_INVALID]);
      expect(e.message).toMatch(/returned a promise/);
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a thrown Error or non-Error is E_INTERNAL with reason classify-failed, keeping it as the cause', () => {
    const boom = new TypeError('boom');
    for (const thrown of [boom, 'boom', 42, null]) {
      let calls = 0;
      const stream = new StreamingRecognizer(RATE, () => {
        calls++;
        throw thrown;
      });
      const e = errorOf(() => stream.push(word()));
      expect([e.code, e.details.reason, e.cause]).toEqual(['E_INTERNAL', CLASSIFY_FAILED, thrown]);
      expect(e.message).toMatch(/^The stream's classify callback threw: /);
      // Usable afterwards, and the failed word is not classified again.
      expect(stream.push(new Float32Array(800))).toEqual([]);
      expect(calls).toBe(1);
    }
    expect(
      errorOf(() =>
        new StreamingRecognizer(RATE, () => {
          throw boom;
        }).push(word()),
      ).message,
    ).toMatch(/threw: boom$/);
  });

  it('an appliedml error from classify keeps its meaning: skipped (too short / silent), or passed on', () => {
    const skip = new AppliedMLError('E_INPUT_INVALID', 'too short');
    const skipped = new StreamingRecognizer(RATE, () => {
      throw skip;
    });
    expect(skipped.push(word())).toEqual([]);
    const disposed = new AppliedMLError('E_MODEL_DISPOSED', 'gone');
    const stream = new StreamingRecognizer(RATE, () => {
      throw disposed;
    });
    expect(errorOf(() => stream.push(word()))).toBe(disposed);
  });

  it('a word after a refused one is recognised; good output is unchanged (a number list too)', () => {
    let n = 0;
    const stream = new StreamingRecognizer(RATE, () => (n++ === 0 ? { probs: [Number.NaN], labels: ['a'] } : good()) as never);
    expect(errorOf(() => stream.push(word())).code).toBe('E_INPUT_INVALID');
    const [d] = stream.push(word());
    expect([d?.label, d?.score]).toEqual(['a', Math.fround(0.9)]);
    // The second chunk's word (0.9 s in, less the VAD's padding), not the refused one again.
    expect(d?.startSeconds).toBeGreaterThan(0.8);
    expect(d?.scores).toEqual({ a: Math.fround(0.9), b: Math.fround(0.1) });
    const plain = new StreamingRecognizer(RATE, () => ({ probs: [0.2, 1.0000001], labels: ['x', 'y'] }) as never);
    expect(plain.push(word()).map((w) => w.label)).toEqual(['y']);
  });

  it('a word that fails at flush: the error, then the stream takes no more audio and a second flush ends it', () => {
    for (const sampleRate of [undefined, 16_000]) {
      let calls = 0;
      const stream = new StreamingRecognizer(
        RATE,
        () => {
          calls++;
          throw new Error('last word');
        },
        sampleRate ? { sampleRate } : {},
      );
      const open = word().subarray(0, Math.round(0.35 * RATE));
      // Still open (no silence after it): only flush recognises it.
      expect(stream.push(sampleRate ? resampleBy2(open) : open)).toEqual([]);
      expect(errorOf(() => stream.flush()).code).toBe('E_INTERNAL');
      expect(errorOf(() => stream.push(new Float32Array(800))).message).toMatch(/was flushed/);
      expect(stream.flush()).toEqual([]);
      expect(calls).toBe(1);
    }
  });
});

/** `words` words of 0.3 s, each followed by 0.6 s of silence: each one closed by the silence after it. */
function words(n: number): Float32Array {
  const out = new Float32Array(n * word().length);
  for (let i = 0; i < n; i++) out.set(word(), i * word().length);
  return out;
}

/** A classify that answers word k (from 1) with label `w<k>`, and throws what `fail(k)` gives for the words it names. */
function scripted(fail: (k: number) => unknown): { classify: () => { probs: Float32Array; labels: string[] }; calls: () => number } {
  let k = 0;
  return {
    classify: () => {
      k++;
      const error = fail(k);
      if (error !== undefined) throw error;
      return { probs: Float32Array.from([0.9, 0.1]), labels: [`w${k}`, 'other'] };
    },
    calls: () => k,
  };
}

describe('StreamingRecognizer: the words before a word that fails are not lost (review 5)', () => {
  it('one push completes word 1, then word 2 fails: word 1 is on the error (details.detections), not returned again', () => {
    const crash = new Error('model crashed on word 2');
    const { classify, calls } = scripted((k) => (k === 2 ? crash : undefined));
    const stream = new StreamingRecognizer(RATE, classify);
    const e = errorOf(() => stream.push(words(2)));
    // The error as before (code, reason, cause), with word 1 beside it.
    expect([e.code, e.details.reason, e.cause]).toEqual(['E_INTERNAL', CLASSIFY_FAILED, crash]);
    expect(e.message).toBe(
      "The stream's classify callback threw: model crashed on word 2. The word recognised before it in this call is in details.detections.",
    );
    const before = detectionsBefore(e);
    expect(before.map((d) => [d.label, d.score])).toEqual([['w1', Math.fround(0.9)]]);
    expect(before[0]!.startSeconds).toBeLessThan(0.1);
    expect(before[0]!.endSeconds).toBeGreaterThan(0.25);
    expect(e.details.detections).toBe(before);
    // Word 1 was let go with its detection on the error; the stream goes on with what follows.
    expect(stream.push(word()).map((d) => d.label)).toEqual(['w3']);
    expect(stream.flush()).toEqual([]);
    expect(calls()).toBe(3);
  });

  it('the same for a network whose output is not finite', () => {
    const notFinite = new AppliedMLError('E_INPUT_INVALID', 'The network output is not finite.', {
      details: { reason: NOT_FINITE_OUTPUT, item: 0 },
    });
    const { classify, calls } = scripted((k) => (k === 3 ? notFinite : undefined));
    const stream = new StreamingRecognizer(RATE, classify);
    const e = errorOf(() => stream.push(words(4)));
    expect([e.code, e.details.reason, e.details.item]).toEqual(['E_INPUT_INVALID', NOT_FINITE_OUTPUT, 0]);
    expect(e.message).toBe('The network output is not finite. The 2 words recognised before it in this call are in details.detections.');
    expect(detectionsBefore(e).map((d) => d.label)).toEqual(['w1', 'w2']);
    // Times from the stream's start, in order.
    expect(detectionsBefore(e)[1]!.startSeconds).toBeGreaterThan(0.8);
    expect(detectionsBefore(e)[1]!.startSeconds).toBeLessThan(0.9);
    // The call stopped at word 3; word 4 comes with the next call.
    expect(stream.flush().map((d) => d.label)).toEqual(['w4']);
    expect(calls()).toBe(4);
  });

  it("the copy keeps the original error's stack (where it was thrown) under its new message; one without a stack is its cause", () => {
    // Thrown from a named function, so its frames can be told from those of the stream that copies it.
    let thrown: AppliedMLError | undefined;
    const deepInTheModel = (): AppliedMLError =>
      (thrown = new AppliedMLError('E_INPUT_INVALID', 'The network output is not finite.', { details: { reason: NOT_FINITE_OUTPUT } }));
    const stream = new StreamingRecognizer(RATE, scripted((k) => (k === 2 ? deepInTheModel() : undefined)).classify);
    const e = errorOf(() => stream.push(words(2)));
    expect(e).not.toBe(thrown);
    const original = thrown!.stack!;
    const frames = original.slice(original.indexOf('\n'));
    expect(original).toMatch(/deepInTheModel/);
    // The copy's stack: its own first line, then the original's frames (it had a new stack, taken where it was copied).
    expect(e.stack).toBe(`AppliedMLError: ${e.message}${frames}`);
    expect(e.cause).toBeUndefined();

    // An error without a stack (one from a realm or library that strips it): the copy says where it came from by its cause.
    const bare = new AppliedMLError('E_INTERNAL', 'No stack here.', { details: { reason: 'x' } });
    bare.stack = undefined;
    const noStack = errorOf(() => new StreamingRecognizer(RATE, scripted((k) => (k === 2 ? bare : undefined)).classify).push(words(2)));
    expect(noStack.cause).toBe(bare);
    expect(detectionsBefore(noStack).map((d) => d.label)).toEqual(['w1']);
    // One with a cause of its own keeps that cause.
    const inner = new Error('inner');
    const bareWithCause = new AppliedMLError('E_INTERNAL', 'No stack, a cause.', { cause: inner });
    bareWithCause.stack = undefined;
    const withCause = errorOf(() =>
      new StreamingRecognizer(RATE, scripted((k) => (k === 2 ? bareWithCause : undefined)).classify).push(words(2)),
    );
    expect(withCause.cause).toBe(inner);
  });

  it('a service loop that catches each call gets every recognised word once, in order', () => {
    // Five words (words 2 and 4 fail) in 128-frame chunks, in 0.5 s chunks and in one chunk: the same words.
    for (const size of [128, 4000, 5 * word().length]) {
      const { classify } = scripted((k) => (k === 2 || k === 4 ? new Error(`word ${k}`) : undefined));
      const stream = new StreamingRecognizer(RATE, classify);
      const audio = words(5);
      const results: StreamDetection[] = [];
      const errors: unknown[] = [];
      const call = (fn: () => StreamDetection[]): void => {
        try {
          results.push(...fn());
        } catch (error) {
          results.push(...detectionsBefore(error));
          errors.push(error);
        }
      };
      for (let at = 0; at < audio.length; at += size) call(() => stream.push(audio.subarray(at, at + size)));
      // A flush that throws ends the input; the next flush recognises what is left.
      call(() => stream.flush());
      call(() => stream.flush());
      expect(
        results.map((d) => d.label),
        String(size),
      ).toEqual(['w1', 'w3', 'w5']);
      expect(
        errors.map((e) => (e as AppliedMLError).cause),
        String(size),
      ).toEqual([new Error('word 2'), new Error('word 4')]);
      expect(new Set(results.map((d) => d.startSeconds)).size).toBe(3);
    }
  });

  it("an error thrown again later carries only its own call's words; with none before it, it is the error itself", () => {
    const ended = new AppliedMLError('E_SHAPE_MISMATCH', 'The model changed.', { details: { reason: 'model-sample-rate-changed' } });
    const stream = new StreamingRecognizer(RATE, scripted((k) => (k >= 2 ? ended : undefined)).classify);
    const first = errorOf(() => stream.push(words(2)));
    expect(detectionsBefore(first).map((d) => d.label)).toEqual(['w1']);
    expect(ended.details).toEqual({ reason: 'model-sample-rate-changed' });
    expect(errorOf(() => stream.push(word()))).toBe(ended);
    expect(detectionsBefore(ended)).toEqual([]);
    expect(detectionsBefore(new Error('x'))).toEqual([]);
    expect(detectionsBefore(null)).toEqual([]);
  });
});

/** 8 kHz samples at 16 kHz (each sample twice): enough for a stream at another rate. */
function resampleBy2(a: Float32Array): Float32Array {
  const out = new Float32Array(a.length * 2);
  a.forEach((v, i) => out.fill(v, 2 * i, 2 * i + 2));
  return out;
}

describe('StreamingRecognizer: option names and types (S2)', () => {
  it('a misspelt option is E_INPUT_INVALID listing the valid names', () => {
    for (const bad of [{ minscore: 0.9 }, { maxWordSecs: 1 }, { sampleRate: 8000, endSilence: 0.3 }]) {
      const e = errorOf(() => new StreamingRecognizer(RATE, good, bad as never));
      expect(e.code).toBe('E_INPUT_INVALID');
      expect(e.message).toMatch(
        /^StreamingRecognizer options has no option '\w+'; valid: sampleRate, vad, minScore, maxWordSeconds, endSilenceSeconds\.$/,
      );
    }
  });

  it('options that are not an object, and options of the wrong type, are E_INPUT_INVALID naming them', () => {
    for (const bad of [null, [], 'fast', 3])
      expect(errorOf(() => new StreamingRecognizer(RATE, good, bad as never)).code).toBe('E_INPUT_INVALID');
    for (const [field, value] of [
      ['minScore', '0.5'],
      ['minScore', 1.5],
      ['maxWordSeconds', Number.NaN],
      ['endSilenceSeconds', true],
      ['sampleRate', 44_100.5],
      ['vad', 'loud'],
    ] as const) {
      const e = errorOf(() => new StreamingRecognizer(RATE, good, { [field]: value } as never));
      expect([e.code, e.message]).toEqual(['E_INPUT_INVALID', expect.stringContaining(field)]);
    }
    expect(() => new StreamingRecognizer(RATE, good, { minScore: undefined, vad: { padMs: 10 } })).not.toThrow();
  });
});
