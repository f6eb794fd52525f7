// Overlapping `train` calls on one ImageClassifier / ImageSegmenter (docs/sdk-conventions.md, "Calls in
// flight"; engine TrainTickets): the model ends as the last-started train left it, whatever order they
// finish in. Review s28 R4 (med-race.mts, seg-race.mts): the train that finished last installed its
// network, so an earlier, longer train replaced the newer model with its own labels.
import { beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import type { GrayImage } from './gray-image';
import { ImageClassifier } from './image-classifier';
import type { LabeledImages } from './image-classifier';
import { ImageSegmenter } from './image-segmenter';
import type { MaskedImages } from './segmentation-masks';
import { discs, labelledDiscs } from './test-discs';

/** A promise the test settles: a train whose onEpoch returns it waits there (the epoch loop awaits it). */
function gate(): { wait: () => Promise<void>; open: () => void; reached: Promise<void> } {
  let open!: () => void;
  let reach!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return {
    wait: () => {
      reach();
      return opened;
    },
    open,
    reached,
  };
}

async function rejection(promise: Promise<unknown>): Promise<AppliedMLError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!AppliedMLError.isInstance(error)) throw new Error(`expected a typed rejection, got ${String(error)}`);
  return error;
}

/** What the tests need of either model: make one, train it on the older or newer data, and what tells them apart. */
interface Kind {
  name: 'ImageClassifier' | 'ImageSegmenter';
  create(): ImageClassifier | ImageSegmenter;
  train(model: ImageClassifier | ImageSegmenter, which: 'older' | 'newer', onEpoch?: () => unknown): Promise<unknown>;
  /** A long train on the older data: 200 epochs, no early stop. */
  trainLong(model: ImageClassifier | ImageSegmenter, onEpoch: () => void): Promise<unknown>;
  /** What the installed model says: the classifier's labels, the segmenter's probability maps of a probe. */
  answer(model: ImageClassifier | ImageSegmenter): Promise<unknown>;
}

const older: LabeledImages = labelledDiscs(12, 1);
const newer: LabeledImages = { ...labelledDiscs(12, 2), labels: labelledDiscs(12, 2).labels.map((l) => `new-${l}`) };
const probe: GrayImage[] = labelledDiscs(4, 9).images;
const segOlder: MaskedImages = discs(8, 16, 1);
// The newer masks are the discs' complement: a model trained on them answers otherwise than the older one.
const segNewer: MaskedImages = (() => {
  const d = discs(8, 16, 2);
  return { images: d.images, masks: d.masks.map((m) => ({ ...m, data: m.data.map((v) => 1 - v) })) };
})();

