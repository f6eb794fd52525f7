import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initEngine, silentLogger, tf, type Logger } from '@appliedml/engine';
import { TextClassifier } from './text-classifier';
import { codeOf } from './test-helpers';

// Overlapping trains on one model (R3 l2-train-race, in fraud and traffic; text did the same): the one
// that finished last installed its model, so an older, slower retrain overwrote a newer one. The rule:
// the model ends as the last-started train left it, whatever order they finish in.

/** Gates for the next calls of initEngine (the neural models' first await in train), in call order. */
const gates: Array<Promise<void> | undefined> = [];

vi.mock('@appliedml/engine', async (importOriginal) => {
  const engine = await importOriginal<typeof import('@appliedml/engine')>();
  return {
    ...engine,
    initEngine: async (...args: Parameters<typeof engine.initEngine>) => {
      const gate = gates.shift();
      if (gate) await gate;
      return engine.initEngine(...args);
    },
  };
});

/** A promise that resolves when `open` is called: a train held at its start until then. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const WORDS: Record<string, string[]> = {
  sport: ['match', 'goal', 'team', 'coach', 'referee', 'league'],
  cooking: ['recipe', 'oven', 'garlic', 'onion', 'sauce', 'flour'],
  weather: ['rain', 'storm', 'forecast', 'wind', 'cloud', 'frost'],
};

/** Examples over the given labels (each train's own set, so the installed model tells whose it is). */
const examples = (labels: string[], n = 60): Array<{ text: string; label: string }> =>
  Array.from({ length: n }, (_, i) => {
    const label = labels[i % labels.length] as string;
    const words = WORDS[label] as string[];
    return { text: `the ${words[(i * 7) % words.length]} and the ${words[(i * 5 + 1) % words.length]} were fine`, label };
  });

const FIRST = ['cooking', 'sport'];
const SECOND = ['cooking', 'sport', 'weather'];
const create = (): TextClassifier => TextClassifier.create({ model: 'fasttext', seed: 3, fasttext: { buckets: 512, dim: 4, epochs: 2 } });

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

describe('overlapping trains on one TextClassifier: the last started wins', () => {
  it('an earlier train finishing after a later one has installed is refused with E_BUSY and frees its network', async () => {
    const before = tf.memory().numTensors;
    const model = create();
    const held = gate();
    gates.push(held.wait);
    const first = model.train(examples(FIRST));
    const second = model.train(examples(SECOND));
    await second;
    expect(model.labels).toEqual(SECOND);
    held.open();
    const error = await first.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'E_BUSY', details: { reason: 'superseded' } });
    expect((error as Error).message).toMatch(/a train started later has already replaced the model/);
    // The later train's model stays, and still predicts; the refused train's network is freed.
    expect(model.labels).toEqual(SECOND);
    expect(SECOND).toContain((await model.predict('rain and wind and frost')).label);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('in starting order both install: the model is the later one', async () => {
    const model = create();
    const held = gate();
    gates.push(undefined, held.wait);
    const first = model.train(examples(FIRST));
    const second = model.train(examples(SECOND));
    await first;
    expect(model.labels).toEqual(FIRST);
    held.open();
    await second;
    expect(model.labels).toEqual(SECOND);
    model.dispose();
  });

  it('a later train that fails leaves the earlier one to install when it finishes', async () => {
    const model = create();
    const held = gate();
    gates.push(held.wait);
    const first = model.train(examples(FIRST));
    // Fails once it has started (its ticket taken): a label weight that makes the loss diverge.
    const second = model.train(examples(SECOND), { classWeight: { sport: 1e38, cooking: 1e38, weather: 1e38 } });
    expect(await codeOf(() => second)).toBe('E_TRAINING_FAILED');
    held.open();
    await first;
    expect(model.labels).toEqual(FIRST);
    model.dispose();
  });
});

describe('a superseded train stops at its next step', () => {
  it('a long train still running when a later one installs rejects E_BUSY without another epoch; the model is the later one', async () => {
    const before = tf.memory().numTensors;
    const model = create();
    const epochs = { first: 0 };
    let firstEpoch = (): void => undefined;
    const started = new Promise<void>((resolve) => (firstEpoch = resolve));
    const counting: Logger = {
      ...silentLogger,
      debug: (message) => {
        if (message !== 'epoch') return;
        epochs.first += 1;
        firstEpoch();
      },
    };
    // 400 epochs of 60 texts (about 1 s here): it ran them all before rejecting, 395 after the later train installed.
    const first = model.train(examples(FIRST), { epochs: 400, logger: counting });
    const outcome = first.then(
      () => undefined,
      (e: unknown) => e,
    );
    await started;
    await model.train(examples(SECOND));
    const atInstall = epochs.first;
    const t0 = performance.now();
    const error = await outcome;
    const ms = performance.now() - t0;
    expect(ms, `ran ${Math.round(ms)} ms after the later train installed`).toBeLessThan(2000);
    expect(error).toMatchObject({ code: 'E_BUSY', details: { reason: 'superseded' } });
    expect((error as Error).message).toMatch(/^TextClassifier\.train: a train started later has already replaced the model/);
    // Stopped at its next step: no epoch of it ended after the later train installed.
    expect(epochs.first).toBe(atInstall);
    expect(atInstall).toBeLessThan(400);
    // The model is the later train's, as trained alone.
    const alone = create();
    await alone.train(examples(SECOND));
    const probe = ['rain and wind and frost', 'the garlic and the oven', 'the match and the goal'];
    expect(model.labels).toEqual(SECOND);
    expect(await model.predictBatch(probe)).toEqual(await alone.predictBatch(probe));
    model.dispose();
    alone.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
