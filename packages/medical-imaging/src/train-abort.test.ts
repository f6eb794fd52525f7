// `train` stops on an AbortSignal (docs/sdk-conventions.md, engine 462b99e): ImageClassifier.train and
// ImageSegmenter.train (also resuming from a checkpoint) reject with E_ABORTED named after the call, free
// what they built, install nothing and leave the model (and a checkpoint folder) as it was.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import type { GrayImage } from './gray-image';
import { ImageClassifier } from './image-classifier';
import type { ClassifierTrainOptions, LabeledImages } from './image-classifier';
import { ImageSegmenter } from './image-segmenter';
import type { SegmenterTrainOptions } from './image-segmenter';
import type { MaskedImages } from './segmentation-masks';
import { discs, labelledDiscs } from './test-discs';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
beforeAll(async () => {
  await initEngine();
});

async function rejection(promise: Promise<unknown>): Promise<AppliedMLError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!AppliedMLError.isInstance(error)) throw new Error(`expected a typed rejection, got ${String(error)}`);
  return error;
}

const labelled: LabeledImages = labelledDiscs(16, 1);
const probe: GrayImage[] = labelledDiscs(4, 9).images;
const masked: MaskedImages = discs(10, 16, 1);

/** What the tests need of either model. */
interface Kind {
  name: 'ImageClassifier' | 'ImageSegmenter';
  create(): ImageClassifier | ImageSegmenter;
  train(model: ImageClassifier | ImageSegmenter, options: ClassifierTrainOptions & SegmenterTrainOptions): Promise<unknown>;
  /** The model's answer to the probe, as plain numbers (compared to the bit). */
  answer(model: ImageClassifier | ImageSegmenter): Promise<number[][]>;
}

const kinds: Kind[] = [
  {
    name: 'ImageClassifier',
    create: () => ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 3 }),
    train: (model, options) => (model as ImageClassifier).train(labelled, { batchSize: 8, ...options }),
    answer: async (model) => (await (model as ImageClassifier).predictBatch(probe)).map((p) => Object.values(p.probabilities)),
  },
  {
    name: 'ImageSegmenter',
    create: () => ImageSegmenter.create({ imageSize: 16, filters: [2, 4], seed: 1 }),
    train: (model, options) => (model as ImageSegmenter).train(masked, { batchSize: 4, ...options }),
    answer: async (model) => (await (model as ImageSegmenter).probabilityMaps(masked.images.slice(0, 3))).map((m) => Array.from(m.data)),
  },
];

