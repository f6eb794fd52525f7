import { describe, expect, it } from 'vitest';
import { resolveDataset, trainTestSplit } from '@appliedml/engine';
import { SMS_SPAM_DATASET, TREC_DATASET, TextClassifier, readSmsSpam, readTrec } from '../src/index';

// Real data through APPLIEDML_DATA_DIR (CI: ../shared/datasets). Floors sit a little under what the
// seeded models reach on these fixed splits; docs/benchmarks/text.md has the full numbers.

describe('SMS Spam Collection: de-duplicated, seeded stratified 80/20 split (published: Almeida 2011 linear SVM 97.64 %, SC 83.1 %)', () => {
  it('linear model on word + character n-grams: accuracy ≥ 98.5 %, spam recall ≥ 92 %, ham FPR ≤ 0.5 %', async () => {
    const data = await resolveDataset(SMS_SPAM_DATASET);
    const rows = await readSmsSpam(data.files['SMSSpamCollection.tsv'] as string);
    expect(rows.length).toBe(5171);
    const split = trainTestSplit(rows.length, { testFraction: 0.2, seed: 2026, stratify: rows.map((r) => r.label as string) });
    const model = TextClassifier.create({ features: { shapeFeatures: true } });
    await model.train(split.train.map((i) => rows[i]!));
    const m = await model.evaluate(
      split.test.map((i) => rows[i]!),
      { positiveLabel: 'spam' },
    );
    console.info(
      `SMS spam: accuracy ${(m.accuracy * 100).toFixed(2)} %, spam recall ${(m.binary!.recall * 100).toFixed(2)} %, ham FPR ${(m.binary!.falsePositiveRate * 100).toFixed(2)} %, MCC ${m.mcc.toFixed(3)}`,
    );
    expect(m.accuracy).toBeGreaterThanOrEqual(0.985);
    expect(m.binary!.recall).toBeGreaterThanOrEqual(0.92);
    expect(m.binary!.falsePositiveRate).toBeLessThanOrEqual(0.005);
    expect(m.mcc).toBeGreaterThan(0.93);
  });
});

describe('TREC-6, official 5,452 / 500 split (published: Kim CNN-rand 91.2, CNN-non-static 93.6, Silva 2011 95.0)', () => {
  it('linear model with question, head-word and WordNet features: accuracy ≥ 92.5 % (93.8 % measured)', async () => {
    const data = await resolveDataset(TREC_DATASET);
    const train = await readTrec(data.files['train_5500.label'] as string);
    const test = await readTrec(data.files['TREC_10.label'] as string);
    expect([train.length, test.length]).toEqual([5452, 500]);
    const model = TextClassifier.create({ features: { questionFeatures: true, wordnet: true, charNgrams: false } });
    await model.train(train);
    const m = await model.evaluate(test);
    const seen = new Set(train.map((r) => r.text));
    const unseen = test.filter((r) => !seen.has(r.text));
    const mUnseen = await model.evaluate(unseen);
    console.info(
      `TREC-6: ${(m.accuracy * 100).toFixed(2)} % on all 500; ${(mUnseen.accuracy * 100).toFixed(2)} % on the ${unseen.length} not in train`,
    );
    expect(unseen.length).toBe(490);
    // Floors a little under the 93.8 % / 93.67 % this deterministic (seeded) run reaches; the issue's ≥ 93 % is
    // the bench's figure (docs/benchmarks/text.md).
    expect(m.accuracy).toBeGreaterThanOrEqual(0.925);
    expect(mUnseen.accuracy).toBeGreaterThanOrEqual(0.925);
  });

  it('fastText-style model on a fixed 2,000-question subset: ≥ 75 % on the test set', async () => {
    const data = await resolveDataset(TREC_DATASET);
    const all = await readTrec(data.files['train_5500.label'] as string);
    const test = await readTrec(data.files['TREC_10.label'] as string);
    const pick = trainTestSplit(all.length, { testFraction: 2000 / all.length, seed: 1, stratify: all.map((r) => r.label as string) }).test;
    const model = TextClassifier.create({ model: 'fasttext', fasttext: { buckets: 1 << 14, dim: 32, epochs: 10 } });
    await model.train(
      pick.map((i) => all[i]!),
      { device: 'wasm' },
    );
    const m = await model.evaluate(test);
    console.info(`TREC-6 fastText (2,000 train): ${(m.accuracy * 100).toFixed(2)} %`);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.75);
    model.dispose();
  });

  it('Kim CNN-rand on a fixed 2,000-question subset: ≥ 70 % on the test set', async () => {
    const data = await resolveDataset(TREC_DATASET);
    const all = await readTrec(data.files['train_5500.label'] as string);
    const test = await readTrec(data.files['TREC_10.label'] as string);
    const pick = trainTestSplit(all.length, { testFraction: 2000 / all.length, seed: 1, stratify: all.map((r) => r.label as string) }).test;
    const model = TextClassifier.create({ model: 'cnn', cnn: { embeddingDim: 64, filters: 32, epochs: 6 } });
    await model.train(
      pick.map((i) => all[i]!),
      { device: 'wasm' },
    );
    const m = await model.evaluate(test);
    console.info(`TREC-6 Kim CNN (2,000 train, small): ${(m.accuracy * 100).toFixed(2)} %`);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.7);
    model.dispose();
  });
});
