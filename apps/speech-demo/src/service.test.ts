import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { soak, soakViolations, type Service } from '@appliedml/demo-kit';
import { decodeWav, encodeWav, SPEECH_VERSION, type SequenceRecognition, type SpeechRecognizer } from '@appliedml/speech';
import {
  createSpeechService,
  inProcess,
  MAX_AUDIO_SECONDS,
  MAX_UPLOAD_BYTES,
  speechWorkerPool,
  type RecognizeAnswer,
  type SpeechInference,
} from './server';
import { quickRecognizer, spokenWav } from './test-model';

let model: SpeechRecognizer;
let service: Service;
let base = '';
let release: (inference: SpeechInference) => void = () => undefined;
let closed = false;
let threeWav: Uint8Array;

beforeAll(async () => {
  // The service listens before the model is there, as `serve` does: readiness waits for it.
  const loading = new Promise<SpeechInference>((resolve) => (release = resolve));
  service = await createSpeechService(loading, {
    onClose: () => {
      closed = true;
    },
  });
  ({ url: base } = await service.listen());
  threeWav = spokenWav('three');
});

afterAll(async () => {
  await service?.close(); // disposes the model
  expect(closed).toBe(true);
});

const post = (body: Uint8Array | string, type: string | undefined = 'audio/wav', path = '/recognize'): Promise<Response> =>
  fetch(`${base}${path}`, { method: 'POST', headers: type === undefined ? {} : { 'content-type': type }, body });

const answerOf = async (res: Response): Promise<{ status: number; code: string; text: string }> => {
  const text = await res.text();
  return { status: res.status, code: (JSON.parse(text) as { code: string }).code, text };
};

/** The answer's `message`. */
const messageOf = (answer: { text: string }): string => (JSON.parse(answer.text) as { message: string }).message;

/** PNG width and height from the IHDR chunk of a data URL. */
const pngSize = (dataUrl: string): { width: number; height: number } => {
  const png = Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
};

/** A WAV header (44 bytes) with any format tag, followed by `dataBytes` bytes of a pattern. */
function wavWithFormat(formatTag: number, bitsPerSample: number, dataBytes: number): Uint8Array {
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVEfmt ', 8, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(formatTag, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(8000, 24);
  out.writeUInt32LE((8000 * bitsPerSample) / 8, 28);
  out.writeUInt16LE(bitsPerSample / 8, 32);
  out.writeUInt16LE(bitsPerSample, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 44; i < out.length; i++) out[i] = (i * 37) & 0xff;
  return out;
}

