import { createRng } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';

// An MLP alert decided by a common category level (held by at least 1/(2k) of the training rows) was
// never given that level as a reason: the occlusion evidence went through the rarity rule of the
// unsupervised detectors, which drops a common level. The network's occlusion says what decided the
// alert, so a level it learnt as the fraud channel is named now, found by swapping the row's level for
// the others (the one-hot columns were replaced one at a time, giving rows no level or two, and an
// irrelevant channel then took a quarter of the evidence). Scores are unchanged: reasons only.

function rowsOf(seed: number): Array<{ channel: string; x1: number; x2: number }> {
  const rng = createRng(seed);
  const g = (): number => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
  return Array.from({ length: 3000 }, () => ({ channel: rng.next() < 0.4 ? 'web' : 'pos', x1: g(), x2: g() }));
}

describe('MLP reasons: a common level that decided the alert', () => {
  const rows = rowsOf(5);

  it('names channel = web (40 % of the rows) when fraud is web with a high x1, and not when the channel plays no part', async () => {
    const decided = FraudDetector.create({ detector: 'mlp', seed: 1 });
    await decided.train(rows, { labels: rows.map((r) => (r.channel === 'web' && r.x1 > 1 ? 1 : 0)) });
    const preds = await decided.predictBatch(rows);
    const alerts = preds.filter((p) => p.isFraud);
    expect(alerts.length).toBeGreaterThan(100);
    for (const p of alerts) {
      const channel = p.reasons.find((r) => r.feature === 'channel');
      expect(channel?.text).toMatch(/^channel = web \(40% of training rows; \d+% of the evidence\)$/);
      expect(channel!.share).toBeGreaterThan(0.2);
    }
    // Reasons only: the scores are those of the same model without reasons.
    const quiet = FraudDetector.create({ detector: 'mlp', seed: 1, maxReasons: 0 });
    await quiet.train(rows, { labels: rows.map((r) => (r.channel === 'web' && r.x1 > 1 ? 1 : 0)) });
    expect((await quiet.predictBatch(rows)).map((p) => p.score)).toEqual(preds.map((p) => p.score));
    decided.dispose();
    quiet.dispose();

    const unrelated = FraudDetector.create({ detector: 'mlp', seed: 1 });
    await unrelated.train(rows, { labels: rows.map((r) => (r.x1 > 1.5 ? 1 : 0)) });
    const other = (await unrelated.predictBatch(rows)).filter((p) => p.isFraud);
    expect(other.length).toBeGreaterThan(100);
    for (const p of other) {
      expect(p.reasons[0]?.feature).toBe('x1');
      // At most the network's noise, as x2's.
      expect(p.reasons.find((r) => r.feature === 'channel')?.share ?? 0).toBeLessThan(0.05);
    }
    unrelated.dispose();
  });
});
