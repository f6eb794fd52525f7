import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { TextClassifier } from '../src/text-classifier';

const fixtures = join(__dirname, '__fixtures__');

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe('CNN bundles saved by @appliedml/text 0.1 (fixed input width)', () => {
  it('load and predict exactly as they did', async () => {
    const expected = JSON.parse(await readFile(join(fixtures, 'cnn-0.1-expected.json'), 'utf8')) as {
      predictions: { text: string; label: string; scores: Record<string, number> }[];
    };
    const before = tf.memory().numTensors;
    const model = await TextClassifier.load(join(fixtures, 'cnn-0.1-bundle'));
    const got = await model.predictBatch(expected.predictions.map((p) => p.text));
    got.forEach((p, i) => {
      const want = expected.predictions[i]!;
      expect(p.label).toBe(want.label);
      for (const [label, score] of Object.entries(want.scores)) expect(Math.abs((p.scores[label] as number) - score)).toBeLessThan(1e-5);
    });
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
