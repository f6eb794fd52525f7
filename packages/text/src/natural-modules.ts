import { AppliedMLError } from '@appliedml/engine';
import { packageRequire } from './package-require';

// natural's top-level entry loads mongoose, pg, redis and memjs and calls dotenv.config(): we
// never import it. Only the submodules below are loaded, lazily, on first use (resolved at run time:
// a bundled service keeps 'natural' installed beside the bundle).

export interface NaturalTokenizer {
  tokenize(text: string): string[];
}
export interface NaturalStemmer {
  stem(word: string): string;
}
interface NaturalSentimentAnalyzer {
  getSentiment(words: string[]): number;
  /** The words after which natural reverses valences (its list for the vocabulary and language; may be empty). */
  negations?: string[];
}

const cache = new Map<string, unknown>();

export function naturalModule<T>(path: string): T {
  let mod = cache.get(path);
  if (mod === undefined) {
    try {
      mod = packageRequire()(`natural/lib/natural/${path}`) as unknown;
    } catch (cause) {
      throw new AppliedMLError(
        'E_INTERNAL',
        `Could not load natural's ${path}; is the 'natural' package installed? A bundled service (esbuild, ncc, webpack) loads it at run time: install 'natural' beside the bundle.`,
        { cause, details: { module: 'natural' } },
      );
    }
    cache.set(path, mod);
  }
  return mod as T;
}

export type SentimentCtor = new (language: string, stemmer: NaturalStemmer | null, vocabulary: string) => NaturalSentimentAnalyzer;
