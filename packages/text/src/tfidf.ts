import { AppliedMLError } from '@appliedml/engine';
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

  /** One document's sparse TF-IDF row; unknown terms are dropped. */
  transform(terms: readonly string[]): SparseVector {
    // Known term ids, sorted, then counted by runs (no per-document Map).
    const ids = new Int32Array(terms.length);
    let m = 0;
    for (const term of terms) {
      const i = this.vocabulary.get(term);
      if (i !== undefined) ids[m++] = i;
    }
    const sorted = ids.subarray(0, m).sort();
    let distinct = 0;
    for (let k = 0; k < m; k++) if (k === 0 || sorted[k] !== sorted[k - 1]) distinct++;
    const indices = new Int32Array(distinct);
    const values = new Float32Array(distinct);
    let norm = 0;
    let out = -1;
    let run = 0;
    const flush = (): void => {
      const idx = indices[out] as number;
      const v = (this.sublinearTf ? 1 + Math.log(run) : run) * (this.idf[idx] ?? 0);
      values[out] = v;
      norm += v * v;
    };
    for (let k = 0; k < m; k++) {
      if (k === 0 || sorted[k] !== sorted[k - 1]) {
        if (out >= 0) flush();
        out++;
        indices[out] = sorted[k] as number;
        run = 0;
      }
      run++;
    }
    if (out >= 0) flush();
    if (this.normalize && norm > 0) {
      const s = 1 / Math.sqrt(norm);
      for (let k = 0; k < values.length; k++) values[k] = (values[k] ?? 0) * s;
    }
    return { indices, values };
  }
}
