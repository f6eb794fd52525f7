// A stream's cost per second of audio does not grow with the open word or shrink with the chunk size.
// The VAD reads the whole buffer; it ran after every push, so a browser's 128-frame chunks ran it 125
// times a second over up to maxWordSeconds of audio (default 2 s: 0.15 x real time on noise without any
// network; maxWordSeconds 60: slower than real time after 20 s of sound, 210 ms for an 8 ms push), and
// every push copied the whole buffer. Now it looks again after 50 ms of new audio (or a 32nd of what it
// holds), and a push appends to an array that grows by doubling.
// And a chunk of another type (a microphone's Int16Array) is refused naming its type and the conversion.
import { afterEach, describe, expect, it, vi } from 'vitest';

/** The length of every buffer the VAD read. */
const analysed: number[] = [];

vi.mock('./vad', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./vad')>();
  const record =
    <F extends (samples: Float32Array, ...rest: never[]) => unknown>(fn: F) =>
    (samples: Float32Array, ...rest: never[]) => {
      analysed.push(samples.length);
      return fn(samples, ...rest);
    };
  return {
    ...actual,
    detectSpeech: record(actual.detectSpeech),
    ...('speechSegments' in actual ? { speechSegments: record(actual.speechSegments as typeof actual.detectSpeech) } : {}),
  };
});

import { runInNewContext } from 'node:vm';
import { PCM_BYTES_HINT, describeSamples } from './features';
import { StreamingRecognizer, type StreamDetection } from './streaming';
import { decodeAudioSync, decodeWav, resample } from './wav';

const RATE = 16_000;
const good = (): { probs: Float32Array; labels: string[] } => ({ probs: Float32Array.from([0.9, 0.1]), labels: ['a', 'b'] });

/** `seconds` of loud noise, seeded (steady: no word to the VAD). */
function noise(seconds: number): Float32Array {
  let seed = 1;
  return Float32Array.from({ length: seconds * RATE }, () => 0.3 * ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5));
}

/** `seconds` of noise rising and falling 4 times a second, like syllables without a pause: one endless "word" to the VAD. */
function babble(seconds: number): Float32Array {
  const out = noise(seconds);
  for (let i = 0; i < out.length; i++) out[i]! *= 0.05 + Math.abs(Math.sin((2 * Math.PI * 2 * i) / RATE));
  return out;
}

function feed(stream: StreamingRecognizer, audio: Float32Array, size: number): StreamDetection[] {
  const found: StreamDetection[] = [];
  for (let i = 0; i < audio.length; i += size) found.push(...stream.push(audio.subarray(i, i + size)));
  return [...found, ...stream.flush()];
}

afterEach(() => {
  analysed.length = 0;
});

describe('a stream looks for words once per 50 ms of new audio, not after every chunk', () => {
  it('128-sample chunks: the VAD runs at most 20 times a second of audio (it ran 125 times)', () => {
    feed(new StreamingRecognizer(RATE, good), noise(10), 128);
    expect(analysed.length).toBeGreaterThan(0);
    expect(analysed.length).toBeLessThanOrEqual(10 * 20 + 10); // + one run a word, and the flush
  });

  it('maxWordSeconds 60 over 30 s of sound: the audio the VAD reads stays within 40 x the stream (it was quadratic)', () => {
    const audio = babble(30);
    const found = feed(new StreamingRecognizer(RATE, good, { maxWordSeconds: 60 }), audio, 128);
    expect(found).toHaveLength(1); // the one 30 s "word", at flush
    const read = analysed.reduce((a, b) => a + b, 0);
    expect(read / audio.length).toBeLessThan(40); // old: about 1,900
  });

  it('two tones in digital silence: the words and their times are those of pushing the whole stream at once, within a VAD look (50 ms; on real speech they are not: test/streaming-fsdd.test.ts)', () => {
    const tone = (seconds: number, f: number): Float32Array =>
      Float32Array.from({ length: seconds * RATE }, (_, i) => 0.4 * Math.sin((2 * Math.PI * f * i) / RATE));
    const parts = [new Float32Array(RATE / 2), tone(0.4, 300), new Float32Array(RATE / 2), tone(0.3, 500), new Float32Array(RATE)];
    const audio = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (audio.set(p, at), at + p.length), 0);
    const whole = feed(new StreamingRecognizer(RATE, good), audio, audio.length);
    expect(whole).toHaveLength(2);
    for (const size of [1, 128, 1000]) {
      const found = feed(new StreamingRecognizer(RATE, good), audio, size);
      expect(found.map((d) => d.label)).toEqual(whole.map((d) => d.label));
      found.forEach((d, k) => {
        expect(Math.abs(d.startSeconds - whole[k]!.startSeconds)).toBeLessThan(0.01);
        expect(Math.abs(d.endSeconds - whole[k]!.endSeconds)).toBeLessThan(0.01);
      });
    }
  });
});

