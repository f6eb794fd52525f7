import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError } from '@appliedml/engine';
import { afterAll, describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';
import { TransactionScorer } from './scorer';
import { generateTransactions } from './synthetic';

// Options that are true or false are only true or false: read by truthiness (or as `!== false`), the
// text 'no' turned an option on (a scorer save kept its cards with includeState: 'no').
describe('boolean options', () => {
  const root = mkdtempSync(join(tmpdir(), 'fraud-bool-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(['no', 'false', 0, 1, null, {}])("scorer.save's includeState %j is E_INPUT_INVALID, and nothing is written", async (value) => {
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(generateTransactions({ cards: 10, days: 2, seed: 1 }));
    const dir = join(root, `save-${String(Math.random()).slice(2)}`);
    const error = await scorer.save(dir, { includeState: value as unknown as boolean }).then(
      () => 'saved',
      (e: unknown) => e,
    );
    expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'includeState' } });
    expect(readdirSync(root)).not.toContain(dir.slice(root.length + 1));
    // true and false still save.
    await scorer.save(join(root, 'with-state'), { includeState: true });
    await scorer.save(join(root, 'without-state'), { includeState: false });
    scorer.dispose();
  });

  it.each(['no', 'true', 1, 0, null])('gbt.refit %j is E_INPUT_INVALID at create', (value) => {
    let error: unknown = 'created';
    try {
      FraudDetector.create({ detector: 'gbt', gbt: { refit: value as unknown as boolean } });
    } catch (e) {
      error = e;
    }
    expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code: 'E_INPUT_INVALID', details: { option: 'refit' } });
    expect((error as Error).message).toContain('gbt.refit must be true or false');
  });

  it('the other boolean options refuse text too (refine, score remember), and true / false pass', async () => {
    expect(() => FraudDetector.create({ refine: 'no' as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID' }),
    );
    for (const refit of [true, false]) FraudDetector.create({ detector: 'gbt', gbt: { refit } }).dispose();
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    const txs = generateTransactions({ cards: 10, days: 2, seed: 1 });
    await scorer.train(txs);
    await expect(scorer.score(txs[0]!, { remember: 'no' as unknown as boolean })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    scorer.dispose();
  });
});
