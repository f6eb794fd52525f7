import { AppliedMLError, checkKnownKeys, describeValue, keepKnownKeys } from '@appliedml/engine';
import { charNgrams, charNgramsOf } from './char-ngrams';
import { tokensKeepingEmoji } from './emoji';
import { WordNetNouns } from './wordnet';
import { STEMMER_LANGUAGES, STOPWORD_LANGUAGES, TOKENIZERS, stemmerFor, stopWordsFor, tokenizerFor, type TokenizerName } from './languages';
import { checkStringArgument } from './text-input';

/** How a text becomes tokens and features. Stored in the bundle, so a loaded model sees texts the same way. */
export interface FeatureConfig {
  /**
   * Language code choosing natural's stemmer (`stem`) and stop-word list (`removeStopWords`) (default
   * 'en'); nothing else reads it (tokenizers are language-neutral, question and WordNet features English),
   * so any code is taken while neither is on. A non-empty string.
   */
  language?: string;
  tokenizer?: TokenizerName;
  lowercase?: boolean;
  /** Stem words with natural's stemmer for the language (default false). */
  stem?: boolean;
  /** Drop natural's stop words for the language (default false: they matter for questions). */
  removeStopWords?: boolean;
  /** Word n-grams from 1 to this (default 2). 0 turns word features off. */
  wordNgrams?: number;
  /** Character n-grams (default {min 2, max 5, scope 'word'}); false turns them off. */
  charNgrams?: { min: number; max: number; scope?: 'word' | 'text' } | false;
  /**
   * Question features (default false): the wh-word, the wh-word with the next word, the head word
   * (the first noun-like word after the wh-word and its auxiliaries) and the first two words.
   */
  questionFeatures?: boolean;
  /**
   * WordNet features of the question's head word (default false; needs questionFeatures): the
   * lexicographer files of its first senses and the hypernym chain of its first sense.
   */
  wordnet?: boolean;
  /** Shape features (default false): digits, currency, URLs, capitals, length bucket — useful for spam. */
  shapeFeatures?: boolean;
  /**
   * Unicode normalisation applied to every text before anything reads it (default 'NFC'): 'café' typed
   * as one code point (NFC) or as 'e' + a combining accent (NFD, as macOS and some PDFs write it) gives
   * the same tokens. 'NFKC' also folds compatibility forms (ligatures, full-width letters, superscripts);
   * false reads texts as they are. A bundle saved without this setting (before it existed) loads as false,
   * so it predicts exactly as it did.
   */
  normalize?: 'NFC' | 'NFKC' | false;
  /**
   * Each emoji grapheme cluster is one token, and one character for character n-grams (default true): a
   * ZWJ sequence (👨‍👩‍👧), a flag (🇫🇷), a skin tone (👍🏽), a keycap (1️⃣) or an emoji with its variation
   * selector (❤️) instead of its code points and stray joiners. Every tokenizer but 'whitespace' (which
   * never splits them) keeps it whole, also 'word' and 'aggressive', which dropped emoji. false splits
   * them as the tokenizer does. A bundle saved without this setting (before it existed) loads as false,
   * so it predicts exactly as it did.
   */
  emojiClusters?: boolean;
}

/**
 * Named feature configs for `TextClassifier.create({ features })`:
 * - `words`: word unigrams only (scikit-learn's default `TfidfVectorizer` features; fastest to train and predict);
 * - `spam`: the defaults (words 1–2, character 2–5-grams within words) plus shape features (SMS Spam);
 * - `questions`: words 1–2, question features and WordNet classes of the head noun, no character n-grams (TREC).
 */
export const FEATURE_PRESETS = {
  words: { wordNgrams: 1, charNgrams: false },
  spam: { shapeFeatures: true },
  questions: { questionFeatures: true, wordnet: true, charNgrams: false },
} as const satisfies Record<string, FeatureConfig>;

