import { AppliedMLError, checkKnownKeys, checkOptionsObject } from '@appliedml/engine';
import { checkFlag, checkStringList } from './text-input';

export interface VocabularyOptions {
  /** Keep terms seen in at least this many documents (default 1). */
  minCount?: number;
  /** Keep at most this many terms, the most frequent first (default unlimited). */
  maxSize?: number;
  /** Reserve index 0 for padding and 1 for unknown terms (sequence models; default false). */
  reserveSpecial?: boolean;
}

const OPTION_KEYS = Object.keys({ minCount: 1, maxSize: 1, reserveSpecial: 1 } satisfies Record<keyof VocabularyOptions, 1>);

/** Two independent 32-bit hashes of a term (FNV-1a and a multiplicative hash over UTF-16 units, each avalanched). */
let hash2 = 0;
function termHash(term: string): number {
  let h = 0x811c9dc5;
  let g = 0x9e3779b9;
  for (let i = 0; i < term.length; i++) {
    const c = term.charCodeAt(i);
    h = Math.imul(h ^ c, 0x01000193);
    g = Math.imul(g + c, 0x5bd1e995) ^ (g >>> 15);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  g ^= g >>> 16;
  g = Math.imul(g, 0xc2b2ae35);
  hash2 = (g ^ (g >>> 16)) | 0;
  return h | 0;
}

/**
 * A fitted term → index map. Ties in frequency break by the term, so the same data gives the same map.
 * Lookups go through an open-addressing table of (hash, hash, index) slots in one Int32Array: a probe
 * touches one cache line and no string. Two distinct terms agreeing on both 32-bit hashes (odds about
 * 2^-64 per probe) are caught when the table is built, which then switches to comparing the terms.
 */

/**
 * `minCount` and `maxSize` checked once for every vocabulary builder: whole numbers ≥ 1 (`maxSize` may be
 * Infinity), so `Vocabulary.fit` and `TfidfVectorizer.fitTransform` keep the same number of terms.
 */
export function vocabularyLimits(options: VocabularyOptions): { minCount: number; maxSize: number } {
  checkOptionsObject('vocabulary options', options);
  const minCount = options.minCount ?? 1;
  const maxSize = options.maxSize ?? Number.POSITIVE_INFINITY;
  const whole = (v: number): boolean => Number.isInteger(v) || v === Number.POSITIVE_INFINITY;
  if (!(minCount >= 1) || !(maxSize >= 1) || !whole(minCount) || !whole(maxSize))
    throw new AppliedMLError(
      'E_INPUT_INVALID',
      `Vocabulary needs whole numbers minCount ≥ 1 and maxSize ≥ 1 (got ${minCount}, ${maxSize}).`,
    );
  return { minCount, maxSize };
}
/**
 * Internal: `documents` is a list of token lists of strings, else E_INPUT_INVALID naming the document. A
 * number token was kept, and the saved vocabulary then failed to load. `from` / `to` check only those
 * documents (a caller checking in turns); the list itself is always checked.
 */
export function checkDocuments(field: string, documents: unknown, from = 0, to?: number): void {
  if (!Array.isArray(documents))
    throw new AppliedMLError('E_INPUT_INVALID', `${field} takes a list of token lists (string arrays).`, { details: { field } });
  const end = Math.min(documents.length, to ?? documents.length);
  for (let d = from; d < end; d++) checkStringList(`${field} document ${d}`, documents[d]);
}

export class Vocabulary {
  readonly terms: readonly string[];
  readonly offset: number;
  /** Slots of four: [hash, second hash, term position + 1 (0 = empty), unused]; the capacity is a power of two. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly verify: boolean;

  private constructor(terms: string[], offset: number) {
    this.terms = terms;
    this.offset = offset;
    let capacity = 16;
    while (capacity < terms.length * 2) capacity *= 2;
    this.mask = capacity - 1;
    const table = new Int32Array(capacity * 4);
    let verify = false;
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i] as string;
      const h = termHash(term);
      const h2 = hash2;
      let slot = h & this.mask;
      for (;;) {
        const at = slot * 4;
        const id = table[at + 2] as number;
        if (id === 0) {
          table[at] = h;
          table[at + 1] = h2;
          table[at + 2] = i + 1;
          break;
        }
        if (table[at] === h && table[at + 1] === h2) {
          // A repeated term (only from a hand-edited bundle) maps to its last index, as a Map would.
          if (terms[id - 1] === term) {
            table[at + 2] = i + 1;
            break;
          }
          verify = true;
        }
        slot = (slot + 1) & this.mask;
      }
    }
    this.table = table;
    this.verify = verify;
  }

  /** Position of a term in `terms`, or -1. */
  private find(term: string): number {
    const table = this.table;
    const h = termHash(term);
    const h2 = hash2;
    let slot = h & this.mask;
    for (;;) {
      const at = slot * 4;
      const id = table[at + 2] as number;
      if (id === 0) return -1;
      if (table[at] === h && table[at + 1] === h2 && (!this.verify || this.terms[id - 1] === term)) return id - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Fit on documents given as term lists; counts are document frequencies. */
  static fit(
    documents: readonly (readonly string[])[],
    options: VocabularyOptions = {},
  ): { vocabulary: Vocabulary; documentFrequency: Map<string, number> } {
    checkDocuments('Vocabulary.fit', documents);
    checkKnownKeys('Vocabulary.fit options', options, OPTION_KEYS);
    checkFlag('Vocabulary.fit reserveSpecial', options.reserveSpecial);
    const { minCount, maxSize } = vocabularyLimits(options);
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
    if (
      json === null ||
      typeof json !== 'object' ||
      !Array.isArray(json.terms) ||
      json.terms.some((t) => typeof t !== 'string') ||
      (json.offset !== 0 && json.offset !== 2)
    ) {
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
    const at = this.find(term);
    return at >= 0 ? at + this.offset : this.offset === 2 ? 1 : undefined;
  }

  /** The term at an index, or undefined for reserved / out-of-range indices. */
  term(index: number): string | undefined {
    return this.terms[index - this.offset];
  }
}
