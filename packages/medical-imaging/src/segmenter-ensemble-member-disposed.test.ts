import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { initEngine, tf } from '@appliedml/engine';
import { ImageSegmenter } from './image-segmenter';
import { SegmenterEnsemble } from './segmenter-ensemble';
import { discs } from './test-discs';

// A member disposed on its own (the ensemble owns its members) made the ensemble's trainedOn,
// membersTrainedOn and predict throw in the member's words, "This ImageSegmenter was disposed.": a
// caller holding an ensemble was told of a segmenter it never named. The ensemble says it now: it cannot
// be used, which member was disposed (details.index), and what to do. Its size is still said, and
// disposing the ensemble afterwards frees everything.

const config = { imageSize: 16, filters: [4, 8], flipAugment: false };
const data = discs(12, 32, 1);
const validation = discs(4, 32, 2);
const source = { name: 'discs', synthetic: true, description: 'generated discs' };
let before = 0;

async function member(seed: number): Promise<ImageSegmenter> {
  const seg = ImageSegmenter.create({ ...config, seed });
  await seg.train({ ...data, source }, { epochs: 1, batchSize: 8, validation });
  return seg;
}

beforeAll(async () => {
  await initEngine();
  before = tf.memory().numTensors;
});
afterAll(() => {
  expect(tf.memory().numTensors).toBe(before);
});

describe('a SegmenterEnsemble whose member was disposed on its own', () => {
  it("says so in the ensemble's words, naming the member, for trainedOn, membersTrainedOn, predict, evaluate and save", async () => {
    const members = [await member(1), await member(2), await member(3)];
    const ensemble = SegmenterEnsemble.from(members);
    onTestFinished(() => ensemble.dispose());
    const probe = data.images[0]!;
    // Usable before: the record, and a prediction that leaks no tensor.
    expect(ensemble.trainedOn).toEqual({ source, images: 12, validationImages: 4 });
    const held = tf.memory().numTensors;
    await ensemble.predict(probe);
    expect(tf.memory().numTensors).toBe(held);

    members[1]!.dispose();
    const left = tf.memory().numTensors;
    const said = {
      code: 'E_MODEL_DISPOSED',
      message:
        'This SegmenterEnsemble cannot be used: its member 1 (of 3, numbered from 0) was disposed on its own. ' +
        'The ensemble owns its members: dispose the ensemble, not a member, and load or build it again.',
      details: { index: 1, members: 3 },
    };
    expect(() => ensemble.trainedOn).toThrow(expect.objectContaining(said));
    expect(() => ensemble.membersTrainedOn).toThrow(expect.objectContaining(said));
    await expect(ensemble.predict(probe)).rejects.toMatchObject(said);
    await expect(ensemble.evaluate({ images: [probe], masks: [data.masks[0]!] })).rejects.toMatchObject(said);
    await expect(ensemble.save('/nonexistent/never-written')).rejects.toMatchObject(said);
    expect(tf.memory().numTensors).toBe(left);
    // What the ensemble holds itself is still said.
    expect([ensemble.size, ensemble.isTrained]).toEqual([3, false]);
    // Disposed, it says that (not a member), and every member's tensors are gone.
    ensemble.dispose();
    expect(() => ensemble.trainedOn).toThrow(
      expect.objectContaining({ code: 'E_MODEL_DISPOSED', message: 'This SegmenterEnsemble was disposed.' }),
    );
    expect(members.map((m) => m.isTrained)).toEqual([false, false, false]);
  });
});
