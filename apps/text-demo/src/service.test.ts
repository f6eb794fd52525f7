import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { soak, soakViolations, type Service } from '@appliedml/demo-kit';
import { TextClassifier } from '@appliedml/text';
import { answerFor, explainedPart, MAX_EXPLAINED_CHARS, type PredictAnswer } from './answer';
import { createTextService, inProcess, MAX_BODY_BYTES, type TextInference } from './server';

const SPAM_HAM = [
  { text: 'win a free prize now', label: 'spam' },
  { text: 'claim your cash reward', label: 'spam' },
  { text: 'see you at lunch', label: 'ham' },
  { text: 'call me when you land', label: 'ham' },
];
const SECRET = 'SECRET-TEXT-4b9e';

let service: Service;
let base = '';
let release: (inference: TextInference) => void = () => undefined;
let model: TextClassifier;

beforeAll(async () => {
  // The service listens before the model is there, as `serve` does: readiness waits for it.
  const loading = new Promise<TextInference>((resolve) => (release = resolve));
  service = await createTextService(loading, { model: 'linear' });
  ({ url: base } = await service.listen());
  model = TextClassifier.create();
  await model.train(SPAM_HAM);
});

afterAll(async () => {
  await service?.close();
});

const post = (body: string, type = 'application/json'): Promise<Response> =>
  fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': type }, body });

const answerOf = async (res: Response): Promise<{ status: number; code: string; text: string }> => {
  const text = await res.text();
  return { status: res.status, code: (JSON.parse(text) as { code: string }).code, text };
};

describe('text service on the demo kit', () => {
  it('is not ready while the model loads (health answers), then ready', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const loading = await fetch(`${base}/readyz`);
    expect([loading.status, await loading.json()]).toEqual([503, { status: 'loading' }]);
    const early = await post(JSON.stringify({ text: 'hello' }));
    expect([early.status, early.headers.get('retry-after')]).toEqual([503, '2']);
    expect(((await early.json()) as { code: string }).code).toBe('E_BUSY');
    expect(await (await fetch(`${base}/info`)).json()).toEqual({ model: 'linear', labels: [] });
    release(inProcess(model));
    await new Promise((r) => setTimeout(r, 10));
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${base}/info`)).json()).toEqual({ model: 'linear', labels: ['ham', 'spam'] });
  });

  it('serves its routes and the OpenAPI document', async () => {
    const page = await fetch(`${base}/`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const res = await post(JSON.stringify({ text: 'free cash prize' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ label: 'spam' });
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/', '/info', '/predict', '/healthz', '/readyz']));
  });

  it('a text over MAX_EXPLAINED_CHARS: the answer says how much of it was explained (explanation.explainedChars)', async () => {
    const text = 'win a free prize now '.repeat(Math.ceil((MAX_EXPLAINED_CHARS + 100) / 21));
    const res = await post(JSON.stringify({ text }));
    expect(res.status).toBe(200);
    const answer = (await res.json()) as PredictAnswer;
    expect(answer.explanation.explainedChars).toBe(explainedPart(text).length);
    expect(answer).toEqual(await answerFor(model, text));
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as {
      paths: Record<
        string,
        {
          post: {
            responses: Record<
              string,
              { content: Record<string, { schema: { properties: Record<string, { properties: Record<string, unknown> }> } }> }
            >;
          };
        }
      >;
    };
    const schema = doc.paths['/predict']!.post.responses['200']!.content['application/json']!.schema;
    expect(Object.keys(schema.properties['explanation']!.properties)).toContain('explainedChars');
  });

  it('answers hostile requests with typed 4xx, never echoing them, and stays up', async () => {
    const big = await answerOf(await post(JSON.stringify({ text: 'a'.repeat(MAX_BODY_BYTES + 10) })));
    expect(big).toMatchObject({ status: 413, code: 'E_INPUT_TOO_LARGE' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'image/png']) {
      const wrong = await answerOf(await post(SECRET, type));
      expect(wrong).toMatchObject({ status: 415, code: 'E_FORMAT_UNSUPPORTED' });
      expect(wrong.text).not.toContain(SECRET);
    }
    for (const body of [
      `{"text": "${SECRET}"`,
      '',
      JSON.stringify({ text: 3 }),
      JSON.stringify({ [`<${SECRET}>`]: 1, text: 'x' }),
      `["${SECRET}"]`,
    ]) {
      const bad = await answerOf(await post(body));
      expect(bad).toMatchObject({ status: 400, code: 'E_INPUT_INVALID' });
      expect(bad.text).not.toContain(SECRET);
    }
    // A plain field name is said back (a typo is then easy to see), with what the route takes.
    const typo = await answerOf(await post(JSON.stringify({ text: 'x', lable: 'y' })));
    expect(typo).toMatchObject({ status: 400, code: 'E_INPUT_INVALID' });
    expect(typo.text).toContain("'lable'");
    expect(typo.text).toContain('it takes text');
    const traversal = await answerOf(await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`));
    expect(traversal).toMatchObject({ status: 404, code: 'E_NOT_FOUND' });
    expect(traversal.text).not.toContain('passwd');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('answers 500 requests from 8 concurrent clients with no error and bounded memory', async () => {
    const texts = ['win a free prize now', 'see you at lunch', 'claim your cash reward today', 'call me when you land'];
    const r = await soak(
      async (i) => {
        const res = await post(JSON.stringify({ text: texts[i % texts.length] }));
        const answer = (await res.json()) as { label?: string };
        return res.status === 200 && typeof answer.label === 'string';
      },
      { half: 238 },
    );
    console.info(r.summary);
    expect(soakViolations(r)).toEqual([]);
  });
});
