import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { soak, soakViolations, type Service } from '@appliedml/demo-kit';
import { resolveDataset } from '@appliedml/engine';
import {
  DICOM_SAMPLES_DATASET,
  grayToPng,
  MEDICAL_IMAGING_VERSION,
  readMedicalImage,
  type ImageClassifier,
} from '@appliedml/medical-imaging';
import { createMedicalService, inProcess, MAX_BODY_BYTES, medicalWorkerPool, type MedicalInference, type PredictAnswer } from './server';
import { gray16Png, grayTiff, phantomPng, pngSize, quickClassifier } from './test-model';

let classifier: ImageClassifier;
let service: Service;
let base = '';
let release: (inference: MedicalInference) => void = () => undefined;
let disposed = false;
let lesionPng: Uint8Array;

beforeAll(async () => {
  // The service listens before the model is there, as `serve` does: readiness waits for it.
  const loading = new Promise<MedicalInference>((resolve) => (release = resolve));
  service = await createMedicalService(loading, {
    onClose: () => {
      disposed = true;
    },
  });
  ({ url: base } = await service.listen());
  lesionPng = await phantomPng(true);
});

afterAll(async () => {
  await service?.close();
  expect(disposed).toBe(true);
});

const post = (body: Uint8Array | string, type = 'image/png'): Promise<Response> =>
  fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': type }, body });

/** A Part 10 DICOM file (explicit VR little endian) of a 2 × 2 image in Float Pixel Data (7FE0,0008). */
function floatPixelDicom(): Uint8Array {
  const element = (group: number, el: number, vr: string, value: Buffer): Buffer => {
    const long = vr === 'OF' || vr === 'OB';
    const head = Buffer.alloc(long ? 12 : 8);
    head.writeUInt16LE(group, 0);
    head.writeUInt16LE(el, 2);
    head.write(vr, 4, 'latin1');
    if (long) head.writeUInt32LE(value.length, 8);
    else head.writeUInt16LE(value.length, 6);
    return Buffer.concat([head, value]);
  };
  const us = (v: number): Buffer => Buffer.from([v & 0xff, v >> 8]);
  const meta = element(0x0002, 0x0010, 'UI', Buffer.from('1.2.840.10008.1.2.1\0', 'latin1'));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(meta.length);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM'),
    element(0x0002, 0x0000, 'UL', length),
    meta,
    element(0x0028, 0x0002, 'US', us(1)),
    element(0x0028, 0x0004, 'CS', Buffer.from('MONOCHROME2 ')),
    element(0x0028, 0x0010, 'US', us(2)),
    element(0x0028, 0x0011, 'US', us(2)),
    element(0x0028, 0x0100, 'US', us(32)),
    element(0x7fe0, 0x0008, 'OF', Buffer.alloc(16)),
  ]);
}

const answerOf = async (res: Response): Promise<{ status: number; code: string; text: string }> => {
  const text = await res.text();
  return { status: res.status, code: (JSON.parse(text) as { code: string }).code, text };
};

