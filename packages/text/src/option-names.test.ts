import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { charNgrams } from './char-ngrams';
import { resolveFeatureConfig } from './features';
import { hashedNgrams } from './hashed-ngrams';
import { readSmsSpam, readTextCsv, readTextJsonl, readTrec } from './loaders';
import { SentimentScorer } from './sentiment';
import { TICKETS } from './test-helpers';
import { TextClassifier } from './text-classifier';
import { checkText } from './text-input';
import { TfidfVectorizer } from './tfidf';
import { Vocabulary } from './vocabulary';

describe('TextClassifier option names', () => {
  it('a misspelt option, at the top or in a nested option object, is refused at create with the valid names', () => {
    expect(() => TextClassifier.create({ modle: 'cnn' } as never)).toThrow(
      expect.objectContaining({
        code: 'E_INPUT_INVALID',
        message: expect.stringMatching(/TextClassifier config has no option 'modle'; valid: /),
      }),
    );
    for (const [bad, name] of [
      [{ linear: { epoch: 3 } }, "linear has no option 'epoch'"],
      [{ features: { wordNGrams: 2 } }, "features has no option 'wordNGrams'"],
      [{ cnn: { filter: 8 } }, "cnn has no option 'filter'"],
    ] as const)
      expect(() => TextClassifier.create(bad as never)).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringContaining(name) }),
      );
    TextClassifier.create({ model: 'linear', seed: 1 }).dispose();
  });
});

