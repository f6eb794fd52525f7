import { AppliedMLError, checkKnownKeys, type EventLoopAbort } from '@appliedml/engine';
import { charFeatureGroups, type WordGrams } from './features';
import { checkFlag, checkStringList } from './text-input';
import {
  DOCS_PER_STEP,
  ITEMS_PER_STEP,
  TermCounter,
  Vocabulary,
  checkDocuments,
  chooseTermsSteps,
  finish,
  finishInTurns,
  grow,
  vocabularyLimits,
  type Steps,
  type VocabularyOptions,
} from './vocabulary';

/** A sparse row: feature indices (ascending) and their values. */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
}

export interface TfidfOptions extends VocabularyOptions {
  /** Replace tf by 1 + ln(tf) (default true). */
  sublinearTf?: boolean;
  /** Scale each row to unit L2 norm (default true). */
  normalize?: boolean;
}

const OPTION_KEYS = Object.keys({
  minCount: 1,
  maxSize: 1,
  reserveSpecial: 1,
  sublinearTf: 1,
  normalize: 1,
} satisfies Record<keyof TfidfOptions, 1>);

/**
 * TF-IDF over term lists, as scikit-learn's TfidfVectorizer with smooth_idf:
 * idf = ln((1 + n) / (1 + df)) + 1, tf optionally sublinear, rows L2-normalised.
 */
export class TfidfVectorizer {
  readonly vocabulary: Vocabulary;
  readonly idf: Float32Array;
  readonly sublinearTf: boolean;
  readonly normalize: boolean;

  private constructor(vocabulary: Vocabulary, idf: Float32Array, sublinearTf: boolean, normalize: boolean) {
    this.vocabulary = vocabulary;
    this.idf = idf;
    this.sublinearTf = sublinearTf;
    this.normalize = normalize;
  }

  static fit(documents: readonly (readonly string[])[], options: TfidfOptions = {}): TfidfVectorizer {
    checkDocuments('TfidfVectorizer.fit', documents);
    checkKnownKeys('TF-IDF options', options, OPTION_KEYS);
    if (documents.length === 0) throw new AppliedMLError('E_INPUT_INVALID', 'TF-IDF needs at least one document to fit.');
    checkFlag('TF-IDF sublinearTf', options.sublinearTf);
    checkFlag('TF-IDF normalize', options.normalize);
    const { vocabulary, documentFrequency } = Vocabulary.fit(documents, {
      minCount: options.minCount,
      maxSize: options.maxSize,
      reserveSpecial: false,
    });
    const n = documents.length;
    const idf = new Float32Array(vocabulary.size);
    vocabulary.terms.forEach((term, i) => {
      idf[i] = Math.log((1 + n) / (1 + (documentFrequency.get(term) ?? 0))) + 1;
    });
    return new TfidfVectorizer(vocabulary, idf, options.sublinearTf ?? true, options.normalize ?? true);
  }

  static fromJSON(json: {
    vocabulary: { terms: string[]; offset: number };
    idf: number[];
    sublinearTf: boolean;
    normalize: boolean;
  }): TfidfVectorizer {
    if (json === null || typeof json !== 'object')
      throw new AppliedMLError('E_BUNDLE_CORRUPT', 'The stored TF-IDF state is not an object.');
    const vocabulary = Vocabulary.fromJSON(json.vocabulary);
    if (
      !Array.isArray(json.idf) ||
      json.idf.length !== vocabulary.size ||
      json.idf.some((v) => !(typeof v === 'number' && v > 0 && v <= 1000))
    ) {
      // A fitted idf is log((1 + n) / (1 + df)) + 1: at least 1, far below 1000 for any corpus.
      throw new AppliedMLError('E_BUNDLE_CORRUPT', 'The stored TF-IDF weights do not match the vocabulary or are out of range.');
    }
    // Left out means true (as fit's defaults); anything but a boolean ('false' read as true) is corrupt.
    for (const flag of [json.sublinearTf, json.normalize] as unknown[])
      if (flag !== undefined && typeof flag !== 'boolean')
        throw new AppliedMLError('E_BUNDLE_CORRUPT', 'The stored TF-IDF sublinearTf / normalize flags are not true or false.');
    return new TfidfVectorizer(vocabulary, Float32Array.from(json.idf), json.sublinearTf !== false, json.normalize !== false);
  }