describe('speech service on the demo kit', () => {
  it('is not ready while the model loads, then ready', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const loading = await fetch(`${base}/readyz`);
    expect([loading.status, await loading.json()]).toEqual([503, { status: 'loading' }]);
    const early = await post(threeWav);
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('2');
    expect(((await early.json()) as { code: string }).code).toBe('E_BUSY');
    expect(await (await fetch(`${base}/info`)).json()).toEqual({
      description: 'The model is loading.',
      model: '',
      sdk: `@appliedml/speech ${SPEECH_VERSION}`,
      labels: [],
      sampleRate: 0,
      ready: false,
    });

    model = await quickRecognizer();
    release(inProcess(model, { description: 'tiny CNN on SYNTHETIC digits' }));
    await expect.poll(async () => (await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${base}/info`)).json()).toEqual({
      description: 'tiny CNN on SYNTHETIC digits',
      model: '',
      sdk: `@appliedml/speech ${SPEECH_VERSION}`,
      labels: model.labels,
      sampleRate: model.sampleRate,
      ready: true,
    });
    expect(model.labels).toHaveLength(10);
  });

  it('serves the page, the OpenAPI document and a recognition with the MFCC picture', async () => {
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('<input type="file"');
    expect(page).toContain('href="/docs"');
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/recognize', '/sequence', '/info', '/healthz', '/readyz']));
    const upload = doc.paths['/recognize']?.['post'] as { requestBody: { content: Record<string, unknown> } };
    expect(Object.keys(upload.requestBody.content)).toEqual(['audio/wav', 'audio/x-wav', 'audio/wave', 'application/octet-stream']);
    expect((await fetch(`${base}/docs`)).status).toBe(200);

    // Every upload type answers the same as the model in this process.
    const expected = await model.recognize(threeWav);
    for (const type of ['audio/wav', 'audio/x-wav', 'audio/wave', 'application/octet-stream']) {
      const res = await post(threeWav, type);
      expect(res.status).toBe(200);
      const r = (await res.json()) as RecognizeAnswer;
      expect(r.label).toBe(expected.label);
      expect(r.score).toBeCloseTo(expected.score, 4);
      expect(Object.keys(r.scores).sort()).toEqual([...model.labels].sort());
      expect(r.speech.endSeconds).toBeGreaterThan(r.speech.startSeconds);
      expect(r.durationSeconds).toBeCloseTo(decodeWav(threeWav).durationSeconds, 2);
      expect(r.timing.totalMs).toBeGreaterThan(0);
      expect(r.timing.totalMs).toBeGreaterThanOrEqual(r.timing.decodeMs);
      const size = pngSize(r.mfccPng);
      expect(size.width).toBeGreaterThan(30);
      expect(size.height).toBe(13 * 8);
    }
    // A digit string: two words with pauses → two words.
    const rate = model.sampleRate;
    const gap = new Float32Array(Math.round(0.4 * rate));
    const words = ['one', 'five'].map((w) => decodeWav(spokenWav(w), { targetSampleRate: rate }).samples);
    const joined = Float32Array.from([...gap, ...words[0]!, ...gap, ...words[1]!, ...gap]);
    const seq = await post(encodeWav(joined, rate), 'audio/wav', '/sequence');
    expect(seq.status).toBe(200);
    const s = (await seq.json()) as SequenceRecognition;
    expect(s.words).toHaveLength(2);
    expect(s.text).toHaveLength(2);
    // Its timing too (review R1-4: the response schema dropped it), the decoding of the upload included.
    expect(s.timing.totalMs).toBeGreaterThan(0);
    const sequenceDoc = doc.paths['/sequence']?.['post'] as {
      responses: Record<string, { content: Record<string, { schema: { required: string[] } }> }>;
    };
    expect(sequenceDoc.responses['200']?.content['application/json']?.schema.required).toContain('timing');
    // The same string sent to /recognize is read as one word, and said so with the way to /sequence (it
    // answered one label at 99.5 % and no hint); a one-word recording has no warning (checked above: 'three').
    const asOne = (await (await post(encodeWav(joined, rate))).json()) as RecognizeAnswer;
    expect(asOne.warning).toBe(
      'This recording seems to hold 2 words separated by pauses; /recognize reads it as one word. For a string of words (e.g. digits), send it to POST /sequence.',
    );
    expect(((await (await post(threeWav)).json()) as RecognizeAnswer).warning).toBeUndefined();
    // The page names /sequence on its API line and shows the warning.
    expect(page).toContain('POST /sequence reads several words');
    expect(page).toContain('id="warning"');
  });

  it('answers hostile uploads with typed 4xx, never echoing them, and stays up', async () => {
    // Over the body limit: 413, from Content-Length before the body is read.
    expect(await answerOf(await post(new Uint8Array(MAX_UPLOAD_BYTES + 1)))).toMatchObject({ status: 413, code: 'E_INPUT_TOO_LARGE' });
    // Wrong content types: 415 (JSON is parsed by the kit but is not a file).
    for (const type of ['text/plain', 'audio/mpeg', 'multipart/form-data; boundary=x', 'application/json'])
      expect(await answerOf(await post(type === 'application/json' ? '{"a":1}' : 'abc', type))).toMatchObject({
        status: 415,
        code: 'E_FORMAT_UNSUPPORTED',
      });
    // A body sent without a content type is bytes (HTTP's default, application/octet-stream).
    expect((await post(threeWav, undefined)).status).toBe(200);
    // Bytes that are no WAV, under a WAV type: 415 without the bytes in the answer.
    const marker = 'NOT-A-WAV-<script>alert(1)</script>';
    const junk = await answerOf(await post(marker.repeat(20)));
    expect(junk).toMatchObject({ status: 415, code: 'E_FORMAT_UNSUPPORTED' });
    // One sentence (it ran "not a WAV file this service reads PCM … WAV: send PCM …" together).
    expect(messageOf(junk)).toBe('The upload is not a WAV file; send a PCM (8, 16, 24 or 32-bit) or IEEE float WAV file.');
    expect(junk.text).not.toContain('NOT-A-WAV');
    expect(junk.text).not.toContain('script');
    // Another container's letters (big-endian RIFX): 415, its letters not quoted.
    const rifx = Buffer.from(threeWav);
    rifx.write('RIFX', 0, 'latin1');
    const container = await answerOf(await post(rifx));
    expect(container).toMatchObject({ status: 415, code: 'E_FORMAT_UNSUPPORTED' });
    expect(container.text).not.toContain('RIFX');
    // µ-law WAV: 415 naming the encoding from the service's fixed table, with the conversion (r2 F4: it
    // said 'not a WAV file' of a WAV file telephony sends); an unlisted tag or bit depth is not quoted.
    const mulaw = await answerOf(await post(wavWithFormat(7, 8, 4000)));
    expect(mulaw).toMatchObject({ status: 415, code: 'E_FORMAT_UNSUPPORTED' });
    expect(messageOf(mulaw)).toBe(
      'The WAV file is µ-law-encoded; this service reads PCM (8, 16, 24 or 32-bit) or IEEE float WAV: convert it, e.g. ffmpeg -i in.wav -c:a pcm_s16le out.wav.',
    );
    const odd = await answerOf(await post(wavWithFormat(0x1234, 8, 4000)));
    expect(odd).toMatchObject({ status: 415, code: 'E_FORMAT_UNSUPPORTED' });
    expect(messageOf(odd)).toContain('The WAV file is in an encoding that is not PCM or float;');
    expect(odd.text).not.toMatch(/1234|4660/);
    const bits = await answerOf(await post(wavWithFormat(1, 40, 5000)));
    expect(bits).toMatchObject({ status: 415, code: 'E_FORMAT_UNSUPPORTED' });
    expect(messageOf(bits)).toBe(
      "The WAV file's bit depth is not one this service reads (PCM at 8, 16, 24 or 32 bits, or IEEE float): convert it, e.g. ffmpeg -i in.wav -c:a pcm_s16le out.wav.",
    );
    expect(bits.text).not.toMatch(/40/);
    // A truncated WAV (the header declares more data than is there): 400, sizes not quoted.
    const truncated = await answerOf(await post(threeWav.subarray(0, 1000)));
    expect(truncated).toMatchObject({ status: 400, code: 'E_INPUT_INVALID' });
    expect(truncated.text).not.toMatch(/\d{3,}/);
    // A header cut short, an empty body, a sample rate out of range: 400.
    expect(await answerOf(await post(threeWav.subarray(0, 30)))).toMatchObject({ status: 400, code: 'E_INPUT_INVALID' });
    expect(await answerOf(await post(new Uint8Array(0)))).toMatchObject({ status: 400, code: 'E_INPUT_INVALID' });
    const badRate = Buffer.from(threeWav);
    badRate.writeUInt32LE(123, 24);
    const rate = await answerOf(await post(badRate));
    expect(rate).toMatchObject({ status: 400, code: 'E_INPUT_INVALID' });
    expect(rate.text).not.toContain('123');
    // Silence: 400, no speech found.
    expect(await answerOf(await post(encodeWav(new Float32Array(8000), 8000)))).toMatchObject({ status: 400, code: 'E_INPUT_INVALID' });
    // Longer than the limit (under the body limit): 413 without its length.
    const long = await answerOf(await post(encodeWav(new Float32Array(8000 * (MAX_AUDIO_SECONDS + 5)), 8000)));
    expect(long).toMatchObject({ status: 413, code: 'E_INPUT_TOO_LARGE' });
    expect(long.text).not.toContain(String(MAX_AUDIO_SECONDS + 5));
    expect(messageOf(long)).toBe(`The recording is longer than ${MAX_AUDIO_SECONDS} s; send one word.`);
    // On /sequence, not "send one word" (r2 F5).
    const longSequence = await answerOf(
      await post(encodeWav(new Float32Array(8000 * (MAX_AUDIO_SECONDS + 5)), 8000), 'audio/wav', '/sequence'),
    );
    expect(longSequence).toMatchObject({ status: 413, code: 'E_INPUT_TOO_LARGE' });
    expect(messageOf(longSequence)).toBe(
      `The recording is longer than ${MAX_AUDIO_SECONDS} s; send at most ${MAX_AUDIO_SECONDS} s of digits.`,
    );
    // The same words on /sequence.
    expect(await answerOf(await post(marker, 'audio/wav', '/sequence'))).toMatchObject({ status: 415, code: 'E_FORMAT_UNSUPPORTED' });
    // Unknown routes and traversal-shaped paths: 404, the path not echoed.
    const traversal = await answerOf(await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`));
    expect(traversal).toMatchObject({ status: 404, code: 'E_NOT_FOUND' });
    expect(traversal.text).not.toContain('passwd');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('says what is wrong with an invalid WAV in its own words (review R1-3), still quoting nothing from it', async () => {
    const messageOf = async (body: Uint8Array, path = '/recognize'): Promise<{ status: number; message: string; text: string }> => {
      const res = await post(body, 'audio/wav', path);
      const text = await res.text();
      return { status: res.status, message: (JSON.parse(text) as { message: string }).message, text };
    };
    const generic = 'truncated or malformed, or holds no samples';
    const badRate = Buffer.from(threeWav);
    badRate.writeUInt32LE(123, 24);
    const rate = await messageOf(badRate);
    expect(rate.status).toBe(400);
    expect(rate.message).toContain('sample rate is out of range');
    expect(rate.text).not.toContain('123');
    // A float WAV with a NaN sample at index 100: the index is said, the value is not read back.
    const floatWav = (value: number): Uint8Array => {
      const wav = Buffer.from(encodeWav(new Float32Array(4000).fill(0.1), 8000, '32f'));
      wav.writeFloatLE(value, wav.indexOf('data', 12, 'latin1') + 8 + 100 * 4); // sample 100 (encodeWav refuses NaN)
      return wav;
    };
    const nan = await messageOf(floatWav(Number.NaN));
    expect(nan.status).toBe(400);
    expect(nan.message).toContain('not a number or infinite at sample 100');
    const huge = await messageOf(floatWav(1e30), '/sequence');
    expect(huge.message).toContain('far outside [-1, 1] at sample 100');
    expect(huge.text).not.toMatch(/e\+?30|1000000/);
    // Truncated data: said so, without the declared and present sizes.
    const cut = await messageOf(threeWav.subarray(0, 1000));
    expect(cut.message).toContain('fewer bytes than its header declares');
    expect(cut.text).not.toMatch(/\d{3,}/);
    const noData = await messageOf(threeWav.subarray(0, 36));
    expect(noData.message).toContain('no data chunk');
    for (const answer of [rate, nan, huge, cut, noData]) expect(answer.message).not.toContain(generic);
  });

  it('answers 200 uploads from 8 concurrent clients with no error and bounded memory', async () => {
    const files = [spokenWav('zero', 'm1'), spokenWav('four', 'f2', 60), spokenWav('seven', 'm3', 40), spokenWav('nine', 'f3')];
    const r = await soak(async (i) => {
      const res = await post(files[i % files.length]!);
      const answer = (await res.json()) as RecognizeAnswer;
      return res.status === 200 && !!answer.mfccPng;
    });
    console.info(r.summary);
    expect(soakViolations(r)).toEqual([]);
  });

  it('bounds in-process recognitions (--workers 0) as the pool does: 503 E_BUSY with a retry hint when the queue is full', async () => {
    const inference = inProcess(model, { dispose: false, maxQueue: 1 });
    expect(inference.full).toBe(false);
    const results = await Promise.allSettled([inference.recognize(threeWav), inference.sequence(threeWav), inference.recognize(threeWav)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'E_BUSY', details: { retryAfterSeconds: 1 } });
  });

  it('runs recognition in a worker pool that loads the saved bundle, with the same answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'speech-service-'));
    try {
      await model.save(join(dir, 'bundle'));
      const pool = await speechWorkerPool(join(dir, 'bundle'), { threads: 2 });
      expect([pool.labels, pool.sampleRate]).toEqual([model.labels, model.sampleRate]);
      const pooled = await createSpeechService(pool);
      const { url } = await pooled.listen();
      try {
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
        // /info names the model by its folder, never by its path on the server (any web client reads it).
        const info = await (await fetch(`${url}/info`)).text();
        expect(info).not.toContain(dir);
        expect(info).not.toContain(tmpdir());
        expect(JSON.parse(info)).toMatchObject({
          description: 'bundle, 2 worker threads',
          model: 'bundle',
          sdk: `@appliedml/speech ${SPEECH_VERSION}`,
        });
        expect(inProcess(model, { dispose: false, name: 'speech-digits' })).toMatchObject({
          description: 'speech-digits in the service process',
          model: 'speech-digits',
        });
        const files = ['two', 'six', 'eight', 'one'].map((w, i) => spokenWav(w, i % 2 === 0 ? 'm2' : 'f4'));
        const answers = await Promise.all(
          files.map(async (wav) => {
            const res = await fetch(`${url}/recognize`, { method: 'POST', headers: { 'content-type': 'audio/wav' }, body: wav });
            return { status: res.status, body: (await res.json()) as RecognizeAnswer };
          }),
        );
        for (const [k, a] of answers.entries()) {
          expect(a.status).toBe(200);
          const here = await model.recognize(files[k]!);
          expect(a.body.label).toBe(here.label);
          expect(a.body.score).toBeCloseTo(here.score, 4);
          expect(pngSize(a.body.mfccPng).height).toBe(13 * 8);
        }
        // Typed errors cross the thread with their code and the service's fixed words.
        const junk = await fetch(`${url}/recognize`, { method: 'POST', headers: { 'content-type': 'audio/wav' }, body: 'no wav here' });
        expect([junk.status, ((await junk.json()) as { code: string }).code]).toEqual([415, 'E_FORMAT_UNSUPPORTED']);
        const mulaw = await answerOf(
          await fetch(`${url}/recognize`, { method: 'POST', headers: { 'content-type': 'audio/wav' }, body: wavWithFormat(7, 8, 4000) }),
        );
        expect(mulaw).toMatchObject({ status: 415, code: 'E_FORMAT_UNSUPPORTED' });
        expect(messageOf(mulaw)).toContain('The WAV file is µ-law-encoded;');
      } finally {
        await pooled.close(); // ends the workers
      }
      expect(pool.isReady).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