const kinds: Kind[] = [
  {
    name: 'ImageClassifier',
    create: () => ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 3 }),
    train: (model, which, onEpoch) =>
      (model as ImageClassifier).train(which === 'older' ? older : newer, {
        epochs: 2,
        batchSize: 8,
        ...(onEpoch ? { onEpoch: onEpoch as () => Promise<void> } : {}),
      }),
    trainLong: (model, onEpoch) => (model as ImageClassifier).train(older, { epochs: 200, patience: 10_000, batchSize: 8, onEpoch }),
    answer: async (model) => {
      const c = model as ImageClassifier;
      return { labels: c.labels, scores: (await c.predictBatch(probe)).map((p) => p.probabilities) };
    },
  },
  {
    name: 'ImageSegmenter',
    create: () => ImageSegmenter.create({ imageSize: 16, filters: [2, 4], flipAugment: false, seed: 1 }),
    train: (model, which, onEpoch) =>
      (model as ImageSegmenter).train(which === 'older' ? segOlder : segNewer, {
        epochs: 2,
        batchSize: 4,
        ...(onEpoch ? { onEpoch: onEpoch as () => Promise<void> } : {}),
      }),
    trainLong: (model, onEpoch) => (model as ImageSegmenter).train(segOlder, { epochs: 200, patience: 10_000, batchSize: 4, onEpoch }),
    answer: async (model) => (await (model as ImageSegmenter).probabilityMaps(segOlder.images.slice(0, 2))).map((m) => Array.from(m.data)),
  },
];

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe.each(kinds)('overlapping train() calls on one $name: the last started wins', (kind) => {
  it('the earlier-started train finishing last is E_BUSY, frees its network, and leaves the later model', async () => {
    const before = tf.memory().numTensors;
    // The tensors a model trained on the newer data alone holds, and its answers.
    const alone = kind.create();
    await kind.train(alone, 'newer');
    const own = tf.memory().numTensors - before;
    const expected = await kind.answer(alone);
    const olderAlone = kind.create();
    await kind.train(olderAlone, 'older');
    expect(await kind.answer(olderAlone)).not.toEqual(expected); // the two trains leave models told apart
    alone.dispose();
    olderAlone.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const model = kind.create();
    const first = gate();
    const earlier = kind.train(model, 'older', first.wait);
    await first.reached;
    await kind.train(model, 'newer');
    expect(await kind.answer(model)).toEqual(expected);
    first.open();
    const error = await rejection(earlier);
    expect(error.code).toBe('E_BUSY');
    expect(error.details).toEqual({ reason: 'superseded' });
    expect(error.message).toMatch(new RegExp(`^${kind.name}\\.train: a train started later has already replaced the model`));
    // The later model stays and answers as the same train alone does (same seed); the refused one's network is freed.
    expect(await kind.answer(model)).toEqual(expected);
    expect(tf.memory().numTensors - before).toBe(own);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('finishing in start order, both resolve and the model is the later one', async () => {
    const reference = kind.create();
    await kind.train(reference, 'newer');
    const expected = await kind.answer(reference);
    reference.dispose();
    const model = kind.create();
    const [first, second] = [gate(), gate()];
    const earlier = kind.train(model, 'older', first.wait);
    await first.reached;
    const later = kind.train(model, 'newer', second.wait);
    await second.reached;
    first.open();
    await earlier;
    second.open();
    await later;
    expect(await kind.answer(model)).toEqual(expected);
    model.dispose();
  });

  it('a later train that fails leaves the earlier one to install its model', async () => {
    const reference = kind.create();
    await kind.train(reference, 'older');
    const expected = await kind.answer(reference);
    reference.dispose();
    const model = kind.create();
    const first = gate();
    const earlier = kind.train(model, 'older', first.wait);
    await first.reached;
    const failing = kind.train(model, 'newer', () => {
      throw new AppliedMLError('E_INPUT_INVALID', 'stopped by the test');
    });
    expect((await rejection(failing)).message).toBe('stopped by the test');
    first.open();
    await earlier;
    expect(await kind.answer(model)).toEqual(expected);
    model.dispose();
  });
});

describe.each(kinds)('a superseded train of $name stops at its next step', (kind) => {
  it('a long train still running when a later one installs: E_BUSY without another epoch; the model is the later one', async () => {
    const before = tf.memory().numTensors;
    const alone = kind.create();
    await kind.train(alone, 'newer');
    const expected = await kind.answer(alone);
    alone.dispose();

    const model = kind.create();
    let epochs = 0;
    let firstEpoch = (): void => undefined;
    const started = new Promise<void>((resolve) => (firstEpoch = resolve));
    // 200 epochs, no early stop: all of them ran before the rejection.
    const earlier = rejection(
      kind.trainLong(model, () => {
        epochs += 1;
        firstEpoch();
      }),
    );
    await started;
    await kind.train(model, 'newer');
    const atInstall = epochs;
    const t0 = performance.now();
    const error = await earlier;
    const ms = performance.now() - t0;
    expect(ms, `ran ${Math.round(ms)} ms after the later train installed`).toBeLessThan(2000);
    expect(error.code).toBe('E_BUSY');
    expect(error.details).toEqual({ reason: 'superseded' });
    expect(error.message).toMatch(new RegExp(`^${kind.name}\\.train: a train started later has already replaced the model`));
    // Stopped at its next step: no epoch of it ended after the later train installed.
    expect(epochs).toBe(atInstall);
    expect(atInstall).toBeLessThan(200);
    expect(await kind.answer(model)).toEqual(expected);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
