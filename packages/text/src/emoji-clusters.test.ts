import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TfidfRowBuilder } from './fast-rows';
import { extractFeatures, resolveFeatureConfig, tokenize } from './features';
import { ngramHashes } from './hash';
import { TOKENIZERS } from './languages';
import { TextClassifier } from './text-classifier';
import { TfidfVectorizer } from './tfidf';
import { codeOf } from './test-helpers';

const FAMILY = '👨‍👩‍👧'; // man ZWJ woman ZWJ girl
const FLAG = '🇫🇷'; // two regional indicators
const THUMB = '👍🏽'; // thumbs up + medium skin tone
const KEYCAP = '1️⃣'; // '1' + U+FE0F + U+20E3
const HEART = '❤️'; // heart + U+FE0F
const EMOJI = [FAMILY, FLAG, THUMB, KEYCAP, HEART];

/** A token that is a piece of an emoji cluster: a joiner, a selector, a keycap mark, a skin tone, a lone surrogate or indicator. */
const FRAGMENT = /^(?:[\u200D\uFE0F\u20E3\p{Emoji_Modifier}\p{Regional_Indicator}]|[\uD800-\uDFFF])$|^[\u200D\uFE0F]|[\u200D]$/u;
function isFragment(token: string): boolean {
  return FRAGMENT.test(token) || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(token);
}

const REVIEWS = [
  ['family trip with the kids 👨‍👩‍👧 so happy', 'pos'],
  ['loved it ❤️ will come back', 'pos'],
  ['great service 👍🏽 thanks', 'pos'],
  ['bonjour from paris 🇫🇷 amazing food', 'pos'],
  ['press 1️⃣ to win 😀', 'pos'],
  ['terrible 👎🏿 never again', 'neg'],
  ['the room was dirty 🤮 and cold', 'neg'],
  ['waited two hours 😡😡 awful', 'neg'],
  ['my son 👨‍👦 got sick 🤒 there', 'neg'],
  ['rude staff 🙄 in 🇺🇸 branch', 'neg'],
].map(([text, label]) => ({ text: text as string, label: label as string }));

