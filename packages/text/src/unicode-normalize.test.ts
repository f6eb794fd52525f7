import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractFeatures, resolveFeatureConfig, tokenize } from './features';
import { TextClassifier } from './text-classifier';
import { codeOf } from './test-helpers';

const FRENCH = [
  ['café froid remboursement', 'refund'],
  ['je veux un remboursement pour mon café', 'refund'],
  ['remboursez moi le café crème', 'refund'],
  ['livraison en retard colis très abîmé', 'shipping'],
  ['où est mon colis livraison', 'shipping'],
  ['colis perdu pendant la livraison', 'shipping'],
].map(([text, label]) => ({ text: (text as string).normalize('NFC'), label: label as string }));

const PROBES = ['café', 'café crème', 'colis abîmé', 'très en retard', 'où est mon café'];

describe('Unicode normalisation (features.normalize, NFC by default)', () => {
  it('gives NFC and NFD forms of a word the same tokens and features', () => {
    const config = resolveFeatureConfig({ stem: true, removeStopWords: true, language: 'fr' });
    expect(config.normalize).toBe('NFC');
    const nfc = 'Livraison très retardée, café'.normalize('NFC');
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    expect(tokenize(nfd, config)).toEqual(tokenize(nfc, config));
    const words = resolveFeatureConfig({});
    expect(extractFeatures(nfd, words).features).toEqual(extractFeatures(nfc, words).features);
    // false reads the text as it is (the decomposed word stays two pieces).
    expect(tokenize(nfd, resolveFeatureConfig({ normalize: false }))).not.toEqual(tokenize(nfc, config));
    // NFKC also folds compatibility forms.
    expect(tokenize('ﬁle', resolveFeatureConfig({ normalize: 'NFKC' }))).toEqual(['file']);
  });

  it('refuses another normalize value', async () => {
    expect(await codeOf(() => resolveFeatureConfig({ normalize: 'NFD' as never }))).toBe('E_INPUT_INVALID');
    expect(await codeOf(() => resolveFeatureConfig({ normalize: true as never }))).toBe('E_INPUT_INVALID');
  });

  for (const model of ['linear', 'naive-bayes', 'fasttext', 'cnn'] as const) {
    it(`${model}: an NFD text scores as its NFC form, and explain finds its words`, async () => {
      const m = TextClassifier.create({
        model,
        seed: 3,
        ...(model === 'fasttext' ? { fasttext: { epochs: 5, dim: 8, buckets: 4096 } } : {}),
        ...(model === 'cnn' ? { cnn: { epochs: 3, embeddingDim: 8, filters: 4 } } : {}),
      });
      await m.train(FRENCH);
      const nfc = await m.predictBatch(PROBES.map((t) => t.normalize('NFC')));
      const nfd = await m.predictBatch(PROBES.map((t) => t.normalize('NFD')));
      expect(nfd).toEqual(nfc);
      if (model === 'linear') {
        const explained = await m.explain('café'.normalize('NFD'));
        expect(explained.tokens.map((t) => t.token)).toEqual(['café']);
        expect(explained.features!.length).toBeGreaterThan(0);
      }
      m.dispose();
    });
  }

  it('a bundle saved before the setting existed loads without normalisation and predicts exactly as it did', async () => {
    const fixtures = join(__dirname, '..', 'test', '__fixtures__');
    const expected = JSON.parse(await readFile(join(fixtures, 'linear-pre-normalize-expected.json'), 'utf8')) as {
      predictions: { text: string; label: string; scores: Record<string, number> }[];
    };
    const m = await TextClassifier.load(join(fixtures, 'linear-pre-normalize-bundle'));
    const got = await m.predictBatch(expected.predictions.map((p) => p.text));
    got.forEach((p, i) => {
      expect(p.label).toBe(expected.predictions[i]!.label);
      expect(p.scores).toEqual(expected.predictions[i]!.scores);
    });
    // Its NFC and NFD probes scored differently then, and still do.
    expect(got[0]!.scores).not.toEqual(got[1]!.scores);
    m.dispose();
  });
});