describe('medical imaging service on the demo kit', () => {
  it('is not ready while the model loads, then ready', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const loading = await fetch(`${base}/readyz`);
    expect([loading.status, await loading.json()]).toEqual([503, { status: 'loading' }]);
    const early = await post(lesionPng);
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('2');
    expect(((await early.json()) as { code: string }).code).toBe('E_BUSY');
    expect(await (await fetch(`${base}/info`)).json()).toMatchObject({ ready: false, labels: [] });

    classifier = await quickClassifier();
    release(inProcess({ classifier, description: 'phantom classifier (SYNTHETIC)' }));
    await expect.poll(async () => (await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${base}/info`)).json()).toEqual({
      description: 'phantom classifier (SYNTHETIC)',
      // The model given, with what it says it was trained on (no bundle folder to name): R1-5, session 27, it said none.
      models: [{ task: 'classifier', name: '', trainedOn: expect.stringMatching(/^trained on SYNTHETIC phantoms .*say nothing medical$/) }],
      sdk: `@appliedml/medical-imaging ${MEDICAL_IMAGING_VERSION}`,
      labels: ['clear', 'lesion'],
      segmenter: false,
      ready: true,
    });
  });

  it('serves the page, the OpenAPI document and a prediction with the Grad-CAM overlay', async () => {
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('<input type="file"');
    expect(page).toContain('href="/docs"');
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as {
      paths: Record<string, { post?: { requestBody?: { content: Record<string, unknown> } } }>;
    };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/', '/info', '/predict', '/healthz', '/readyz']));
    expect(Object.keys(doc.paths['/predict']?.post?.requestBody?.content ?? {})).toEqual(
      expect.arrayContaining(['application/dicom', 'image/png', 'application/octet-stream']),
    );

    const res = await post(lesionPng);
    expect(res.status).toBe(200);
    const r = (await res.json()) as PredictAnswer;
    expect(r).toMatchObject({ format: 'png', width: 128, height: 128, bitDepth: 8 });
    expect(['clear', 'lesion']).toContain(r.classification?.label);
    expect(r.classification!.probabilities['clear']! + r.classification!.probabilities['lesion']!).toBeCloseTo(1, 4);
    expect(pngSize(Buffer.from(r.heatmapPng!, 'base64'))).toEqual({ width: 256, height: 256 });
    expect(pngSize(Buffer.from(r.imagePng, 'base64'))).toEqual({ width: 256, height: 256 });
    expect(r.dicom).toBeUndefined();
    expect(r.segmentation).toBeUndefined();
  });

  it('answers an image unlike the training images with the prediction and a warning that says why', async () => {
    const flat = await grayToPng({ width: 64, height: 64, data: new Float32Array(64 * 64).fill(0.5) });
    const dot = await grayToPng({ width: 1, height: 1, data: new Float32Array([0.3]) }, { width: 1 });
    const strip = await grayToPng(
      { width: 200, height: 20, data: Float32Array.from({ length: 4000 }, (_, i) => (i % 7) / 7) },
      { width: 200 },
    );
    for (const [png, reason] of [
      [flat, 'every pixel has the same value'],
      [dot, 'smaller than 16 on a side'],
      [strip, 'more than 4:1'],
    ] as const) {
      const res = await post(png);
      expect(res.status).toBe(200);
      const r = (await res.json()) as PredictAnswer;
      expect(['clear', 'lesion']).toContain(r.classification?.label);
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings![0]).toContain(reason);
    }
    // A phantom like the training images: no warning.
    expect(((await (await post(lesionPng)).json()) as PredictAnswer).warnings).toBeUndefined();
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('id="warning"');
  });

  it('shows a DICOM file’s technical tags and never a patient identifier', async () => {
    const data = await resolveDataset(DICOM_SAMPLES_DATASET);
    const res = await post(await readFile(join(data.root, 'CT_small.dcm')), 'application/dicom');
    expect(res.status).toBe(200);
    const r = (await res.json()) as PredictAnswer;
    expect(r.format).toBe('dicom');
    expect(r.dicom?.tags.map((t) => t.name)).toContain('Modality');
    expect(r.dicom?.modality).toBe('CT');
    expect(JSON.stringify(r)).not.toMatch(/Patient's Name|PatientName|Patient ID|Birth/i);
  });

  it('takes ?voi=minmax for a 12-bit X-ray stored in a 16-bit PNG (it was always read dark, only warned)', async () => {
    const deep = gray16Png(64, 64, (x, y) => (x * 64 + y) & 0xfff);
    const dark = (await (await post(deep)).json()) as PredictAnswer;
    expect(dark.voi).toBe('auto');
    expect(dark.warnings?.[0]).toMatch(/nearly black; a 12-bit image stored in 16 bits reads so: voi=minmax stretches it/);
    const res = await fetch(`${base}/predict?voi=minmax`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: deep });
    expect(res.status).toBe(200);
    const stretched = (await res.json()) as PredictAnswer;
    expect(stretched).toMatchObject({ format: 'png', bitDepth: 16, voi: 'minmax' });
    expect(stretched.warnings).toBeUndefined();
    expect(stretched.imagePng).not.toBe(dark.imagePng);
    // Validated: another value, a parameter given twice, or an unknown parameter is a typed 400, never echoed.
    for (const query of ['voi=bogus<b>', 'voi=minmax&voi=auto', 'colour=bogus<b>', 'voi=MINMAX'])
      expect(
        await answerOf(await fetch(`${base}/predict?${query}`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: deep })),
      ).toMatchObject({ status: 400, code: 'E_INPUT_INVALID', text: expect.not.stringContaining('bogus') as unknown });
    // Documented in the route's schema and on the page.
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as {
      paths: Record<string, { post?: { parameters?: { name: string; in: string }[] } }>;
    };
    expect(doc.paths['/predict']?.post?.parameters?.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(['voi', 'frame']);
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('<select id="voi">');
    expect(page).toContain('<input type="number" id="frame"');
  });

  // ff18757: a TIFF stack's pages are frames; the answer did not say which page of how many was analysed
  // (only a DICOM's), and a signed 16-bit TIFF of 12-bit values read flat grey with no warning.
  it('says which page of a TIFF stack it analysed and warns that voi=minmax stretches a signed 16-bit one', async () => {
    const n = 64 * 64;
    const page = (k: number) => ({
      width: 64,
      height: 64,
      samples: Int16Array.from({ length: n }, (_, i) => ((i + k * 500) % 2000) - 1000),
    });
    const postTiff = (query: string): Promise<Response> =>
      fetch(`${base}/predict${query}`, { method: 'POST', headers: { 'content-type': 'image/tiff' }, body: grayTiff(page(0), page(1)) });
    const res = await postTiff('?frame=1');
    expect(res.status).toBe(200);
    const second = (await res.json()) as PredictAnswer;
    expect(second).toMatchObject({ format: 'tiff', bitDepth: 16, frames: 2, frame: 1, voi: 'auto' });
    expect(second.warnings?.[0]).toMatch(/signed 16-bit range, which reads as nearly flat grey: voi=minmax stretches it/);
    const stretched = (await (await postTiff('?frame=1&voi=minmax')).json()) as PredictAnswer;
    expect(stretched.warnings).toBeUndefined();
    const png = (await (await post(gray16Png(64, 64, (x, y) => x * 900 + y))).json()) as PredictAnswer;
    expect([png.frames, png.frame]).toEqual([1, 0]);
    const past = await postTiff('?frame=2');
    expect(past.status).toBe(400);
    expect(await past.json()).toMatchObject({ message: 'frame 2 is out of range: this TIFF file has 2 pages, numbered 0 to 1.' });
  });

  it('says which frame of a multi-frame DICOM it analysed, takes ?frame=N, and refuses a frame past the last', async () => {
    const mri = await readFile(join((await resolveDataset(DICOM_SAMPLES_DATASET)).root, 'emri_small.dcm'));
    const postMri = (query: string): Promise<Response> =>
      fetch(`${base}/predict${query}`, { method: 'POST', headers: { 'content-type': 'application/dicom' }, body: mri });
    const first = (await (await postMri('')).json()) as PredictAnswer;
    expect(first.dicom).toMatchObject({ frames: 10, frame: 0, modality: 'MR' });
    const res = await postMri('?frame=3');
    expect(res.status).toBe(200);
    const fourth = (await res.json()) as PredictAnswer;
    expect(fourth.dicom).toMatchObject({ frames: 10, frame: 3 });
    expect(fourth.imagePng).not.toBe(first.imagePng);
    const here = await classifier.predict((await readMedicalImage(mri, { frame: 3 })).image);
    expect(fourth.classification?.score).toBeCloseTo(here.score, 4);
    // Past the last frame: 400 naming the count (the reader's words would have been 'corrupt').
    const past = await answerOf(await postMri('?frame=10'));
    expect(past).toMatchObject({ status: 400, code: 'E_INPUT_INVALID' });
    expect(JSON.parse(past.text)).toMatchObject({ message: 'frame 10 is out of range: this DICOM file has 10 frames, numbered 0 to 9.' });
    for (const query of ['?frame=-1', '?frame=1.5', '?frame=x', '?frame=', '?frame=1&frame=2', '?frame=99999999999999999'])
      expect(await answerOf(await postMri(query))).toMatchObject({ status: 400, code: 'E_INPUT_INVALID' });
    // A PNG holds one image: a frame asked of it is a 400 saying so.
    const png = await answerOf(
      await fetch(`${base}/predict?frame=1`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: lesionPng }),
    );
    expect(png).toMatchObject({ status: 400, code: 'E_INPUT_INVALID' });
    expect(JSON.parse(png.text)).toMatchObject({
      message: expect.stringContaining('this upload is a PNG image with one frame') as unknown,
    });
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain("' of ' + r.dicom.frames + ' analysed (numbered from 0)");
  });

  it('answers hostile uploads with typed 4xx, never echoing them, and stays up', async () => {
    // Over the body limit: 413, from Content-Length before the body is read.
    expect(await answerOf(await post(new Uint8Array(MAX_BODY_BYTES + 1)))).toMatchObject({ status: 413, code: 'E_INPUT_TOO_LARGE' });
    // Wrong content types: 415 (JSON is parsed by the kit but is not a file).
    for (const type of ['text/plain', 'image/gif', 'multipart/form-data; boundary=x', 'application/json'])
      expect(await answerOf(await post(type === 'application/json' ? '{"a":1}' : 'abc', type))).toMatchObject({
        status: 415,
        code: 'E_FORMAT_UNSUPPORTED',
      });
    // Bytes that are no image, under an image type: a typed 4xx without the bytes in the answer.
    const marker = 'NOT-AN-IMAGE-<script>alert(1)</script>';
    const junk = await answerOf(await post(marker.repeat(20)));
    expect(junk).toMatchObject({ status: 415, code: 'E_FORMAT_UNSUPPORTED' });
    expect(junk.text).not.toContain('NOT-AN-IMAGE');
    expect(junk.text).not.toContain('script');
    // A truncated PNG and a truncated DICOM: 400, in fixed words.
    const truncated = await answerOf(await post(lesionPng.subarray(0, 60)));
    expect(truncated).toMatchObject({ status: 400, code: 'E_INPUT_INVALID' });
    const data = await resolveDataset(DICOM_SAMPLES_DATASET);
    const broken = await answerOf(await post(await readFile(join(data.root, 'MR_truncated.dcm')), 'application/dicom'));
    expect(broken).toMatchObject({ status: 400, code: 'E_INPUT_INVALID' });
    expect(await answerOf(await post(new Uint8Array(0)))).toMatchObject({ status: 400, code: 'E_INPUT_INVALID' });
    // A DICOM file the reader does not decode (Float Pixel Data, a parametric map's): 415, and the answer
    // does not say the upload is no DICOM (it said "corrupt, truncated or empty", a 400).
    const float = await answerOf(await post(floatPixelDicom(), 'application/dicom'));
    expect(float).toMatchObject({ status: 415, code: 'E_FORMAT_UNSUPPORTED' });
    expect(JSON.parse(float.text)).toMatchObject({
      message:
        'The upload is not an image this service reads (DICOM, PNG, JPEG or TIFF), or holds an image in an encoding it does not decode.',
    });
    // A PNG header declaring 100,000 × 100,000 pixels: 413 from the header, fast, without its size in the answer.
    const bomb = Buffer.from('89504e470d0a1a0a0000000d49484452000186a0000186a00800000000', 'hex');
    const started = performance.now();
    const big = await answerOf(await post(bomb));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(big).toMatchObject({ status: 413, code: 'E_INPUT_TOO_LARGE' });
    expect(big.text).not.toContain('100000');
    // Unknown routes and traversal-shaped paths: 404, the path not echoed.
    const traversal = await answerOf(await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`));
    expect(traversal).toMatchObject({ status: 404, code: 'E_NOT_FOUND' });
    expect(traversal.text).not.toContain('passwd');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('holds at most 256 MiB of uploads at once: a fifth 64 MiB upload is 503 E_BUSY before its body is read', async () => {
    const { port } = new URL(base);
    const head = `POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nContent-Length: ${MAX_BODY_BYTES}\r\n\r\n`;
    const open = (): { destroy: () => void; answer: Promise<string> } => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write(head + 'x'.repeat(100)));
      const answer = new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (d) => {
          text += String(d);
          if (text.includes('}')) socket.destroy();
        });
        socket.on('close', () => resolve(text));
        socket.on('error', () => resolve(text));
      });
      return { destroy: () => socket.destroy(), answer };
    };
    // Four uploads of the largest size arriving slowly: 256 MiB announced.
    const arriving = [open(), open(), open(), open()];
    await expect.poll(() => service.heldBodyBytes).toBe(4 * MAX_BODY_BYTES);
    const fifth = await open().answer;
    expect(fifth).toMatch(/^HTTP\/1\.1 503 /);
    expect(fifth.toLowerCase()).toContain('retry-after: 1');
    expect(fifth).toContain('"code":"E_BUSY"');
    for (const a of arriving) a.destroy();
    await expect.poll(() => service.heldBodyBytes).toBe(0);
    expect((await post(lesionPng)).status).toBe(200);
  });

  it('answers 200 uploads from 8 concurrent clients with no error and bounded memory', async () => {
    const files = await Promise.all([phantomPng(true, 64, 1), phantomPng(false, 64, 2), phantomPng(true, 96, 3), phantomPng(false, 96, 4)]);
    const r = await soak(async (i) => {
      const res = await post(files[i % files.length]!);
      const answer = (await res.json()) as PredictAnswer;
      return res.status === 200 && !!answer.heatmapPng;
    });
    console.info(r.summary);
    expect(soakViolations(r)).toEqual([]);
  });

  it('bounds in-process analyses (--workers 0) as the pool does: 503 E_BUSY with a retry hint when the queue is full', async () => {
    const inference = inProcess({ classifier, description: 'phantom classifier (SYNTHETIC)' }, { dispose: false, maxQueue: 1 });
    const png = await phantomPng(true, 64, 5);
    expect(inference.full).toBe(false);
    const results = await Promise.allSettled([inference.analyse(png), inference.analyse(png), inference.analyse(png)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'E_BUSY', details: { retryAfterSeconds: 1 } });
  });

  it('runs the analyses in a worker pool that loads the saved bundle, with the same answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medical-service-'));
    try {
      await classifier.save(join(dir, 'bundle'));
      const pool = await medicalWorkerPool(join(dir, 'bundle'), { threads: 2 });
      expect(pool.labels).toEqual(['clear', 'lesion']);
      // What the bundle says it was trained on, on the page: the phantoms, whose answers say nothing medical.
      expect(pool.description).toMatch(
        /\(labels clear, lesion; trained on SYNTHETIC phantoms .*: generated images, its answers say nothing medical\)/,
      );
      const pooled = await createMedicalService(pool);
      const { url } = await pooled.listen();
      try {
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
        // /info names the model by its folder, never by its path on the server (any web client reads it).
        const info = await (await fetch(`${url}/info`)).text();
        expect(info).not.toContain(dir);
        expect(info).not.toContain(tmpdir());
        expect(JSON.parse(info)).toMatchObject({
          description: expect.stringMatching(
            /^classifier bundle \(labels clear, lesion; trained on SYNTHETIC phantoms .*\), 2 worker threads$/,
          ),
          models: [{ task: 'classifier', name: 'bundle', trainedOn: expect.stringMatching(/^trained on SYNTHETIC phantoms /) }],
          sdk: `@appliedml/medical-imaging ${MEDICAL_IMAGING_VERSION}`,
          ready: true,
        });
        const files = await Promise.all([1, 2, 3, 4, 5, 6].map((seed) => phantomPng(seed % 2 === 0, 64, seed)));
        const answers = await Promise.all(
          files.map(async (png) => {
            const res = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
            return { status: res.status, body: (await res.json()) as PredictAnswer };
          }),
        );
        for (const [k, a] of answers.entries()) {
          expect(a.status).toBe(200);
          const here = await classifier.predict((await readMedicalImage(files[k]!)).image);
          expect(a.body.classification?.label).toBe(here.label);
          expect(a.body.classification?.score).toBeCloseTo(here.score, 4);
          expect(pngSize(Buffer.from(a.body.heatmapPng!, 'base64'))?.width).toBe(256);
        }
        // The query's options cross the thread: a DICOM frame, stretched.
        const mri = await readFile(join((await resolveDataset(DICOM_SAMPLES_DATASET)).root, 'emri_small.dcm'));
        const framed = await fetch(`${url}/predict?frame=2&voi=minmax`, {
          method: 'POST',
          headers: { 'content-type': 'application/dicom' },
          body: mri,
        });
        expect(framed.status).toBe(200);
        const f = (await framed.json()) as PredictAnswer;
        expect([f.voi, f.dicom?.frame, f.dicom?.frames]).toEqual(['minmax', 2, 10]);
        const direct = await classifier.predict((await readMedicalImage(mri, { frame: 2, voi: 'minmax' })).image);
        expect(f.classification?.score).toBeCloseTo(direct.score, 4);
        // Typed errors cross the thread with their code and the service's fixed words.
        const junk = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: 'no image here' });
        expect([junk.status, ((await junk.json()) as { code: string }).code]).toEqual([415, 'E_FORMAT_UNSUPPORTED']);
      } finally {
        await pooled.close(); // ends the workers
      }
      expect(pool.isReady).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
