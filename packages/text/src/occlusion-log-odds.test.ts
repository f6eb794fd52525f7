import { initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { TextClassifier } from './text-classifier';
import { TICKETS } from './test-helpers';

// fastText / CNN occlusion weighed each word by how much the label's probability fell without it. On a
// confident prediction the float32 probability is 1 with or without most words, so every weight was ~0
// ("Who wrote Hamlet ?" → HUM: 6e-7, 0, 0, 0) and explain said nothing. The weights are log-odds
// differences now (natural log of p / (1 − p), from the output layer's logits), which do not saturate.

const logOdds = (p: number): number => Math.log(p) - Math.log1p(-p);

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe('occlusion explanations (fastText, CNN)', () => {
  for (const model of ['fasttext', 'cnn'] as const) {
    it(`${model}: a prediction whose probability is 1 in float32 still gets word weights of several log-odds units`, async () => {
      const classifier = TextClassifier.create({
        model,
        seed: 1,
        fasttext: { buckets: 1024, dim: 8, learningRate: 0.5 },
        cnn: { embeddingDim: 8, filters: 4, learningRate: 0.05 },
      });
      await classifier.train(TICKETS, { epochs: 60 });
      const text = 'My invoice shows a double charge this month';
      const before = tf.memory().numTensors;
      const e = await classifier.explain(text);
      expect(tf.memory().numTensors).toBe(before);
      expect(e.method).toBe('occlusion');
      expect(e.label).toBe('billing');
      // Saturated: the probability-difference weights were all below 1e-6 here.
      expect(e.scores.billing).toBe(1);
      const strongest = Math.max(...e.tokens.map((t) => Math.abs(t.weight)));
      expect(strongest, JSON.stringify(e.tokens)).toBeGreaterThan(1);
      expect(e.tokens.every((t) => Number.isFinite(t.weight))).toBe(true);
      classifier.dispose();
    });

    it(`${model}: each weight is the label's log-odds with the text minus without the word (single- and multi-label)`, async () => {
      for (const multiLabel of [false, true]) {
        const classifier = TextClassifier.create({
          model,
          multiLabel,
          seed: 3,
          fasttext: { buckets: 1024, dim: 8 },
          cnn: { embeddingDim: 8, filters: 4 },
        });
        await classifier.train(TICKETS, { epochs: 2 });
        const text = 'the app crashes when I pay my invoice';
        const e = await classifier.explain(text, { top: 100 });
        const words = text.split(' ');
        const [base] = await classifier.predictBatch([text]);
        const occluded = await classifier.predictBatch(words.map((_, i) => [...words.slice(0, i), ...words.slice(i + 1)].join(' ')));
        const label = e.explained;
        for (const t of e.tokens) {
          const i = words.indexOf(t.token);
          const direct = logOdds(base!.scores[label]!) - logOdds(occluded[i]!.scores[label]!);
          // From float32 probabilities, so a few digits only (the weights come from the logits).
          expect(t.weight, `${multiLabel} ${t.token}`).toBeCloseTo(direct, 3);
        }
        classifier.dispose();
      }
    });
  }

  it('a model loaded from a bundle explains as it did before saving', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'text-occlusion-'));
    try {
      const classifier = TextClassifier.create({ model: 'fasttext', fasttext: { buckets: 512, dim: 4 } });
      await classifier.train(TICKETS, { epochs: 5 });
      const first = await classifier.explain('refund my double charge');
      await classifier.save(join(dir, 'm'));
      classifier.dispose();
      const loaded = await TextClassifier.load(join(dir, 'm'));
      const again = await loaded.explain('refund my double charge');
      expect(again.tokens.map((t) => t.token)).toEqual(first.tokens.map((t) => t.token));
      again.tokens.forEach((t, i) => expect(t.weight).toBeCloseTo(first.tokens[i]!.weight, 6));
      loaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
