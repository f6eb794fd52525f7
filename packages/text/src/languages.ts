import { AppliedMLError } from '@appliedml/engine';
import { naturalModule, type NaturalStemmer, type NaturalTokenizer } from './natural-modules';

/** Languages with a natural stemmer (Porter family or equivalent). */
export const STEMMER_LANGUAGES = ['en', 'de', 'es', 'fa', 'fr', 'it', 'nl', 'no', 'pt', 'ru', 'sv', 'uk'] as const;
export type StemmerLanguage = (typeof STEMMER_LANGUAGES)[number];

/** Languages with a natural stop-word list. */
export const STOPWORD_LANGUAGES = ['en', 'es', 'fa', 'fr', 'id', 'it', 'ja', 'nl', 'no', 'pl', 'pt', 'ru', 'sv', 'uk', 'zh'] as const;
export type StopwordLanguage = (typeof STOPWORD_LANGUAGES)[number];

/**
 * Word tokenizers: 'unicode' (default: runs of letters/digits in any script, with inner apostrophes,
 * and each other symbol such as $ £ ! on its own), natural's tokenizers, and 'whitespace'. natural's
 * 'word' tokenizer keeps ASCII letters only (it splits "café" into "caf"), hence the default.
 */
export const TOKENIZERS = ['unicode', 'word', 'word-punct', 'aggressive', 'treebank', 'ja', 'whitespace'] as const;
export type TokenizerName = (typeof TOKENIZERS)[number];

const STEMMER_FILES: Record<StemmerLanguage, string> = {
  en: 'porter_stemmer',
  de: 'porter_stemmer_de',
  es: 'porter_stemmer_es',
  fa: 'porter_stemmer_fa',
  fr: 'porter_stemmer_fr',
  it: 'porter_stemmer_it',
  nl: 'porter_stemmer_nl',
  no: 'porter_stemmer_no',
  pt: 'porter_stemmer_pt',
  ru: 'porter_stemmer_ru',
  sv: 'porter_stemmer_sv',
  uk: 'porter_stemmer_uk',
};

export function isStemmerLanguage(value: unknown): value is StemmerLanguage {
  return typeof value === 'string' && (STEMMER_LANGUAGES as readonly string[]).includes(value);
}

/** natural's stemmer for a language, or E_INPUT_INVALID naming the supported ones. */
export function stemmerFor(language: string): NaturalStemmer {
  if (!isStemmerLanguage(language)) {
    throw new AppliedMLError('E_INPUT_INVALID', `No stemmer for language '${language}'; natural has: ${STEMMER_LANGUAGES.join(', ')}.`, {
      details: { language },
    });
  }
  return naturalModule<NaturalStemmer>(`stemmers/${STEMMER_FILES[language]}.js`);
}

/** natural's stop words for a language, as a set. */
export function stopWordsFor(language: string): ReadonlySet<string> {
  if (!(STOPWORD_LANGUAGES as readonly string[]).includes(language)) {
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `No stop-word list for language '${language}'; natural has: ${STOPWORD_LANGUAGES.join(', ')}.`,
      {
        details: { language },
      },
    );
  }
  const file = language === 'en' ? 'stopwords' : `stopwords_${language}`;
  return new Set(naturalModule<{ words: string[] }>(`util/${file}.js`).words);
}

const UNICODE_TOKEN = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;

/** ASCII character classes of UNICODE_TOKEN: 1 letter, 2 digit, 3 white space (\s), 0 anything else. */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII_CLASS[c] = /[A-Za-z]/.test(String.fromCharCode(c))
    ? 1
    : /[0-9]/.test(String.fromCharCode(c))
      ? 2
      : /\s/.test(String.fromCharCode(c))
        ? 3
        : 0;
}
const APOSTROPHE = 39;

/**
 * `text.match(UNICODE_TOKEN)`, the same tokens: a hand-written scan for ASCII-only text (most English
 * input; no regex engine per text), the regex for anything else.
 */
export function unicodeTokens(text: string): string[] {
  const n = text.length;
  for (let i = 0; i < n; i++) if (text.charCodeAt(i) > 127) return text.match(UNICODE_TOKEN) ?? [];
  const out: string[] = [];
  let i = 0;
  while (i < n) {
    const kind = ASCII_CLASS[text.charCodeAt(i)] as number;
    if (kind === 3) {
      i++;
      continue;
    }
    if (kind === 0) {
      out.push(text.charAt(i));
      i++;
      continue;
    }
    // Letters and digits, then any number of (apostrophe, letters).
    let j = i + 1;
    for (; j < n; j++) {
      const next = ASCII_CLASS[text.charCodeAt(j)] as number;
      if (next !== 1 && next !== 2) break;
    }
    while (j + 1 < n && text.charCodeAt(j) === APOSTROPHE && ASCII_CLASS[text.charCodeAt(j + 1)] === 1) {
      j += 2;
      while (j < n && ASCII_CLASS[text.charCodeAt(j)] === 1) j++;
    }
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

const tokenizers = new Map<TokenizerName, NaturalTokenizer>();

/** A word tokenizer by name. */
export function tokenizerFor(name: TokenizerName): NaturalTokenizer {
  const existing = tokenizers.get(name);
  if (existing) return existing;
  let made: NaturalTokenizer;
  switch (name) {
    case 'unicode':
      made = { tokenize: unicodeTokens };
      break;
    case 'word':
    case 'word-punct': {
      const mod = naturalModule<{ WordTokenizer: new () => NaturalTokenizer; WordPunctTokenizer: new () => NaturalTokenizer }>(
        'tokenizers/regexp_tokenizer.js',
      );
      made = name === 'word' ? new mod.WordTokenizer() : new mod.WordPunctTokenizer();
      break;
    }
    case 'aggressive':
      made = new (naturalModule<new () => NaturalTokenizer>('tokenizers/aggressive_tokenizer.js'))();
      break;
    case 'treebank':
      made = new (naturalModule<new () => NaturalTokenizer>('tokenizers/treebank_word_tokenizer.js'))();
      break;
    case 'ja':
      made = new (naturalModule<new () => NaturalTokenizer>('tokenizers/tokenizer_ja.js'))();
      break;
    case 'whitespace':
      made = { tokenize: (text: string) => text.split(/\s+/).filter((t) => t !== '') };
      break;
    default:
      throw new AppliedMLError('E_INPUT_INVALID', `Unknown tokenizer '${String(name)}'; use one of ${TOKENIZERS.join(', ')}.`);
  }
  tokenizers.set(name, made);
  return made;
}
