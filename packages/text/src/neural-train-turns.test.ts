import { describe, expect, it } from 'vitest';
import { TextClassifier } from './text-classifier';
import { longestPause, reviewCorpus } from './test-helpers';

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