  toJSON(): { vocabulary: { terms: string[]; offset: number }; idf: number[]; sublinearTf: boolean; normalize: boolean } {
    return {
      vocabulary: this.vocabulary.toJSON(),
      idf: Array.from(this.idf, (v) => Math.fround(v)),
      sublinearTf: this.sublinearTf,
      normalize: this.normalize,
    };
  }

  get size(): number {
    return this.vocabulary.size;
  }

  /** Scratch: known term ids of the document being transformed, and a count per feature (all zero between calls). */
  private ids = new Int32Array(256);
  private counts: Int32Array | undefined;

  /** Ids of the known terms of a cached word's character n-grams, kept on the word's entry for the last vectorizer that asked. */
  private idsOf(group: WordGrams): Int32Array {
    if (group.owner === this && group.ids !== undefined) return group.ids;
    const found: number[] = [];
    for (const term of group.grams) {
      const i = this.vocabulary.get(term);
      if (i !== undefined) found.push(i);
    }
    const ids = Int32Array.from(found);
    group.owner = this;
    group.ids = ids;
    return ids;
  }

  /** One document's sparse TF-IDF row; unknown terms are dropped. */
  transform(terms: readonly string[]): SparseVector {
    checkStringList('TfidfVectorizer.transform terms', terms); // a string's characters were read as its terms
    if (this.ids.length < terms.length) this.ids = new Int32Array(Math.max(terms.length, this.ids.length * 2));
    const ids = this.ids;
    let m = 0;
    // Features from extractFeatures carry their words' character n-grams as cached groups: one lookup per word.
    const grouped = intactGroups(terms);
    let groupedFrom = terms.length;
    let groupedTo = terms.length;
    if (grouped !== undefined) {
      groupedFrom = grouped.from;
      groupedTo = grouped.to;
      for (const group of grouped.groups) {
        const known = this.idsOf(group);
        for (let j = 0; j < known.length; j++) ids[m++] = known[j] as number;
      }
    }
    const vocabulary = this.vocabulary;
    for (let k = 0; k < terms.length; k++) {
      if (k === groupedFrom) k = groupedTo;
      if (k >= terms.length) break;
      const i = vocabulary.get(terms[k] as string);
      if (i !== undefined) ids[m++] = i;
    }
    return this.rowOf(ids, m);
  }

  /** The row of the term ids `ids[0..m)` (with repeats; the array is reused as scratch). */
  private rowOf(ids: Int32Array, m: number): SparseVector {
    // Count by a per-feature scratch array (reset as it is read), then sort the distinct ids.
    const counts = (this.counts ??= new Int32Array(this.size));
    let distinct = 0;
    for (let k = 0; k < m; k++) {
      const id = ids[k] as number;
      if ((counts[id] as number) === 0) ids[distinct++] = id;
      counts[id] = (counts[id] as number) + 1;
    }
    const indices = ids.slice(0, distinct).sort();
    const values = new Float32Array(distinct);
    let norm = 0;
    for (let k = 0; k < distinct; k++) {
      const idx = indices[k] as number;
      const run = counts[idx] as number;
      counts[idx] = 0;
      const v = (this.sublinearTf ? 1 + Math.log(run) : run) * (this.idf[idx] ?? 0);
      values[k] = v;
      norm += v * v;
    }
    if (this.normalize && norm > 0) {
      const s = 1 / Math.sqrt(norm);
      for (let k = 0; k < distinct; k++) values[k] = (values[k] as number) * s;
    }
    return { indices, values };
  }

