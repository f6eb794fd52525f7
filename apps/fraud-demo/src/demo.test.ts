import type { AddressInfo } from 'node:net';
import { TransactionScorer, generateTransactions } from '@appliedml/fraud';
import { describe, expect, it } from 'vitest';
import { loadTransactions } from './data';
import { htmlTable, renderHtmlReport } from './report';
import { createFraudServer } from './server';

describe('fraud demo', () => {
  it('renders an HTML report with ROC and PR curves', () => {
    const labels = [0, 0, 1, 0, 1, 0];
    const scores = [0.1, 0.2, 0.9, 0.3, 0.4, 0.5];
    const html = renderHtmlReport('t', ['SYNTHETIC'], htmlTable(['a'], [['<b>']]), [
      { title: 'x', labels, scores, aucroc: 0.75, aucpr: 0.8 },
    ]);
    expect(html).toContain('<svg');
    expect(html.match(/<path /g)).toHaveLength(2);
    expect(html).toContain('&#60;b&#62;');
    expect(html).toContain('AUCROC 75.00');
  });

  it('the embedded default is the synthetic stream and says so', async () => {
    const d = await loadTransactions('synthetic');
    expect(d.synthetic).toBe(true);
    expect(d.source).toMatch(/SYNTHETIC/);
    await expect(loadTransactions('data.parquet')).rejects.toMatchObject({ code: 'E_FORMAT_UNSUPPORTED' });
  });

  it('serve: POST /score returns score, decision and reasons; bad input is a 400; the page lists alerts', async () => {
    const txs = generateTransactions({ cards: 150, days: 15, seed: 9 });
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs);
    const server = createFraudServer(scorer, { synthetic: true });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const last = txs[txs.length - 1];
      const post = (body: string): Promise<Response> =>
        fetch(`${base}/score`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      const ok = await post(
        JSON.stringify({
          card: last?.card,
          amount: 25000,
          timestamp: (last?.timestamp ?? 0) + 60_000,
          merchant: 'new-shop',
          country: 'ZZ',
        }),
      );
      expect(ok.status).toBe(200);
      const res = (await ok.json()) as { score: number; decision: string; reasons: Array<{ text: string }> };
      expect(res.decision).toBe('alert');
      expect(res.reasons[0]?.text).toMatch(/median|spent|merchant|country/);
      const bad = await post(JSON.stringify({ card: 'x', amount: 'NaN', timestamp: 1 }));
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { code: string }).code).toBe('E_INPUT_INVALID');
      expect((await post('{not json')).status).toBe(400);
      const page = await (await fetch(`${base}/`)).text();
      expect(page).toContain('SYNTHETIC');
      expect(page).toContain(String(last?.card));
    } finally {
      server.close();
      scorer.dispose();
    }
  });
});
