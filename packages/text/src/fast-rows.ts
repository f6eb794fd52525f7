import { charNgrams, charNgramsOf } from './char-ngrams';
import { normalizedText, questionFeatures, rawTokens, shapeFeatures, tokensOfNormalized, type ResolvedFeatureConfig } from './features';
import { softmaxInPlace, type LinearModel } from './linear-model';
import type { SparseVector, TfidfVectorizer } from './tfidf';

interface TokenEntry {
  id: number;
  next: Map<string, number> | undefined;
}

/** 1 + ln(tf) for small tf (the same doubles Math.log gives). */
const SUBLINEAR = Float64Array.from({ length: 64 }, (_, i) => 1 + Math.log(i));

/** Above this many classes, predictions go through rows (the fused table holds K + 2 doubles per feature). */
const FUSED_MAX_CLASSES = 8;

/** Words cached per builder (ids of their character n-grams, or of the word itself); cleared when full. */
const CACHE_LIMIT = 50_000;

/**
 * Text → TF-IDF row without the feature strings: the same row, bit for bit, as
 * `tfidf.transform(extractFeatures(text, config).features)`, for a vectorizer fitted on those features.
 * Word unigrams and each whitespace-separated word's character n-grams (scope 'word') map to term ids
 * once per distinct word (cached here, per vectorizer); longer word n-grams, character n-grams over the
 * whole text, question and shape features are looked up as strings, as before. Counts go into a reused
 * per-feature array, and the row returned is a view on reused buffers: valid until the next call.
 * Internal (not exported from the package).
 */
export class TfidfRowBuilder {
  private readonly tfidf: TfidfVectorizer;
  private readonly config: ResolvedFeatureConfig;
  private readonly unigrams = new Map<string, TokenEntry>();
  private bigramCount = 0;
  private readonly wordChars = new Map<string, Int32Array>();
  private ids = new Int32Array(1024);
  private indices = new Int32Array(256);
  private values = new Float32Array(256);
  private counts: Int32Array | undefined;
  private readonly entries: TokenEntry[] = [];

  constructor(tfidf: TfidfVectorizer, config: ResolvedFeatureConfig) {
    this.tfidf = tfidf;
    this.config = config;
    const c = config.charNgrams;
    if (c) charNgrams('', c); // validates the sizes, as extractFeatures does
  }

  private push(id: number): void {
    if (this.ids.length === this.used) {
      const grown = new Int32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.used++] = id;
  }
  private used = 0;

  private pushTerm(term: string): void {
    const id = this.tfidf.vocabulary.get(term);
    if (id !== undefined) this.push(id);
  }

  /** A token's cached entry: the id of 'w:token' (-1 if unknown) and the ids of 'w:token next' by next token. */
  private token(token: string): TokenEntry {
    let entry = this.unigrams.get(token);
    if (entry === undefined) {
      entry = { id: this.tfidf.vocabulary.get('w:' + token) ?? -1, next: undefined };
      if (this.unigrams.size >= CACHE_LIMIT || this.bigramCount >= CACHE_LIMIT * 4) {
        this.unigrams.clear();
        this.bigramCount = 0;
      }
      this.unigrams.set(token, entry);
    }
    return entry;
  }

  private bigramId(first: TokenEntry, a: string, b: string): number {
    const next = (first.next ??= new Map());
    let id = next.get(b);
    if (id === undefined) {
      id = this.tfidf.vocabulary.get('w:' + a + ' ' + b) ?? -1;
      next.set(b, id);
      this.bigramCount++;
    }
    return id;
  }

  private charIds(word: string, min: number, max: number): Int32Array {
    let ids = this.wordChars.get(word);
    if (ids === undefined) {
      const found: number[] = [];
      for (const g of charNgramsOf(word, min, max, 'word', this.config.emojiClusters)) {
        const id = this.tfidf.vocabulary.get('c:' + g);
        if (id !== undefined) found.push(id);
      }
      ids = Int32Array.from(found);
      if (this.wordChars.size >= CACHE_LIMIT) this.wordChars.clear();
      this.wordChars.set(word, ids);
    }
    return ids;
  }

  /** The TF-IDF row of one text (a view on reused buffers, valid until the next call). */
  row(text: string): SparseVector {
    this.gather(text);
    return this.finish();
  }

  /** The term ids of a text's features, with repeats, into `ids[0..used)`. */
  private gather(given: string): void {
    const config = this.config;
    this.used = 0;
    const text = normalizedText(given, config);
    const tokens = config.wordNgrams > 0 ? tokensOfNormalized(text, config) : [];
    const entries: TokenEntry[] = this.entries;
    if (config.wordNgrams > 0) {
      entries.length = 0;
      for (let i = 0; i < tokens.length; i++) {
        const entry = this.token(tokens[i] as string);
        entries.push(entry);
        if (entry.id >= 0) this.push(entry.id);
      }
    }
    if (config.wordNgrams >= 2) {
      for (let i = 0; i + 1 < tokens.length; i++) {
        const id = this.bigramId(entries[i] as TokenEntry, tokens[i] as string, tokens[i + 1] as string);
        if (id >= 0) this.push(id);
      }
    }
    for (let n = 3; n <= config.wordNgrams; n++) {
      for (let i = 0; i + n <= tokens.length; i++) this.pushTerm(`w:${tokens.slice(i, i + n).join(' ')}`);
    }
    const chars = config.charNgrams;
    if (chars) {
      const source = config.lowercase ? text.toLowerCase() : text;
      if (chars.scope === 'text')
        for (const g of charNgramsOf(source, chars.min, chars.max, 'text', config.emojiClusters)) this.pushTerm('c:' + g);
      else {
        for (const word of source.split(/\s+/)) {
          if (word === '') continue;
          const known = this.charIds(word, chars.min, chars.max);
          for (let j = 0; j < known.length; j++) this.push(known[j] as number);
        }
      }
    }
    if (config.questionFeatures) for (const f of questionFeatures(rawTokens(text, config), config.wordnet)) this.pushTerm(f);
    if (config.shapeFeatures) for (const f of shapeFeatures(text)) this.pushTerm(f);
  }

