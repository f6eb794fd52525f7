import { generateTransactions, MAX_ID_CHARS, TransactionScorer, type Transaction } from '@appliedml/fraud';
import type { Service } from '@appliedml/demo-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldOutCurves, type CurveEntry } from './curves';
import { createFraudService, MAX_BODY_BYTES, type ScoreAnswer } from './server';

let txs: Transaction[];
let service: Service;
let base = '';
let disposed = false;
let curves: CurveEntry;

beforeAll(async () => {
  txs = generateTransactions({ cards: 150, days: 15, seed: 9 });
  const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
  await scorer.train(txs);
  // The curves come from a copy trained the same way, scoring a new labelled stream from empty state.
  const copy = TransactionScorer.create({ detector: { detector: 'ecod' } });
  await copy.train(txs);
  const heldOut = generateTransactions({ cards: 120, days: 15, seed: 10 });
  curves = await heldOutCurves(
    copy,
    heldOut,
    heldOut.map((t) => t.label),
    'held-out stream',
  );
  copy.dispose();
  service = await createFraudService(scorer, {
    synthetic: true,
    curves,
    onClose: () => {
      disposed = true;
      scorer.dispose();
    },
  });
  ({ url: base } = await service.listen());
});

afterAll(async () => {
  await service.close();
  expect(disposed).toBe(true);
});

const post = (body: string, type = 'application/json'): Promise<Response> =>
  fetch(`${base}/score`, { method: 'POST', body, headers: { 'content-type': type } });
const codeOf = async (res: Response): Promise<[number, string]> => [res.status, ((await res.json()) as { code: string }).code];