describe.each(kinds)('$name.train with a signal', (kind) => {
  it('an already-aborted signal rejects with E_ABORTED before any work: nothing made, the model unchanged', async () => {
    const model = kind.create();
    await kind.train(model, { epochs: 1 });
    const answer = await kind.answer(model);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const reason = new Error('shutting down');
    controller.abort(reason);
    let hooks = 0;
    const error = await rejection(kind.train(model, { epochs: 2, signal: controller.signal, onEpoch: () => void hooks++ }));
    expect(error.code).toBe('E_ABORTED');
    expect(error.message).toBe(`${kind.name}.train stopped: its signal was aborted: shutting down.`);
    expect(error.cause).toBe(reason);
    expect(error.details).toMatchObject({ reason: 'aborted' });
    expect(hooks).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(await kind.answer(model)).toEqual(answer);

    // An untrained one stays untrained; a timed-out signal says so.
    const fresh = kind.create();
    const timedOut = AbortSignal.timeout(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const late = await rejection(kind.train(fresh, { epochs: 1, signal: timedOut }));
    expect(late).toMatchObject({ code: 'E_ABORTED', details: { reason: 'timeout' } });
    expect(late.message).toBe(`${kind.name}.train stopped: its signal timed out.`);
    expect(fresh.isTrained).toBe(false);
    await expect(kind.answer(fresh)).rejects.toMatchObject({ code: 'E_MODEL_NOT_TRAINED' });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    fresh.dispose();
  });

  it('an abort mid-train stops at the next turn: E_ABORTED, the old model answers to the bit, no tensor left', async () => {
    const model = kind.create();
    await kind.train(model, { epochs: 1 });
    const answer = await kind.answer(model);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const seen: number[] = [];
    const started = performance.now();
    const error = await rejection(
      kind.train(model, {
        epochs: 200,
        signal: controller.signal,
        onEpoch: (e) => {
          seen.push(e.epoch);
          if (e.epoch === 1) controller.abort();
        },
      }),
    );
    expect(error.code).toBe('E_ABORTED');
    // Named after the call, whichever step saw it (the engine's fitModel names itself).
    expect(error.message).toBe(`${kind.name}.train stopped: its signal was aborted.`);
    expect(seen).toEqual([0, 1]);
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(tf.memory().numTensors).toBe(before);
    expect(await kind.answer(model)).toEqual(answer);
    expect(model.isTrained).toBe(true);

    // Untrained, aborted from a timer during the epochs: still untrained.
    const fresh = kind.create();
    const timer = new AbortController();
    const stop = setTimeout(() => timer.abort(), 150);
    const late = await rejection(kind.train(fresh, { epochs: 10_000, signal: timer.signal }));
    clearTimeout(stop);
    expect(late.code).toBe('E_ABORTED');
    expect(late.message).toMatch(new RegExp(`^${kind.name}\\.train stopped`));
    expect(fresh.isTrained).toBe(false);
    await expect(kind.answer(fresh)).rejects.toMatchObject({ code: 'E_MODEL_NOT_TRAINED' });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    fresh.dispose();
  });

  it('a signal that is not an AbortSignal is E_INPUT_INVALID naming signal, before any work', async () => {
    const model = kind.create();
    const before = tf.memory().numTensors;
    for (const signal of [true, 'x', {}, null, 1]) {
      const error = await rejection(kind.train(model, { epochs: 1, signal: signal as unknown as AbortSignal }));
      expect(error, String(signal)).toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'signal' } });
      expect(error.message).toMatch(/^signal must be an AbortSignal/);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(model.isTrained).toBe(false);
    model.dispose();
  });

  it('a never-aborted signal trains the same model, to the bit, as no signal', async () => {
    const plain = kind.create();
    const signalled = kind.create();
    const a = (await kind.train(plain, { epochs: 2 })) as { history: unknown[] };
    const b = (await kind.train(signalled, { epochs: 2, signal: new AbortController().signal })) as { history: unknown[] };
    expect(b.history.length).toBe(a.history.length);
    expect(await kind.answer(signalled)).toEqual(await kind.answer(plain));
    plain.dispose();
    signalled.dispose();
  });

  it('an aborted train installs nothing and does not stop a train started after it', async () => {
    const model = kind.create();
    const alone = kind.create();
    await kind.train(alone, { epochs: 1 });
    const controller = new AbortController();
    let releaseFirst!: () => void;
    const held = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = kind.train(model, { epochs: 3, signal: controller.signal, onEpoch: () => held });
    const second = kind.train(model, { epochs: 1 });
    await second;
    controller.abort();
    releaseFirst();
    expect((await rejection(first)).code).toBe('E_ABORTED');
    // The model is the later train's: it answers as a lone model trained the same way.
    expect(await kind.answer(model)).toEqual(await kind.answer(alone));

    // A later train aborted leaves an earlier one free to install.
    const other = kind.create();
    let releaseEarlier!: () => void;
    const waiting = new Promise<void>((resolve) => (releaseEarlier = resolve));
    const earlier = kind.train(other, { epochs: 1, onEpoch: () => waiting });
    const stopper = new AbortController();
    const later = kind.train(other, { epochs: 3, signal: stopper.signal, onEpoch: () => stopper.abort() });
    expect((await rejection(later)).code).toBe('E_ABORTED');
    releaseEarlier();
    await earlier;
    expect(await kind.answer(other)).toEqual(await kind.answer(alone));
    model.dispose();
    other.dispose();
    alone.dispose();
  });

  it('a dispose() during a signalled train still rejects with E_MODEL_DISPOSED', async () => {
    const model = kind.create();
    const before = tf.memory().numTensors;
    const error = await rejection(kind.train(model, { epochs: 3, signal: new AbortController().signal, onEpoch: () => model.dispose() }));
    expect(error.code).toBe('E_MODEL_DISPOSED');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('ImageSegmenter.train with a checkpoint folder and a signal', () => {
  // With the joint warp: one tf.image.transform call an epoch (9 training images), where run 2 aborts.
  const config = { imageSize: 16, filters: [2, 4], rotation: 10, seed: 5 };
  const options = { epochs: 4, batchSize: 4 };
  const state = (dir: string): { epoch: number } =>
    JSON.parse(readFileSync(join(dir, 'last', 'training-state.json'), 'utf8')) as { epoch: number };

  it('an aborted run, and an aborted resumed run, leave whole checkpoints that a later resume continues from', async () => {
    const before = tf.memory().numTensors;
    const straight = ImageSegmenter.create(config);
    await straight.train(masked, options);
    const expected = await kinds[1]!.answer(straight);

    const dir = mkdtempSync(join(tmpdir(), 'mi-abort-'));
    dirs.push(dir);
    // Already aborted: the folder is not touched (not even made).
    const none = join(dir, 'none');
    const aborted = new AbortController();
    aborted.abort();
    const first = ImageSegmenter.create(config);
    expect((await rejection(first.train(masked, { ...options, checkpointDir: none, resume: true, signal: aborted.signal }))).code).toBe(
      'E_ABORTED',
    );
    expect(existsSync(none)).toBe(false);

    const ckpt = join(dir, 'ckpt');
    const one = new AbortController();
    const run1 = await rejection(
      first.train(masked, { ...options, checkpointDir: ckpt, signal: one.signal, onEpoch: (e) => void (e.epoch === 0 && one.abort()) }),
    );
    expect(run1.code).toBe('E_ABORTED');
    expect(readdirSync(ckpt).sort()).toEqual(['best', 'last']);
    expect(state(ckpt).epoch).toBe(0);
    expect(first.isTrained).toBe(false);

    // Resumed (at epoch 1), then aborted during epoch 2, inside its warp, before its steps: the checkpoint
    // of epoch 1 stays whole, and nothing of epoch 2 is written.
    const two = new AbortController();
    const transform = tf.image.transform.bind(tf.image);
    let calls = 0;
    const spy = vi.spyOn(tf.image, 'transform').mockImplementation((...args: Parameters<typeof tf.image.transform>) => {
      if (++calls === 2) two.abort();
      return transform(...args);
    });
    let run2: AppliedMLError;
    const epochsSeen: number[] = [];
    try {
      run2 = await rejection(
        first.train(masked, {
          ...options,
          checkpointDir: ckpt,
          resume: true,
          signal: two.signal,
          onEpoch: (e) => void epochsSeen.push(e.epoch),
        }),
      );
    } finally {
      spy.mockRestore();
    }
    expect(epochsSeen).toEqual([1]);
    expect(calls).toBe(2);
    expect(run2.code).toBe('E_ABORTED');
    expect(run2.message).toBe('ImageSegmenter.train stopped: its signal was aborted.');
    expect(readdirSync(ckpt).sort()).toEqual(['best', 'last']);
    expect(state(ckpt).epoch).toBe(1);
    (await ImageSegmenter.load(join(ckpt, 'best'))).dispose();

    const report = await first.train(masked, { ...options, checkpointDir: ckpt, resume: true });
    expect(report.resumedAt).toBe(2);
    expect(report.epochsRun).toBe(4);
    const answer = await kinds[1]!.answer(first);
    answer.forEach((row, i) => row.forEach((v, p) => expect(Math.abs(v - expected[i]![p]!)).toBeLessThan(1e-5)));
    first.dispose();
    straight.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('image preparation takes turns with the signal', () => {
  /**
   * Images whose reads are counted, each taking 5 ms of work the first time a train reads it (`next()`
   * starts another train's count): preparing 48 takes a quarter of a second on any machine, so a timer
   * 10 ms in fires at its first event-loop turn (after ~50 ms of work), well before its end.
   */
  function slowSet(count: number, side: number): { set: LabeledImages & MaskedImages; reads: () => number; next: () => void } {
    let reads = 0;
    let generation = 0;
    const images: GrayImage[] = [];
    const masks: GrayImage[] = [];
    const labels: string[] = [];
    for (let k = 0; k < count; k++) {
      const data = new Float32Array(side * side);
      for (let p = 0; p < data.length; p++) data[p] = ((p * 7 + k * 13) % 101) / 100;
      let slowIn = -1;
      images.push({
        width: side,
        height: side,
        get data() {
          reads++;
          if (slowIn !== generation) {
            slowIn = generation;
            const until = performance.now() + 5;
            while (performance.now() < until);
          }
          return data;
        },
      });
      masks.push({ width: side, height: side, data: data.map((v) => (v > 0.5 ? 1 : 0)) });
      labels.push(k % 2 === 0 ? 'a' : 'b');
    }
    return { set: { images, masks, labels }, reads: () => reads, next: () => void generation++ };
  }
  const big = slowSet(48, 64);
  const trainBig = (
    kind: Kind,
    model: ImageClassifier | ImageSegmenter,
    options: ClassifierTrainOptions & SegmenterTrainOptions,
  ): Promise<unknown> =>
    kind.name === 'ImageClassifier'
      ? (model as ImageClassifier).train(big.set, { epochs: 1, ...options })
      : (model as ImageSegmenter).train(big.set, { epochs: 1, ...options });

  it.each(kinds.map((kind) => [kind.name, kind] as const))(
    '%s.train sees an abort during preparation, before it has read every image',
    async (_, kind) => {
      const model = kind.create();
      const before = tf.memory().numTensors;
      // What preparing the images reads, uninterrupted (stopped at the first epoch's end).
      big.next();
      const start = big.reads();
      const t0 = performance.now();
      const stopped = await rejection(trainBig(kind, model, { onEpoch: () => Promise.reject(new AppliedMLError('E_INTERNAL', 'stop')) }));
      expect(stopped.code).toBe('E_INTERNAL');
      const whole = big.reads() - start;
      const wholeMs = performance.now() - t0;

      // Aborted by a timer 10 ms in: seen at the first turn (after ~50 ms of work). The old code prepared every
      // image (all `whole` reads) before fitModel saw the abort.
      const controller = new AbortController();
      big.next();
      const from = big.reads();
      const t1 = performance.now();
      setTimeout(() => controller.abort(), 10);
      const error = await rejection(trainBig(kind, model, { signal: controller.signal }));
      const read = big.reads() - from;
      const ms = performance.now() - t1;
      expect(error.code).toBe('E_ABORTED');
      expect(read, `read ${read} of ${whole} in ${ms.toFixed(0)} of ${wholeMs.toFixed(0)} ms`).toBeLessThan(whole / 2);
      expect(tf.memory().numTensors).toBe(before);
      expect(model.isTrained).toBe(false);
      model.dispose();
    },
  );
});

describe("the segmenter's per-epoch augmentation takes turns with the signal", () => {
  it('an abort during the joint warp is seen after the current 64 images, not after the whole set', async () => {
    // 640 images, 576 of them trained on: 9 warp calls an epoch. The signal is aborted inside the third;
    // the old code warped all nine before fitModel saw the abort.
    const set = discs(640, 16, 4);
    const model = ImageSegmenter.create({ imageSize: 16, filters: [2, 4], flipAugment: false, rotation: 10, seed: 2 });
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const transform = tf.image.transform.bind(tf.image);
    let calls = 0;
    const spy = vi.spyOn(tf.image, 'transform').mockImplementation((...args: Parameters<typeof tf.image.transform>) => {
      calls++;
      if (calls === 3) controller.abort();
      return transform(...args);
    });
    try {
      const error = await rejection(model.train(set, { epochs: 2, batchSize: 64, signal: controller.signal }));
      expect(error.code).toBe('E_ABORTED');
    } finally {
      spy.mockRestore();
    }
    expect(calls).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
    expect(model.isTrained).toBe(false);
    model.dispose();
  });
});

// docs/sdk-conventions.md: a dispose and an abort both (a service's shutdown does both, in either order)
// make `train` reject with E_MODEL_DISPOSED, as the dispose alone does; it said E_ABORTED.
describe.each(kinds)('$name.train: dispose and abort in the same tick while it runs', (kind) => {
  const ORDERS = ['dispose,abort', 'abort,dispose'] as const;
  function stopper(model: ImageClassifier | ImageSegmenter, controller: AbortController, order: (typeof ORDERS)[number]): () => void {
    return () => {
      if (order === 'dispose,abort') {
        model.dispose();
        controller.abort();
      } else {
        controller.abort();
        model.dispose();
      }
    };
  }

  it.each(ORDERS)('%s from onEpoch: E_MODEL_DISPOSED, no tensor left', async (order) => {
    const before = tf.memory().numTensors;
    const model = kind.create();
    await kind.train(model, { epochs: 1 });
    const controller = new AbortController();
    const stop = stopper(model, controller, order);
    const seen: number[] = [];
    const error = await rejection(
      kind.train(model, {
        epochs: 200,
        signal: controller.signal,
        onEpoch: (e) => {
          seen.push(e.epoch);
          if (e.epoch === 1) stop();
        },
      }),
    );
    expect(seen).toEqual([0, 1]);
    expect(error.code).toBe('E_MODEL_DISPOSED');
    expect(error.message).toBe(`This ${kind.name} was disposed while it trained; create or load another.`);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(ORDERS)('%s right after train() returned (at its first turn): E_MODEL_DISPOSED, no tensor left', async (order) => {
    const before = tf.memory().numTensors;
    const model = kind.create();
    const controller = new AbortController();
    const training = rejection(kind.train(model, { epochs: 2, signal: controller.signal }));
    stopper(model, controller, order)();
    expect((await training).code).toBe('E_MODEL_DISPOSED');
    expect(tf.memory().numTensors).toBe(before);
  });
});

// docs/sdk-conventions.md: the options are checked first (E_INPUT_INVALID), then an aborted signal
// (E_ABORTED) before the images are read or checked, then the images.
describe.each(kinds)('$name.train checks its options, then the signal, then the data', (kind) => {
  it.each([{ epochs: -1 }, { batchSize: 0 }, { patience: -1 }, { learningRate: 0 }, { epoch: 3 }])(
    'a bad option %j with an aborted signal is E_INPUT_INVALID, whatever the data',
    async (bad) => {
      const model = kind.create();
      const good = kind.name === 'ImageClassifier' ? labelled : masked;
      for (const data of [good, 'not data']) {
        const train = model.train.bind(model) as (data: unknown, options: object) => Promise<unknown>;
        const error = await rejection(train(data, { ...bad, signal: AbortSignal.abort() }));
        expect(error.code, JSON.stringify(bad)).toBe('E_INPUT_INVALID');
      }
      model.dispose();
    },
  );

  it('a device that is not one, with an aborted signal: E_DEVICE_INVALID, whatever the data', async () => {
    const model = kind.create();
    const train = model.train.bind(model) as (data: unknown, options: object) => Promise<unknown>;
    for (const data of [kind.name === 'ImageClassifier' ? labelled : masked, 'not data'])
      expect((await rejection(train(data, { device: 'gpu9', signal: AbortSignal.abort() }))).code).toBe('E_DEVICE_INVALID');
    model.dispose();
  });

  it.each([
    { name: "'not data'", data: 'not data' },
    { name: 'null', data: null },
    { name: 'no images', data: { images: [], labels: [], masks: [] } },
    { name: 'an image that is a number', data: { images: [5], labels: ['a'], masks: [5] } },
  ])('bad data ($name) with an aborted signal is E_ABORTED', async ({ data }) => {
    const model = kind.create();
    const train = model.train.bind(model) as (data: unknown, options: object) => Promise<unknown>;
    expect((await rejection(train(data, { epochs: 1, signal: AbortSignal.abort() }))).code).toBe('E_ABORTED');
    model.dispose();
  });
});
