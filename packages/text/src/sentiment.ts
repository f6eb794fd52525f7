import { AppliedMLError, checkIntegerOption, checkKnownKeys } from '@appliedml/engine';
import { stemmerFor, tokenizerFor } from './languages';
import { naturalModule, type SentimentCtor } from './natural-modules';
import { checkFlag, checkText } from './text-input';

/** Languages and vocabularies natural's SentimentAnalyzer has. */
const VOCABULARIES = {
  afinn: { en: 'English', es: 'Spanish', pt: 'Portuguese' },
  senticon: { en: 'English', es: 'Spanish', gl: 'Galician', ca: 'Catalan', eu: 'Basque' },
  pattern: { en: 'English', nl: 'Dutch', it: 'Italian', fr: 'French', de: 'German' },
} as const;
export type SentimentVocabulary = keyof typeof VOCABULARIES;

export interface SentimentOptions {
  /** 'afinn' (default), 'senticon' or 'pattern'. */
  vocabulary?: SentimentVocabulary;
  /** Language code (default 'en'). */
  language?: string;
  /** Stem words before lookup (default false: AFINN lists word forms). */
  stem?: boolean;
  /** Longest text `score` accepts (default 1,048,576 characters); a positive integer. */
  maxTextChars?: number;
}

const OPTION_KEYS = Object.keys({ vocabulary: 1, language: 1, stem: 1, maxTextChars: 1 } satisfies Record<keyof SentimentOptions, 1>);

export interface SentimentResult {
  /** natural's score: the sum of word valences divided by the number of words (AFINN: −5..5 per word). */
  score: number;
  /** 'positive' (score > 0.05), 'negative' (< −0.05) or 'neutral'. */
  label: 'positive' | 'negative' | 'neutral';
  tokens: number;
}

/**
 * An English word that negates as "not" does: any "n't" contraction (don't, doesn't, isn't, can't, won't,
 * ain't, …, with a straight, curly or modifier apostrophe), "cannot", and the apostrophe-less spellings no
 * English word shares (dont, doesnt, isnt, …; not "cant" or "wont", which are words). natural's English
 * negators are only not, no, never and neither, and the tokenizer keeps a contraction whole, so
 * "I don't like it" scored positive.
 */
const ENGLISH_NEGATING =
  /^(?:\p{L}+n['\u2019\u02bc]t|cannot|(?:do|does|did|is|are|was|were|has|have|had|could|would|should|must|need|might|ai)nt)$/u;

/** A zero-training sentiment scorer: natural's lexicon analyser (AFINN-165 by default) with negation handling. */
export class SentimentScorer {
  private readonly analyzer: { getSentiment(words: string[]): number };
  private readonly maxTextChars: number | undefined;
  /** English: contractions negate as "not" (natural's negation list has only not, no, never, neither). */
  private readonly englishNegation: boolean;

  constructor(options: SentimentOptions = {}) {
    checkKnownKeys('SentimentScorer options', options, OPTION_KEYS);
    checkIntegerOption('maxTextChars', options.maxTextChars, 1, Number.MAX_SAFE_INTEGER);
    checkFlag('SentimentScorer stem', options.stem);
    const vocabulary = options.vocabulary ?? 'afinn';
    const language = options.language ?? 'en';
    // Own keys only: 'constructor' or 'toString' must not find Object's.
    const table = Object.hasOwn(VOCABULARIES, vocabulary) ? (VOCABULARIES[vocabulary] as Record<string, string>) : undefined;
    const name = table && Object.hasOwn(table, language) ? table[language] : undefined;
    if (!table || !name) {
      throw new AppliedMLError('E_INPUT_INVALID', `No '${vocabulary}' sentiment vocabulary for '${language}'.`, {
        details: { vocabulary, language },
      });
    }
    const Analyzer = naturalModule<SentimentCtor>('sentiment/SentimentAnalyzer.js');
    this.analyzer = new Analyzer(name, options.stem ? stemmerFor(language) : null, vocabulary);
    this.maxTextChars = options.maxTextChars;
    this.englishNegation = language === 'en';
  }

  score(text: string): SentimentResult {
    const words = tokenizerFor('unicode')
      .tokenize(checkText(text, { maxChars: this.maxTextChars }).toLowerCase())
      .filter((w) => /[\p{L}\p{N}]/u.test(w))
      // natural negates what follows a negator; "don't" counts as the one word "not" (its own valence, which
      // Pattern gives a few contractions, goes, as a negator's does).
      .map((w) => (this.englishNegation && ENGLISH_NEGATING.test(w) ? 'not' : w));
    const score = words.length === 0 ? 0 : this.analyzer.getSentiment(words);
    return { score, label: score > 0.05 ? 'positive' : score < -0.05 ? 'negative' : 'neutral', tokens: words.length };
  }
}
