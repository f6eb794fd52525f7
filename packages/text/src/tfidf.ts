import { AppliedMLError } from '@appliedml/engine';
import { charFeatureGroups, type WordGrams } from './features';
import { Vocabulary, type VocabularyOptions } from './vocabulary';

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
    if (documents.length === 0) throw new AppliedMLError('E_INPUT_INVALID', 'TF-IDF needs at least one document to fit.');
    const { vocabulary, documentFrequency } = Vocabulary.fit(documents, { ...options, reserveSpecial: false });
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
    const vocabulary = Vocabulary.fromJSON(json.vocabulary);
    if (!Array.isArray(json.idf) || json.idf.length !== vocabulary.size || json.idf.some((v) => !Number.isFinite(v))) {
      throw new AppliedMLError('E_BUNDLE_CORRUPT', 'The stored TF-IDF weights do not match the vocabulary.');
    }
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
    if (this.ids.length < terms.length) this.ids = new Int32Array(Math.max(terms.length, this.ids.length * 2));
    const ids = this.ids;
    let m = 0;
    // Features from extractFeatures carry their words' character n-grams as cached groups: one lookup per word.
    const grouped = charFeatureGroups.get(terms);
    let groupedFrom = terms.length;
    let groupedTo = terms.length;
    if (grouped !== undefined) {
      let at = grouped.start;
      let intact = true;
      for (const { grams } of grouped.groups) {
        for (let j = 0; j < grams.length && intact; j++) intact = terms[at + j] === grams[j];
        if (!intact) break;
        at += grams.length;
      }
      if (intact && at <= terms.length) {
        groupedFrom = grouped.start;
        groupedTo = at;
        for (const group of grouped.groups) {
          const known = this.idsOf(group);
          for (let j = 0; j < known.length; j++) ids[m++] = known[j] as number;
        }
      }
    }
    const vocabulary = this.vocabulary;
    for (let k = 0; k < terms.length; k++) {
      if (k === groupedFrom) k = groupedTo;
      if (k >= terms.length) break;
      const i = vocabulary.get(terms[k] as string);
      if (i !== undefined) ids[m++] = i;
    }
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
}
