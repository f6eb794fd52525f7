import { createRng } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { extractFeatures, resolveFeatureConfig } from './features';
import { TextClassifier } from './text-classifier';
import { TfidfVectorizer, sortCodeUnits } from './tfidf';

/** Review-like texts over a Zipf-ish vocabulary of made-up words, three labels. */
function corpus(n: number, seed: number): { text: string; label: string }[] {
  const rng = createRng(seed);
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'po', 'si', 'de', 'fu', 'ga', 'hi', 'jo', 'be', 'vu', 'zo'];
  const words = Array.from({ length: 30_000 }, (_, i) => {
    let w = '';
    let x = i + 7;
    do {
      w += syllables[x % 16];
      x = Math.floor(x / 16);
    } while (x > 0);
    return w;
  });
  return Array.from({ length: n }, (_, i) => {
    const label = ['alpha', 'beta', 'gamma'][i % 3] as string;
    const length = 8 + Math.floor(rng.next() * 25);
    const text: string[] = [];
    for (let k = 0; k < length; k++) text.push(words[Math.floor(words.length * rng.next() ** 3)] as string);
    text.push(label);
    return { text: text.join(' '), label };
  });
}

describe('the TF-IDF fit gives the event loop turns', () => {
  it('fitTransformAsync gives the vocabulary, idf and rows of fitTransform, bit for bit', async () => {
    const config = resolveFeatureConfig({});
    const docs = corpus(2000, 5).map((r) => extractFeatures(r.text, config).features);
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
    const data = corpus(30_000, 1);
    const model = TextClassifier.create({ model: 'linear', seed: 1 });
    // The longest stretch between two timer ticks, in wall time and in this process's CPU time (the CPU
    // time is what the training spent; the wall time also counts other processes on a busy machine).
    let last = performance.now();
    let lastCpu = process.cpuUsage();
    let longestWall = 0;
    let longestCpu = 0;
    const probe = setInterval(() => {
      const now = performance.now();
      const cpu = process.cpuUsage(lastCpu);
      longestWall = Math.max(longestWall, now - last);
      longestCpu = Math.max(longestCpu, (cpu.user + cpu.system) / 1000);
      last = now;
      lastCpu = process.cpuUsage();
    }, 5);
    try {
      const report = await model.train(data, { epochs: 1 });
      expect(report.featureCount).toBeGreaterThan(100_000);
      // One more tick, so a stretch at the very end of the training is measured too.
      await new Promise((resolve) => setTimeout(resolve, 30));
    } finally {
      clearInterval(probe);
    }
    // The fit took several seconds in one go (about 30 s for 100,000 texts here); now the longest stretch
    // is a turn's ~50 ms plus what garbage collection of the ~300 MB of features costs. Generous bound.
    expect(longestCpu, `longest pause ${longestWall.toFixed(0)} ms wall, ${longestCpu.toFixed(0)} ms CPU`).toBeLessThan(1000);
    expect((await model.predict(data[0]!.text)).label).toBe(data[0]!.label);
    model.dispose();
  });
});