describe('helper option names', () => {
  const misspelt = (fn: () => unknown, name: string): Promise<void> =>
    expect(Promise.resolve().then(fn)).rejects.toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringContaining(`has no option '${name}'; valid: `) }),
    );

  it('a misspelt option of a text helper is refused with the valid names (it was ignored)', async () => {
    await misspelt(() => resolveFeatureConfig({ ngrams: 2 } as never), 'ngrams');
    await misspelt(() => resolveFeatureConfig({ charNgrams: { min: 2, mx: 3 } } as never), 'mx');
    await misspelt(() => checkText('xx', { maxchars: 1 } as never), 'maxchars');
    await misspelt(() => charNgrams('ab', { mn: 1 } as never), 'mn');
    await misspelt(() => hashedNgrams(['a', 'b', 'c'], { maxn: 3 } as never), 'maxn');
    await misspelt(() => Vocabulary.fit([['a']], { maxsize: 0 } as never), 'maxsize');
    await misspelt(() => TfidfVectorizer.fit([['a']], { sublinear: false } as never), 'sublinear');
    await misspelt(() => TfidfVectorizer.fitTransform([['a']], { minDf: 2 } as never), 'minDf');
    await misspelt(() => new SentimentScorer({ lang: 'de' } as never), 'lang');
    const dir = await mkdtemp(join(tmpdir(), 'text-option-names-'));
    try {
      const csv = join(dir, 'a.csv');
      await writeFile(csv, 'text,label\nhi,1\n');
      await misspelt(() => readTextCsv(csv, { textfield: 'x' } as never), 'textfield');
      await misspelt(() => readTextJsonl(csv, { delimiter: ';' } as never), 'delimiter');
      await misspelt(() => readSmsSpam(csv, { dedup: false } as never), 'dedup');
      await misspelt(() => readTrec(csv, { granularty: 'fine' } as never), 'granularty');
      expect(await readTextCsv(csv, { textField: 'text', labelField: 'label', delimiter: ',', maxBytes: 100, maxTextChars: 10 })).toEqual([
        { text: 'hi', label: '1' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // The right names still work, and TF-IDF's own options pass through to its vocabulary.
    expect(TfidfVectorizer.fit([['a', 'b'], ['a']], { minCount: 2, maxSize: 5, sublinearTf: false, normalize: false }).size).toBe(1);
    expect(new SentimentScorer({ language: 'de', vocabulary: 'pattern', stem: false, maxTextChars: 100 }).score('gut').tokens).toBe(1);
  });

  it('create refuses a misspelt features.charNgrams name; a bundle saved with one still loads, ignoring it', async () => {
    await misspelt(() => TextClassifier.create({ features: { charNgrams: { min: 2, max: 3, scop: 'text' } } } as never), 'scop');
    const model = TextClassifier.create({ features: { charNgrams: { min: 2, max: 3 } } });
    await model.train(TICKETS);
    const dir = await mkdtemp(join(tmpdir(), 'text-option-names-'));
    try {
      await model.save(dir);
      const file = join(dir, 'manifest.json');
      const manifest = JSON.parse(await readFile(file, 'utf8')) as { manifestSha256?: string; preprocessing: { features: any } };
      delete manifest.manifestSha256; // as an earlier version wrote it
      manifest.preprocessing.features.charNgrams.scop = 'text';
      manifest.preprocessing.features.oldOption = true;
      await writeFile(file, JSON.stringify(manifest));
      const loaded = await TextClassifier.load(dir);
      expect(loaded.config.features.charNgrams).toEqual({ min: 2, max: 3 });
      expect((await loaded.predict('Refund my double charge')).label).toBe((await model.predict('Refund my double charge')).label);
      loaded.dispose();
    } finally {
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// train's progress was never checked: 'off', 'yes' and 1 were accepted, and 'off' (truthy) drew a bar on
// a terminal. It is checked as the other options are, for every model type, before anything trains.
describe('train progress', () => {
  for (const model of ['linear', 'naive-bayes', 'fasttext', 'cnn'] as const)
    it(`${model}: a progress other than true, false or 'auto' is E_INPUT_INVALID listing the valid values; those three train`, async () => {
      const classifier = TextClassifier.create({ model, fasttext: { buckets: 256, dim: 4 }, cnn: { embeddingDim: 4, filters: 2 } });
      for (const bad of ['off', 'yes', 1, 0, null, 'true'])
        await expect(classifier.train(TICKETS, { epochs: 1, progress: bad as never })).rejects.toMatchObject({
          code: 'E_INPUT_INVALID',
          message: `progress must be true, false or 'auto' (got ${typeof bad === 'string' ? `"${bad}"` : String(bad)}).`,
          details: { field: 'progress', valid: [true, false, 'auto'] },
        });
      expect(classifier.isTrained).toBe(false);
      // true would draw a bar on a terminal: false and 'auto' (no TTY under the test runner) train quietly.
      for (const good of [false, 'auto', undefined] as const) await classifier.train(TICKETS, { epochs: 1, progress: good });
      expect(classifier.isTrained).toBe(true);
      classifier.dispose();
    });
});

// features.language was undocumented and never checked unless stem or removeStopWords was on: 5 or ''
// was taken silently. It must be a non-empty string; any code is taken while neither reads it.
describe('features.language', () => {
  it('is a non-empty string (E_INPUT_INVALID naming the languages with a stemmer / stop words otherwise)', () => {
    for (const bad of [5, '', '  ', {}, true])
      expect(() => TextClassifier.create({ features: { language: bad as never } })).toThrow(
        expect.objectContaining({
          code: 'E_INPUT_INVALID',
          message: expect.stringMatching(
            /^features\.language must be a language code such as 'en' \(got .*\); it chooses the stemmer \(en de /,
          ),
          details: { field: 'features.language' },
        }),
      );
    // A code nothing reads is taken; with stem on it needs a stemmer.
    expect(() => TextClassifier.create({ features: { language: 'ko' } })).not.toThrow();
    expect(() => TextClassifier.create({ features: { language: 'ko', stem: true } })).toThrow(/No stemmer for language 'ko'/);
    expect(() => resolveFeatureConfig({ language: 7 as never })).toThrow(/features\.language/);
  });
});

// 2f484d7 refused 5 and '' at load too: a bundle saved before with such a language (taken then, as neither
// stem nor removeStopWords read it) was E_BUNDLE_CORRUPT. It loads and predicts as the saved model did.
describe('features.language in a bundle saved before it was checked', () => {
  it("5, '' or '  ' with neither stem nor stop words loads as 'en' and predicts as saved; with stem on it is corrupt", async () => {
    const model = TextClassifier.create({ model: 'linear' });
    await model.train(TICKETS);
    const texts = ['Refund my double charge', 'the app crashes', 'where is my parcel'];
    const expected = (await model.predictBatch(texts)).map((p) => p.scores);
    const dir = await mkdtemp(join(tmpdir(), 'text-language-old-'));
    try {
      await model.save(dir);
      const file = join(dir, 'manifest.json');
      const original = await readFile(file, 'utf8');
      const withLanguage = async (language: unknown, extra: Record<string, unknown> = {}): Promise<void> => {
        const manifest = JSON.parse(original) as { manifestSha256?: string; preprocessing: { features: any } };
        delete manifest.manifestSha256; // as an earlier version wrote it
        Object.assign(manifest.preprocessing.features, { language, ...extra });
        await writeFile(file, JSON.stringify(manifest));
      };
      for (const language of [5, '', '  ']) {
        await withLanguage(language);
        const loaded = await TextClassifier.load(dir);
        expect(loaded.config.features.language).toBe('en');
        expect((await loaded.predictBatch(texts)).map((p) => p.scores)).toEqual(expected);
        loaded.dispose();
      }
      // The old rules refused these too (no stemmer / stop words for ''): such a bundle was never saved.
      for (const extra of [{ stem: true }, { removeStopWords: true }]) {
        await withLanguage('', extra);
        await expect(TextClassifier.load(dir)).rejects.toMatchObject({
          code: 'E_BUNDLE_CORRUPT',
          message: expect.stringContaining('features.language must be a language code'),
        });
      }
    } finally {
      model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
