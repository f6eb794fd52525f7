import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '@appliedml/engine';
import { SpeechRecognizer } from './speech-recognizer';
import { SYNTH_RATE, TINY_CONFIG, rejectionOf, synthSet, synthWord } from './test-helpers';

// Overlapping `train` calls on one recognizer (the rule of docs/sdk-conventions.md, "Calls in flight"):
// the model ends as the last-started train left it, whatever order they finish in. Before, the train
// that finished last installed its networks, so an older, slower retrain replaced a newer model.

/** A promise the test settles: a train whose onEpochEnd returns it waits there (the engine awaits the callback). */
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

/** The first train's labels; the second renames one, so the installed model tells whose it is. */
const OLD = synthSet(3);
const NEW = synthSet(3).map((e) => ({ ...e, label: e.label === 'up' ? 'a-up' : e.label }));
const words = [synthWord('up', 500), synthWord('down', 501), synthWord('warble', 502)];
const rate = { sampleRate: SYNTH_RATE };

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe('overlapping train() calls on one SpeechRecognizer: the last started wins', () => {
  it('the earlier-started train finishing last is E_BUSY, frees its networks, and leaves the later model', async () => {
    const before = tf.memory().numTensors;
    // The tensors a recognizer trained on NEW alone holds, and its answers.
    const alone = SpeechRecognizer.create(TINY_CONFIG);
    await alone.train(NEW);
    const own = tf.memory().numTensors - before;
    const expected = (await alone.predictBatch(words, rate)).map((r) => r.scores);
    alone.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const model = SpeechRecognizer.create(TINY_CONFIG);
    const first = gate();
    const older = model.train(OLD, { onEpochEnd: first.wait });
    await first.reached;
    await model.train(NEW);
    expect(model.labels).toEqual(['a-up', 'down', 'warble']);
    first.open();
    const error = await rejectionOf(() => older);
    expect(error.code).toBe('E_BUSY');
    expect(error.details).toEqual({ reason: 'superseded' });
    expect(error.message).toMatch(/^SpeechRecognizer\.train: a train started later has already replaced the model/);
    // The later model stays and answers as the same train alone does (same seed); the refused one's networks are freed.
    expect(model.labels).toEqual(['a-up', 'down', 'warble']);
    expect((await model.predictBatch(words, rate)).map((r) => r.scores)).toEqual(expected);
    expect(tf.memory().numTensors - before).toBe(own);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('finishing in start order, both resolve and the model is the later one', async () => {
    const model = SpeechRecognizer.create(TINY_CONFIG);
    const [first, second] = [gate(), gate()];
    const older = model.train(OLD, { onEpochEnd: first.wait });
    await first.reached;
    const newer = model.train(NEW, { onEpochEnd: second.wait });
    await second.reached;
    first.open();
    await older;
    expect(model.labels).toEqual(['down', 'up', 'warble']);
    second.open();
    await newer;
    expect(model.labels).toEqual(['a-up', 'down', 'warble']);
    model.dispose();
  });

  it('the later train failing, the earlier one still installs', async () => {
    const before = tf.memory().numTensors;
    const model = SpeechRecognizer.create(TINY_CONFIG);
    const first = gate();
    const older = model.train(OLD, { onEpochEnd: first.wait });
    await first.reached;
    await expect(
      model.train(NEW, {
        onEpochEnd: () => {
          throw new Error('stop');
        },
      }),
    ).rejects.toThrow('stop');
    first.open();
    await older;
    expect(model.labels).toEqual(['down', 'up', 'warble']);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a train started after an install finished is not refused', async () => {
    const model = SpeechRecognizer.create(TINY_CONFIG);
    await model.train(NEW);
    // An onEpochEnd that returns something other than a promise (here push's count) type-checks, as it did
    // before onEpochEnd took a promise: `tsc -p packages/speech` refused it with the type `void | Promise<void>`.
    const seen: number[] = [];
    await model.train(OLD, { onEpochEnd: (logs) => seen.push(logs.epoch) });
    expect(seen).toEqual([0]);
    expect(model.labels).toEqual(['down', 'up', 'warble']);
    model.dispose();
  });
});

describe('a superseded train stops at its next step', () => {
  it('a long train still running when a later one installs: E_BUSY without another epoch; the model is the later one', async () => {
    const before = tf.memory().numTensors;
    const alone = SpeechRecognizer.create(TINY_CONFIG);
    await alone.train(NEW);
    const expected = (await alone.predictBatch(words, rate)).map((r) => r.scores);
    alone.dispose();

    const model = SpeechRecognizer.create(TINY_CONFIG);
    let epochs = 0;
    let firstEpoch = (): void => undefined;
    const started = new Promise<void>((resolve) => (firstEpoch = resolve));
    // 300 epochs: all of them ran before the rejection.
    const older = rejectionOf(() =>
      model.train(OLD, {
        epochs: 300,
        onEpochEnd: () => {
          epochs += 1;
          firstEpoch();
        },
      }),
    );
    await started;
    await model.train(NEW);
    const atInstall = epochs;
    const t0 = performance.now();
    const error = await older;
    const ms = performance.now() - t0;
    expect(ms, `ran ${Math.round(ms)} ms after the later train installed`).toBeLessThan(2000);
    expect(error.code).toBe('E_BUSY');
    expect(error.details).toEqual({ reason: 'superseded' });
    expect(error.message).toMatch(/^SpeechRecognizer\.train: a train started later has already replaced the model/);
    // Stopped at its next step: no epoch of it ended after the later train installed.
    expect(epochs).toBe(atInstall);
    expect(atInstall).toBeLessThan(300);
    expect(model.labels).toEqual(['a-up', 'down', 'warble']);
    expect((await model.predictBatch(words, rate)).map((r) => r.scores)).toEqual(expected);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
