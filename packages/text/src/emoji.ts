import type { NaturalTokenizer } from './natural-modules';

/**
 * Internal (not exported from the package): emoji grapheme clusters, kept whole.
 *
 * An emoji the user sees as one picture is often several code points: a ZWJ sequence (👨‍👩‍👧 is three
 * people joined by U+200D), a flag (🇫🇷 is two regional indicators), a skin tone (👍🏽 is 👍 + a modifier),
 * a keycap (1️⃣ is '1' + U+FE0F + U+20E3), a variation selector (❤️). The tokenizers split them into those
 * code points (some into lone surrogate halves); here each such cluster is one unit. The clusters are
 * Unicode's extended grapheme clusters as `Intl.Segmenter` finds them (so Node's ICU decides what an
 * emoji newer than it joins), counted as emoji when they hold a pictograph (`Extended_Pictographic`,
 * which also covers text symbols with an emoji form such as © ™ ‼) or a regional indicator, or are a
 * keycap.
 */

/** A code point an emoji cluster holds: only the whitespace-separated words holding one are segmented. */
const EMOJI_CHAR = /[\p{Extended_Pictographic}\p{Regional_Indicator}\u20E3]/gu;
const PICTOGRAPH = /[\p{Extended_Pictographic}\p{Regional_Indicator}]/u;
const KEYCAP = /^[0-9#*]\uFE0F?\u20E3$/u;
const SPACE = /\s/;

let segmenter: Intl.Segmenter | undefined;

function isEmojiCluster(grapheme: string): boolean {
  return PICTOGRAPH.test(grapheme) || KEYCAP.test(grapheme);
}

/**
 * `text` cut around its emoji clusters: [text, emoji, text, emoji, …, text] (even places the text between,
 * possibly empty; odd places one emoji cluster each), or undefined when it holds none.
 *
 * Only the whitespace-separated words that hold an emoji code point go through the segmenter (segmenting
 * whole texts made emoji-bearing texts 4x slower to read). The clusters are the same as the whole text's:
 * white space never joins the grapheme after it to one before it, and a grapheme that starts a word with
 * a mark (joined to the space before it in the whole text) holds no pictograph either way.
 */
export function splitEmoji(text: string): string[] | undefined {
  EMOJI_CHAR.lastIndex = 0;
  let found = EMOJI_CHAR.exec(text);
  if (found === null) return undefined;
  segmenter ??= new Intl.Segmenter('und', { granularity: 'grapheme' });
  const parts: string[] = [];
  let from = 0;
  while (found !== null) {
    let start = found.index;
    while (start > 0 && !SPACE.test(text.charAt(start - 1))) start--;
    let end = EMOJI_CHAR.lastIndex;
    while (end < text.length && !SPACE.test(text.charAt(end))) end++;
    for (const { segment, index } of segmenter.segment(text.slice(start, end))) {
      if (!isEmojiCluster(segment)) continue;
      const at = start + index;
      parts.push(text.slice(from, at), segment);
      from = at + segment.length;
    }
    EMOJI_CHAR.lastIndex = end;
    found = EMOJI_CHAR.exec(text);
  }
  if (parts.length === 0) return undefined;
  parts.push(text.slice(from));
  return parts;
}

/**
 * A tokenizer's tokens with each emoji cluster one token, in text order: the text between emoji goes to
 * the tokenizer, piece by piece. An emoji is a token even for the tokenizers that drop symbols (natural's
 * `word` and `aggressive` dropped emoji, or kept a keycap's digit).
 */
export function tokensKeepingEmoji(text: string, tokenizer: NaturalTokenizer): string[] {
  const parts = splitEmoji(text);
  if (parts === undefined) return tokenizer.tokenize(text);
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (i % 2 === 1) out.push(part);
    else if (/\S/.test(part)) for (const token of tokenizer.tokenize(part)) out.push(token);
  }
  return out;
}

/**
 * The characters of `text` for character n-grams: code points (a surrogate pair is one), except that an
 * emoji cluster is one character. Undefined when the text holds no emoji (the caller's code-point path).
 */
export function charactersKeepingEmoji(text: string): string[] | undefined {
  const parts = splitEmoji(text);
  if (parts === undefined) return undefined;
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (i % 2 === 1) out.push(part);
    else for (const c of part) out.push(c);
  }
  return out;
}