/** Every feature option name, so a misspelt one is refused (kept in step with the interface by `satisfies`). */
export const FEATURE_KEYS = Object.keys({
  language: 1,
  tokenizer: 1,
  lowercase: 1,
  stem: 1,
  removeStopWords: 1,
  wordNgrams: 1,
  charNgrams: 1,
  questionFeatures: 1,
  wordnet: 1,
  shapeFeatures: 1,
  normalize: 1,
  emojiClusters: 1,
} satisfies Record<keyof FeatureConfig, 1>);
/** The option names of `features.charNgrams`. */
export const CHAR_NGRAM_KEYS = Object.keys({ min: 1, max: 1, scope: 1 } satisfies Record<
  keyof Exclude<FeatureConfig['charNgrams'], false | undefined>,
  1
>);

/**
 * Internal (not exported from the package): a feature config read back from a bundle, with only the known
 * option names at both levels. A bundle saved before the names were checked may hold a misspelt
 * `charNgrams` key, which was ignored then and is still ignored on load, or a language nothing read
 * (see below).
 */
export function savedFeatureConfig(saved: unknown): FeatureConfig {
  if (saved === null || typeof saved !== 'object' || Array.isArray(saved)) return saved as FeatureConfig; // resolveFeatureConfig refuses it
  const kept = keepKnownKeys(saved as FeatureConfig, FEATURE_KEYS);
  // Saved before texts were normalised: read them as that model did (not as NFC, the default now).
  if (!Object.prototype.hasOwnProperty.call(kept, 'normalize')) kept.normalize = false;
  // Saved before emoji clusters were kept whole: split them as that model did.
  if (!Object.prototype.hasOwnProperty.call(kept, 'emojiClusters')) kept.emojiClusters = false;
  // Saved before the language was checked: with neither stem nor removeStopWords on nothing read
  // it, so 5, null or '' was taken and saved. Such a model reads texts as one with 'en' does.
  const language: unknown = kept.language;
  if ((typeof language !== 'string' || language.trim() === '') && kept.stem !== true && kept.removeStopWords !== true) kept.language = 'en';
  const c: unknown = kept.charNgrams;
  if (c !== null && typeof c === 'object' && !Array.isArray(c))
    kept.charNgrams = keepKnownKeys(c as { min: number; max: number }, CHAR_NGRAM_KEYS);
  return kept;
}

export type ResolvedFeatureConfig = Required<Omit<FeatureConfig, 'charNgrams'>> & { charNgrams: FeatureConfig['charNgrams'] };

/**
 * Configs `resolveFeatureConfig` made and checked, each with a frozen copy of the values it checked.
 * A config is used as it stands only while it still holds exactly those values: one changed in place
 * after it was resolved (`config.wordNgrams = 2.5`, `config.charNgrams.min = 0`, a key added), a
 * spread of one with a setting changed and a hand-built one are resolved, so checked, again. The
 * user's object is never frozen.
 */
const RESOLVED = new WeakMap<object, Readonly<Record<string, unknown>>>();

/** The values of a resolved config, `charNgrams` copied (it is the caller's object). */
function snapshotOf(config: ResolvedFeatureConfig): Readonly<Record<string, unknown>> {
  const copy: Record<string, unknown> = { ...config };
  if (config.charNgrams !== false && config.charNgrams !== null && typeof config.charNgrams === 'object')
    copy.charNgrams = Object.freeze({ ...config.charNgrams });
  return Object.freeze(copy);
}

/** Whether `value` holds the same keys as `saved`, each the same value (one level down for charNgrams). */
function sameValues(value: object, saved: Readonly<Record<string, unknown>>): boolean {
  const keys = Object.keys(value);
  if (keys.length !== Object.keys(saved).length) return false;
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(saved, key)) return false;
    const now = (value as Record<string, unknown>)[key];
    const then = saved[key];
    if (Object.is(now, then)) continue;
    if (key !== 'charNgrams' || now === null || typeof now !== 'object' || then === null || typeof then !== 'object') return false;
    if (!sameValues(now, then as Readonly<Record<string, unknown>>)) return false;
  }
  return true;
}

function resolvedOf(config: ResolvedFeatureConfig): ResolvedFeatureConfig {
  const saved = RESOLVED.get(config);
  if (saved !== undefined && sameValues(config, saved)) return config;
  const resolved = resolveFeatureConfig(config);
  // Checked now: while it keeps these values, the next call takes `config` as it stands.
  const values = RESOLVED.get(resolved) as Readonly<Record<string, unknown>>;
  if (sameValues(config, values)) RESOLVED.set(config, values);
  return resolved;
}

