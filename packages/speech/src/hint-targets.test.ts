import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractFeatures } from './features';
import { SpeechRecognizer } from './speech-recognizer';
import { StreamingRecognizer } from './streaming';
import { TINY_CONFIG, SYNTH_RATE, rejectionOf, synthSet } from './test-helpers';
import { decodeAudioSync, decodeWav, encodeWav, readAudio, readAudioChunks } from './wav';

// Hints that named an input the call they came from (or the one they named) refuses: a stream's push
// given a URL said "pass a file path" (push takes samples only); audio over a recognizer's maxSeconds said
// "or raise maxSeconds" (no call of a recognizer has that option, a loaded one's is its bundle's) and sent
// samples and bytes to readAudioChunks (files only), which sent bytes back to decodeWav, which refused
// them as too long; decodeWav given 16-bit PCM pointed at samples, which it refuses; decodeAudioSync said
// "Audio must be a file path", which it does not read; a newer bundle's reason named its path twice.
// Each hint is followed here, and what it names takes the input.

let root: string;
let bundle: string;
let created: SpeechRecognizer;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'speech-hint-targets-'));
  created = SpeechRecognizer.create({ ...TINY_CONFIG, maxSeconds: 2 });
  await created.train(synthSet(2));
  bundle = join(root, 'bundle');
  await created.save(bundle);
});
afterAll(() => {
  created.dispose();
  rmSync(root, { recursive: true, force: true });
});

const long = (): Float32Array => Float32Array.from({ length: 3 * SYNTH_RATE }, (_, i) => 0.3 * Math.sin(i / 3));

describe('a stream given a URL', () => {
  it('points at readAudioChunks and push, which take what the URL names', async () => {
    const stream = new StreamingRecognizer(8000, () => ({ probs: Float32Array.from([1]), labels: ['a'] }));
    const path = join(root, 'word.wav');
    writeFileSync(path, encodeWav(long(), SYNTH_RATE));
    const url = pathToFileURL(path);
    const e = await rejectionOf(() => stream.push(url as never));
    expect(e.message).toBe(
      `Stream chunks must be Float32Array samples in [-1, 1] (got a URL object, "${url.href}": a stream takes samples: read the file in chunks with readAudioChunks(fileURLToPath(url)) and push each (fileURLToPath from 'node:url')).`,
    );
    expect(e.message).not.toContain('pass a file path');
    // What it names works.
    for await (const chunk of await readAudioChunks(path)) expect(() => stream.push(chunk)).not.toThrow();
    expect((await rejectionOf(() => stream.push(new URL('https://example.com/a.wav') as never))).message).toContain(
      'a stream takes samples: download it to a file, read that in chunks with readAudioChunks(path) and push each',
    );
  });

  it('a samples helper given a URL points at readAudio, not at a path it refuses', async () => {
    const e = await rejectionOf(() => extractFeatures(pathToFileURL('/data/a.wav') as never));
    expect(e.message).toContain("this takes samples: (await readAudio(fileURLToPath(url))).samples (fileURLToPath from 'node:url')");
    expect(e.message).not.toContain('pass a file path');
  });
});

