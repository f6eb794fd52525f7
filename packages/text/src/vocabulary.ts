import { AppliedMLError, checkKnownKeys, checkOptionsObject, eventLoopTurns, type EventLoopAbort } from '@appliedml/engine';
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

/** With `abort`, a turn throws E_ABORTED once its signal is aborted (the steps stop there; nothing else is undone). */
export async function finishInTurns<T>(steps: Steps<T>, abort?: EventLoopAbort): Promise<T> {
  const turns = eventLoopTurns(50, abort);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    const turn = turns.turn();
    if (turn !== undefined) await turn;
  }
}

/** Internal: documents between two yields of a fit (a few hundred microseconds each of review-length texts). */
export const DOCS_PER_STEP = 64;
/** Internal: array entries (terms, ids, slots, strings to sort or merge) between two yields of a fit. */
export const ITEMS_PER_STEP = 1 << 15;

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
   * a service answered nothing. With `abort` (a train's signal), it rejects with E_ABORTED at the first
   * turn after the signal aborts.
   */
  static fitInTurns(
    documents: readonly (readonly string[])[],
    options: VocabularyOptions = {},
    abort?: EventLoopAbort,
  ): Promise<{ vocabulary: Vocabulary; documentFrequency: Map<string, number> }> {
    return finishInTurns(Vocabulary.fitSteps(documents, options), abort);
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
    // Document frequencies by term id (ids in order of first appearance, the order of the returned map).
    const counter = new TermCounter();
    for (let d = 0; d < documents.length; d++) {
      if (d % DOCS_PER_STEP === DOCS_PER_STEP - 1) yield;
      const mark = d + 1;
      for (const term of documents[d] as readonly string[]) counter.idOf(term, mark);
    }
    const { terms: seen, df } = counter;
    const documentFrequency = new Map<string, number>();
    for (let id = 0; id < seen.length; id++) {
      if (id % ITEMS_PER_STEP === ITEMS_PER_STEP - 1) yield;
      documentFrequency.set(seen[id] as string, df[id] as number);
    }
    const { chosen: terms } = yield* chooseTermsSteps(seen, df, minCount, maxSize);
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

/**
 * Internal: document frequencies counted a document at a time: each term's provisional id (in order of
 * first appearance), `terms[id]` and `df[id]`. A term counts once a document: each document passes its own
 * mark (d + 1) to `idOf`.
 */
export class TermCounter {
  readonly provisional = new Map<string, number>();
  readonly terms: string[] = [];
  df = new Int32Array(1024);
  /** The mark of the last document that counted each id. */
  protected lastDoc = new Int32Array(1024);

  /** The id of `term`, counted for the document marked `doc`. */
  idOf(term: string, doc: number): number {
    let id = this.provisional.get(term);
    if (id === undefined) {
      id = this.terms.length;
      this.provisional.set(term, id);
      this.terms.push(term);
      if (id === this.df.length) {
        this.df = grow(this.df);
        this.lastDoc = grow(this.lastDoc);
      }
    }
    if (this.lastDoc[id] !== doc) {
      this.lastDoc[id] = doc;
      this.df[id] = (this.df[id] as number) + 1;
    }
    return id;
  }
}

/** Internal: a copy of `a` with room for at least `atLeast` entries (double the length by default). */
export function grow(a: Int32Array, atLeast = 0): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(Math.max(a.length * 2, atLeast));
  grown.set(a);
  return grown;
}

/**
 * Internal: the terms a fitted vocabulary keeps, in its order, from counted terms (`terms[id]` seen in
 * `df[id]` documents): those in at least `minCount` documents, most documents first, ties by the term
 * (code-unit order, as the comparator-free sort of strings gives it), at most `maxSize` of them; built by
 * document frequency, then sorted within each. `counts[i]` is `chosen[i]`'s document frequency.
 */
export function* chooseTermsSteps(
  terms: readonly string[],
  df: Int32Array,
  minCount: number,
  maxSize: number,
): Steps<{ chosen: string[]; counts: number[] }> {
  let top = 0;
  for (let id = 0; id < terms.length; id++) {
    if (id % ITEMS_PER_STEP === ITEMS_PER_STEP - 1) yield;
    if ((df[id] as number) > top) top = df[id] as number;
  }
  const byCount: number[][] = Array.from({ length: top + 1 }, () => []);
  for (let id = 0; id < terms.length; id++) {
    if (id % ITEMS_PER_STEP === ITEMS_PER_STEP - 1) yield;
    if ((df[id] as number) >= minCount) (byCount[df[id] as number] as number[]).push(id);
  }
  const chosen: string[] = [];
  const counts: number[] = [];
  for (let count = top; count >= 1 && chosen.length < maxSize; count--) {
    const ids = byCount[count] as number[];
    if (ids.length === 0) continue;
    const names: string[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      if (i % ITEMS_PER_STEP === ITEMS_PER_STEP - 1) yield;
      names[i] = terms[ids[i] as number] as string;
    }
    yield* sortCodeUnitsSteps(names);
    for (let i = 0; i < names.length && chosen.length < maxSize; i++) {
      if (i % ITEMS_PER_STEP === ITEMS_PER_STEP - 1) yield;
      chosen.push(names[i] as string);
      counts.push(count);
    }
    yield;
  }
  return { chosen, counts };
}

/**
 * Strings in code-unit order, as `strings.sort()` leaves them, for many strings faster: a radix sort on
 * their first 8 code units (each + 1, so a shorter string comes first), then the builtin sort within runs
 * that share all 8. Strings with a code unit ≥ 255 among their first 8 are sorted by the builtin sort
 * and merged in. Sorts in place.
 */
export function sortCodeUnits(strings: string[]): string[] {
  return finish(sortCodeUnitsSteps(strings));
}

/** `sortCodeUnits` in steps (see `Steps`). */
function* sortCodeUnitsSteps(strings: string[]): Steps<string[]> {
  const n = strings.length;
  if (n < 256) return strings.sort();
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const keyed: number[] = [];
  const others: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % ITEMS_PER_STEP === ITEMS_PER_STEP - 1) yield;
    const s = strings[i] as string;
    let h = 0;
    let l = 0;
    let wide = false;
    for (let c = 0; c < 8; c++) {
      let unit = 0;
      if (c < s.length) {
        unit = s.charCodeAt(c) + 1;
        if (unit > 255) {
          wide = true;
          break;
        }
      }
      if (c < 4) h = (h * 256 + unit) >>> 0;
      else l = (l * 256 + unit) >>> 0;
    }
    if (wide) others.push(s);
    else {
      hi[keyed.length] = h;
      lo[keyed.length] = l;
      keyed.push(i);
    }
  }
  const m = keyed.length;
  // LSD radix sort of the keyed strings by (hi, lo), 16 bits a pass, stable.
  let order = new Uint32Array(m);
  let spare = new Uint32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  const counts = new Uint32Array(65537);
  for (const [keys, shift] of [
    [lo, 0],
    [lo, 16],
    [hi, 0],
    [hi, 16],
  ] as const) {
    counts.fill(0);
    for (let start = 0; start < m; start += ITEMS_PER_STEP) {
      const end = Math.min(m, start + ITEMS_PER_STEP);
      for (let i = start; i < end; i++) {
        const slot = (((keys[order[i] as number] as number) >>> shift) & 0xffff) + 1;
        counts[slot] = (counts[slot] as number) + 1;
      }
      yield;
    }
    for (let d = 0; d < 65536; d++) counts[d + 1] = (counts[d + 1] as number) + (counts[d] as number);
    for (let start = 0; start < m; start += ITEMS_PER_STEP) {
      const end = Math.min(m, start + ITEMS_PER_STEP);
      for (let i = start; i < end; i++) {
        const at = order[i] as number;
        const digit = ((keys[at] as number) >>> shift) & 0xffff;
        spare[counts[digit] as number] = at;
        counts[digit] = (counts[digit] as number) + 1;
      }
      yield;
    }
    [order, spare] = [spare, order];
  }
  const sorted: string[] = new Array(m);
  let since = 0;
  for (let i = 0; i < m;) {
    const first = order[i] as number;
    let j = i + 1;
    while (j < m && hi[order[j] as number] === hi[first] && lo[order[j] as number] === lo[first]) j++;
    if (j - i === 1) sorted[i] = strings[keyed[first] as number] as string;
    else {
      const run: string[] = [];
      for (let k = i; k < j; k++) run.push(strings[keyed[order[k] as number] as number] as string);
      if (run.length > SORT_BLOCK) yield* sortStringsSteps(run);
      else run.sort();
      for (let k = 0; k < run.length; k++) sorted[i + k] = run[k] as string;
    }
    since += j - i;
    if (since >= ITEMS_PER_STEP) {
      since = 0;
      yield;
    }
    i = j;
  }
  yield* sortStringsSteps(others);
  // Merge the two sorted lists back into `strings`.
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (i % ITEMS_PER_STEP === ITEMS_PER_STEP - 1) yield;
    if (b >= others.length || (a < m && (sorted[a] as string) < (others[b] as string))) strings[i] = sorted[a++] as string;
    else strings[i] = others[b++] as string;
  }
  return strings;
}