  /**
   * A linear model's probabilities for one text, as `model.probabilities(this.row(text))` gives them (the
   * same operations in the same order), but with each feature's count, idf and class weights side by side
   * in one table, so a feature costs one cache miss instead of three. Models with many classes go through
   * `row` instead (the table would be large).
   */
  probabilities(text: string, model: LinearModel, out = new Float64Array(model.classes)): Float64Array {
    const K = model.classes;
    if (K > FUSED_MAX_CLASSES || model.features !== this.tfidf.size) return model.probabilities(this.row(text), out);
    const stride = K + 2;
    const table = (this.fused ??= this.buildFused(model));
    this.gather(text);
    const ids = this.ids;
    const m = this.used;
    let distinct = 0;
    for (let k = 0; k < m; k++) {
      const id = ids[k] as number;
      const at = id * stride;
      const c = table[at] as number;
      if (c === 0) ids[distinct++] = id;
      table[at] = c + 1;
    }
    if (this.values.length < distinct) this.values = new Float32Array(Math.max(distinct, this.values.length * 2));
    const indices = ids.subarray(0, distinct).sort();
    const values = this.values;
    const sublinear = this.tfidf.sublinearTf;
    let norm = 0;
    for (let k = 0; k < distinct; k++) {
      const at = (indices[k] as number) * stride;
      const run = table[at] as number;
      table[at] = 0;
      const v = (sublinear ? (run < SUBLINEAR.length ? (SUBLINEAR[run] as number) : 1 + Math.log(run)) : run) * (table[at + 1] as number);
      values[k] = v;
      norm += v * v;
    }
    const s = this.tfidf.normalize && norm > 0 ? 1 / Math.sqrt(norm) : 1;
    const scale = this.tfidf.normalize && norm > 0;
    out.set(model.bias);
    for (let k = 0; k < distinct; k++) {
      const at = (indices[k] as number) * stride + 2;
      const v = scale ? Math.fround((values[k] as number) * s) : (values[k] as number);
      for (let c = 0; c < K; c++) out[c] = (out[c] as number) + v * (table[at + c] as number);
    }
    if (model.multiLabel) {
      for (let c = 0; c < K; c++) out[c] = 1 / (1 + Math.exp(-(out[c] as number)));
    } else softmaxInPlace(out);
    return out;
  }

  private fused: Float64Array | undefined;

  /** Per feature: [count (0 between calls), idf, weight of class 0 … K-1]. */
  private buildFused(model: LinearModel): Float64Array {
    const K = model.classes;
    const stride = K + 2;
    const n = this.tfidf.size;
    const table = new Float64Array(n * stride);
    const idf = this.tfidf.idf;
    const w = model.weights;
    for (let f = 0; f < n; f++) {
      table[f * stride + 1] = idf[f] as number;
      for (let c = 0; c < K; c++) table[f * stride + 2 + c] = w[f * K + c] as number;
    }
    return table;
  }

  /** Counts → sorted distinct ids → (sublinear) tf × idf → L2 norm, exactly as TfidfVectorizer.transform. */
  private finish(): SparseVector {
    const ids = this.ids;
    const m = this.used;
    const counts = (this.counts ??= new Int32Array(this.tfidf.size));
    let distinct = 0;
    for (let k = 0; k < m; k++) {
      const id = ids[k] as number;
      if ((counts[id] as number) === 0) ids[distinct++] = id;
      counts[id] = (counts[id] as number) + 1;
    }
    if (this.indices.length < distinct) {
      this.indices = new Int32Array(Math.max(distinct, this.indices.length * 2));
      this.values = new Float32Array(this.indices.length);
    }
    const indices = this.indices.subarray(0, distinct);
    indices.set(ids.subarray(0, distinct));
    indices.sort();
    const values = this.values.subarray(0, distinct);
    const idf = this.tfidf.idf;
    const sublinear = this.tfidf.sublinearTf;
    let norm = 0;
    for (let k = 0; k < distinct; k++) {
      const idx = indices[k] as number;
      const run = counts[idx] as number;
      counts[idx] = 0;
      const v = (sublinear ? (run < SUBLINEAR.length ? (SUBLINEAR[run] as number) : 1 + Math.log(run)) : run) * (idf[idx] as number);
      values[k] = v;
      norm += v * v;
    }
    if (this.tfidf.normalize && norm > 0) {
      const s = 1 / Math.sqrt(norm);
      for (let k = 0; k < distinct; k++) values[k] = (values[k] as number) * s;
    }
    return { indices, values };
  }
}
