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

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isEmojiCluster(grapheme: string): boolean {
  return PICTOGRAPH.test(grapheme) || KEYCAP.test(grapheme);
}

/**
 * The segmenter reads at most this many UTF-16 units at a time. Node 20's `Intl.Segmenter` spends time
 * proportional to the whole string on each grapheme it steps over, so one unspaced 64,000-letter word
 * holding an emoji took 14 s and 128,000 took minutes; windows this size keep it linear in the text.
 */
const WINDOW = 64;

/**
 * Calls `found` with each emoji cluster of the word `text[start, end)` (no white space in it), in order:
 * the clusters `Intl.Segmenter` finds in the word read whole, found window by window.
 *
 * A window starts at a grapheme boundary of the word (its start, a boundary found before, or inside a run
 * of ASCII, where every place is one). Within a window every boundary but its end is the word's: Unicode's
 * grapheme rules decide a break from what comes before it back to the last break and from the one
 * character after it, all of which the window holds (a window never ends inside a surrogate pair). So the
 * last grapheme a window finds (which may run on past it) is read again from its start by the next
 * window; a window holding less than one grapheme doubles until it holds one, and then only that grapheme
 * is taken (an emoji with a thousand combining marks costs the segmenter a few thousand units, not a
 * thousand windows of a thousand). emoji-windows.test checks the clusters against whole-word segmentation.
 */
function emojiClustersOfWord(text: string, start: number, end: number, found: (at: number, cluster: string) => void): void {
  segmenter ??= new Intl.Segmenter('und', { granularity: 'grapheme' });
  let from = start;
  let size = WINDOW;
  while (from < end) {
    // Two ASCII characters never join (none extends, prepends, joins or pairs): skip a run of them to its last.
    let ascii = from;
    while (ascii < end && text.charCodeAt(ascii) < 0x80) ascii++;
    if (ascii - 1 > from) from = ascii - 1;
    let stop = Math.min(end, from + size);
    // Not between the halves of a surrogate pair: the segmenter would read a lone half, a grapheme of its own.
    if (stop < end && isHighSurrogate(text.charCodeAt(stop - 1))) stop++;
    let next = stop;
    for (const { segment, index } of segmenter.segment(text.slice(from, stop))) {
      const at = from + index;
      if (stop < end && at + segment.length === stop) {
        next = at;
        break;
      }
      if (isEmojiCluster(segment)) found(at, segment);
      if (size > WINDOW) {
        next = at + segment.length;
        break;
      }
    }
    if (next === from) {
      size *= 2;
    } else {
      size = WINDOW;
      from = next;
    }
  }
}

/**
 * `text` cut around its emoji clusters: [text, emoji, text, emoji, …, text] (even places the text between,
 * possibly empty; odd places one emoji cluster each), or undefined when it holds none.
 *
 * Only the whitespace-separated words that hold an emoji code point go through the segmenter (segmenting
 * whole texts made emoji-bearing texts 4x slower to read), in bounded windows (`emojiClustersOfWord`). The
 * clusters are the same as the whole text's: white space never joins the grapheme after it to one before
 * it, and a grapheme that starts a word with a mark (joined to the space before it in the whole text)
 * holds no pictograph either way.
 */
export function splitEmoji(text: string): string[] | undefined {
  EMOJI_CHAR.lastIndex = 0;
  let found = EMOJI_CHAR.exec(text);
  if (found === null) return undefined;
  const parts: string[] = [];
  let from = 0;
  const keep = (at: number, cluster: string): void => {
    parts.push(text.slice(from, at), cluster);
    from = at + cluster.length;
  };
  while (found !== null) {
    let start = found.index;
    while (start > 0 && !SPACE.test(text.charAt(start - 1))) start--;
    let end = EMOJI_CHAR.lastIndex;
    while (end < text.length && !SPACE.test(text.charAt(end))) end++;
    emojiClustersOfWord(text, start, end, keep);
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
