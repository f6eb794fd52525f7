import { availableParallelism } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, silentLogger, tf, type Logger } from '@appliedml/engine';
import { SpeechRecognizer, type SpeechExample, type SpeechRecognizerConfig, type SpeechTrainingReport } from './speech-recognizer';
import { SYNTH_RATE, TINY_CONFIG, rejectionOf, synthSet, synthWord } from './test-helpers';

// `train(data, { signal })` (docs/sdk-conventions.md, the engine's E_ABORTED): an abort is seen at the
// next event-loop turn of feature extraction, training (main thread or worker threads) or the validation
// pass; train rejects E_ABORTED naming the call, frees what it built, installs nothing, and the
// recognizer answers exactly as before the call.

const words = [synthWord('up', 500), synthWord('down', 501), synthWord('warble', 502)];
const rate = { sampleRate: SYNTH_RATE };
const scoresOf = async (model: SpeechRecognizer): Promise<Array<Record<string, number>>> =>
  (await model.predictBatch(words, rate)).map((r) => r.scores);
/** Renamed labels: a model trained on them tells itself apart from one trained on synthSet. */
const renamed = (set: SpeechExample[]): SpeechExample[] => set.map((e) => ({ ...e, label: e.label === 'up' ? 'a-up' : e.label }));

/** A recognizer trained on synthSet(3), its answers, and the tensors it holds. */
async function trained(config: SpeechRecognizerConfig = TINY_CONFIG) {
  const model = SpeechRecognizer.create(config);
  await model.train(synthSet(3));
  return { model, scores: await scoresOf(model), labels: model.labels, tensors: tf.memory().numTensors };
}

