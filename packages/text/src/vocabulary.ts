import { AppliedMLError, checkKnownKeys, checkOptionsObject, eventLoopTurns } from '@appliedml/engine';
import { checkFlag, checkStringList } from './text-input';

export interface VocabularyOptions {
  /** Keep terms seen in at least this many documents (default 1). */
  minCount?: number;
  /** Keep at most this many terms, the most frequent first (default unlimited). */
  maxSize?: number;
  /** Reserve index 0 for padding and 1 for unknown terms (sequence models; default false). */
  reserveSpecial?: boolean;
}

/**
 * A long computation cut into steps: it yields between chunks of about a millisecond or more of work, so
 * a driver may give the event loop a turn there. `finish` runs it in one go, `finishInTurns` turns the
 * event loop every ~50 ms; both run the same code, so they give the same result.
 */
export type Steps<T> = Generator<void, T, void>;

export function finish<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

export async function finishInTurns<T>(steps: Steps<T>): Promise<T> {
  const turns = eventLoopTurns(50);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    const turn = turns.turn();
    if (turn !== undefined) await turn;
  }
}

/** Documents between two yields of a fit (a few hundred microseconds each of review-length texts). */
const DOCS_PER_STEP = 64;
/** Array entries (terms, slots, merged items) between two yields of a fit. */
const ITEMS_PER_STEP = 1 << 15;
/** Items sorted by the builtin sort at once before the steps merge them. */
const SORT_BLOCK = 1 << 12;

/**
 * `items` sorted by `before` (a strict total order: no two items tie), in steps: blocks of SORT_BLOCK by
 * the builtin sort, then merged pairwise. A total order has one sorted result, so it is the builtin
 * sort's of the whole, whatever the blocks.
 */
function* sortSteps<T>(items: T[], compare: (a: T, b: T) => number): Steps<T[]> {
  for (let from = 0; from < items.length; from += SORT_BLOCK) {
    const block = items.slice(from, from + SORT_BLOCK).sort(compare);
    for (let i = 0; i < block.length; i++) items[from + i] = block[i] as T;
    yield;
  }
  let source = items;
  let target: T[] = new Array<T>(items.length);
  let done = 0;
  for (let width = SORT_BLOCK; width < items.length; width *= 2) {
    for (let lo = 0; lo < items.length; lo += 2 * width) {
      const mid = Math.min(lo + width, items.length);
      const hi = Math.min(lo + 2 * width, items.length);
      let a = lo;
      let b = mid;
      for (let k = lo; k < hi; k++) {
        if (++done % ITEMS_PER_STEP === 0) yield;
        target[k] = (b >= hi || (a < mid && compare(source[a] as T, source[b] as T) <= 0) ? source[a++] : source[b++]) as T;
      }
    }
    [source, target] = [target, source];
  }
  return source;
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

  private constructor(
    terms: string[],
    offset: number,
    built: { table: Int32Array; verify: boolean } = finish(Vocabulary.tableSteps(terms)),
  ) {
    this.terms = terms;
    this.offset = offset;
    this.table = built.table;
    this.mask = built.table.length / 4 - 1;
    this.verify = built.verify;
  }

  /** The lookup table of `terms` (see `table`), in steps. */
  private static *tableSteps(terms: readonly string[]): Steps<{ table: Int32Array; verify: boolean }> {
    let capacity = 16;
    while (capacity < terms.length * 2) capacity *= 2;
    const mask = capacity - 1;
    const table = new Int32Array(capacity * 4);
    let verify = false;
    for (let i = 0; i < terms.length; i++) {
      if (i % ITEMS_PER_STEP === ITEMS_PER_STEP - 1) yield;
      const term = terms[i] as string;
      const h = termHash(term);
      const h2 = hash2;
      let slot = h & mask;
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
        slot = (slot + 1) & mask;
      }
    }
    return { table, verify };
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
    return finish(Vocabulary.fitSteps(documents, options));
  }

  /**
   * Internal: `fit` giving the event loop a turn every ~50 ms, with the same result (the same steps). The
   * CNN's training fitted its vocabulary in one go: about 1-3 s on 100,000 review-length texts, in which
   * a service answered nothing.
   */
  static fitInTurns(
    documents: readonly (readonly string[])[],
    options: VocabularyOptions = {},
  ): Promise<{ vocabulary: Vocabulary; documentFrequency: Map<string, number> }> {
    return finishInTurns(Vocabulary.fitSteps(documents, options));
  }

  private static *fitSteps(
    documents: readonly (readonly string[])[],
    options: VocabularyOptions,
  ): Steps<{ vocabulary: Vocabulary; documentFrequency: Map<string, number> }> {
    checkDocuments('Vocabulary.fit', documents, 0, 0);
    for (let d = 0; d < documents.length; d += DOCS_PER_STEP * 16) {
      checkDocuments('Vocabulary.fit', documents, d, d + DOCS_PER_STEP * 16);
      yield;
    }
    checkKnownKeys('Vocabulary.fit options', options, OPTION_KEYS);
    checkFlag('Vocabulary.fit reserveSpecial', options.reserveSpecial);
    const { minCount, maxSize } = vocabularyLimits(options);
    // Document frequencies by term id (ids in order of first appearance, the order of the returned map);
    // a term counts once a document (the last document that counted it is kept beside its count).
    const ids = new Map<string, number>();
    const seen: string[] = [];
    let df = new Int32Array(1024);
    let last = new Int32Array(1024);
    for (let d = 0; d < documents.length; d++) {
      if (d % DOCS_PER_STEP === DOCS_PER_STEP - 1) yield;
      const mark = d + 1;
      for (const term of documents[d] as readonly string[]) {
        let id = ids.get(term);
        if (id === undefined) {
          id = seen.length;
          ids.set(term, id);
          seen.push(term);
          if (id === df.length) {
            const grown = new Int32Array(df.length * 2);
            grown.set(df);
            df = grown;
            const lastGrown = new Int32Array(last.length * 2);
            lastGrown.set(last);
            last = lastGrown;
          }
        }
        if (last[id] !== mark) {
          last[id] = mark;
          df[id] = (df[id] as number) + 1;
        }
      }
    }
    const documentFrequency = new Map<string, number>();
    const kept: number[] = [];
    for (let id = 0; id < seen.length; id++) {
      if (id % ITEMS_PER_STEP === ITEMS_PER_STEP - 1) yield;
      documentFrequency.set(seen[id] as string, df[id] as number);
      if ((df[id] as number) >= minCount) kept.push(id);
    }
    // Most documents first, ties by the term (code-unit order).
    const counts = df;
    const sorted = yield* sortSteps(kept, (a, b) => {
      const ta = seen[a] as string;
      const tb = seen[b] as string;
      return (counts[b] as number) - (counts[a] as number) || (ta < tb ? -1 : ta > tb ? 1 : 0);
    });
    const terms = sorted.slice(0, Number.isFinite(maxSize) ? maxSize : undefined).map((id) => seen[id] as string);
    yield;
    const built = yield* Vocabulary.tableSteps(terms);
    return { vocabulary: new Vocabulary(terms, options.reserveSpecial ? 2 : 0, built), documentFrequency };
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
