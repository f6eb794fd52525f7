import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpeechRecognizer } from './speech-recognizer';
import { SYNTH_RATE, TINY_CONFIG, errorOf, rejectionOf, synthSet, synthWord } from './test-helpers';
import { decodeWav, encodeWav, readAudio } from './wav';

// Found by reviewer r2 (session 25) embedding the SDK in a service.
let model: SpeechRecognizer;
beforeAll(async () => {
  model = SpeechRecognizer.create(TINY_CONFIG);
  await model.train(synthSet(2));
});
afterAll(() => model.dispose());

describe('recognizeSequence minScore', () => {
  it('refuses NaN, a string, 2, -1 and Infinity with E_INPUT_INVALID naming minScore, as a stream does', async () => {
    const audio = synthWord('up', 3);
    for (const minScore of [Number.NaN, '0.9', 2, -1, Number.POSITIVE_INFINITY]) {
      const e = await rejectionOf(() => model.recognizeSequence(audio, { sampleRate: SYNTH_RATE, minScore: minScore as never }));
      expect(e.code, String(minScore)).toBe('E_INPUT_INVALID');
      expect(e.message).toContain('minScore');
    }
  });

  it('still takes 0, 1 and undefined', async () => {
    const audio = synthWord('up', 3);
    for (const minScore of [0, 1, undefined]) {
      const seq = await model.recognizeSequence(audio, { sampleRate: SYNTH_RATE, minScore });
      expect(Array.isArray(seq.words)).toBe(true);
    }
  });
});

describe('encodeWav bitDepth given as a number', () => {
  it('says the number is the slip and names the string to pass', () => {
    const x = synthWord('down', 1);
    for (const depth of [8, 16, 24, 32]) {
      const e = errorOf(() => encodeWav(x, SYNTH_RATE, depth as never));
      expect(e.code).toBe('E_INPUT_INVALID');
      expect(e.message).toContain(`got the number ${depth}; pass the string '${depth}'`);
    }
    // Another number gets no string to pass, only the list; the strings still work.
    expect(errorOf(() => encodeWav(x, SYNTH_RATE, 12 as never)).message).not.toContain('pass the string');
    expect(decodeWav(encodeWav(x, SYNTH_RATE, '16')).samples.length).toBe(x.length);
  });

  it('channels copies the mono signal into each channel (documented): decoded back, the same length', () => {
    const x = synthWord('down', 1);
    const stereo = decodeWav(encodeWav(x, SYNTH_RATE, '16', 2));
    expect(stereo.source.channels).toBe(2);
    expect(stereo.samples.length).toBe(x.length);
  });
});

describe('recognize with WAV input and a sampleRate (r2 F10)', () => {
  it('refuses a sampleRate that disagrees with the header, for bytes and a path; an agreeing one still works', async () => {
    const wav = encodeWav(synthWord('up', 4), SYNTH_RATE);
    const dir = await mkdtemp(join(tmpdir(), 'speech-r2-'));
    try {
      const path = join(dir, 'up.wav');
      await writeFile(path, wav);
      for (const input of [wav, path]) {
        const e = await rejectionOf(() => model.recognize(input, { sampleRate: 16000 }));
        expect(e.code).toBe('E_INPUT_INVALID');
        expect(e.message).toContain("sampleRate 16000 disagrees with the WAV header's 8000 Hz");
        expect(e.details?.reason).toBe('sample-rate-mismatch');
        expect((await model.recognize(input, { sampleRate: SYNTH_RATE })).label).toBe((await model.recognize(input)).label);
      }
      expect(await rejectionOf(() => readAudio(wav, { sampleRate: 16000 }))).toMatchObject({ code: 'E_INPUT_INVALID' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a training example given where audio goes (r2 F11)', () => {
  it('is described by kind with the field to pass, not its samples as an object of indices', async () => {
    const example = { audio: synthWord('up', 5), label: 'up', sampleRate: SYNTH_RATE };
    const e = await rejectionOf(() => model.recognize(example as never));
    expect(e.code).toBe('E_INPUT_INVALID');
    expect(e.message).toContain('an object with fields "audio", "label", "sampleRate", its audio a Float32Array of');
    expect(e.message).toContain('pass example.audio, with { sampleRate: example.sampleRate }');
    expect(e.message).not.toContain('"0"');
    // Another object holding samples: by kind and fields, no samples.
    const other = await rejectionOf(() => model.recognize({ samples: new Float32Array(4000) } as never));
    expect(other.message).toContain('got an object with fields "samples")');
  });
});
