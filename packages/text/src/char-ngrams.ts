import { AppliedMLError, checkKnownKeys } from '@appliedml/engine';
import { charactersKeepingEmoji } from './emoji';
import { checkChoice, checkStringArgument } from './text-input';

export interface CharNgramOptions {
  /** Smallest and largest n (default 2..4). */
  min?: number;
  max?: number;
  /**
   * 'word' (default): n-grams inside each whitespace-separated word padded with spaces, as
   * scikit-learn's char_wb; 'text': over the whole text, which is what scripts without spaces
   * (Chinese, Japanese) need.
   */
  scope?: 'word' | 'text';
}

const OPTION_KEYS = Object.keys({ min: 1, max: 1, scope: 1 } satisfies Record<keyof CharNgramOptions, 1>);
const SURROGATE = /[\uD800-\uDFFF]/;

/** Character n-grams, by code point (a surrogate pair is one character). */
export function charNgrams(text: string, options: CharNgramOptions = {}): string[] {
  checkStringArgument('charNgrams text', text);
  checkKnownKeys('charNgrams options', options, OPTION_KEYS);
  checkChoice('charNgrams scope', options.scope, ['word', 'text']); // another value counted as 'word'
  const min = options.min ?? 2;
  const max = options.max ?? 4;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min || max > 16) {
    throw new AppliedMLError('E_INPUT_INVALID', `Character n-gram sizes must be integers with 1 ≤ min ≤ max ≤ 16; got ${min}..${max}.`);
  }
  return charNgramsOf(text, min, max, options.scope ?? 'word', false);
}

/**
 * Internal (not exported from the package): `charNgrams` on sizes it checked, and with `emojiClusters` an
 * emoji grapheme cluster (👨‍👩‍👧, 🇫🇷, 👍🏽, 1️⃣) counts as one character.
 */
export function charNgramsOf(text: string, min: number, max: number, scope: 'word' | 'text', emojiClusters: boolean): string[] {
  const out: string[] = [];
  const pieces =
    scope === 'text'
      ? [text.replace(/\s+/g, ' ').trim()]
      : text
          .split(/\s+/)
          .filter((w) => w !== '')
          .map((w) => ` ${w} `);
  for (const piece of pieces) {
    const clustered = emojiClusters ? charactersKeepingEmoji(piece) : undefined;
    if (clustered === undefined && !SURROGATE.test(piece)) {
      // Fast path: no surrogate pairs, so UTF-16 units are code points.
      for (let n = min; n <= max; n++) for (let i = 0; i + n <= piece.length; i++) out.push(piece.substring(i, i + n));
      continue;
    }
    const chars = clustered ?? Array.from(piece);
    for (let n = min; n <= max; n++) {
      for (let i = 0; i + n <= chars.length; i++) out.push(chars.slice(i, i + n).join(''));
    }
  }
  return out;
}