describe('audio over a recognizer’s maxSeconds', () => {
  it('a created one: a stream or a create with a larger maxSeconds, never "raise maxSeconds"', async () => {
    const e = await rejectionOf(() => created.predict(long(), { sampleRate: SYNTH_RATE }));
    expect(e.code).toBe('E_INPUT_TOO_LARGE');
    expect(e.message).toBe(
      "audio samples is 3.0 s long; the limit is 2 s (this recognizer's maxSeconds). Push longer audio to a stream (recognizer.createStream()), a file's read in chunks with readAudioChunks, or create the recognizer with a larger maxSeconds (SpeechRecognizer.create({ maxSeconds: 3 })).",
    );
    expect(e.details).toMatchObject({ seconds: 3, maxSeconds: 2 });
    // What it names takes the audio.
    const bigger = SpeechRecognizer.create({ ...TINY_CONFIG, maxSeconds: 3 });
    await bigger.train(synthSet(2));
    await expect(bigger.predict(long(), { sampleRate: SYNTH_RATE })).resolves.toBeDefined();
    bigger.dispose();
    const stream = created.createStream({ sampleRate: SYNTH_RATE });
    expect(() => stream.push(long())).not.toThrow();
    stream.flush();
  });

  it('a loaded one: a stream, and that its maxSeconds is its bundle’s', async () => {
    const loaded = await SpeechRecognizer.load(bundle);
    const path = join(root, 'long.wav');
    writeFileSync(path, encodeWav(long(), SYNTH_RATE));
    const e = await rejectionOf(() => loaded.predict(path));
    expect(e.code).toBe('E_INPUT_TOO_LARGE');
    expect(e.message).toBe(
      `${path} is 3.0 s long; the limit is 2 s (this recognizer's maxSeconds). Push longer audio to a stream (recognizer.createStream()), a file's read in chunks with readAudioChunks (a loaded recognizer keeps the maxSeconds its bundle was saved with).`,
    );
    expect(e.message).not.toMatch(/raise maxSeconds/);
    loaded.dispose();
  });

  it('a training example: cut it, or a create with a larger maxSeconds', async () => {
    const model = SpeechRecognizer.create({ ...TINY_CONFIG, maxSeconds: 2 });
    const e = await rejectionOf(() => model.train([...synthSet(2), { audio: long(), label: 'up', sampleRate: SYNTH_RATE }]));
    expect(e.code).toBe('E_INPUT_TOO_LARGE');
    expect(e.message).toMatch(
      /^Training example 6: audio samples is 3\.0 s long; the limit is 2 s \(this recognizer's maxSeconds\)\. Cut the example to the word it holds, or create the recognizer with a larger maxSeconds \(SpeechRecognizer\.create\(\{ maxSeconds: 3 \}\)\)\.$/,
    );
    model.dispose();
  });
});

describe('audio over readAudio’s and decodeWav’s maxSeconds', () => {
  const seconds = 601;
  const samples = (): Float32Array => new Float32Array(seconds * 1000);

  it('samples: a stream or a larger maxSeconds (not readAudioChunks, which reads files)', async () => {
    for (const e of [
      await rejectionOf(() => readAudio(samples(), { sampleRate: 1000 })),
      await rejectionOf(() => decodeAudioSync(samples(), { sampleRate: 1000 })),
    ]) {
      expect(e.code).toBe('E_INPUT_TOO_LARGE');
      expect(e.message).toBe(
        'audio samples is 601.0 s long; the limit is 600 s (maxSeconds). Push longer samples to a stream (recognizer.createStream()), or raise maxSeconds (to 601 or more).',
      );
    }
    await expect(readAudio(samples(), { sampleRate: 1000, maxSeconds: 601 })).resolves.toBeDefined();
  });

  it('bytes: readAudioChunks on a file of them, or decodeWav with the maxSeconds readAudioChunks names', async () => {
    const bytes = encodeWav(samples(), 1000);
    const e = await rejectionOf(() => decodeWav(bytes));
    expect(e.message).toBe(
      'WAV input is 601.0 s long; the limit is 600 s (maxSeconds). Save the bytes as a file and read it in chunks with readAudioChunks, or raise maxSeconds (to 601 or more) and push the samples to a stream (recognizer.createStream()).',
    );
    const chunks = await rejectionOf(() => readAudioChunks(bytes as never));
    expect(chunks.message).toBe(
      `readAudioChunks takes the path of a WAV file, not its bytes (${bytes.length} bytes given): decode bytes in memory with decodeWav(bytes, { maxSeconds: 601 }).`,
    );
    expect((await rejectionOf(() => readAudioChunks(bytes.buffer as never))).message).toContain(
      'decode them in memory with decodeWav(new Uint8Array(buffer), { maxSeconds: 601 }).',
    );
    expect(decodeWav(bytes, { maxSeconds: 601 }).durationSeconds).toBe(601);
  });
});

describe('the in-memory decoders given what they do not take', () => {
  it('decodeWav given 16-bit PCM says it needs no decoding', async () => {
    const e = await rejectionOf(() => decodeWav(new Int16Array(4) as never));
    expect(e.message).toBe(
      'WAV input: WAV input must be bytes (a Uint8Array or Buffer), got an Int16Array of 4 values: 16-bit PCM needs no decoding, its samples are Float32Array.from(pcm, (v) => v / 32768).',
    );
  });

  it('decodeAudioSync given a path sends it to readAudio', async () => {
    const e = await rejectionOf(() => decodeAudioSync('call.wav' as never));
    expect(e.message).toBe(
      'decodeAudioSync takes WAV bytes (a Uint8Array or Buffer) or a Float32Array of samples; a file path goes to readAudio (got "call.wav").',
    );
  });
});

describe('a newer bundle this version cannot read', () => {
  it('names its path once', async () => {
    const dir = join(root, 'newer');
    cpSync(bundle, dir, { recursive: true });
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    delete m.manifestSha256;
    m.packageVersion = '9.1.0';
    m.config = { ...(m.config ?? {}), ensemble: 3 };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    const e = await rejectionOf(() => SpeechRecognizer.load(dir));
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message.split(dir).length - 1).toBe(1);
    expect(e.message).toContain('which cannot read it (it does not hold the networks it describes).');
    m.config.ensemble = 1;
    m.preprocessing.labels = ['one'];
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    const p = await rejectionOf(() => SpeechRecognizer.load(dir));
    expect(p.message.split(dir).length - 1).toBe(1);
    expect(p.message).toContain('(it has no usable speech preprocessing)');
  });
});
