import { AppliedMLError } from '@appliedml/engine';

export interface VocabularyOptions {
  /** Keep terms seen in at least this many documents (default 1). */
  minCount?: number;
  /** Keep at most this many terms, the most frequent first (default unlimited). */
  maxSize?: number;
  /** Reserve index 0 for padding and 1 for unknown terms (sequence models; default false). */
  reserveSpecial?: boolean;
}

/** A fitted term → index map. Ties in frequency break by the term, so the same data gives the same map. */
export class Vocabulary {
  readonly terms: readonly string[];
  private readonly index: Map<string, number>;
  readonly offset: number;

  private constructor(terms: string[], offset: number) {
    this.terms = terms;
    this.offset = offset;
    this.index = new Map(terms.map((t, i) => [t, i + offset]));
  }

  /** Fit on documents given as term lists; counts are document frequencies. */
  static fit(
    documents: readonly (readonly string[])[],
    options: VocabularyOptions = {},
  ): { vocabulary: Vocabulary; documentFrequency: Map<string, number> } {
    const minCount = options.minCount ?? 1;
    const maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
    if (!(minCount >= 1) || !(maxSize >= 1))
      throw new AppliedMLError('E_INPUT_INVALID', `Vocabulary needs minCount ≥ 1 and maxSize ≥ 1 (got ${minCount}, ${maxSize}).`);
    const df = new Map<string, number>();
    for (const doc of documents) {
      for (const term of new Set(doc)) df.set(term, (df.get(term) ?? 0) + 1);
    }
    const kept = [...df.entries()].filter(([, c]) => c >= minCount);
    kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const terms = kept.slice(0, Number.isFinite(maxSize) ? maxSize : undefined).map(([t]) => t);
    return { vocabulary: new Vocabulary(terms, options.reserveSpecial ? 2 : 0), documentFrequency: df };
  }

  static fromJSON(json: { terms: string[]; offset: number }): Vocabulary {
    if (!Array.isArray(json.terms) || json.terms.some((t) => typeof t !== 'string') || (json.offset !== 0 && json.offset !== 2)) {
      throw new AppliedMLError('E_BUNDLE_CORRUPT', 'The stored vocabulary is malformed.');
    }
    return new Vocabulary(json.terms, json.offset);
  }

  toJSON(): { terms: string[]; offset: number } {
    return { terms: [...this.terms], offset: this.offset };
  }

  /** Number of indices including the reserved ones. */
  get size(): number {
    return this.terms.length + this.offset;
  }

  /** Index of a term, or undefined (or 1, the unknown index, when special indices are reserved). */
  get(term: string): number | undefined {
    return this.index.get(term) ?? (this.offset === 2 ? 1 : undefined);
  }

  /** The term at an index, or undefined for reserved / out-of-range indices. */
  term(index: number): string | undefined {
    return this.terms[index - this.offset];
  }
}
