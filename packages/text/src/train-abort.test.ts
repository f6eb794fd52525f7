import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppliedMLError, initEngine, silentLogger, tf, type Logger } from '@appliedml/engine';
import { TextClassifier, type ModelType, type TextClassifierConfig, type TrainOptions } from './text-classifier';
import { codeOf, reviewCorpus } from './test-helpers';
import { TfidfVectorizer } from './tfidf';
import { Vocabulary } from './vocabulary';

/** Hooks into the linear models' fits (none set: the fits run as they are), and how the last ones ended. */
const hooks: {
  logisticEpoch?: (epoch: number) => void;
  naiveBayesStart?: () => void;
  ended: Record<string, string>;
} = { ended: {} };

vi.mock('./linear-model', async (importOriginal) => {
  const original = await importOriginal<typeof import('./linear-model')>();
  const outcome = (name: string, work: Promise<unknown>): Promise<unknown> =>
    work.then(
      (value) => ((hooks.ended[name] = 'resolved'), value),
      (e: unknown) => {
        hooks.ended[name] = (e as { code?: string }).code ?? 'other';
        throw e;
      },
    );
  return {
    ...original,
    trainLogistic: (...args: Parameters<typeof original.trainLogistic>) => {
      const options = args[3];
      const onEpochEnd = options.onEpochEnd;
      args[3] = {
        ...options,
        onEpochEnd: (epoch, loss) => {
          onEpochEnd?.(epoch, loss);
          hooks.logisticEpoch?.(epoch);
        },
      };
      return outcome('trainLogistic', original.trainLogistic(...args));
    },
    trainNaiveBayes: (...args: Parameters<typeof original.trainNaiveBayes>) => {
      hooks.naiveBayesStart?.();
      return outcome('trainNaiveBayes', original.trainNaiveBayes(...args));
    },
  };
});

afterEach(() => {
  delete hooks.logisticEpoch;
  delete hooks.naiveBayesStart;
  hooks.ended = {};
  vi.restoreAllMocks();
});

// A service could not stop a retrain it no longer wanted (shutdown, a deadline): `train` ran to its end.
// It takes `signal` now, for every model type: the abort is seen at the next event-loop turn, `train`
// rejects with E_ABORTED and the model is as it was.

const SMALL: Record<ModelType, TextClassifierConfig> = {
  linear: { model: 'linear', seed: 5 },
  'naive-bayes': { model: 'naive-bayes', seed: 5 },
  fasttext: { model: 'fasttext', seed: 5, fasttext: { buckets: 2048, dim: 8, epochs: 3 } },
  cnn: { model: 'cnn', seed: 5, cnn: { embeddingDim: 8, filters: 4, epochs: 2 } },
};
const KINDS = Object.keys(SMALL) as ModelType[];

const DATA = reviewCorpus(300, 7);
/** Another task: other labels, so a model retrained on it would tell. */
const OTHER = reviewCorpus(300, 8).map((r) => ({ ...r, label: `${r.label}-2` }));
const PROBE = [...DATA.slice(0, 12).map((r) => r.text), 'kalo mine ruta', 'nothing known here at all'];

/** Every score of every probe text, in the model's label order. */
async function scoresOf(model: TextClassifier): Promise<number[][]> {
  const labels = model.labels;
  return (await model.predictBatch(PROBE)).map((p) => labels.map((l) => p.scores[l] as number));
}

async function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => 'resolved',
    (e: unknown) => e,
  );
}

