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
  /**
   * natural's score: the sum of word valences divided by the number of words (AFINN: −5..5 per word), a
   * valence counting reversed after a negator in the same clause.
   */
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

/**
 * Marks that end a clause, and so a negation's reach: , ; : . ! ? … and the Spanish opening ¡ ¿ (a comma,
 * full stop or colon between two digits, as in 3.5, 1,000 or 10:30, does not). Line breaks end one too.
 */
const CLAUSE_MARK = /^[,;:.!?\u2026\u00a1\u00bf]$/u;
const LINE_BREAK = /[\n\r\u000b\u000c\u0085\u2028\u2029]/u;

/**
 * English titles a full stop follows without ending a sentence ("Mr. Smith", "Dr. Who", "vs."). Other
 * short words ("No.", "etc.", "plan A.") end sentences as often as not, so their full stop ends a clause.
 */
const ENGLISH_TITLE = /^(?:mr|mrs|ms|dr|prof|st|jr|sr|vs)$/u;

function betweenDigits(text: string, start: number, mark: string): boolean {
  return (mark === ',' || mark === '.' || mark === ':') && /\p{Nd}/u.test(text.charAt(start - 1)) && /\p{Nd}/u.test(text.charAt(start + 1));
}

/**
 * A zero-training sentiment scorer: natural's lexicon analyser (AFINN-165 by default) with negation handling.
 * A negator reverses the valences after it to the end of its clause: up to the next , ; : . ! ? … ¡ ¿ (not
 * a comma, point or colon between digits, nor in English a full stop after a title such as "Mr." or
 * inside a dotted abbreviation such as "e.g.") or line break, and in English up to a "but".
 */
export class SentimentScorer {
  private readonly analyzer: { getSentiment(words: string[]): number };
  /** natural's negators for this vocabulary and language (none for some languages). */
  private readonly negators: ReadonlySet<string>;
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
    const analyzer = new Analyzer(name, options.stem ? stemmerFor(language) : null, vocabulary);
    this.analyzer = analyzer;
    this.negators = new Set(Array.isArray(analyzer.negations) ? analyzer.negations : []);
    this.maxTextChars = options.maxTextChars;
    this.englishNegation = language === 'en';
  }

  score(text: string): SentimentResult {
    const lower = checkText(text, { maxChars: this.maxTextChars }).toLowerCase();
    const words: string[] = [];
    /** Whether a clause ends before words[i] (a clause mark or line break since the last word, or "but"). */
    const breakBefore: boolean[] = [];
    let pending = false;
    let at = 0;
    /** The last word token and where it ended: a full stop right after an abbreviation ends no clause. */
    let last = '';
    let lastEnd = -1;
    for (const token of tokenizerFor('unicode').tokenize(lower)) {
      // The unicode tokenizer makes a token of every character that is not white space, in order, so the
      // text between two tokens is white space: look for line breaks there, and at the token itself.
      const start = lower.indexOf(token, at);
      if (start >= 0) {
        if (LINE_BREAK.test(lower.slice(at, start))) pending = true;
        at = start + token.length;
      }
      if (!/[\p{L}\p{N}]/u.test(token)) {
        // Not a sentence's end: a title's full stop, and one inside a dotted abbreviation (e.g., i.e., U.S.):
        // right before a letter, or right after a single letter that itself follows a full stop.
        const abbreviation =
          this.englishNegation &&
          token === '.' &&
          start === lastEnd &&
          (ENGLISH_TITLE.test(last) || /\p{L}/u.test(lower.charAt(start + 1)) || (last.length === 1 && lower.charAt(lastEnd - 2) === '.'));
        if (start >= 0 && CLAUSE_MARK.test(token) && !betweenDigits(lower, start, token) && !abbreviation) pending = true;
        last = '';
        continue;
      }
      last = token;
      lastEnd = start >= 0 ? start + token.length : -1;
      // natural negates what follows a negator; "don't" counts as the one word "not" (its own valence, which
      // Pattern gives a few contractions, goes, as a negator's does).
      const word = this.englishNegation && ENGLISH_NEGATING.test(token) ? 'not' : token;
      breakBefore.push(pending || (this.englishNegation && word === 'but'));
      words.push(word);
      pending = false;
    }
    const score = words.length === 0 ? 0 : this.clauseScoped(words, breakBefore);
    return { score, label: score > 0.05 ? 'positive' : score < -0.05 ? 'negative' : 'neutral', tokens: words.length };
  }

  /**
   * natural's score with each negation ending at its clause. natural reverses every valence after a negator
   * to the end of the words it is given, and its score is their valence sum over their count. So the words
   * go to it in runs that end where a clause holding a negator ends (a run has a negator in its last clause
   * only), and the runs' scores are combined weighted by their word counts. A text with no negator, or
   * none before its last clause, is one run: natural's score of the whole text, bit for bit.
   */
  private clauseScoped(words: string[], breakBefore: boolean[]): number {
    const runs: [number, number][] = [];
    let from = 0;
    let negated = false;
    for (let i = 0; i < words.length; i++) {
      if (breakBefore[i] && negated) {
        runs.push([from, i]);
        from = i;
        negated = false;
      }
      if (this.negators.has(words[i] as string)) negated = true;
    }
    if (from === 0) return this.analyzer.getSentiment(words);
    runs.push([from, words.length]);
    let total = 0;
    for (const [a, b] of runs) total += this.analyzer.getSentiment(words.slice(a, b)) * (b - a);
    return total / words.length;
  }
}