  /**
   * `fit(documents, options)` and the row of every document, as `transform` gives it, in one pass over the
   * strings: each term is hashed once (a cached word's character n-grams once per distinct word), its
   * provisional id counted per document, and the rows built from those ids once the vocabulary is chosen.
   * Same vocabulary, idf and rows, bit for bit, as fit then transform. Runs in one go: on a large corpus
   * (100,000 texts, seconds) `fitTransformAsync` keeps the event loop turning.
   */
  static fitTransform(
    documents: readonly (readonly string[])[],
    options: TfidfOptions = {},
  ): { vectorizer: TfidfVectorizer; rows: SparseVector[] } {
    return finish(TfidfVectorizer.fitTransformSteps(documents, options));
  }

  /**
   * `fitTransform`, giving the event loop a turn every ~50 ms (timers, I/O and requests run meanwhile): the
   * same vocabulary, idf and rows, bit for bit. The documents must not change until it resolves. Internal:
   * with `abort` (a train's signal) it rejects with E_ABORTED at the first turn after the signal aborts.
   */
  static fitTransformAsync(
    documents: readonly (readonly string[])[],
    options: TfidfOptions = {},
    abort?: EventLoopAbort,
  ): Promise<{ vectorizer: TfidfVectorizer; rows: SparseVector[] }> {
    return finishInTurns(TfidfVectorizer.fitTransformSteps(documents, options), abort);
  }

  private static *fitTransformSteps(
    documents: readonly (readonly string[])[],
    options: TfidfOptions,
  ): Steps<{ vectorizer: TfidfVectorizer; rows: SparseVector[] }> {
    checkDocuments('TfidfVectorizer.fitTransform', documents, 0, 0);
    for (let d = 0; d < documents.length; d += DOCS_PER_STEP * 16) {
      checkDocuments('TfidfVectorizer.fitTransform', documents, d, d + DOCS_PER_STEP * 16);
      yield;
    }
    checkKnownKeys('TF-IDF options', options, OPTION_KEYS);
    if (documents.length === 0) throw new AppliedMLError('E_INPUT_INVALID', 'TF-IDF needs at least one document to fit.');
    vocabularyLimits(options); // refuse bad limits before any work (they are applied below)
    checkFlag('TF-IDF sublinearTf', options.sublinearTf);
    checkFlag('TF-IDF normalize', options.normalize);
    const n = documents.length;
    const counter = new DocumentTermIds(n);
    for (let d = 0; d < n; d += DOCS_PER_STEP) {
      counter.count(documents, d, Math.min(n, d + DOCS_PER_STEP));
      yield;
    }
    const { provisional, terms, df, all } = counter;
    const offsets = counter.offsets;
    return yield* TfidfVectorizer.fromTermIds({ terms, df, ids: all, offsets, idOf: (term) => provisional.get(term) as number }, options);
  }

  /**
   * The vectorizer `fit` would give, and every document's row, from documents already mapped to provisional
   * term ids: `terms[id]` is the term, `df[id]` its document frequency, and document d's ids (with repeats)
   * are `ids[offsets[d]..offsets[d + 1])`; `idOf` maps a term back to its id.
   */
  private static *fromTermIds(
    counted: { terms: readonly string[]; df: Int32Array; ids: Int32Array; offsets: Int32Array; idOf: (term: string) => number },
    options: TfidfOptions = {},
  ): Steps<{ vectorizer: TfidfVectorizer; rows: SparseVector[] }> {
    const { terms, df, ids: all, offsets } = counted;
    const n = offsets.length - 1;
    const { minCount, maxSize } = vocabularyLimits(options);
    if (n < 1) throw new AppliedMLError('E_INPUT_INVALID', 'TF-IDF needs at least one document to fit.');
    // The vocabulary Vocabulary.fit would choose (the same steps), each term's final id and its idf.
    const { chosen, counts } = yield* chooseTermsSteps(terms, df, minCount, maxSize);
    const final = new Int32Array(terms.length).fill(-1);
    const idf = new Float32Array(chosen.length);
    for (let i = 0; i < chosen.length; i++) {
      if (i % ITEMS_PER_STEP === ITEMS_PER_STEP - 1) yield;
      final[counted.idOf(chosen[i] as string)] = i;
      idf[i] = Math.log((1 + n) / (1 + (counts[i] as number))) + 1;
    }
    yield;
    const vocabulary = Vocabulary.fromJSON({ terms: chosen, offset: 0 });
    yield;
    const vectorizer = new TfidfVectorizer(vocabulary, idf, options.sublinearTf ?? true, options.normalize ?? true);
    const rows: SparseVector[] = new Array(n);
    let scratch = new Int32Array(256);
    const rowsOf = (first: number, last: number): void => {
      for (let d = first; d < last; d++) {
        const from = offsets[d] as number;
        const to = offsets[d + 1] as number;
        if (scratch.length < to - from) scratch = new Int32Array(to - from);
        let m = 0;
        for (let k = from; k < to; k++) {
          const id = final[all[k] as number] as number;
          if (id >= 0) scratch[m++] = id;
        }
        rows[d] = vectorizer.rowOf(scratch, m);
      }
    };
    for (let d = 0; d < n; d += DOCS_PER_STEP) {
      rowsOf(d, Math.min(n, d + DOCS_PER_STEP));
      yield;
    }
    return { vectorizer, rows };
  }
}

