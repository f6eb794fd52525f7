import { afterEach, describe, expect, it, vi } from 'vitest';
import { splitEmoji } from './emoji';
import { extractFeatures, resolveFeatureConfig, tokenize } from './features';
import { TOKENIZERS } from './languages';

// Node 20's Intl.Segmenter spends time proportional to the whole string on each grapheme it steps over, so
// segmenting one long unspaced word holding an emoji was quadratic: 64,000 'a' + one emoji took 14 s in
// predict, 128,000 took 216 s (review s28 R1, item 1). splitEmoji now reads words through bounded windows.

/** What splitEmoji returned before the windows: each whitespace-separated word holding an emoji segmented whole. */
const segmenter = new Intl.Segmenter('und', { granularity: 'grapheme' });
function wholeWordSplit(text: string): string[] | undefined {
  const emojiChar = /[\p{Extended_Pictographic}\p{Regional_Indicator}\u20E3]/u;
  const isEmoji = (g: string): boolean => /[\p{Extended_Pictographic}\p{Regional_Indicator}]/u.test(g) || /^[0-9#*]\uFE0F?\u20E3$/u.test(g);
  const parts: string[] = [];
  let from = 0;
  for (const word of text.matchAll(/\S+/g)) {
    if (!emojiChar.test(word[0])) continue;
    for (const { segment, index } of segmenter.segment(word[0])) {
      if (!isEmoji(segment)) continue;
      const at = word.index + index;
      parts.push(text.slice(from, at), segment);
      from = at + segment.length;
    }
  }
  if (parts.length === 0) return undefined;
  parts.push(text.slice(from));
  return parts;
}

const TRICKY = [
  '👨‍👩‍👧‍👦', // ZWJ family
  '🏳️‍🌈', // flag ZWJ sequence with a selector
  '🧑‍🤝‍🧑',
  '🇫🇷', // regional indicator pair
  '🇫', // a lone indicator (pairs with the next one)
  '👍🏽', // skin tone
  '1️⃣', // keycap
  '#⃣', // keycap without the selector
  '❤️', // variation selector
  '©', // text symbol with an emoji form
  '😀\u0301', // emoji with a combining mark
  '\u0600😀', // prepended
  '\u200D😀', // stray joiner first
  '\uD83D', // lone surrogate half
];
const FILLERS = ['a', '7', '我', 'é', 'e\u0301', '\u0915\u094D\u0937', '\u1100\u1161\u11A8', '\u0E01\u0E33', '\u0301', '🇫', '😀'];

describe('emoji clusters read in bounded windows', () => {
  afterEach(() => vi.restoreAllMocks());

  it('finds the same clusters as segmenting each word whole, wherever a window ends', () => {
    let checked = 0;
    for (const emoji of TRICKY)
      for (const filler of FILLERS)
        // Fillers of n units put the emoji across the 64-unit window's end and a doubled window's.
        for (const units of [0, 1, 2, 3, 58, 59, 60, 61, 62, 63, 64, 65, 66, 125, 126, 127, 128, 129, 130]) {
          const n = Math.ceil(units / filler.length);
          for (const text of [
            filler.repeat(n) + emoji,
            `x${filler.repeat(n)}${emoji.repeat(5)}${filler}y z`,
            `${emoji}${filler.repeat(n)}${emoji}`,
          ]) {
            expect(splitEmoji(text), JSON.stringify(text)).toEqual(wholeWordSplit(text));
            checked++;
          }
        }
    // Texts of many words, next to letters, digits and CJK.
    const mixed = [
      'ok👍🏽thanks 我们😀去 1️⃣2️⃣3️⃣ 🇫🇷🇺🇸🇫 café❤️ #️⃣*⃣ 👨‍👩‍👧x',
      `${'ab'.repeat(100)}🇫${'🇫'.repeat(99)} ${'😀'.repeat(300)}\n${'👨\u200D'.repeat(70)}👩`,
      `${'e'}${'\u0301'.repeat(500)}😀${'a'.repeat(300)}🏳️‍🌈`,
    ];
    for (const text of mixed) expect(splitEmoji(text), text).toEqual(wholeWordSplit(text));
    expect(checked).toBeGreaterThan(3000);
  });

  it('keeps the tokens of every tokenizer, and the character n-grams, on long words', () => {
    const texts = [`${'a'.repeat(300)}👨‍👩‍👧${'b'.repeat(70)} ok`, `${'我'.repeat(200)}🇫🇷🇫🇷${'我'.repeat(65)}👍🏽`, `go${'1️⃣'.repeat(40)}!`];
    for (const tokenizer of TOKENIZERS) {
      const config = resolveFeatureConfig({ tokenizer });
      for (const text of texts) {
        const tokens = tokenize(text, config);
        // The same tokens as cutting the text where whole-word segmentation puts the clusters.
        const parts = wholeWordSplit(text)!;
        const expected =
          tokenizer === 'whitespace'
            ? text.split(/\s+/).filter((t) => t !== '')
            : parts.flatMap((p, i) =>
                i % 2 === 1 ? [p] : /\S/.test(p) ? tokenize(p, resolveFeatureConfig({ tokenizer, emojiClusters: false })) : [],
              );
        expect(tokens, `${tokenizer}: ${text.slice(0, 20)}`).toEqual(expected);
      }
    }
    const chars = resolveFeatureConfig({ wordNgrams: 0, charNgrams: { min: 1, max: 1, scope: 'text' } });
    const text = `${'我'.repeat(100)}👨‍👩‍👧${'x'.repeat(100)}`;
    const expected = wholeWordSplit(text)!.flatMap((p, i) => (i % 2 === 1 ? [p] : Array.from(p)));
    expect(extractFeatures(text, chars).features).toEqual(expected.map((c) => `c:${c}`));
  });

  it('never hands the segmenter a long string: 200,000 characters and one emoji (fails on the old code)', () => {
    const lengths: number[] = [];
    // Refused at once rather than segmented: the old code would take minutes on it.
    let limit: number | undefined = 130;
    const segment = Intl.Segmenter.prototype.segment;
    vi.spyOn(Intl.Segmenter.prototype, 'segment').mockImplementation(function (this: Intl.Segmenter, input: string) {
      lengths.push(input.length);
      if (limit !== undefined && input.length > limit) throw new Error(`the segmenter was given ${input.length} units`);
      return segment.call(this, input);
    });
    for (const filler of ['a', '我', 'é', '😀']) {
      lengths.length = 0;
      const text = filler.repeat(100_000 / filler.length) + '👍🏽' + filler.repeat(100_000 / filler.length);
      const parts = splitEmoji(text)!;
      expect(parts.filter((_, i) => i % 2 === 1).includes('👍🏽')).toBe(true);
      // The old code segmented the whole 200,002-unit word at once.
      expect(Math.max(...lengths), filler).toBeLessThanOrEqual(130);
      expect(
        lengths.reduce((a, b) => a + b, 0),
        filler,
      ).toBeLessThanOrEqual(3 * text.length);
    }
    // One grapheme longer than a window (an emoji with 10,000 marks) is read whole, in few reads.
    lengths.length = 0;
    limit = undefined;
    const long = '😀' + '\u0301'.repeat(10_000);
    expect(splitEmoji(`${long}a${long}`)).toEqual(['', long, 'a', long, '']);
    expect(lengths.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(8 * 20_003);
  });

  it('a 200,000-character word with one emoji tokenizes in well under 3 s (the old code took minutes)', () => {
    const config = resolveFeatureConfig({});
    for (const filler of ['a', '我']) {
      // The same text with a space before the emoji (never slow) says what this machine's load allows.
      let started = performance.now();
      tokenize(`${filler.repeat(200_000)} 😀`, config);
      const spaced = performance.now() - started;
      started = performance.now();
      const tokens = tokenize(filler.repeat(200_000) + '😀', config);
      expect(performance.now() - started, `${filler} (spaced: ${spaced.toFixed(0)} ms)`).toBeLessThan(Math.max(3000, 4 * spaced));
      expect(tokens).toContain('😀');
    }
  });
});
