import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransactionScorer } from '@appliedml/fraud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTransactions, toTransaction } from './data';
import { createFraudService } from './server';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraud-demo-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the demo follows the model time unit', () => {
  it("the synthetic stream comes in the model's unit; evaluate on it scores a seconds model as well as a milliseconds one", async () => {
    const ms = await loadTransactions('synthetic', 3);
    const s = await loadTransactions('synthetic', 3, 's');
    expect(s.txs.map((t) => t.timestamp)).toEqual(ms.txs.map((t) => Math.floor((t.timestamp as number) / 1000)));
    const auc: number[] = [];
    for (const [unit, train] of [
      ['ms', await loadTransactions('synthetic', 1)],
      ['s', await loadTransactions('synthetic', 1, 's')],
    ] as const) {
      const scorer = TransactionScorer.create({ detector: { detector: 'ecod' }, features: { timeUnit: unit } });
      await scorer.train(train.txs);
      expect(scorer.timeUnit).toBe(unit);
      await scorer.resetState();
      const held = unit === 's' ? s : ms;
      auc.push((await scorer.evaluate(held.txs, held.labels!)).aucpr);
      scorer.dispose();
    }
    expect(Math.abs(auc[0]! - auc[1]!)).toBeLessThan(0.05);
  }, 60_000);

  it("the page sends the model's unit and the API page says it", async () => {
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' }, features: { timeUnit: 's' } });
    await scorer.train((await loadTransactions('synthetic', 1, 's')).txs.slice(0, 2000));
    const service = await createFraudService(scorer, { onClose: () => scorer.dispose() });
    try {
      const { url } = await service.listen({ port: 0, host: '127.0.0.1' });
      expect(await (await fetch(`${url}/`)).text()).toContain('timestamp: Math.floor(Date.now() / 1000)');
      expect(await (await fetch(`${url}/docs/json`)).text()).toContain('Unix seconds');
      const now = await fetch(`${url}/score`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ card: 'c-1', amount: 20, timestamp: Math.floor(Date.now() / 1000) }),
      });
      expect(now.status).toBe(200);
    } finally {
      await service.close();
    }
  }, 60_000);

  it('JSONL with a byte-order mark and upper-case extensions read; a missing timestamp is named as missing', async () => {
    const jsonl = join(dir, 'TX.JSONL');
    await writeFile(jsonl, '\uFEFF{"card":"a","amount":5,"timestamp":1767571200000}\n');
    expect((await loadTransactions(jsonl)).txs).toHaveLength(1);
    const csv = join(dir, 'TX.CSV');
    await writeFile(csv, 'card,amount,timestamp\na,5,1767571200000\n');
    expect((await loadTransactions(csv)).txs).toHaveLength(1);
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await expect(scorer.score(toTransaction({ card: 'a', amount: 5 }))).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringContaining('got nothing'),
    });
    scorer.dispose();
  });
});