/** What the recognizer reports that does not depend on timing. */
function untimed(report: SpeechTrainingReport) {
  const strip = (r: { history: Array<{ seconds?: number }> }) => r.history.map((h) => ({ ...h, seconds: 0 }));
  return { history: strip(report), members: report.members?.map(strip), validation: report.validation, n: report.trainingExamples };
}

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe('SpeechRecognizer.train with an AbortSignal', () => {
  it('an already-aborted signal rejects E_ABORTED before anything is read or built; the model is untouched', async () => {
    const before = tf.memory().numTensors;
    const fresh = SpeechRecognizer.create(TINY_CONFIG);
    const reason = new Error('shutting down');
    // A file that does not exist: reading it would be E_IO.
    const error = await rejectionOf(() =>
      fresh.train([...synthSet(2), { audio: '/nonexistent/word.wav', label: 'up' }], { signal: AbortSignal.abort(reason) }),
    );
    expect(error.code).toBe('E_ABORTED');
    expect(error.message).toBe('SpeechRecognizer.train stopped: its signal was aborted: shutting down.');
    expect(error.cause).toBe(reason);
    expect(error.details).toEqual({ reason: 'aborted' });
    expect(fresh.isTrained).toBe(false);
    expect((await rejectionOf(() => fresh.predict(words[0] as Float32Array, rate))).code).toBe('E_MODEL_NOT_TRAINED');
    expect(tf.memory().numTensors).toBe(before);

    const { model, scores, labels, tensors } = await trained();
    expect((await rejectionOf(() => model.train(renamed(synthSet(3)), { signal: AbortSignal.abort() }))).code).toBe('E_ABORTED');
    expect(model.labels).toEqual(labels);
    expect(await scoresOf(model)).toEqual(scores);
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('aborted mid-training (from onEpochEnd): E_ABORTED after that epoch, old model answers bit-identically, no tensor left', async () => {
    const { model, scores, labels, tensors } = await trained();
    const controller = new AbortController();
    let epochs = 0;
    const t0 = performance.now();
    const error = await rejectionOf(() =>
      model.train(renamed(synthSet(3)), {
        epochs: 400,
        signal: controller.signal,
        onEpochEnd: () => {
          epochs += 1;
          if (epochs === 2) controller.abort();
        },
      }),
    );
    expect(error.code).toBe('E_ABORTED');
    expect(error.message).toBe('SpeechRecognizer.train stopped: its signal was aborted.');
    expect(epochs).toBe(2);
    // 400 epochs take tens of seconds; the abort stops it at the next step.
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(model.isTrained).toBe(true);
    expect(model.labels).toEqual(labels);
    expect(await scoresOf(model)).toEqual(scores);
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });

  it('an untrained recognizer aborted mid-training stays untrained', async () => {
    const before = tf.memory().numTensors;
    const model = SpeechRecognizer.create(TINY_CONFIG);
    const controller = new AbortController();
    const error = await rejectionOf(() =>
      model.train(synthSet(3), { epochs: 400, signal: controller.signal, onEpochEnd: () => controller.abort() }),
    );
    expect(error.code).toBe('E_ABORTED');
    expect(model.isTrained).toBe(false);
    expect((await rejectionOf(() => model.predict(words[0] as Float32Array, rate))).code).toBe('E_MODEL_NOT_TRAINED');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('feature extraction takes event-loop turns: a timer abort during it stops the train before the rest is read', async () => {
    // Two perturbed copies of each example: three MFCC extractions each.
    const { model, scores, tensors } = await trained({ ...TINY_CONFIG, augment: { copies: 2 } });
    const controller = new AbortController();
    // reads counts the examples whose audio the extraction loop took (checkExamples reads every one first).
    const data = renamed(synthSet(40));
    const reads = new Map<number, number>();
    const watched = data.map((e, i) => ({
      label: e.label,
      sampleRate: SYNTH_RATE,
      get audio() {
        reads.set(i, (reads.get(i) ?? 0) + 1);
        // The 10th example in the loop: an abort is asked for, seen only when the loop yields to timers.
        if (i === 10 && reads.get(i) === 2) setTimeout(() => controller.abort(), 0);
        return e.audio;
      },
    }));
    let epochs = 0;
    const error = await rejectionOf(() => model.train(watched, { signal: controller.signal, onEpochEnd: () => void (epochs += 1) }));
    expect(error.code).toBe('E_ABORTED');
    expect(error.message).toBe('SpeechRecognizer.train stopped: its signal was aborted.');
    const extracted = [...reads.values()].filter((n) => n >= 2).length;
    // Without turns the loop reads all 120 before anything else runs.
    expect(extracted).toBeGreaterThan(10);
    expect(extracted).toBeLessThan(data.length);
    expect(epochs).toBe(0);
    expect(await scoresOf(model)).toEqual(scores);
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  }, 60_000);

  it('an abort after the last epoch is seen in the validation pass: nothing installed', async () => {
    const { model, scores, labels, tensors } = await trained();
    const controller = new AbortController();
    let epochs = 0;
    const error = await rejectionOf(() =>
      model.train(renamed(synthSet(3)), {
        epochs: 2,
        validation: renamed(synthSet(2, 20)),
        signal: controller.signal,
        onEpochEnd: () => {
          epochs += 1;
          if (epochs === 2) controller.abort();
        },
      }),
    );
    expect(error.code).toBe('E_ABORTED');
    expect(error.message).toBe('SpeechRecognizer.train stopped: its signal was aborted.');
    expect(epochs).toBe(2);
    expect(model.labels).toEqual(labels);
    expect(await scoresOf(model)).toEqual(scores);
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });

  it('a signal that is not an AbortSignal is E_INPUT_INVALID naming signal, before any work', async () => {
    const model = SpeechRecognizer.create(TINY_CONFIG);
    for (const signal of [true, 'x', {}, null]) {
      const error = await rejectionOf(() => model.train([{ audio: '/nonexistent/word.wav', label: 'a' }], { signal } as never));
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.details).toEqual({ field: 'signal' });
      expect(error.message).toMatch(/^signal must be an AbortSignal/);
    }
    expect(model.isTrained).toBe(false);
  });

  it('a signal that never aborts gives the same model as none (augmented copies, two front ends, validation)', async () => {
    const config: SpeechRecognizerConfig = { cnn: { filters: [4], dense: 4 }, epochs: 2, batchSize: 8, seed: 5 };
    const run = async (signal?: AbortSignal) => {
      const model = SpeechRecognizer.create(config);
      const report = await model.train(synthSet(3), { validation: synthSet(2, 30), ...(signal ? { signal } : {}) });
      const out = { report: untimed(report), scores: await scoresOf(model) };
      model.dispose();
      return out;
    };
    const plain = await run();
    expect(plain.report.validation).toBeDefined();
    expect(await run(new AbortController().signal)).toEqual(plain);
  });

  it('an ensemble in worker threads: a never-aborting signal trains the same one as none; a timeout stops a retrain', async () => {
    const before = tf.memory().numTensors;
    const config: SpeechRecognizerConfig = { ...TINY_CONFIG, augment: { copies: 1 }, frontEnds: [{}], ensemble: 2, seed: 7 };
    const infos: string[] = [];
    const logger: Logger = { ...silentLogger, info: (m: string) => void infos.push(m) };
    const plain = SpeechRecognizer.create(config);
    const plainReport = await plain.train(synthSet(3), { logger });
    const scores = await scoresOf(plain);
    const signalled = SpeechRecognizer.create(config);
    const signalledReport = await signalled.train(synthSet(3), { logger, signal: new AbortController().signal });
    expect(untimed(signalledReport)).toEqual(untimed(plainReport));
    expect(signalledReport.parallel).toBe(plainReport.parallel);
    expect(await scoresOf(signalled)).toEqual(scores);
    signalled.dispose();
    const tensors = tf.memory().numTensors;

    const t0 = performance.now();
    // 3000 epochs would take minutes; the workers start, train a little, and are stopped.
    const error = await rejectionOf(() => plain.train(renamed(synthSet(3)), { epochs: 3000, logger, signal: AbortSignal.timeout(1500) }));
    expect(error.code).toBe('E_ABORTED');
    expect(error.message).toBe('SpeechRecognizer.train stopped: its signal timed out.');
    expect(error.details).toEqual({ reason: 'timeout' });
    expect(performance.now() - t0).toBeLessThan(20_000);
    if (availableParallelism() > 1) {
      expect(plainReport.parallel).toBe(true);
      expect(infos).toEqual(Array(3).fill('speech: training 2 ensemble members in 2 worker threads'));
    }
    expect(await scoresOf(plain)).toEqual(scores);
    expect(tf.memory().numTensors).toBe(tensors);
    plain.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('overlapping trains: an aborted train installs nothing and stops neither an earlier nor a later one', async () => {
    const model = SpeechRecognizer.create(TINY_CONFIG);
    // Aborted later-started train: the earlier one still installs.
    const controller = new AbortController();
    const earlier = model.train(synthSet(3), { epochs: 3 });
    const later = model.train(renamed(synthSet(3)), { epochs: 50, signal: controller.signal, onEpochEnd: () => controller.abort() });
    expect((await rejectionOf(() => later)).code).toBe('E_ABORTED');
    await earlier;
    expect(model.labels).toEqual(['down', 'up', 'warble']);
    // Aborted earlier-started train: the later one installs.
    const second = new AbortController();
    const first = model.train(synthSet(3), { epochs: 50, signal: second.signal, onEpochEnd: () => second.abort() });
    const next = model.train(renamed(synthSet(3)), { epochs: 1 });
    expect((await rejectionOf(() => first)).code).toBe('E_ABORTED');
    await next;
    expect(model.labels).toEqual(['a-up', 'down', 'warble']);
    // A dispose during a train with a signal is still E_MODEL_DISPOSED.
    const training = model.train(synthSet(3), { signal: new AbortController().signal, onEpochEnd: () => model.dispose() });
    expect((await rejectionOf(() => training)).code).toBe('E_MODEL_DISPOSED');
  });
});

// docs/sdk-conventions.md: a dispose and an abort both (a service's shutdown does both, in either order)
// make `train` reject with E_MODEL_DISPOSED, as the dispose alone does; it said E_ABORTED.
describe('dispose and abort in the same tick while train runs', () => {
  const ORDERS = ['dispose,abort', 'abort,dispose'] as const;
  function stopper(model: SpeechRecognizer, controller: AbortController, order: (typeof ORDERS)[number]): () => void {
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

  it.each(ORDERS)('%s from onEpochEnd: E_MODEL_DISPOSED, no tensor left', async (order) => {
    const before = tf.memory().numTensors;
    const { model } = await trained();
    const controller = new AbortController();
    const stop = stopper(model, controller, order);
    let epochs = 0;
    const error = await rejectionOf(() =>
      model.train(renamed(synthSet(3)), {
        epochs: 400,
        signal: controller.signal,
        onEpochEnd: () => {
          if (++epochs === 2) stop();
        },
      }),
    );
    expect(epochs).toBe(2);
    expect(error.code).toBe('E_MODEL_DISPOSED');
    expect(error.message).toBe('This SpeechRecognizer was disposed while it trained; create or load another.');
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(ORDERS)('%s right after train() returned (at its first turn): E_MODEL_DISPOSED, no tensor left', async (order) => {
    const before = tf.memory().numTensors;
    const model = SpeechRecognizer.create(TINY_CONFIG);
    const controller = new AbortController();
    const training = rejectionOf(() => model.train(synthSet(3), { signal: controller.signal }));
    stopper(model, controller, order)();
    expect((await training).code).toBe('E_MODEL_DISPOSED');
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(ORDERS)(
    'an ensemble in worker threads, %s while the members train: E_MODEL_DISPOSED, no tensor left',
    async (order) => {
      const before = tf.memory().numTensors;
      const config: SpeechRecognizerConfig = { ...TINY_CONFIG, frontEnds: [{}], ensemble: 2, seed: 7 };
      const model = SpeechRecognizer.create(config);
      const controller = new AbortController();
      const infos: string[] = [];
      const logger: Logger = { ...silentLogger, info: (m: string) => void infos.push(m) };
      const training = rejectionOf(() => model.train(synthSet(3), { epochs: 3000, logger, signal: controller.signal }));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(model.isTrained).toBe(false);
      stopper(model, controller, order)();
      expect((await training).code).toBe('E_MODEL_DISPOSED');
      if (availableParallelism() > 1) expect(infos).toEqual(['speech: training 2 ensemble members in 2 worker threads']);
      expect(tf.memory().numTensors).toBe(before);
    },
    60_000,
  );
});

// docs/sdk-conventions.md: the options are checked first (E_INPUT_INVALID), then an aborted signal
// (E_ABORTED) before the data is read or checked, then the data.
describe('train checks its options, then the signal, then the data', () => {
  it.each([{ epochs: -1 }, { epochs: 1.5 }, { patience: -1 }, { progress: 'yes' }, { epoch: 3 }])(
    'a bad option %j with an aborted signal is E_INPUT_INVALID, whatever the data',
    async (bad) => {
      const model = SpeechRecognizer.create(TINY_CONFIG);
      for (const data of [synthSet(2), 'not data']) {
        const error = await rejectionOf(() => model.train(data as SpeechExample[], { ...(bad as object), signal: AbortSignal.abort() }));
        expect(error.code, JSON.stringify(bad)).toBe('E_INPUT_INVALID');
      }
      model.dispose();
    },
  );

  it('a device that is not one, with an aborted signal: E_DEVICE_INVALID, whatever the data', async () => {
    const model = SpeechRecognizer.create(TINY_CONFIG);
    for (const data of [synthSet(2), 'not data']) {
      const error = await rejectionOf(() => model.train(data as SpeechExample[], { device: 'gpu9' as never, signal: AbortSignal.abort() }));
      expect(error.code).toBe('E_DEVICE_INVALID');
    }
    model.dispose();
  });

  it.each([
    { name: "'not data'", data: 'not data' },
    { name: 'null', data: null },
    { name: 'audio that is a number', data: [{ audio: 5, label: 'up' }] },
    { name: 'no examples', data: [] },
    { name: 'an example without a label', data: [{ audio: new Float32Array(800), sampleRate: 8000 }] },
  ])('bad data ($name) with an aborted signal is E_ABORTED', async ({ data }) => {
    const model = SpeechRecognizer.create(TINY_CONFIG);
    const error = await rejectionOf(() => model.train(data as SpeechExample[], { signal: AbortSignal.abort() }));
    expect(error.code).toBe('E_ABORTED');
    model.dispose();
  });
});