export function resolveFeatureConfig(config: FeatureConfig = {}): ResolvedFeatureConfig {
  checkKnownKeys('features', config, FEATURE_KEYS);
  const resolved: ResolvedFeatureConfig = {
    language: config.language ?? 'en',
    tokenizer: config.tokenizer ?? 'unicode',
    lowercase: config.lowercase ?? true,
    stem: config.stem ?? false,
    removeStopWords: config.removeStopWords ?? false,
    wordNgrams: config.wordNgrams ?? 2,
    charNgrams: config.charNgrams === undefined ? { min: 2, max: 5, scope: 'word' } : config.charNgrams,
    questionFeatures: config.questionFeatures ?? false,
    wordnet: config.wordnet ?? false,
    shapeFeatures: config.shapeFeatures ?? false,
    normalize: config.normalize ?? 'NFC',
    emojiClusters: config.emojiClusters ?? true,
  };
  if (resolved.normalize !== 'NFC' && resolved.normalize !== 'NFKC' && resolved.normalize !== false)
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `features.normalize must be 'NFC', 'NFKC' or false (got ${describeValue(resolved.normalize)}).`,
      { details: { field: 'features.normalize' } },
    );
  // 5, null or '' reached stemmerFor / stopWordsFor only when stem or removeStopWords was on.
  if (typeof resolved.language !== 'string' || resolved.language.trim() === '')
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `features.language must be a language code such as 'en' (got ${describeValue(resolved.language)}); it chooses the stemmer (${STEMMER_LANGUAGES.join(' ')}) and the stop words (${STOPWORD_LANGUAGES.join(' ')}).`,
      { details: { field: 'features.language' } },
    );
  if (!(TOKENIZERS as readonly string[]).includes(resolved.tokenizer))
    throw new AppliedMLError('E_INPUT_INVALID', `Unknown tokenizer '${String(resolved.tokenizer)}'; use one of ${TOKENIZERS.join(', ')}.`);
  for (const key of ['lowercase', 'stem', 'removeStopWords', 'questionFeatures', 'wordnet', 'shapeFeatures', 'emojiClusters'] as const)
    if (typeof resolved[key] !== 'boolean')
      throw new AppliedMLError('E_INPUT_INVALID', `features.${key} must be true or false; got ${String(resolved[key])}.`);
  if (resolved.charNgrams !== false) {
    const c = resolved.charNgrams as { min?: unknown; max?: unknown; scope?: unknown } | null;
    if (c === null || typeof c !== 'object')
      throw new AppliedMLError('E_INPUT_INVALID', "features.charNgrams must be false or { min, max, scope?: 'word' | 'text' }.");
    checkKnownKeys('features.charNgrams', c, CHAR_NGRAM_KEYS);
    // Each value read once (a getter may answer differently the second time, an inherited one counts), checked,
    // and kept in a plain copy: a later change to the caller's object must not reach a config (or a trained model).
    const { min, max, scope } = c;
    if (scope !== undefined && scope !== 'word' && scope !== 'text')
      throw new AppliedMLError('E_INPUT_INVALID', "features.charNgrams must be false or { min, max, scope?: 'word' | 'text' }.");
    charNgrams('', { min: min as number, max: max as number }); // validates the sizes
    resolved.charNgrams = { min: min as number, max: max as number, ...(scope !== undefined ? { scope } : {}) };
  }
  if (!Number.isInteger(resolved.wordNgrams) || resolved.wordNgrams < 0 || resolved.wordNgrams > 5) {
    throw new AppliedMLError('E_INPUT_INVALID', `wordNgrams must be an integer from 0 to 5; got ${resolved.wordNgrams}.`);
  }
  if (resolved.wordNgrams === 0 && resolved.charNgrams === false && !resolved.questionFeatures) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      'The feature config turns off every feature (word n-grams, character n-grams, question features).',
    );
  }
  if (resolved.wordnet && !resolved.questionFeatures)
    throw new AppliedMLError('E_INPUT_INVALID', 'wordnet features need questionFeatures: true.');
  if (resolved.stem) stemmerFor(resolved.language);
  if (resolved.removeStopWords) stopWordsFor(resolved.language);
  RESOLVED.set(resolved, snapshotOf(resolved));
  return resolved;
}