/** A logger that calls `then` when the engine logs the end of epoch `n` (fastText, CNN). */
function atEpoch(n: number, then: () => void, seen: { epochs: number }): Logger {
  return {
    ...silentLogger,
    debug: (message) => {
      if (message === 'epoch' && ++seen.epochs === n) then();
    },
  };
}

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe('TextClassifier.train takes an AbortSignal', () => {
  it.each(KINDS)('%s: an already-aborted signal rejects before anything is read, built or changed', async (kind) => {
    const reason = new Error('shutting down');
    const signal = AbortSignal.abort(reason);
    const untrained = TextClassifier.create(SMALL[kind]);
    let reads = 0;
    // Counts every row read: none may be.
    const watched = new Proxy(DATA, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const before = tf.memory().numTensors;
    const error = await rejection(untrained.train(watched, { signal }));
    expect(error).toBeInstanceOf(AppliedMLError);
    expect(error).toMatchObject({ code: 'E_ABORTED', details: { reason: 'aborted' } });
    expect((error as Error).message).toBe('TextClassifier.train stopped: its signal was aborted: shutting down.');
    expect((error as Error).cause).toBe(reason);
    expect(reads).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(untrained.isTrained).toBe(false);
    expect(await codeOf(() => untrained.predict('kalo'))).toBe('E_MODEL_NOT_TRAINED');

    // A trained model keeps its labels and scores.
    const trained = TextClassifier.create(SMALL[kind]);
    await trained.train(DATA);
    const scores = await scoresOf(trained);
    const labels = trained.labels;
    const held = tf.memory().numTensors;
    const timedOut = AbortSignal.abort(new DOMException('The operation timed out.', 'TimeoutError'));
    expect(await rejection(trained.train(OTHER, { signal: timedOut }))).toMatchObject({
      code: 'E_ABORTED',
      details: { reason: 'timeout' },
    });
    expect(tf.memory().numTensors).toBe(held);
    expect(trained.labels).toEqual(labels);
    expect(await scoresOf(trained)).toEqual(scores);
    trained.dispose();
  });

  it.each(KINDS)('%s: a signal that is not an AbortSignal is E_INPUT_INVALID naming signal', async (kind) => {
    const model = TextClassifier.create(SMALL[kind]);
    for (const signal of [true, 'x', {}, null, new AbortController()]) {
      const error = await rejection(model.train(DATA, { signal } as unknown as TrainOptions));
      expect(error).toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'signal' } });
      expect((error as Error).message).toMatch(/^signal must be an AbortSignal/);
    }
    expect(model.isTrained).toBe(false);
  });

  it.each(KINDS)('%s: a signal never aborted gives the model of no signal, bit for bit', async (kind) => {
    const validation = reviewCorpus(60, 9);
    const plain = TextClassifier.create(SMALL[kind]);
    const withSignal = TextClassifier.create(SMALL[kind]);
    const a = await plain.train(DATA, { validation });
    const b = await withSignal.train(DATA, { validation, signal: new AbortController().signal });
    expect(b.history.map((h) => h.loss)).toEqual(a.history.map((h) => h.loss));
    expect(b.featureCount).toBe(a.featureCount);
    expect(b.validation).toEqual(a.validation);
    expect(await scoresOf(withSignal)).toEqual(await scoresOf(plain));
    plain.dispose();
    withSignal.dispose();
  });
});