describe('fraud service on the demo kit', () => {
  it('scores a transaction (score, decision, reasons), lists the alert, and documents the routes', async () => {
    const last = txs[txs.length - 1]!;
    const tx = { card: last.card, amount: 25000, timestamp: Number(last.timestamp) + 60_000, merchant: 'new-shop', country: 'ZZ' };
    const ok = await post(JSON.stringify(tx));
    expect(ok.status).toBe(200);
    const res = (await ok.json()) as ScoreAnswer;
    expect(res.decision).toBe('alert');
    expect(res.score).toBeGreaterThan(0);
    expect(res.reasons[0]?.text).toMatch(/median|spent|merchant|country/);
    expect(res.features.amount).toBe(25000);
    const iso = await post(JSON.stringify({ card: 'c-new', amount: 12.5, timestamp: '2026-01-02T10:00:00Z' }));
    expect(iso.status).toBe(200);
    // What the SDK and the CLI read: no offset (UTC fields), a space for the T, a date alone.
    for (const timestamp of ['2026-01-02T11:00:00', '2026-01-02 11:30', '2026-01-03']) {
      const res = await post(JSON.stringify({ card: 'c-new', amount: 12.5, timestamp }));
      expect([timestamp, res.status]).toEqual([timestamp, 200]);
    }
    // Date-shaped but no date: the SDK's refusal, naming the field.
    const bad = await post(JSON.stringify({ card: 'c-new', amount: 12.5, timestamp: '2026-13-45T00:00:00' }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/timestamp/);
    const alerts = (await (await fetch(`${base}/alerts`)).json()) as { card: string }[];
    expect(alerts[0]?.card).toBe(last.card);
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('SYNTHETIC');
    expect(page).toContain('<form id="tx">');
    expect(page).toContain('href="/docs"');
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/', '/score', '/alerts', '/api/curves.svg', '/healthz', '/readyz']));
  });

  it("/docs's POST /score example (what Swagger UI's Try it out sends) is scored, not refused for its time", async () => {
    type Doc = { paths: { '/score': { post: { requestBody: { content: Record<string, { example?: unknown }> } } } } };
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as Doc;
    const example = doc.paths['/score'].post.requestBody.content['application/json']?.example;
    // Without one, Swagger UI filled timestamp with 0: 400 "0 is not a plausible epoch-milliseconds time".
    expect(example).toEqual({ card: 'card-00001', amount: 2400, timestamp: '2026-11-05T12:00:00Z', merchant: 'm-7', country: 'FR' });
    const res = await post(JSON.stringify(example));
    expect(res.status).toBe(200);
    expect(((await res.json()) as ScoreAnswer).features.amount).toBe(2400);
  });

  it("an alert's time is the transaction's (it was the server's clock); `at` says when it was scored", async () => {
    const last = txs[txs.length - 1]!;
    const timestamp = Number(last.timestamp) + 3_600_000;
    const before = Date.now();
    const res = await post(JSON.stringify({ card: last.card, amount: 40000, timestamp, merchant: 'far-shop', country: 'QQ' }));
    expect(((await res.json()) as ScoreAnswer).decision).toBe('alert');
    const [alert] = (await (await fetch(`${base}/alerts`)).json()) as { time: string; at: string; amount: number }[];
    expect(alert?.amount).toBe(40000);
    expect(alert?.time).toBe(new Date(timestamp).toISOString());
    expect(Date.parse(alert?.at ?? '')).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    // ISO text without an offset is read in UTC, as the SDK reads it.
    await post(JSON.stringify({ card: last.card, amount: 45000, timestamp: '2030-01-02 03:04', merchant: 'far-shop-2', country: 'QR' }));
    const [latest] = (await (await fetch(`${base}/alerts`)).json()) as { time: string; amount: number }[];
    expect([latest?.amount, latest?.time]).toEqual([45000, '2030-01-02T03:04:00.000Z']);
  });

  it('a timestamp in text is read as the CLI reads it: epoch digits and 1.79e12 scored, a refused time told the forms', async () => {
    const send = async (timestamp: string, i: number) => {
      const res = await post(JSON.stringify({ card: `c-text-${i}`, amount: 12.5, timestamp }));
      return [timestamp, res.status, (await res.json()) as { code?: string; message?: string; decision?: string }] as const;
    };
    for (const [i, timestamp] of ['1792000000000', '1.79e12', '1.79E+12', ' 2026-10-21T10:00:00Z'].entries()) {
      const [, status, answer] = await send(timestamp, i);
      expect([timestamp, status, answer.decision]).toEqual([timestamp, 200, expect.stringMatching(/^(alert|pass)$/)]);
    }
    const [, status, slashes] = await send('10/21/2026', 10);
    expect(status).toBe(400);
    expect(slashes.message).toMatch(
      /^The body, field 'timestamp': "10\/21\/2026" is not a time; give an ISO 8601 time .*epoch milliseconds/,
    );
    const [, , postgres] = await send('2026-10-21 10:00:00+00', 11);
    expect(postgres.message).toMatch(/\(an offset needs its minutes: 2026-10-21 10:00:00\+00:00\)\.$/);
    const [, , year] = await send('2026', 12);
    expect(year.message).toMatch(/"2026" is not a plausible epoch-milliseconds time/);
    // Text outside the time characters is refused by the schema, not echoed.
    const [, , words] = await send('next tuesday', 13);
    expect(words).toEqual({ code: 'E_INPUT_INVALID', message: "The body field 'timestamp' is not in the expected form." });
  });

  it('takes the identifiers the SDK and CLI take (256 characters; blank merchant / country absent) and names the limit', async () => {
    const at = 1_767_312_000_000;
    for (const [i, field] of ['card', 'merchant', 'country'].entries()) {
      const ok = await post(JSON.stringify({ card: `c-long-${i}`, amount: 5, timestamp: at, [field]: 'x'.repeat(MAX_ID_CHARS) }));
      expect([field, ok.status]).toEqual([field, 200]);
      const long = await post(JSON.stringify({ card: `c-long-${i}`, amount: 5, timestamp: at, [field]: 'x'.repeat(MAX_ID_CHARS + 1) }));
      expect([field, long.status, await long.json()]).toEqual([
        field,
        400,
        { code: 'E_INPUT_INVALID', message: `The body field '${field}' must be at most 256 characters long.` },
      ]);
    }
    const blank = await post(JSON.stringify({ card: 'c-blank', amount: 5, timestamp: at, merchant: '', country: '' }));
    expect(blank.status).toBe(200);
    expect(((await blank.json()) as ScoreAnswer).features).toMatchObject({ new_merchant: 0, new_country: 0 });
  });

  it('serves the held-out ROC and PR curves as an SVG, and the page shows them with AUCROC and AUCPR', async () => {
    expect(curves.labels.length).toBeGreaterThan(100);
    expect(Array.from(curves.labels)).toContain(1);
    expect(curves.aucroc).toBeGreaterThan(0.5);
    expect(curves.aucroc).toBeLessThanOrEqual(1);
    expect(curves.aucpr).toBeGreaterThan(0);
    const res = await fetch(`${base}/api/curves.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const svg = await res.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
    expect(svg).toContain(`AUCROC ${(curves.aucroc * 100).toFixed(2)}, AUCPR ${(curves.aucpr * 100).toFixed(2)}`);
    // Two curves, each a path of many points.
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(paths).toHaveLength(2);
    for (const d of paths) expect(d.split('L').length).toBeGreaterThan(5);
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('<img id="curves" src="/api/curves.svg"');
    expect(page).toContain(`<span id="aucroc">${(curves.aucroc * 100).toFixed(2)}</span>`);
    // Only GET, no parameters: anything else is refused without echoing it.
    const post = await fetch(`${base}/api/curves.svg?x=<script>`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    const text = await post.text();
    // The route exists for GET only: 405 naming it (the kit's answer for a wrong method).
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toMatch(/GET/);
    expect(text).not.toContain('script');
  });

  it('has no curves route and no curves on the page without a held-out stream', async () => {
    const untrained = TransactionScorer.create({ detector: { detector: 'ecod' } });
    const bare = await createFraudService(untrained, { onClose: () => untrained.dispose() });
    try {
      const { url } = await bare.listen();
      expect(await codeOf(await fetch(`${url}/api/curves.svg`))).toEqual([404, 'E_NOT_FOUND']);
      expect(await (await fetch(`${url}/`)).text()).not.toContain('id="curves"');
    } finally {
      await bare.close();
    }
  });

  it('answers hostile requests with typed 4xx, never echoing them, and stays up', async () => {
    const valid = { card: 'c1', amount: 10, timestamp: 1_700_000_000_000 };
    expect(await codeOf(await post(JSON.stringify({ ...valid, card: 'x'.repeat(MAX_BODY_BYTES) })))).toEqual([413, 'E_INPUT_TOO_LARGE']);
    expect(await codeOf(await post(JSON.stringify(valid), 'text/plain'))).toEqual([415, 'E_FORMAT_UNSUPPORTED']);
    expect(await codeOf(await post(JSON.stringify(valid), 'application/x-www-form-urlencoded'))).toEqual([415, 'E_FORMAT_UNSUPPORTED']);
    expect(await codeOf(await post('{not json'))).toEqual([400, 'E_INPUT_INVALID']);
    expect(await codeOf(await post(''))).toEqual([400, 'E_INPUT_INVALID']);
    expect(await codeOf(await post('[1, 2]'))).toEqual([400, 'E_INPUT_INVALID']);
    for (const bad of [
      { ...valid, amount: 'NaN' },
      { ...valid, amount: -5 },
      { ...valid, amount: 1e12 },
      { ...valid, card: '' },
      { card: 'c1', amount: 10 },
      { ...valid, timestamp: 'yesterday <script>' },
      { ...valid, '<img src=x onerror=alert(1)>': 1 },
      { ...valid, 'x.__proto__': 1 },
    ]) {
      const res = await post(JSON.stringify(bad));
      const text = await res.text();
      expect(res.status).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ code: 'E_INPUT_INVALID' });
      expect(text).not.toMatch(/script|yesterday|onerror|__proto__|NaN/);
    }
    // No file parameter exists: a traversal path is an unknown route.
    expect(await codeOf(await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`))).toEqual([404, 'E_NOT_FOUND']);
    expect(await codeOf(await fetch(`${base}/score/..%2f..%2fetc%2fpasswd`))).toEqual([404, 'E_NOT_FOUND']);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('names a body field it does not take (plain names only) and lists the ones it takes', async () => {
    const valid = { card: 'c-extra', amount: 10, timestamp: 1_700_000_000_000 };
    const answer = async (body: object): Promise<{ status: number; code: string; message: string }> => {
      const res = await post(JSON.stringify(body));
      return { status: res.status, ...((await res.json()) as { code: string; message: string }) };
    };
    // The kit's rule (createService's nameUnknownFields): plain names, up to three, joined with 'and'.
    const fields = 'card, amount, timestamp, merchant and country';
    const takes = `which this route does not accept: it takes ${fields}.`;
    expect(await answer({ ...valid, label: 1 })).toEqual({
      status: 400,
      code: 'E_INPUT_INVALID',
      message: `The body has field 'label', ${takes}`,
    });
    expect((await answer({ ...valid, label: 1, is_fraud: true })).message).toBe(`The body has fields 'label' and 'is_fraud', ${takes}`);
    expect((await answer({ ...valid, label: 1, is_fraud: true, note: 'x' })).message).toBe(
      `The body has fields 'label', 'is_fraud' and 'note', ${takes}`,
    );
    // A key that is not a plain name (markup, spaces, a dot, over 40 characters) is counted, never said back.
    for (const key of ['<script>alert(1)</script>', 'x'.repeat(41), 'a b', 'x.__proto__', "label'"]) {
      const { status, message } = await answer({ ...valid, [key]: 1 });
      expect(status).toBe(400);
      expect(message).toBe(`The body has a field this route does not accept: it takes ${fields}.`);
    }
    expect((await answer({ ...valid, '<a>': 1, '<b>': 2 })).message).toBe(
      `The body has 2 fields this route does not accept: it takes ${fields}.`,
    );
    expect((await answer({ ...valid, label: 1, '<b>': 2 })).message).toBe(`The body has field 'label' and 1 more, ${takes}`);
    // The known fields still go through, and nothing was scored for a refused body.
    expect((await post(JSON.stringify(valid))).status).toBe(200);
  });

  it('answers 500 transactions from 8 concurrent clients with no error and bounded memory', async () => {
    const fire = async (total: number): Promise<number> => {
      let next = 0;
      let errors = 0;
      const client = async (): Promise<void> => {
        while (next < total) {
          const i = next++;
          const res = await post(
            JSON.stringify({ card: `load-${i % 50}`, amount: 5 + (i % 97), timestamp: 1_700_000_000_000 + i * 60_000 }),
          );
          await res.arrayBuffer();
          if (res.status !== 200) errors += 1;
        }
      };
      await Promise.all(Array.from({ length: 8 }, client));
      return errors;
    };
    expect(await fire(100)).toBe(0); // warm-up
    const before = process.memoryUsage();
    const started = performance.now();
    expect(await fire(500)).toBe(0);
    const after = process.memoryUsage();
    // A stall, not a speed check (about 1–2 s here when quiet): memory is what this test is about.
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(48 * 1024 * 1024);
    expect(after.rss - before.rss).toBeLessThan(96 * 1024 * 1024);
  });
});
