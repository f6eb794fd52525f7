// docs/speech.md (2d4d1ea): the first one or two recognize calls after load run every step for the first
// time (150-390 ms against 2-5 ms warmed), and a service should recognise a recording or two of its own
// before it takes traffic. The demo's serve said ready as soon as the model loaded, so its first
// requests were those slow calls. Each worker and the in-process model are now warmed up first.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SpeechRecognizer } from '@appliedml/speech';
import { recognizeUpload, warmUpWav } from './recognition';
import { createSpeechService, warmedInProcess } from './server';
import { load } from './speech-worker';
import { quickRecognizer } from './test-model';

let dir = '';
let model: SpeechRecognizer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'speech-warm-'));
  model = await quickRecognizer();
  await model.save(join(dir, 'model'));
}, 120_000);

afterAll(async () => {
  model.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('the speech service warms the model up before it says ready', () => {
  it("warms through a request's whole path: the synthetic recording is decoded and found to hold speech", async () => {
    const answer = await recognizeUpload(model, warmUpWav(model.sampleRate));
    expect(model.labels).toContain(answer.label);
    expect(answer.speech.endSeconds - answer.speech.startSeconds).toBeGreaterThan(0.3);
    expect(answer.mfccPng).toMatch(/^data:image\/png;base64,/);
  });

  it('answers /readyz 503 until the in-process model has recognised two recordings, then 200', async () => {
    const recognize = vi.spyOn(model, 'recognize');
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const real = recognize.getMockImplementation() ?? SpeechRecognizer.prototype.recognize;
    recognize.mockImplementation(async function (this: SpeechRecognizer, ...args: Parameters<SpeechRecognizer['recognize']>) {
      await gate;
      return real.apply(this, args);
    });
    const service = await createSpeechService(warmedInProcess(model, { dispose: false }));
    try {
      const { url } = await service.listen({ port: 0, host: '127.0.0.1' });
      await expect.poll(() => recognize.mock.calls.length).toBe(1);
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
      open();
      await expect.poll(async () => (await fetch(`${url}/readyz`)).status).toBe(200);
      expect(recognize).toHaveBeenCalledTimes(2);
    } finally {
      recognize.mockRestore();
      await service.close();
    }
  });

  it("a worker's load resolves (and the pool says ready) only after two recognitions", async () => {
    const recognize = vi.spyOn(SpeechRecognizer.prototype, 'recognize');
    try {
      const worker = await load(join(dir, 'model'));
      expect(recognize).toHaveBeenCalledTimes(2);
      await expect(recognize.mock.results[1]!.value).resolves.toMatchObject({ label: expect.any(String) as unknown });
      expect(worker.info).toMatchObject({ labels: model.labels });
    } finally {
      recognize.mockRestore();
    }
  });
});