describe('an abort during train', () => {
  it.each(['fasttext', 'cnn'] as const)('%s: aborted at the end of epoch 2, the trained model is as before', async (kind) => {
    const model = TextClassifier.create(SMALL[kind]);
    await model.train(DATA);
    const scores = await scoresOf(model);
    const labels = model.labels;
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const seen = { epochs: 0 };
    const error = await rejection(
      model.train(OTHER, {
        epochs: 200,
        signal: controller.signal,
        logger: atEpoch(2, () => controller.abort(), seen),
      }),
    );
    expect(error).toMatchObject({ code: 'E_ABORTED', message: 'TextClassifier.train stopped: its signal was aborted.' });
    expect((error as Error).cause).toBe(controller.signal.reason);
    // Seen at the next step's turn: no third epoch ends.
    expect(seen.epochs).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    expect(model.labels).toEqual(labels);
    expect(await scoresOf(model)).toEqual(scores);
    model.dispose();
  });

  it('linear: aborted after SGD epoch 5 of 2,000 on 300 texts (fewer rows than one turn block), the model as before', async () => {
    const model = TextClassifier.create({ ...SMALL.linear, linear: { epochs: 2000 } });
    await model.train(DATA, { epochs: 3 });
    const scores = await scoresOf(model);
    const labels = model.labels;
    const controller = new AbortController();
    let epochs = 0;
    hooks.logisticEpoch = () => {
      if (++epochs === 5) controller.abort();
    };
    // 2,000 epochs: 5-10 s here. The steps took a turn every 1,024 rows of an epoch: none for 300 rows.
    const started = performance.now();
    const error = await rejection(model.train(OTHER, { signal: controller.signal }));
    const ms = performance.now() - started;
    expect(error).toMatchObject({ code: 'E_ABORTED', message: 'TextClassifier.train stopped: its signal was aborted.' });
    expect(hooks.ended.trainLogistic).toBe('E_ABORTED');
    expect(epochs).toBe(5);
    expect(ms, `stopped after ${ms.toFixed(0)} ms`).toBeLessThan(3000);
    expect(model.labels).toEqual(labels);
    expect(await scoresOf(model)).toEqual(scores);
    model.dispose();
  });

  it('the TF-IDF fit, the naive Bayes counts and the CNN vocabulary fit stop at their next turn', async () => {
    const outcomes: Record<string, string> = {};
    const record = <T>(name: string, work: Promise<T>): Promise<T> =>
      work.then(
        (value) => ((outcomes[name] = 'resolved'), value),
        (e: unknown) => {
          outcomes[name] = (e as { code?: string }).code ?? 'other';
          throw e;
        },
      );
    const cases: Array<{ kind: ModelType; data: typeof DATA; start: (abort: () => void) => void; ended: () => string | undefined }> = [
      {
        kind: 'linear',
        data: OTHER,
        start: (abort) => {
          const original = TfidfVectorizer.fitTransformAsync.bind(TfidfVectorizer);
          vi.spyOn(TfidfVectorizer, 'fitTransformAsync').mockImplementation((...args) => {
            abort();
            return record('tfidf', original(...args));
          });
        },
        ended: () => outcomes.tfidf,
      },
      {
        // More rows than one turn block of the counts (1,024).
        kind: 'naive-bayes',
        data: reviewCorpus(2000, 12).map((r) => ({ ...r, label: `${r.label}-2` })),
        start: (abort) => (hooks.naiveBayesStart = abort),
        ended: () => hooks.ended.trainNaiveBayes,
      },
      {
        kind: 'cnn',
        data: OTHER,
        start: (abort) => {
          const original = Vocabulary.fitInTurns.bind(Vocabulary);
          vi.spyOn(Vocabulary, 'fitInTurns').mockImplementation((...args) => {
            abort();
            return record('vocabulary', original(...args));
          });
        },
        ended: () => outcomes.vocabulary,
      },
    ];
    for (const { kind, data, start, ended } of cases) {
      const model = TextClassifier.create(SMALL[kind]);
      await model.train(DATA);
      const scores = await scoresOf(model);
      const before = tf.memory().numTensors;
      const controller = new AbortController();
      start(() => controller.abort());
      expect(await rejection(model.train(data, { signal: controller.signal })), kind).toMatchObject({ code: 'E_ABORTED' });
      expect.soft(ended(), kind).toBe('E_ABORTED');
      vi.restoreAllMocks();
      expect(tf.memory().numTensors, kind).toBe(before);
      expect(model.labels, kind).toEqual(['alpha', 'beta', 'gamma']);
      expect(await scoresOf(model), kind).toEqual(scores);
      model.dispose();
    }
  });

  it('naive-bayes: AbortSignal.timeout stops the features and counts of 5,000 texts, the model as before', async () => {
    const model = TextClassifier.create(SMALL['naive-bayes']);
    await model.train(DATA);
    const scores = await scoresOf(model);
    const labels = model.labels;
    // Several seconds of feature extraction, TF-IDF fit and counting here; stopped after 100 ms.
    const big = reviewCorpus(5000, 11).map((r) => ({ ...r, label: `${r.label}-2` }));
    const started = performance.now();
    const error = await rejection(model.train(big, { signal: AbortSignal.timeout(100) }));
    const ms = performance.now() - started;
    expect(error).toMatchObject({
      code: 'E_ABORTED',
      details: { reason: 'timeout' },
      message: 'TextClassifier.train stopped: its signal timed out.',
    });
    expect(ms, `stopped after ${ms.toFixed(0)} ms`).toBeLessThan(1500);
    expect(model.labels).toEqual(labels);
    expect(await scoresOf(model)).toEqual(scores);
    model.dispose();
  });

  it('an aborted train installs nothing and does not stop the trains started before or after it', async () => {
    const model = TextClassifier.create(SMALL.linear);
    // Started after: it installs.
    let controller = new AbortController();
    const aborted = model.train(DATA, { signal: controller.signal });
    const later = model.train(OTHER);
    controller.abort();
    expect(await rejection(aborted)).toMatchObject({ code: 'E_ABORTED' });
    await later;
    expect(model.labels).toEqual(['alpha-2', 'beta-2', 'gamma-2']);
    // Started before: it installs too.
    controller = new AbortController();
    const earlier = model.train(DATA);
    const abortedLater = model.train(OTHER, { signal: controller.signal });
    controller.abort();
    expect(await rejection(abortedLater)).toMatchObject({ code: 'E_ABORTED' });
    await earlier;
    expect(model.labels).toEqual(['alpha', 'beta', 'gamma']);
    model.dispose();
  });

  it('a dispose() during a train with a signal is still E_MODEL_DISPOSED', async () => {
    for (const kind of ['linear', 'fasttext'] as const) {
      const before = tf.memory().numTensors;
      const model = TextClassifier.create(SMALL[kind]);
      const training = model.train(DATA, { signal: new AbortController().signal });
      model.dispose();
      expect(await codeOf(() => training)).toBe('E_MODEL_DISPOSED');
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});

// docs/sdk-conventions.md: a dispose and an abort both (a service's shutdown does both, in either order)
// make `train` reject with E_MODEL_DISPOSED, as the dispose alone does; it said E_ABORTED.
describe('dispose and abort in the same tick while train runs', () => {
  /** Starts a train on a trained model and calls `stop` from inside its fit (each kind's own hook). */
  function trainStoppedInside(kind: ModelType, model: TextClassifier, controller: AbortController, stop: () => void): Promise<unknown> {
    if (kind === 'linear')
      hooks.logisticEpoch = (epoch) => {
        if (epoch === 3) stop();
      };
    if (kind === 'naive-bayes') hooks.naiveBayesStart = stop;
    const seen = { epochs: 0 };
    const neural = kind === 'fasttext' || kind === 'cnn';
    return rejection(model.train(OTHER, { signal: controller.signal, ...(neural ? { epochs: 50, logger: atEpoch(2, stop, seen) } : {}) }));
  }

  it.each(KINDS.flatMap((kind) => [`${kind} dispose,abort`, `${kind} abort,dispose`]))(
    '%s: E_MODEL_DISPOSED, no tensor left',
    async (name) => {
      const [kind, order] = name.split(' ') as [ModelType, string];
      const before = tf.memory().numTensors;
      const model = TextClassifier.create({ ...SMALL[kind], ...(kind === 'linear' ? { linear: { epochs: 200 } } : {}) });
      await model.train(DATA);
      const controller = new AbortController();
      let stopped = false;
      const stop = (): void => {
        stopped = true;
        if (order === 'dispose,abort') {
          model.dispose();
          controller.abort();
        } else {
          controller.abort();
          model.dispose();
        }
      };
      const error = await trainStoppedInside(kind, model, controller, stop);
      expect(stopped).toBe(true);
      expect(error).toBeInstanceOf(AppliedMLError);
      expect(error).toMatchObject({
        code: 'E_MODEL_DISPOSED',
        message: 'This TextClassifier was disposed while it trained; create or load another.',
      });
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it.each(['dispose,abort', 'abort,dispose'])('%s right after train() returned (at its first turn): E_MODEL_DISPOSED', async (order) => {
    for (const kind of KINDS) {
      const before = tf.memory().numTensors;
      const model = TextClassifier.create(SMALL[kind]);
      const controller = new AbortController();
      const training = rejection(model.train(DATA, { signal: controller.signal }));
      if (order === 'dispose,abort') {
        model.dispose();
        controller.abort();
      } else {
        controller.abort();
        model.dispose();
      }
      expect(await training, kind).toMatchObject({ code: 'E_MODEL_DISPOSED' });
      expect(tf.memory().numTensors, kind).toBe(before);
    }
  });
});

// docs/sdk-conventions.md: the options are checked first (E_INPUT_INVALID), then an aborted signal
// (E_ABORTED) before the data is read or checked, then the data.
describe('train checks its options, then the signal, then the data', () => {
  it.each([{ epochs: -1 }, { epochs: 1.5 }, { progress: 'yes' }, { device: 'nope' }, { epoch: 3 }])(
    'a bad option %j with an aborted signal is E_INPUT_INVALID (or the device error), whatever the data',
    async (bad) => {
      for (const kind of KINDS) {
        const model = TextClassifier.create(SMALL[kind]);
        for (const data of [DATA, 'not data']) {
          const error = await rejection(model.train(data as never, { ...(bad as TrainOptions), signal: AbortSignal.abort() }));
          expect((error as AppliedMLError).code, `${kind} ${JSON.stringify(bad)}`).toBe(
            'device' in bad ? 'E_DEVICE_INVALID' : 'E_INPUT_INVALID',
          );
        }
        model.dispose();
      }
    },
  );

  it.each([
    { name: "'not data'", data: 'not data' },
    { name: 'null', data: null },
    { name: 'a text that is a number', data: [{ text: 5, label: 'a' }] },
    { name: 'no examples', data: [] },
    { name: 'one label', data: DATA.slice(0, 1) },
  ])('bad data ($name) with an aborted signal is E_ABORTED', async ({ data }) => {
    for (const kind of KINDS) {
      const model = TextClassifier.create(SMALL[kind]);
      const error = await rejection(model.train(data as never, { epochs: 2, signal: AbortSignal.abort() }));
      expect((error as AppliedMLError).code, kind).toBe('E_ABORTED');
      model.dispose();
    }
  });
});