const WH_WORDS = new Set(['what', 'which', 'who', 'whom', 'whose', 'when', 'where', 'why', 'how', 'name']);
const SKIP_AFTER_WH = new Set([
  'is',
  'are',
  'was',
  'were',
  'do',
  'does',
  'did',
  'be',
  'been',
  'has',
  'have',
  'had',
  'can',
  'could',
  'will',
  'would',
  'should',
  'may',
  'might',
  'the',
  'a',
  'an',
  'of',
  'this',
  'that',
  'these',
  'those',
  'there',
  'it',
  "'s",
  's',
  'kind',
  'type',
  'sort',
  'one',
  'ones',
  'some',
  'us',
  'me',
]);

/** Tokens of a text under a config: tokenised, lowercased, stop words dropped, stemmed. */
function checkConfigObject(config: unknown): void {
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `The feature config must be an object from resolveFeatureConfig (got ${describeValue(config)}).`,
      {
        details: { field: 'config' },
      },
    );
}

export function tokenize(text: string, given: ResolvedFeatureConfig): string[] {
  checkStringArgument('tokenize text', text);
  checkConfigObject(given);
  return tokensOf(text, resolvedOf(given));
}

/**
 * `tokenize` without its checks, for the package's own per-text loops: `text` a string and `config` a
 * resolved config the caller owns (a classifier's private copy), both checked once before the loop.
 */
export function tokensOf(text: string, config: ResolvedFeatureConfig): string[] {
  return tokensOfNormalized(normalizedText(text, config), config);
}

/**
 * Internal: `text` in the config's Unicode normalisation form (NFC by default; as it is for `normalize:
 * false`, which bundles saved before the setting existed load with).
 */
export function normalizedText(text: string, config: ResolvedFeatureConfig): string {
  return config.normalize ? text.normalize(config.normalize) : text;
}

/**
 * Internal: the config's tokenizer on `text`, with each emoji cluster one token when `emojiClusters` is on
 * ('whitespace' never splits them).
 */
export function rawTokens(text: string, config: ResolvedFeatureConfig): string[] {
  const tokenizer = tokenizerFor(config.tokenizer);
  return config.emojiClusters && config.tokenizer !== 'whitespace' ? tokensKeepingEmoji(text, tokenizer) : tokenizer.tokenize(text);
}

/** Internal: `tokensOf` for a text `normalizedText` already normalised. */
export function tokensOfNormalized(text: string, config: ResolvedFeatureConfig): string[] {
  let tokens = rawTokens(config.lowercase ? text.toLowerCase() : text, config);
  if (config.removeStopWords) {
    const stop = stopWordsFor(config.language);
    tokens = tokens.filter((t) => !stop.has(t.toLowerCase()));
  }
  if (config.stem) {
    const stemmer = stemmerFor(config.language);
    tokens = tokens.map((t) => (/[\p{L}]/u.test(t) ? stemmer.stem(t) : t));
  }
  return tokens;
}

const PHRASE_STOP = new Set([
  'of',
  'in',
  'for',
  'from',
  'to',
  'at',
  'on',
  'by',
  'with',
  'between',
  'about',
  'into',
  'during',
  'after',
  'before',
  'as',
  'than',
  'that',
  'which',
  'who',
  'whom',
  'whose',
  'where',
  'when',
  'why',
  'how',
  'what',
  'is',
  'are',
  'was',
  'were',
  'be',
  'been',
  'being',
  'has',
  'have',
  'had',
  'do',
  'does',
  'did',
  'can',
  'could',
  'will',
  'would',
  'should',
  'may',
  'might',
  'must',
  'and',
  'or',
  'if',
  'called',
  'named',
  'known',
  'given',
  'used',
]);
/** Heads that name a slot rather than fill it ("the name of X", "what type of Y"): look past them. */
const SLOT_HEADS = new Set([
  'name',
  'names',
  'type',
  'types',
  'kind',
  'kinds',
  'sort',
  'sorts',
  'term',
  'word',
  'example',
  'variety',
  'breed',
  'species',
  'group',
  'part',
]);

