import { resolveDataset } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { SMS_SPAM_DATASET, TREC_DATASET } from './datasets';
import { TfidfRowBuilder } from './fast-rows';
import { extractFeatures, resolveFeatureConfig, type FeatureConfig } from './features';
import type { LinearModel } from './linear-model';
import { readSmsSpam, readTrec, type TextExample } from './loaders';
import { TextClassifier, type TextClassifierConfig } from './text-classifier';
import { TfidfVectorizer } from './tfidf';
import { TICKETS } from './test-helpers';

interface Internals {
  state: { tfidf: TfidfVectorizer; linear: LinearModel; features: ReturnType<typeof resolveFeatureConfig> };
  probabilities(texts: string[], state: unknown): Float64Array[];
}

/** The fast path (predictBatch's) against the string path it replaces: text → features → transform. */
async function expectSamePath(model: TextClassifier, texts: string[]): Promise<void> {
  const inner = model as unknown as Internals;
  const { tfidf, linear, features } = inner.state;
  const viaStrings = texts.map((t) => linear.probabilities(tfidf.transform(extractFeatures(t, features).features)));
  for (let round = 0; round < 2; round++) {
    const fast = inner.probabilities(texts, inner.state);
    let worst = 0;
    fast.forEach((p, i) => p.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - (viaStrings[i]![k] as number))))));
    expect(worst).toBeLessThanOrEqual(1e-9);
  }
  const batch = await model.predictBatch(texts);
  batch.forEach((p, i) =>
    model.labels.forEach((l, k) => expect(Math.abs((p.scores[l] as number) - (viaStrings[i]![k] as number))).toBeLessThanOrEqual(1e-9)),
  );
}

const odd = [
  'WIN a £1000 prize NOW!! Call 09061701461 or visit www.win.com',
  'Ok lar... Joking wif u oni... 😀 see you later',
  'What is the café called ?',
  '   leading  and   trailing   spaces   ',
  '.',
  'unseen zzz qqq xyzzy',
];

describe('fast TF-IDF rows (text → ids, no feature strings)', () => {
  const configs: FeatureConfig[] = [
    {},
    { shapeFeatures: true, questionFeatures: true },
    { charNgrams: false, wordNgrams: 3 },
    { wordNgrams: 0, charNgrams: { min: 1, max: 3, scope: 'text' } },
    { stem: true, removeStopWords: true, lowercase: false, charNgrams: { min: 3, max: 4 } },
  ];
  it('gives the same row, bit for bit, as transform(extractFeatures(…)), for each feature config', () => {
    for (const c of configs) {
      const config = resolveFeatureConfig(c);
      for (const sublinearTf of [true, false]) {
        const tfidf = TfidfVectorizer.fit(
          TICKETS.map((r) => extractFeatures(r.text, config).features),
          { sublinearTf },
        );
        const rows = new TfidfRowBuilder(tfidf, config);
        for (let round = 0; round < 2; round++) {
          for (const text of [...TICKETS.map((r) => r.text), ...odd]) {
            const expected = tfidf.transform(extractFeatures(text, config).features);
            const row = rows.row(text);
            expect({ indices: Array.from(row.indices), values: Array.from(row.values) }).toEqual({
              indices: Array.from(expected.indices),
              values: Array.from(expected.values),
            });
          }
        }
      }
    }
  });

  it('fitTransform gives the vocabulary, idf and rows of fit then transform, bit for bit', () => {
    const texts = [...TICKETS.map((r) => r.text), ...odd, ...TICKETS.map((r) => r.text.toUpperCase())];
    for (const c of configs) {
      const config = resolveFeatureConfig(c);
      const docs = texts.map((t) => extractFeatures(t, config).features);
      // An edited features array (its cached character n-gram groups no longer match) takes the per-term path.
      const edited = docs[0]!;
      edited.splice(Math.min(edited.length, 3), 0, 'c:edited');
      for (const options of [{}, { sublinearTf: false }, { minCount: 2 }, { maxSize: 37 }, { minCount: 2, maxSize: 5, normalize: false }]) {
        const reference = TfidfVectorizer.fit(docs, options);
        const { vectorizer, rows } = TfidfVectorizer.fitTransform(docs, options);
        expect(vectorizer.toJSON()).toEqual(reference.toJSON());
        const got = rows.map((r) => ({ indices: Array.from(r.indices), values: Array.from(r.values) }));
        const want = docs.map((d) => reference.transform(d)).map((r) => ({ indices: Array.from(r.indices), values: Array.from(r.values) }));
        expect(got).toEqual(want);
      }
    }
    expect(() => TfidfVectorizer.fitTransform([])).toThrow(/at least one document/);
    expect(() => TfidfVectorizer.fitTransform([['a']], { minCount: 0 })).toThrow(/minCount/);
  });

  it('predicts the same probabilities as the string path (linear and naive Bayes, tickets)', async () => {
    for (const model of ['linear', 'naive-bayes'] as const) {
      for (const features of configs) {
        const classifier = TextClassifier.create({ model, features, linear: { epochs: 3 } });
        await classifier.train(TICKETS);
        await expectSamePath(classifier, [...TICKETS.map((r) => r.text), ...odd]);
        classifier.dispose();
      }
    }
  });
});

// Real data through APPLIEDML_DATA_DIR; when it is missing these tests fail with E_DATASET_MISSING (never skip).
describe('fast path on SMS Spam and TREC samples', () => {
  async function check(data: TextExample[], probe: TextExample[], config: TextClassifierConfig): Promise<void> {
    const classifier = TextClassifier.create({ ...config, linear: { epochs: 3 } });
    await classifier.train(data);
    await expectSamePath(
      classifier,
      probe.map((r) => r.text),
    );
    classifier.dispose();
  }

  it('SMS Spam: with and without character n-grams and shape features', async () => {
    const sms = await resolveDataset(SMS_SPAM_DATASET);
    const rows = await readSmsSpam(sms.files['SMSSpamCollection.tsv'] as string);
    const train = rows.slice(0, 1500);
    const probe = rows.slice(1500, 2300);
    await check(train, probe, { features: { shapeFeatures: true } });
    await check(train, probe, { features: { charNgrams: false } });
    await check(train, probe, { model: 'naive-bayes', features: { shapeFeatures: true } });
  }, 120_000);

  it('TREC: with and without question / WordNet features and character n-grams', async () => {
    const trec = await resolveDataset(TREC_DATASET);
    const train = (await readTrec(trec.files['train_5500.label'] as string)).slice(0, 2000);
    const probe = await readTrec(trec.files['TREC_10.label'] as string);
    await check(train, probe, { features: { questionFeatures: true, wordnet: true, charNgrams: false } });
    await check(train, probe, { features: { questionFeatures: true } });
    await check(train, probe, { features: {} });
    await check(train, probe, { model: 'naive-bayes', features: { questionFeatures: true, wordnet: true, charNgrams: false } });
  }, 120_000);
});
