import { describe, expect, it } from 'vitest';
import { TextClassifier } from './text-classifier';
import { longestPause, reviewCorpus } from './test-helpers';
import { Vocabulary } from './vocabulary';

// fastText and the CNN made their inputs in one go before the engine's trainer gave the event loop its
// turns: the tokens, fastText's known n-grams (or the CNN's vocabulary) and the id tensors. A service
// training fastText on 100,000 review-length texts stopped answering for 4.2 s (the CNN 2.9 s), 50,000 for
// about 2 s. They are made in turns now, with the same results (the ids are written by the same code).

describe('fastText training makes its inputs in turns', () => {
  it('on 50,000 review-length texts it never holds the event loop long', { timeout: 180_000 }, async () => {
    const data = reviewCorpus(50_000, 2);
    const model = TextClassifier.create({ model: 'fasttext', seed: 1, fasttext: { dim: 8 } });
    const { wallMs: longestWall, cpuMs: longestCpu } = await longestPause(() => model.train(data, { epochs: 1 }));
    // About 2 s of CPU in one go before; now a turn's ~50 ms, the sorts of the known n-grams' buffer and
    // the tensors' copies (0.3-0.5 s here). Generous bound.
    expect(longestCpu, `longest pause ${longestWall.toFixed(0)} ms wall, ${longestCpu.toFixed(0)} ms CPU`).toBeLessThan(1000);
    expect((await model.predict(data[0]!.text)).label).toBe(data[0]!.label);
    model.dispose();
  });
});

describe('the CNN fits its vocabulary in turns', () => {
  it('with the vocabulary and document frequencies Vocabulary.fit gives', async () => {
    // More terms than one sort block (merged in steps), with ties in document frequency broken by the term.
    const docs = reviewCorpus(3000, 4).map((r, i) => [...r.text.split(' '), `u${i % 7000}`, `v${(i * 7) % 5000}`, `東${i % 300}`]);
    for (const options of [{}, { minCount: 2 }, { maxSize: 5000, reserveSpecial: true }]) {
      const sync = Vocabulary.fit(docs, options);
      const inTurns = await Vocabulary.fitInTurns(docs, options);
      expect(sync.vocabulary.terms.length).toBeGreaterThanOrEqual(options.maxSize ?? 4097);
      expect(inTurns.vocabulary.toJSON()).toEqual(sync.vocabulary.toJSON());
      expect([...inTurns.documentFrequency]).toEqual([...sync.documentFrequency]);
      for (const term of ['u1', 'v7', '東5', 'nope']) expect(inTurns.vocabulary.get(term)).toBe(sync.vocabulary.get(term));
    }
    await expect(Vocabulary.fitInTurns([['a', 3 as never]])).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
  });

  it('a CNN training on 40,000 texts of many distinct words never holds the event loop long', { timeout: 180_000 }, async () => {
    // Sixteen words of its own in each text: 640,000 distinct terms to count and sort.
    const data = reviewCorpus(40_000, 2).map((r, i) => ({
      ...r,
      text: `${r.text} ${Array.from({ length: 16 }, (_, k) => `zq${i.toString(36)}x${k}`).join(' ')}`,
    }));
    const model = TextClassifier.create({ model: 'cnn', seed: 1, cnn: { embeddingDim: 8, filters: 4 } });
    const { wallMs: longestWall, cpuMs: longestCpu } = await longestPause(() => model.train(data, { epochs: 1 }));
    // The vocabulary fit in one go held it ~0.8-1 s of CPU here; now the longest stretch is the network's
    // first training step (tfjs's, 0.2-0.3 s) or a garbage collection. Generous bound.
    expect(longestCpu, `longest pause ${longestWall.toFixed(0)} ms wall, ${longestCpu.toFixed(0)} ms CPU`).toBeLessThan(500);
    expect((await model.predict(data[0]!.text)).labels.length).toBeGreaterThan(0);
    model.dispose();
  });
});
