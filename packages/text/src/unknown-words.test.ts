import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { TextClassifier } from './text-classifier';
import { TICKETS } from './test-helpers';

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

/** Texts none of whose words (nor their hashed n-grams) appear in TICKETS. */
const UNKNOWN = ['qzxv', 'qzxv wqpl', 'Ωμέγα λόγος', '退款退款', 'xjq zzkw vlor'];

function softmax(z: number[]): number[] {
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

describe('a text of only unknown words', () => {
  it('fastText: gets the output layer bias (the embedding rows no training text reached are zero)', async () => {
    const before = tf.memory().numTensors;
    const m = TextClassifier.create({ model: 'fasttext', seed: 2, fasttext: { epochs: 5, dim: 8, buckets: 8192 } });
    await m.train(TICKETS);
    const network = (m as unknown as { state: { network: tf.LayersModel } }).state.network;
    const bias = Array.from(network.getLayer('out').getWeights()[1]!.dataSync());
    const expected = softmax(bias);
    const got = await m.predictBatch(UNKNOWN);
    for (const p of got) m.labels.forEach((l, k) => expect(p.scores[l]).toBeCloseTo(expected[k]!, 6));
    // Every text of unknown words gets the same answer.
    expect(new Set(got.map((p) => JSON.stringify(p.scores))).size).toBe(1);
    // The known words still decide.
    expect((await m.predict('refund the double charge on my invoice')).label).toBe('billing');
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('fastText: an unknown word that shares a bucket with a trained n-gram is dropped too (64 buckets: every one trained), also after save/load', async () => {
    const m = TextClassifier.create({ model: 'fasttext', seed: 2, fasttext: { epochs: 5, dim: 8, buckets: 64 } });
    await m.train(TICKETS);
    const network = (m as unknown as { state: { network: tf.LayersModel } }).state.network;
    const bias = Array.from(network.getLayer('out').getWeights()[1]!.dataSync());
    const expected = softmax(bias);
    const check = async (model: TextClassifier): Promise<void> => {
      for (const p of await model.predictBatch(UNKNOWN)) model.labels.forEach((l, k) => expect(p.scores[l]).toBeCloseTo(expected[k]!, 6));
      // Known words among unknown ones score as the known words alone.
      expect((await model.predict('qzxv refund invoice wqpl')).scores).toEqual((await model.predict('refund invoice')).scores);
    };
    await check(m);
    const dir = await mkdtemp(join(tmpdir(), 'text-known-'));
    try {
      await m.save(dir);
      const again = await TextClassifier.load(dir);
      await check(again);
      again.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    m.dispose();
  });

  it('fastText multi-label: an unknown text takes no label by accident (all sigmoid(bias))', async () => {
    const m = TextClassifier.create({ model: 'fasttext', multiLabel: true, seed: 2, fasttext: { epochs: 5, dim: 8, buckets: 8192 } });
    await m.train(TICKETS.map((t) => ({ text: t.text, label: [t.label as string] })));
    const network = (m as unknown as { state: { network: tf.LayersModel } }).state.network;
    const bias = Array.from(network.getLayer('out').getWeights()[1]!.dataSync());
    const [p] = await m.predictBatch(['hello there qzxv']);
    m.labels.forEach((l, k) => expect(p!.scores[l]).toBeCloseTo(1 / (1 + Math.exp(-bias[k]!)), 6));
    m.dispose();
  });

  it('CNN: the unknown-word embedding is zero when no training text had an unknown word; every unknown text scores alike', async () => {
    const m = TextClassifier.create({ model: 'cnn', seed: 2, cnn: { epochs: 3, embeddingDim: 8, filters: 4 } });
    await m.train(TICKETS);
    const network = (m as unknown as { state: { network: tf.LayersModel } }).state.network;
    const table = network.getLayer('embedding').getWeights()[0]!;
    const dim = table.shape[1] as number;
    expect(Array.from(table.dataSync().subarray(dim, 2 * dim))).toEqual(new Array(dim).fill(0)); // id 1: unknown words
    const got = await m.predictBatch(['qzxv', 'wqpl', 'xjq']);
    expect(new Set(got.map((p) => JSON.stringify(p.scores))).size).toBe(1);
    m.dispose();
  });
});

describe('padding counts as reached only where the network reads it', () => {
  const row0 = (m: TextClassifier): number[] => {
    const table = (m as unknown as { state: { network: tf.LayersModel } }).state.network.getLayer('embedding').getWeights()[0]!;
    return Array.from(table.dataSync().subarray(0, table.shape[1] as number));
  };

  it('fastText: bucket 0 (padding, at weight 0) is zeroed', async () => {
    const m = TextClassifier.create({ model: 'fasttext', seed: 2, fasttext: { epochs: 2, dim: 8, buckets: 8192 } });
    await m.train(TICKETS);
    expect(row0(m)).toEqual(new Array(8).fill(0));
    m.dispose();
  });

  it('CNN: the padding row is zeroed when every training text is as long as the widest kernel, kept when a shorter one read it', async () => {
    const m = TextClassifier.create({ model: 'cnn', seed: 2, cnn: { epochs: 2, embeddingDim: 8, filters: 4, kernelSizes: [2, 3] } });
    expect(TICKETS.every((t) => t.text.split(' ').length >= 3)).toBe(true);
    await m.train(TICKETS);
    expect(row0(m)).toEqual(new Array(8).fill(0));
    // 'Refund please' is two tokens, padded to the widest kernel (3): its windows read the padding row.
    await m.train([...TICKETS, { text: 'Refund please', label: 'billing' }]);
    expect(row0(m).some((v) => v !== 0)).toBe(true);
    m.dispose();
  });
});

describe('a fastText bundle saved before the known n-grams were kept', () => {
  it('loads without them and predicts exactly as it did (every n-gram read)', async () => {
    const { readFile } = await import('node:fs/promises');
    const fixtures = join(__dirname, '..', 'test', '__fixtures__');
    const expected = JSON.parse(await readFile(join(fixtures, 'fasttext-pre-known-expected.json'), 'utf8')) as {
      predictions: { text: string; label: string; scores: Record<string, number> }[];
    };
    const m = await TextClassifier.load(join(fixtures, 'fasttext-pre-known-bundle'));
    const got = await m.predictBatch(expected.predictions.map((p) => p.text));
    got.forEach((p, i) => {
      expect(p.label).toBe(expected.predictions[i]!.label);
      for (const [label, score] of Object.entries(expected.predictions[i]!.scores)) expect(p.scores[label]).toBeCloseTo(score, 6);
    });
    m.dispose();
  });
});
