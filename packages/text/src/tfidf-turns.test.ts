import { createRng } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { extractFeatures, resolveFeatureConfig } from './features';
import { TextClassifier } from './text-classifier';
import { longestPause, reviewCorpus } from './test-helpers';
import { TfidfVectorizer } from './tfidf';
import { sortCodeUnits } from './vocabulary';

describe('the TF-IDF fit gives the event loop turns', () => {
  it('fitTransformAsync gives the vocabulary, idf and rows of fitTransform, bit for bit', async () => {
    const config = resolveFeatureConfig({});
    const docs = reviewCorpus(2000, 5).map((r) => extractFeatures(r.text, config).features);
    // Wide characters (sorted apart and merged in) and long runs sharing their first 8 code units (sorted
    // in blocks and merged): more than 4,096 of each.
    for (let i = 0; i < 6000; i++) docs[i % docs.length]!.push(`w:東京${i}`, `w:sameprefix${i}`);
    for (const options of [{}, { minCount: 2, maxSize: 5000 }, { sublinearTf: false, normalize: false }]) {
      const sync = TfidfVectorizer.fitTransform(docs, options);
      const inTurns = await TfidfVectorizer.fitTransformAsync(docs, options);
      expect(inTurns.vectorizer.toJSON()).toEqual(sync.vectorizer.toJSON());
      // Every row's indices and values, end to end, compared once (a comparison per row is slow).
      const flat = (rows: typeof sync.rows): { indices: number[]; values: number[] } => ({
        indices: rows.flatMap((r) => [-1, ...r.indices]),
        values: rows.flatMap((r) => [-1, ...r.values]),
      });
      expect(flat(inTurns.rows)).toEqual(flat(sync.rows));
    }
    await expect(TfidfVectorizer.fitTransformAsync([])).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(TfidfVectorizer.fitTransformAsync([['a', 3 as never]])).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
  });

  it('sortCodeUnits orders long runs and many wide strings as the builtin sort does', () => {
    const rng = createRng(3);
    const strings = new Set<string>();
    while (strings.size < 30_000) {
      const r = rng.next();
      const tail = Math.floor(rng.next() * 1e9).toString(36);
      strings.add(r < 0.4 ? `w:samepre${tail}` : r < 0.8 ? `c:中文${tail}\ud83d\ude00` : `w:${tail}`);
    }
    expect(sortCodeUnits([...strings])).toEqual([...strings].sort());
  });

  it('a linear training on 30,000 review-length texts never holds the event loop long', { timeout: 120_000 }, async () => {
    const data = reviewCorpus(30_000, 1);
    const model = TextClassifier.create({ model: 'linear', seed: 1 });
    const { result: report, wallMs: longestWall, cpuMs: longestCpu } = await longestPause(() => model.train(data, { epochs: 1 }));
    expect(report.featureCount).toBeGreaterThan(100_000);
    // The fit took several seconds in one go (about 30 s for 100,000 texts here); now the longest stretch
    // is a turn's ~50 ms plus what garbage collection of the ~300 MB of features costs. Generous bound.
    expect(longestCpu, `longest pause ${longestWall.toFixed(0)} ms wall, ${longestCpu.toFixed(0)} ms CPU`).toBeLessThan(1000);
    expect((await model.predict(data[0]!.text)).label).toBe(data[0]!.label);
    model.dispose();
  });
});