/**
 * The head noun of the question's focus phrase, without a parser: the words after the wh-word
 * (and its auxiliaries and articles) up to a preposition, an auxiliary, punctuation or an
 * inflected verb; the head is the phrase's last word. "the name of X" and the like look at X.
 */
function headWord(words: string[], from: number, wordnet: WordNetNouns | undefined): { head?: string; compound?: string } {
  let i = from;
  if (['do', 'does', 'did'].includes(words[i] ?? '')) return {};
  while (i < words.length && SKIP_AFTER_WH.has(words[i] as string)) i++;
  // "What city 's newspaper …": the wh-word modifies the noun before the possessive.
  const direct = i === from;
  for (let hop = 0; hop < 3; hop++) {
    const phrase: string[] = [];
    while (i < words.length) {
      const w = words[i] as string;
      if (w === "'s" || w === "'") {
        if (direct && hop === 0 && phrase.length > 0) break;
        phrase.length = 0;
        i++;
        continue;
      }
      if (PHRASE_STOP.has(w) || !/[\p{L}\p{N}]/u.test(w)) break;
      if (phrase.length > 0 && wordnet?.isInflectedVerb(w) && !wordnet.isNoun(`${phrase.at(-1)}_${w}`)) break;
      phrase.push(w);
      i++;
    }
    const head = phrase.at(-1);
    if (head === undefined) return {};
    if (SLOT_HEADS.has(head) && ['of', 'for'].includes(words[i] ?? '')) {
      i++;
      while (i < words.length && SKIP_AFTER_WH.has(words[i] as string)) i++;
      continue;
    }
    const compound = phrase.length > 1 ? `${phrase.at(-2)}_${head}` : undefined;
    return { head, ...(compound ? { compound } : {}) };
  }
  return {};
}