describe('a chunk of another type says what it is and how to convert it', () => {
  it('16-bit PCM (Int16Array), PCM bytes (Buffer), a Float64Array, a plain array: E_INPUT_INVALID naming the type', () => {
    const stream = new StreamingRecognizer(RATE, good);
    const refusal = (chunk: unknown): string => {
      try {
        stream.push(chunk as Float32Array);
      } catch (error) {
        expect(error).toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'chunk' } });
        return (error as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refusal(new Int16Array(128))).toBe(
      'Stream chunks must be Float32Array samples in [-1, 1] (got an Int16Array of 128 values: 16-bit PCM becomes samples with Float32Array.from(pcm, (v) => v / 32768)).',
    );
    expect(refusal(Buffer.alloc(256))).toMatch(
      /\(got a Buffer of 256 values: a WAV file's bytes go to decodeWav; raw 16-bit little-endian PCM is new Int16Array\(Uint8Array\.from/,
    );
    expect(refusal(new Float64Array(4))).toMatch(/\(got a Float64Array of 4 values\)\.$/);
    expect(refusal([0.1, 0.2])).toMatch(/\(got an array of 2 values: samples are Float32Array\.from\(values\)\)\.$/);
    expect(stream.seconds).toBe(0);
    // The helpers that take samples say it the same way.
    expect(() => resample(new Int16Array(4) as never, 8000, 16000)).toThrow(
      /^resample samples must be a Float32Array of mono audio samples \(got an Int16Array of 4 values: 16-bit PCM becomes samples with/,
    );
  });

  // speech kept its own describeValue ('a string', 'an array', 'object'); the engine's shows the value.
  it("other refusals show the value as the engine's describeValue writes it, typed arrays by type and length", () => {
    const message = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        expect(error).toMatchObject({ code: 'E_INPUT_INVALID' });
        return (error as Error).message;
      }
      throw new Error('not refused');
    };
    expect(message(() => resample(new Float32Array(4), '8000' as never, 16000))).toMatch(/\(got "8000"\)/);
    expect(message(() => decodeWav(new Float32Array(4) as never))).toMatch(/got a Float32Array of 4 values\.$/);
    expect(message(() => decodeWav({ riff: true } as never))).toMatch(/got \{"riff":true\}\.$/);
  });

  // The conversion suggested was new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2): an odd
  // length dropped its last byte (every later sample a byte off: noise) and an odd offset threw a RangeError.
  it("the refusal's bytes conversion is right on chunks of odd length at odd offsets (ffmpeg's stdout, a socket)", () => {
    const hint = describeSamples(Buffer.alloc(2));
    expect(hint).toContain(PCM_BYTES_HINT);
    expect(PCM_BYTES_HINT).toContain('new Int16Array(Uint8Array.from(bytes.subarray(0, bytes.length & ~1)).buffer)');
    const pcm = Int16Array.from({ length: 3001 }, (_, i) => ((i * 7919) % 65536) - 32768);
    const all = Buffer.from(pcm.buffer);
    // Chunks cut at odd places, each a view at an odd offset into a larger pool, as a Buffer from a pipe is.
    const cuts = [0, 1, 4098, 4099, 5001, all.length];
    const got: number[] = [];
    let carry = new Uint8Array(0);
    for (let c = 0; c + 1 < cuts.length; c++) {
      const pool = Buffer.alloc(cuts[c + 1]! - cuts[c]! + 3);
      all.copy(pool, 1, cuts[c], cuts[c + 1]);
      const chunk = pool.subarray(1, pool.length - 2);
      // As the hint says: the odd byte left from the last chunk goes first, an odd last byte waits.
      const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      got.push(...new Int16Array(Uint8Array.from(bytes.subarray(0, bytes.length & ~1)).buffer));
      carry = Uint8Array.from(bytes.subarray(bytes.length & ~1));
    }
    expect(carry.length).toBe(0);
    expect(got).toEqual(Array.from(pcm));
  });

  it('a Float32Array from another realm (vm, an iframe) is taken as samples; its Int16Array still gets the hint', () => {
    const foreign = runInNewContext('new Float32Array(512).fill(0.25)') as Float32Array;
    expect(foreign instanceof Float32Array).toBe(false);
    const stream = new StreamingRecognizer(RATE, good);
    expect(stream.push(foreign)).toEqual([]);
    expect(stream.seconds).toBe(512 / RATE);
    expect(resample(foreign, 16000, 8000)).toHaveLength(256);
    expect(decodeAudioSync(foreign, { sampleRate: 16000, targetSampleRate: 8000 }).samples).toHaveLength(256);
    expect(() => stream.push(runInNewContext('new Int16Array(8)') as never)).toThrow(
      /\(got an Int16Array of 8 values: 16-bit PCM becomes samples with Float32Array\.from/,
    );
    // A plain object tagged as one is not taken for it.
    expect(() => stream.push({ [Symbol.toStringTag]: 'Float32Array', length: 4, BYTES_PER_ELEMENT: 4 } as never)).toThrow(
      /Stream chunks must be/,
    );
  });
});