/**
 * The first pass of `fitTransform`, a chunk of documents at a time: the counts of `TermCounter` (each
 * term's provisional id in order of first appearance, its document frequency) and every document's ids
 * with repeats (`all[offsets[d]..offsets[d + 1])`).
 */
class DocumentTermIds extends TermCounter {
  private readonly groupIds = new Map<WordGrams, Int32Array>();
  readonly offsets: Int32Array;
  all = new Int32Array(4096);
  private used = 0;

  constructor(documents: number) {
    super();
    this.offsets = new Int32Array(documents + 1);
  }

  /** Counts documents[first..last). */
  count(documents: readonly (readonly string[])[], first: number, last: number): void {
    for (let d = first; d < last; d++) {
      const doc = documents[d] as readonly string[];
      const mark = d + 1;
      if (this.all.length < this.used + doc.length) this.all = grow(this.all, this.used + doc.length);
      const grouped = intactGroups(doc);
      let groupedFrom = doc.length;
      let groupedTo = doc.length;
      if (grouped !== undefined) {
        groupedFrom = grouped.from;
        groupedTo = grouped.to;
        for (const group of grouped.groups) {
          let ids = this.groupIds.get(group);
          if (ids === undefined) {
            ids = Int32Array.from(group.grams, (g) => this.idOf(g, mark));
            this.groupIds.set(group, ids);
          } else {
            // Read here: idOf may have grown them.
            const df = this.df;
            const lastDoc = this.lastDoc;
            for (let j = 0; j < ids.length; j++) {
              const id = ids[j] as number;
              if (lastDoc[id] !== mark) {
                lastDoc[id] = mark;
                df[id] = (df[id] as number) + 1;
              }
            }
          }
          if (this.all.length < this.used + ids.length) this.all = grow(this.all, this.used + ids.length);
          this.all.set(ids, this.used);
          this.used += ids.length;
        }
      }
      const all = (this.all = this.all.length < this.used + doc.length ? grow(this.all, this.used + doc.length) : this.all);
      let used = this.used;
      for (let k = 0; k < doc.length; k++) {
        if (k === groupedFrom) k = groupedTo;
        if (k >= doc.length) break;
        all[used++] = this.idOf(doc[k] as string, mark);
      }
      this.used = used;
      this.offsets[d + 1] = used;
    }
  }
}
/**
 * The character n-gram groups `extractFeatures` recorded for a features array, if the array still holds
 * them (checked entry by entry, by identity): `terms[from..to)` is their concatenation.
 */
function intactGroups(terms: readonly string[]): { from: number; to: number; groups: WordGrams[] } | undefined {
  const grouped = charFeatureGroups.get(terms);
  if (grouped === undefined) return undefined;
  let at = grouped.start;
  for (const { grams } of grouped.groups) {
    for (let j = 0; j < grams.length; j++) if (terms[at + j] !== grams[j]) return undefined;
    at += grams.length;
  }
  return at <= terms.length ? { from: grouped.start, to: at, groups: grouped.groups } : undefined;
}