/** Internal (not exported from the package): the 'q:' features of a text's raw tokens. */
export function questionFeatures(raw: string[], wordnet: boolean): string[] {
  const words = raw.map((w) => w.toLowerCase()).filter((w) => /[\p{L}\p{N}']/u.test(w));
  const out: string[] = [];
  if (words.length === 0) return out;
  out.push(`q:first=${words[0]}`);
  if (words.length > 1) out.push(`q:first2=${words[0]} ${words[1]}`);
  const at = words.findIndex((w) => WH_WORDS.has(w));
  if (at < 0) {
    out.push('q:wh=none');
    return out;
  }
  const wh = words[at] as string;
  out.push(`q:wh=${wh}`);
  const next = words[at + 1];
  if (next !== undefined) out.push(`q:wh+=${wh} ${next}`);
  // "What is (a|the) X ?": a definition question.
  const rest = words.slice(at + 1);
  if (['is', 'are', 'was', 'were'].includes(rest[0] ?? '') && rest.length <= 5 && raw.at(-1) === '?')
    out.push(`q:def=${Math.min(rest.length, 5)}`);
  const net = wordnet ? WordNetNouns.get() : undefined;
  const { head, compound } = headWord(words, at + 1, net);
  if (head !== undefined) {
    out.push(`q:head=${head}`);
    out.push(`q:wh-head=${wh} ${head}`);
    if (net) out.push(...net.features(compound !== undefined && net.isNoun(compound) ? compound : head));
  }
  return out;
}

/** Internal (not exported from the package): the 's:' features of a text. */
export function shapeFeatures(text: string): string[] {
  const out: string[] = [];
  if (/\d{5,}/.test(text)) out.push('s:longnum');
  if (/[£$€]\s?\d/.test(text)) out.push('s:money');
  if (/(https?:\/\/|www\.|\.com\b|\.co\.uk\b)/i.test(text)) out.push('s:url');
  if (/\b[A-Z]{3,}\b/.test(text)) out.push('s:caps');
  if (/!{2,}/.test(text)) out.push('s:bang');
  const len = text.length;
  out.push(`s:len=${len < 40 ? 0 : len < 80 ? 1 : len < 140 ? 2 : 3}`);
  return out;
}

/** Words cached per n-gram range (about 1 kB each); cleared when full, so memory stays bounded on open-ended input. */
const WORD_CACHE_LIMIT = 50_000;
const wordCaches = new Map<string, Map<string, WordGrams>>();

/**
 * The 'c:'-prefixed character n-grams of each whitespace-separated word, as `charNgrams(…, scope 'word')`
 * gives them, in the same order. Words repeat across texts, so each word's n-gram strings are built once
 * and reused: no substring or concatenation per n-gram in the steady state, and the strings keep their
 * cached hashes.
 */
function pushWordCharFeatures(source: string, min: number, max: number, emoji: boolean, out: string[], groups: WordGrams[]): void {
  const key = `${min},${max},${emoji}`;
  let cache = wordCaches.get(key);
  if (cache === undefined) {
    charNgrams('', { min, max }); // validates the sizes
    cache = new Map();
    wordCaches.set(key, cache);
  }
  for (const word of source.split(/\s+/)) {
    if (word === '') continue;
    let entry = cache.get(word);
    if (entry === undefined) {
      entry = { grams: charNgramsOf(word, min, max, 'word', emoji).map((g) => 'c:' + g), owner: undefined, ids: undefined };
      if (cache.size >= WORD_CACHE_LIMIT) cache.clear();
      cache.set(word, entry);
    }
    const grams = entry.grams;
    for (let i = 0; i < grams.length; i++) out.push(grams[i] as string);
    groups.push(entry);
  }
}

/**
 * Where a features array from `extractFeatures` holds cached per-word character n-gram lists:
 * `features[start..]` is their concatenation. TfidfVectorizer uses it to map a word's n-grams to ids
 * once per word rather than once per n-gram; it checks the array still matches (by identity) first.
 */
export interface CharFeatureGroups {
  start: number;
  groups: WordGrams[];
}

/** One word's cached character n-gram features, with the ids a vectorizer last mapped them to. */
export interface WordGrams {
  readonly grams: readonly string[];
  /** The TfidfVectorizer whose ids `ids` holds (a one-entry cache). */
  owner: object | undefined;
  ids: Int32Array | undefined;
}

/** Internal (not exported from the package): features array → its character n-gram groups. */
export const charFeatureGroups = new WeakMap<readonly string[], CharFeatureGroups>();

/** A text's tokens and its feature strings (prefixed: w: words, c: characters, q: question, s: shape). */
export function extractFeatures(text: string, given: ResolvedFeatureConfig): { tokens: string[]; features: string[] } {
  checkStringArgument('extractFeatures text', text);
  checkConfigObject(given);
  return featuresOf(text, resolvedOf(given));
}

/** `extractFeatures` without its checks, on the terms of `tokensOf`. */
export function featuresOf(given: string, config: ResolvedFeatureConfig): { tokens: string[]; features: string[] } {
  const text = normalizedText(given, config);
  const tokens = tokensOfNormalized(text, config);
  const features: string[] = [];
  for (let n = 1; n <= config.wordNgrams; n++) {
    for (let i = 0; i + n <= tokens.length; i++)
      features.push(
        n === 1 ? 'w:' + tokens[i] : n === 2 ? 'w:' + tokens[i] + ' ' + tokens[i + 1] : `w:${tokens.slice(i, i + n).join(' ')}`,
      );
  }
  if (config.charNgrams) {
    const source = config.lowercase ? text.toLowerCase() : text;
    const { min, max } = config.charNgrams;
    if (config.charNgrams.scope === 'text')
      for (const g of charNgramsOf(source, min, max, 'text', config.emojiClusters)) features.push('c:' + g);
    else {
      const groups: WordGrams[] = [];
      const start = features.length;
      pushWordCharFeatures(source, min, max, config.emojiClusters, features, groups);
      charFeatureGroups.set(features, { start, groups });
    }
  }
  if (config.questionFeatures) features.push(...questionFeatures(rawTokens(text, config), config.wordnet));
  if (config.shapeFeatures) features.push(...shapeFeatures(text));
  return { tokens, features };
}
