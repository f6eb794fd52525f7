import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initEngine, silentLogger, tf, type Logger } from '@appliedml/engine';
import { charNgrams } from './char-ngrams';
import { resolveFeatureConfig } from './features';
import { hashedNgrams } from './hashed-ngrams';
import { readTextCsv, readTextJsonl } from './loaders';
import { SentimentScorer } from './sentiment';
import { TextClassifier, type ModelType } from './text-classifier';
import { checkText } from './text-input';
import { TfidfVectorizer } from './tfidf';
import { Vocabulary } from './vocabulary';
import { TICKETS, codeOf } from './test-helpers';

// Found by a service-embedding review: a model disposed while it trained, null as the options object,
// the order of the disposed check.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'text-lifecycle-'));
  await initEngine({ device: 'wasm' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tiny = { fasttext: { buckets: 512, dim: 4 }, cnn: { embeddingDim: 4, filters: 2 } };

/** A logger that disposes `model` when the engine logs the end of the first epoch. */
function disposingAtFirstEpoch(model: () => TextClassifier): Logger {
  return {
    ...silentLogger,
    debug: (message) => {
      if (message === 'epoch') model().dispose();
    },
  };
}

describe('TextClassifier.dispose() while train() runs', () => {
  for (const kind of ['fasttext', 'cnn'] as const) {
    it(`${kind}: disposed mid-training, train rejects E_MODEL_DISPOSED, frees its network and isTrained stays false`, async () => {
      const before = tf.memory().numTensors;
      const model: TextClassifier = TextClassifier.create({ model: kind, ...tiny });
      const training = model.train(TICKETS, { epochs: 3, logger: disposingAtFirstEpoch(() => model) });
      expect(await codeOf(() => training)).toBe('E_MODEL_DISPOSED');
      expect(model.isTrained).toBe(false);
      expect(await codeOf(() => model.predict('a refund'))).toBe('E_MODEL_DISPOSED');
      expect(tf.memory().numTensors).toBe(before);
    });

    it(`${kind}: disposed before the engine started, nothing is built`, async () => {
      const before = tf.memory().numTensors;
      const model = TextClassifier.create({ model: kind, ...tiny });
      const training = model.train(TICKETS, { epochs: 1 });
      model.dispose();
      expect(await codeOf(() => training)).toBe('E_MODEL_DISPOSED');
      expect(model.isTrained).toBe(false);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a retrain of a trained network disposed mid-training frees both networks', async () => {
    const before = tf.memory().numTensors;
    const model: TextClassifier = TextClassifier.create({ model: 'fasttext', ...tiny });
    await model.train(TICKETS, { epochs: 1 });
    const training = model.train(TICKETS, { epochs: 3, logger: disposingAtFirstEpoch(() => model) });
    expect(await codeOf(() => training)).toBe('E_MODEL_DISPOSED');
    expect(model.isTrained).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const kind of ['linear', 'naive-bayes'] as ModelType[]) {
    it(`${kind}: disposed right after train is called, isTrained is false and every call E_MODEL_DISPOSED`, async () => {
      const model = TextClassifier.create({ model: kind });
      const training = model.train(TICKETS);
      model.dispose();
      // Both give the event loop turns (the TF-IDF fit, and linear's SGD), so the dispose lands inside the
      // training and it rejects (naive Bayes finished in one go before the dispose when its fit did not).
      await expect(training).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
      expect(model.isTrained).toBe(false);
      expect(await codeOf(() => model.predict('a refund'))).toBe('E_MODEL_DISPOSED');
      expect(await codeOf(() => model.labels)).toBe('E_MODEL_DISPOSED');
    });
  }
});

describe('overlapping retrains of one network model', () => {
  const WORDS: Record<string, string[]> = {
    sport: ['match', 'goal', 'team', 'coach', 'referee', 'league'],
    cooking: ['recipe', 'oven', 'garlic', 'onion', 'sauce', 'flour'],
    weather: ['rain', 'storm', 'forecast', 'wind', 'cloud', 'frost'],
  };
  const texts = (n: number, phrases: number): Array<{ text: string; label: string }> =>
    Array.from({ length: n }, (_, i) => {
      const label = Object.keys(WORDS)[i % 3] as string;
      const words = WORDS[label] as string[];
      const text = Array.from(
        { length: phrases },
        (_, k) => `the ${words[(i * 7 + k * 5) % words.length]} was ${['great', 'bad', 'long'][(i + k) % 3]}`,
      ).join(' and ');
      return { text, label };
    });

  for (const kind of ['fasttext', 'cnn'] as const) {
    it(`${kind}: a train that fails after another one ended keeps that one's input width with its network`, async () => {
      const model = TextClassifier.create({
        model: kind,
        seed: 7,
        ...tiny,
        fasttext: { ...tiny.fasttext, epochs: 1 },
        cnn: { ...tiny.cnn, epochs: 1 },
      });
      await model.train(texts(120, 1));
      const width = (): number => (kind === 'cnn' ? model.config.cnn.maxLength : model.config.fasttext.maxIds);
      const short = width();
      // X (many texts, a class weight that makes the loss diverge) fails; B (longer texts) succeeds meanwhile.
      // B starts first: a train started before B would now be stopped by B's install (E_BUSY superseded)
      // before it could fail; X, started later, runs on and fails after B ended.
      const b = model.train(texts(120, 6));
      const x = model.train(texts(3000, 1), { classWeight: { sport: 1e37 } });
      await b;
      const widthOfB = width();
      expect(widthOfB).toBeGreaterThan(short);
      expect(await codeOf(() => x)).toBe('E_TRAINING_FAILED');
      // The failed train does not put back the width it began with over B's network.
      expect(width()).toBe(widthOfB);
      const probe = texts(3, 6).map((t) => t.text);
      const predictions = await model.predictBatch(probe);
      await model.save(join(dir, `overlap-${kind}`));
      const back = await TextClassifier.load(join(dir, `overlap-${kind}`));
      expect(await back.predictBatch(probe)).toEqual(predictions);
      back.dispose();
      model.dispose();
    });
  }
});

describe('linear training and the event loop', () => {
  it('a longer linear training lets timers run while it trains, and still learns', async () => {
    const texts = Array.from({ length: 3000 }, (_, i) => ({
      text: `${i % 2 ? 'refund my order please' : 'the app crashes on login'} ticket ${i} ${'word '.repeat(i % 17)}`,
      label: i % 2 ? 'billing' : 'bug',
    }));
    const model = TextClassifier.create({ model: 'linear', seed: 3 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    // The clock moves 100 ms per reading: a turn is due at every check on any machine (this training
    // takes well under a second here, so a machine 15× faster would give it none).
    let now = performance.now();
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => (now += 100));
    await model.train(texts, { epochs: 40 }).finally(() => clock.mockRestore());
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    expect((await model.predict('please refund my order')).label).toBe('billing');
    model.dispose();
  });
});

describe('TextClassifier options that are not an object', () => {
  it('null (or a number, a list) options are E_INPUT_INVALID in train, evaluate and load; undefined means the defaults; explain takes null', async () => {
    const model = TextClassifier.create();
    for (const bad of [null, 5, ['epochs']])
      expect(await codeOf(() => model.train(TICKETS, bad as never)), String(bad)).toBe('E_INPUT_INVALID');
    expect(model.isTrained).toBe(false);
    await model.train(TICKETS, undefined);
    for (const bad of [null, 5, 'spam'])
      expect(await codeOf(() => model.evaluate(TICKETS, bad as never)), String(bad)).toBe('E_INPUT_INVALID');
    expect((await model.evaluate(TICKETS, undefined)).accuracy).toBeGreaterThan(0.5);
    expect((await model.explain('a refund please', null)).tokens.length).toBeGreaterThan(0);
    expect(await codeOf(() => model.explain('a refund please', 5 as never))).toBe('E_INPUT_INVALID');
    const path = join(dir, 'linear');
    await model.save(path);
    expect(await codeOf(() => TextClassifier.load(path, null as never))).toBe('E_INPUT_INVALID');
    (await TextClassifier.load(path, undefined)).dispose();
    model.dispose();
  });

  it('a misspelt option of train, evaluate, explain or load is refused with the valid names', async () => {
    const model = TextClassifier.create();
    await expect(model.train(TICKETS, { epoch: 3 } as never)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringContaining("train options has no option 'epoch'; valid: "),
    });
    await model.train(TICKETS);
    await expect(model.evaluate(TICKETS, { positive: 'bug' } as never)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(model.explain('a refund', { topK: 3 } as never)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(TextClassifier.load(join(dir, 'nowhere'), { devise: 'wasm' } as never)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
    });
    model.dispose();
  });

  it('the text helpers refuse null options with E_INPUT_INVALID, not a TypeError', async () => {
    const file = join(dir, 'rows.csv');
    const calls: [string, () => unknown][] = [
      ['charNgrams', () => charNgrams('hello', null as never)],
      ['hashedNgrams', () => hashedNgrams(['a'], null as never)],
      ['resolveFeatureConfig', () => resolveFeatureConfig(null as never)],
      ['checkText', () => checkText('a', null as never)],
      ['readTextCsv', () => readTextCsv(file, null as never)],
      ['readTextJsonl', () => readTextJsonl(file, null as never)],
      ['Vocabulary.fit', () => Vocabulary.fit([['a']], null as never)],
      ['TfidfVectorizer.fit', () => TfidfVectorizer.fit([['a']], null as never)],
      ['TfidfVectorizer.fitTransform', () => TfidfVectorizer.fitTransform([['a']], null as never)],
      ['SentimentScorer', () => new SentimentScorer(null as never)],
    ];
    for (const [name, call] of calls) expect(await codeOf(call), name).toBe('E_INPUT_INVALID');
    expect(charNgrams('ab', undefined).length).toBeGreaterThan(0);
  });
});

describe('TextClassifier after dispose: the disposed check comes first', () => {
  it('evaluateMultiLabel of a multi-class model and evaluate of a multi-label model are E_MODEL_DISPOSED once disposed', async () => {
    const multiClass = TextClassifier.create();
    await multiClass.train(TICKETS);
    expect(await codeOf(() => multiClass.evaluateMultiLabel(TICKETS))).toBe('E_INPUT_INVALID');
    multiClass.dispose();
    expect(await codeOf(() => multiClass.evaluateMultiLabel(TICKETS))).toBe('E_MODEL_DISPOSED');
    expect(await codeOf(() => multiClass.evaluate(TICKETS, null as never))).toBe('E_MODEL_DISPOSED');
    expect(await codeOf(() => multiClass.train(TICKETS, null as never))).toBe('E_MODEL_DISPOSED');

    const multiLabel = TextClassifier.create({ multiLabel: true });
    multiLabel.dispose();
    expect(await codeOf(() => multiLabel.evaluate(TICKETS))).toBe('E_MODEL_DISPOSED');
    expect(await codeOf(() => multiLabel.labels)).toBe('E_MODEL_DISPOSED');
    expect(multiLabel.isTrained).toBe(false);
  });
});
