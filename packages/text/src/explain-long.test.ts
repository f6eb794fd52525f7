import { describe, expect, it } from 'vitest';
import { initEngine } from '@appliedml/engine';
import { TextClassifier } from './text-classifier';
import { TICKETS } from './test-helpers';

// `explain` on a long text: the same answer as the direct definition, at a cost that grows with the text,
// not with its square (a 200,000-character mail took 11 s on the linear model, and each neural occlusion
// copied the whole text 128 times).
const filler = TICKETS.map((r) => r.text).join(' ');
const longText = (words: number): string => {
  const pool = filler.split(/\s+/);
  return Array.from({ length: words }, (_, i) => pool[(i * 7) % pool.length]).join(' ');
};

describe('explain on long texts', () => {
  it('linear: word weights equal the direct definition (each piece shared by the words containing it); 200k characters in seconds', async () => {
    const model = TextClassifier.create();
    await model.train(TICKETS);
    const text = `Refund me now! ${longText(300)} charged twice`;
    const ex = await model.explain(text, { top: 10_000 });
    // Direct definition: every feature's weight split over its pieces, each piece over the word
    // occurrences (lowercased) that contain it.
    const words = text.split(/\s+/).filter(Boolean);
    const direct = new Map<string, number>();
    for (const f of ex.features ?? []) {
      const pieces = f.token.startsWith('w:') ? f.token.slice(2).split(' ') : f.token.startsWith('c:') ? [f.token.slice(2).trim()] : [];
      for (const piece of pieces) {
        if (!piece) continue;
        const owners = words.filter((w) => w.toLowerCase().includes(piece));
        for (const o of owners) direct.set(o, (direct.get(o) ?? 0) + f.weight / pieces.length / owners.length);
      }
    }
    expect(ex.tokens.length).toBe(direct.size);
    for (const t of ex.tokens) expect(t.weight).toBeCloseTo(direct.get(t.token) ?? Number.NaN, 9);
    const t0 = performance.now();
    const big = await model.explain(longText(30_000));
    expect(big.tokens.length).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(5_000);
    model.dispose();
  });

  for (const kind of ['fasttext', 'cnn'] as const) {
    it(`${kind}: occlusion of a long text equals occluding the whole text, without copying all of it`, async () => {
      await initEngine({ device: 'wasm' });
      const model = TextClassifier.create({
        model: kind,
        fasttext: { buckets: 1024, dim: 8, maxIds: 40 },
        cnn: { embeddingDim: 8, filters: 4, maxLength: 30 },
      });
      await model.train(TICKETS, { epochs: 3 });
      const text = longText(400);
      const ex = await model.explain(text, { top: 10_000 });
      const words = text.split(/\s+/);
      const [base] = await model.predictBatch([text]);
      const variants = words.slice(0, 128).map((_, i) => [...words.slice(0, i), ...words.slice(i + 1)].join(' '));
      const occluded = await model.predictBatch(variants);
      // The weights are log-odds differences (from the logits; here from float32 probabilities, so a few digits).
      const logOdds = (p: number): number => Math.log(p) - Math.log1p(-p);
      const direct = new Map<string, number>();
      words
        .slice(0, 128)
        .forEach((w, i) =>
          direct.set(
            w,
            (direct.get(w) ?? 0) + logOdds(base!.scores[ex.explained] as number) - logOdds(occluded[i]!.scores[ex.explained] as number),
          ),
        );
      for (const t of ex.tokens) expect(t.weight).toBeCloseTo(direct.get(t.token) ?? Number.NaN, 3);
      model.dispose();
    });
  }
});
