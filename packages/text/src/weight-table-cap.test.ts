import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError, createRng, type Logger } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { TextClassifier } from './text-classifier';

/** 10,000 labels (the documented limit), each with one text of 30 made-up words: ~600,000 distinct words and bigrams. */
function manyLabels(): { text: string; label: string }[] {
  const rng = createRng(5);
  const word = (): string => Array.from({ length: 8 }, () => String.fromCharCode(97 + Math.floor(rng.next() * 26))).join('');
  return Array.from({ length: 10_000 }, (_, i) => ({ text: Array.from({ length: 30 }, word).join(' '), label: `L${i}` }));
}

describe('the features × labels weight table is sized before it is allocated', () => {
  for (const [model, field] of [
    ['linear', 'linear.maxFeatures'],
    ['naive-bayes', 'naiveBayes.maxFeatures'],
  ] as const) {
    it(`${model}: 10,000 labels × 500,000 features is E_INPUT_TOO_LARGE naming ${field} and what fits`, async () => {
      const m = TextClassifier.create({
        model,
        features: { wordNgrams: 2, charNgrams: false },
        ...(model === 'linear' ? { linear: { maxFeatures: 500_000 } } : { naiveBayes: { maxFeatures: 500_000 } }),
      });
      let error: unknown;
      try {
        await m.train(manyLabels(), model === 'linear' ? { epochs: 1 } : {});
      } catch (e) {
        error = e;
      }
      expect(AppliedMLError.isInstance(error)).toBe(true);
      const e = error as AppliedMLError;
      expect(e.code).toBe('E_INPUT_TOO_LARGE');
      expect(e.message).toContain(field);
      expect(e.message).toContain('× 10000 labels');
      expect(e.message).toContain('10000 or fewer');
      expect(e.details).toMatchObject({ field, features: 500_000, labels: 10_000, maxFeaturesThatFit: 10_000 });
      expect(m.isTrained).toBe(false);
    }, 60_000);
  }
});

/** 12,000 texts of 30 made-up words over 500 labels: ~700,000 distinct words and bigrams, more than fit for 500 labels. */
function fiveHundredLabels(): { text: string; label: string }[] {
  const rng = createRng(5);
  const word = (): string => Array.from({ length: 7 }, () => String.fromCharCode(97 + Math.floor(rng.next() * 26))).join('');
  return Array.from({ length: 12_000 }, (_, i) => ({ text: Array.from({ length: 30 }, word).join(' '), label: `intent-${i % 500}` }));
}

function infoLog(): { logger: Logger; infos: string[] } {
  const infos: string[] = [];
  return { logger: { debug() {}, info: (m: string) => infos.push(m), warn() {} }, infos };
}

describe('a default maxFeatures is lowered to what fits the labels; a set one is refused', () => {
  const data = fiveHundredLabels();
  for (const [model, field] of [
    ['linear', 'linear.maxFeatures'],
    ['naive-bayes', 'naiveBayes.maxFeatures'],
  ] as const) {
    it(`${model}: 500 labels at the default 300,000 train on the 200,000 most frequent features, said once`, async () => {
      const m = TextClassifier.create({ model, features: { charNgrams: false } });
      const { logger, infos } = infoLog();
      const report = await m.train(data, { logger, ...(model === 'linear' ? { epochs: 1 } : {}) });
      expect(report.maxFeatures).toBe(200_000);
      expect(report.featureCount).toBe(200_000);
      const lowered = infos.filter((s) => s.includes(`${field} lowered from the default 300000 to 200000 for 500 labels`));
      expect(lowered).toHaveLength(1);
      const { scores } = await m.predict(data[3]!.text);
      expect(Object.values(scores).filter(Number.isFinite)).toHaveLength(500);
      m.dispose();
    }, 120_000);

    it(`${model}: 500 labels with ${field} set to 300,000 is E_INPUT_TOO_LARGE naming 200,000`, async () => {
      const m = TextClassifier.create({
        model,
        features: { charNgrams: false },
        ...(model === 'linear' ? { linear: { maxFeatures: 300_000 } } : { naiveBayes: { maxFeatures: 300_000 } }),
      });
      const error = await m.train(data, model === 'linear' ? { epochs: 1 } : {}).catch((e: unknown) => e);
      expect(AppliedMLError.isInstance(error)).toBe(true);
      expect((error as AppliedMLError).code).toBe('E_INPUT_TOO_LARGE');
      expect((error as AppliedMLError).message).toContain(`Set ${field} to 200000 or fewer for 500 labels`);
      expect((error as AppliedMLError).details).toMatchObject({ field, features: 300_000, labels: 500, maxFeaturesThatFit: 200_000 });
      m.dispose();
    }, 120_000);
  }

  it('a small default maxFeatures is kept, and a loaded model retrains as it was created', async () => {
    const small = TextClassifier.create({ model: 'linear', features: { charNgrams: false } });
    const report = await small.train(
      [
        { text: 'free prize now', label: 'spam' },
        { text: 'see you at lunch', label: 'ham' },
      ],
      { epochs: 1 },
    );
    expect(report.maxFeatures).toBe(300_000);
    const dir = await mkdtemp(join(tmpdir(), 'text-cap-'));
    try {
      await small.save(dir);
      const loaded = await TextClassifier.load(dir);
      expect((await loaded.train(data, { epochs: 1 })).maxFeatures).toBe(200_000);
      loaded.dispose();
    } finally {
      small.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