/** Strings to sort at once by the builtin sort (a few milliseconds); longer lists sort those blocks, then merge them. */
const SORT_BLOCK = 4096;

/**
 * `strings.sort()` in steps: blocks of SORT_BLOCK sorted by the builtin sort, then merged pairwise (code-unit
 * order, as the builtin's; equal strings are interchangeable, so the result is the same). Sorts in place.
 */
function* sortStringsSteps(strings: string[]): Steps<string[]> {
  const n = strings.length;
  if (n <= SORT_BLOCK) return strings.sort();
  let from: string[] = [];
  for (let start = 0; start < n; start += SORT_BLOCK) {
    const block = strings.slice(start, start + SORT_BLOCK).sort();
    for (const s of block) from.push(s);
    yield;
  }
  let to: string[] = new Array(n);
  for (let width = SORT_BLOCK; width < n; width *= 2) {
    let since = 0;
    for (let left = 0; left < n; left += 2 * width) {
      const mid = Math.min(left + width, n);
      const end = Math.min(left + 2 * width, n);
      let a = left;
      let b = mid;
      for (let k = left; k < end; k++) {
        if (b >= end || (a < mid && (from[a] as string) <= (from[b] as string))) to[k] = from[a++] as string;
        else to[k] = from[b++] as string;
        if (++since >= ITEMS_PER_STEP) {
          since = 0;
          yield;
        }
      }
    }
    [from, to] = [to, from];
  }
  for (let i = 0; i < n; i++) {
    if (i % ITEMS_PER_STEP === ITEMS_PER_STEP - 1) yield;
    strings[i] = from[i] as string;
  }
  return strings;
}