describe('emoji grapheme clusters (features.emojiClusters, on by default)', () => {
  for (const tokenizer of TOKENIZERS) {
    it(`tokenizer '${tokenizer}': each emoji cluster is one token, no joiner, selector, skin tone or half`, () => {
      const config = resolveFeatureConfig({ tokenizer });
      expect(config.emojiClusters).toBe(true);
      for (const emoji of EMOJI) {
        const tokens = tokenize(`nice ${emoji} trip`, config);
        expect(tokens).toContain(emoji);
        expect(tokens.filter(isFragment)).toEqual([]);
        // Also glued to words (the whitespace tokenizer keeps a whitespace-separated word whole).
        const glued = tokenize(`ok${emoji}thanks`, config);
        if (tokenizer === 'whitespace') expect(glued).toEqual([`ok${emoji}thanks`]);
        else expect(glued).toContain(emoji);
        expect(glued.filter(isFragment)).toEqual([]);
      }
      // Text without emoji tokenizes as before.
      const off = resolveFeatureConfig({ tokenizer, emojiClusters: false });
      expect(tokenize("don't stop, café 42!", config)).toEqual(tokenize("don't stop, café 42!", off));
    });
  }

  it('false splits them as the tokenizer does (unicode: code points and stray joiners)', () => {
    const off = resolveFeatureConfig({ emojiClusters: false });
    expect(tokenize(`a ${FAMILY} b`, off)).toEqual(['a', '👨', '\u200D', '👩', '\u200D', '👧', 'b']);
    expect(tokenize(`a ${FLAG} ${THUMB} ${HEART}`, off)).toEqual(['a', '🇫', '🇷', '👍', '🏽', '❤', '\uFE0F']);
  });

  it('character n-grams count an emoji cluster as one character (scope word and text)', () => {
    const words = resolveFeatureConfig({ wordNgrams: 1, charNgrams: { min: 1, max: 3 } });
    const features = extractFeatures(`hi ${FAMILY}${FLAG}`, words).features;
    expect(features).toContain(`c:${FAMILY}`);
    expect(features).toContain(`c:${FAMILY}${FLAG}`);
    expect(features).toContain(`c: ${FAMILY}${FLAG}`);
    expect(features).toContain(`w:${FAMILY}`);
    const pieces = features.filter((f) => f.startsWith('c:')).map((f) => f.slice(2).trim());
    expect(pieces.filter((p) => p !== '' && isFragment(p))).toEqual([]);
    // No n-gram cuts a cluster: each holds whole clusters only.
    for (const p of pieces) expect(p.replaceAll(FAMILY, '').replaceAll(FLAG, '')).toMatch(/^[\sa-z]*$/);
    const text = resolveFeatureConfig({ wordNgrams: 0, charNgrams: { min: 2, max: 2, scope: 'text' } });
    expect(extractFeatures(`a${THUMB}${KEYCAP}`, text).features).toEqual([`c:a${THUMB}`, `c:${THUMB}${KEYCAP}`]);
  });

  it('the fast TF-IDF rows (predict) read emoji as the features (train) do, bit for bit, on and off', () => {
    const texts = [...REVIEWS.map((r) => r.text), `what is ${FAMILY}${FLAG} ?`, `ok${THUMB}thanks ${KEYCAP}${HEART}`, '👨 👩 👧 🇫 🇷'];
    for (const emojiClusters of [true, false])
      for (const c of [
        {},
        { questionFeatures: true, shapeFeatures: true },
        { wordNgrams: 3, charNgrams: { min: 1, max: 2, scope: 'text' as const } },
      ]) {
        const config = resolveFeatureConfig({ ...c, emojiClusters });
        const tfidf = TfidfVectorizer.fit(texts.map((t) => extractFeatures(t, config).features));
        const rows = new TfidfRowBuilder(tfidf, config);
        for (const text of texts) {
          const expected = tfidf.transform(extractFeatures(text, config).features);
          const row = rows.row(text);
          expect({ indices: Array.from(row.indices), values: Array.from(row.values) }).toEqual({
            indices: Array.from(expected.indices),
            values: Array.from(expected.values),
          });
        }
      }
  });

  it('refuses a non-boolean emojiClusters', async () => {
    expect(await codeOf(() => resolveFeatureConfig({ emojiClusters: 'yes' as never }))).toBe('E_INPUT_INVALID');
  });

  for (const model of ['linear', 'naive-bayes', 'fasttext', 'cnn'] as const) {
    it(`${model}: reads an emoji cluster as one token (and explain shows it whole)`, async () => {
      const m = TextClassifier.create({
        model,
        seed: 3,
        ...(model === 'fasttext' ? { fasttext: { epochs: 5, dim: 8, buckets: 4096 } } : {}),
        ...(model === 'cnn' ? { cnn: { epochs: 3, embeddingDim: 8, filters: 4 } } : {}),
      });
      await m.train(REVIEWS);
      const dir = await mkdtemp(join(tmpdir(), 'text-emoji-'));
      try {
        await m.save(dir);
        if (model === 'linear' || model === 'naive-bayes') {
          const terms = (JSON.parse(await readFile(join(dir, 'tfidf.json'), 'utf8')) as { vocabulary: { terms: string[] } }).vocabulary
            .terms;
          for (const emoji of EMOJI) expect(terms).toContain(`w:${emoji}`);
          const wordTerms = terms.filter((t) => t.startsWith('w:')).flatMap((t) => t.slice(2).split(' '));
          expect(wordTerms.filter(isFragment)).toEqual([]);
          const explained = await m.explain(`so happy ${FAMILY}`, { top: 50 });
          expect(explained.features!.map((f) => f.token)).toContain(`w:${FAMILY}`);
          expect(explained.features!.map((f) => f.token).filter((t) => t.startsWith('w:') && isFragment(t.slice(2)))).toEqual([]);
        } else if (model === 'cnn') {
          const terms = (JSON.parse(await readFile(join(dir, 'vocabulary.json'), 'utf8')) as { terms: string[] }).terms;
          for (const emoji of EMOJI) expect(terms).toContain(emoji);
          expect(terms.filter(isFragment)).toEqual([]);
        } else {
          const bytes = await readFile(join(dir, 'fasttext-known.bin'));
          const known = new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
          for (const emoji of EMOJI) expect(known).toContain(ngramHashes([emoji], 1)[0]);
          for (const piece of ['\u200D', '\uFE0F', '🏽', '🇫', '👨']) expect(known).not.toContain(ngramHashes([piece], 1)[0]);
        }
        // What was a piece of a cluster is not a token the model knows: '👨' alone reads as unknown.
        const [alone, unknown] = await m.predictBatch(['👨', 'qqqq']);
        expect(alone!.scores).toEqual(unknown!.scores);
        // A saved model keeps the setting.
        const loaded = await TextClassifier.load(dir);
        expect(loaded.config.features.emojiClusters).toBe(true);
        expect(await loaded.predictBatch([`so happy ${FAMILY}`, `${THUMB}${FLAG}`])).toEqual(
          await m.predictBatch([`so happy ${FAMILY}`, `${THUMB}${FLAG}`]),
        );
        loaded.dispose();
      } finally {
        m.dispose();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  for (const model of ['linear', 'fasttext'] as const) {
    it(`${model}: a bundle saved before the setting existed splits emoji as it did and predicts exactly as it did`, async () => {
      const fixtures = join(__dirname, '..', 'test', '__fixtures__');
      const expected = JSON.parse(await readFile(join(fixtures, `${model}-pre-emoji-expected.json`), 'utf8')) as {
        predictions: { text: string; label: string; scores: Record<string, number> }[];
      };
      const m = await TextClassifier.load(join(fixtures, `${model}-pre-emoji-bundle`));
      expect(m.config.features.emojiClusters).toBe(false);
      const got = await m.predictBatch(expected.predictions.map((p) => p.text));
      got.forEach((p, i) => {
        expect(p.label).toBe(expected.predictions[i]!.label);
        expect(p.scores).toEqual(expected.predictions[i]!.scores);
      });
      m.dispose();
    });
  }
});
