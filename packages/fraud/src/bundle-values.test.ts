import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError, createRng } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCardFiles } from './card-files';
import { FraudDetector } from './detector';
import { TransactionScorer } from './scorer';
import { generateTransactions } from './synthetic';
import { chooseThreshold } from './thresholds';

// A bundle's manifest carries its own checksum, but a tool can rewrite it consistently (or an earlier
// version wrote none), so every value in it that scores is also checked on load: a threshold or a
// normalisation edited by hand (or by a buggy tool) must be E_BUNDLE_CORRUPT, never a model that loads
// and then flags nothing, or everything, or scores NaN.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraud-bundle-values-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Json = Record<string, unknown>;

async function editJson(path: string, edit: (value: Json) => void): Promise<void> {
  const value = JSON.parse(await readFile(path, 'utf8')) as Json;
  // Without the manifest's own checksum (what an earlier version or another tool writes): the loader's
  // checks of the values themselves are under test.
  delete value.manifestSha256;
  edit(value);
  await writeFile(path, JSON.stringify(value));
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    caught = e;
  }
  expect(AppliedMLError.isInstance(caught), String(caught)).toBe(true);
  expect((caught as AppliedMLError).code).toBe(code);
  if (message) expect((caught as Error).message).toMatch(message);
}

function rows(): Json[] {
  const rng = createRng(11);
  return Array.from({ length: 300 }, (_, i) => ({ amount: 10 + 90 * rng.next(), channel: i % 3 ? 'web' : 'pos' }));
}

describe('fraud bundle values are checked on load', () => {
  const edits: [string, (m: Json) => void, RegExp][] = [
    ['threshold removed', (m) => delete ((m.config as Json).state as Json).threshold, /threshold/],
    ['threshold a string', (m) => void (((m.config as Json).state as Json).threshold = 'abc'), /threshold/],
    ['threshold null', (m) => void (((m.config as Json).state as Json).threshold = null), /threshold/],
    [
      'norm not numbers',
      (m) => void ((((m.config as Json).state as Json).norms as Json).iforest = ['a', null]),
      /normalisation of the iforest/,
    ],
    ['norm with sd 0', (m) => void ((((m.config as Json).state as Json).norms as Json).ecod = [0, 0]), /normalisation of the ecod/],
    // Finite but absurd: every score would come out -Infinity.
    [
      'norm mean 1e308',
      (m) => void ((((m.config as Json).state as Json).norms as Json).iforest = [1e308, 1]),
      /normalisation of the iforest/,
    ],
    ['norm missing', (m) => delete (((m.config as Json).state as Json).norms as Json).ecod, /normalisation of the ecod score is missing/],
    ['scale 0', (m) => void ((((m.preprocessing as Json).columns as Json[])[0] as Json).scale = 0), /preprocessing is invalid/],
    ['median a string', (m) => void ((((m.preprocessing as Json).columns as Json[])[0] as Json).median = 'x'), /preprocessing is invalid/],
    [
      'column kind unknown',
      (m) => void ((((m.preprocessing as Json).columns as Json[])[1] as Json).kind = 'money'),
      /preprocessing is invalid/,
    ],
    ['skew not numbers', (m) => void ((((m.config as Json).state as Json).explainer as Json).skew = ['a', 'b', 'c']), /explainer/],
  ];
  for (const [name, edit, message] of edits) {
    it(`${name}: E_BUNDLE_CORRUPT`, async () => {
      const model = FraudDetector.create({ seed: 1 });
      await model.train(rows());
      const path = join(dir, name.replace(/\W+/g, '-'));
      await model.save(path);
      model.dispose();
      await FraudDetector.load(path).then((m) => m.dispose()); // loads as saved
      await editJson(join(path, 'manifest.json'), edit);
      await expectCode(FraudDetector.load(path), 'E_BUNDLE_CORRUPT', message);
    });
  }
});

describe('the transaction scorer', () => {
  const txs = generateTransactions({ cards: 40, days: 6, seed: 5 });

  it('a stream.json whose features differ from the detector, or whose options are invalid, is E_BUNDLE_CORRUPT', async () => {
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    await scorer.train(txs);
    const path = join(dir, 'scorer');
    await scorer.save(path);
    scorer.dispose();
    await TransactionScorer.load(path).then((s) => s.dispose());
    const stream = join(path, 'stream.json');
    const saved = await readFile(stream, 'utf8');
    // Any edit of a checksummed stream.json is refused; so is one of the card files (one card's amounts
    // ×100 would flip its verdicts), whose checksums stream.json holds.
    await editJson(stream, (s) => void ((s.cards as Json).count = 1));
    await expectCode(TransactionScorer.load(path), 'E_BUNDLE_CORRUPT', /checksum/);
    await writeFile(stream, saved);
    const history = join(path, 'history.f64');
    const values = await readFile(history);
    const edited = new Float64Array(new Uint8Array(values).buffer);
    edited[edited.length - 1] = (edited[edited.length - 1] as number) * 100;
    await writeFile(history, new Uint8Array(edited.buffer));
    await expectCode(TransactionScorer.load(path), 'E_BUNDLE_CORRUPT', /history.f64 does not match its checksum/);
    await writeFile(history, values);
    // Card files with the checksum removed are refused (it covers them).
    await editJson(stream, (s) => void delete s.sha256);
    await expectCode(TransactionScorer.load(path), 'E_BUNDLE_CORRUPT', /no checksum/);
    await writeFile(stream, saved);
    // Without a checksum (earlier versions: the cards inside stream.json), the values are still checked.
    const entities = await readCardFiles(path, (JSON.parse(saved) as Json).cards, path);
    const legacy = (s: Json): void => {
      (s.state as Json).entities = entities;
      delete s.cards;
      delete s.sha256;
    };
    await editJson(stream, legacy);
    await TransactionScorer.load(path).then((s) => s.dispose());
    await editJson(stream, (s) => void (((s.state as Json).options as Json).windowsSeconds = [60]));
    await expectCode(TransactionScorer.load(path), 'E_BUNDLE_CORRUPT', /not the detector's/);
    await writeFile(stream, saved);
    await editJson(stream, (s) => {
      legacy(s);
      ((s.state as Json).options as Json).windowsSeconds = ['x'];
    });
    await expectCode(TransactionScorer.load(path), 'E_BUNDLE_CORRUPT');
    // A file given for the folder is a missing scorer, said as such (not 'stream.json is not valid JSON').
    await expectCode(TransactionScorer.load(stream), 'E_BUNDLE_MISSING', /is a file, not a scorer folder/);
  });

  it('bad labels or an untrained scorer leave the card state as it was', async () => {
    const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
    const later = txs.slice(-5).map((t) => ({ ...t, card: `new-${t.card}`, timestamp: t.timestamp + 86_400_000 }));
    await expectCode(scorer.scoreAll(later), 'E_MODEL_NOT_TRAINED');
    await expectCode(scorer.evaluate(later, [0, 1, 0, 0, 0]), 'E_MODEL_NOT_TRAINED');
    expect(scorer.entities).toBe(0);
    await scorer.train(txs);
    const before = scorer.entities;
    await expectCode(scorer.evaluate(later, [0, 2, 0, 0, 0]), 'E_INPUT_INVALID', /Label 1 is 2/);
    await expectCode(scorer.evaluate(later, [0, 0, 0, 0, 0]), 'E_INPUT_INVALID', /both fraud/);
    await expectCode(scorer.evaluate(later, [0, 1]), 'E_SHAPE_MISMATCH');
    expect(scorer.entities).toBe(before);
    scorer.dispose();
    await expectCode(scorer.scoreAll(later), 'E_MODEL_DISPOSED');
  });
});

describe('records input', () => {
  it('null input, a null record, a misspelt schema kind: E_INPUT_INVALID; Infinity is named as such', async () => {
    const model = FraudDetector.create({ seed: 1 });
    await expectCode(model.train([{ a: 1 }, null as never, { a: 3 }]), 'E_INPUT_INVALID', /row 1 is not a record/);
    await expectCode(
      FraudDetector.create({ preprocess: { schema: { amount: 'money' as never } } }).train(rows()),
      'E_INPUT_INVALID',
      /schema\.amount must be one of numeric, categorical, timestamp/,
    );
    await model.train(rows());
    await expectCode(model.predictBatch(null as never), 'E_INPUT_INVALID');
    await expectCode(model.predictBatch(undefined as never), 'E_INPUT_INVALID');
    await expectCode(model.predictBatch([{ amount: Infinity, channel: 'web' }]), 'E_INPUT_INVALID', /Infinity is not a finite number/);
    // NaN is a missing value, like null or an absent field (documented): scored with the training median.
    const [nan] = await model.predictBatch([{ amount: NaN, channel: 'web' }]);
    const [absent] = await model.predictBatch([{ channel: 'web' }]);
    expect(nan?.score).toBe(absent?.score);
    model.dispose();
  });
});

describe('what earlier versions wrote still loads', () => {
  it('an unused normalisation and the hash-bucket count of a one-hot column are not checked', async () => {
    const model = FraudDetector.create({ detector: 'ecod', seed: 1 });
    await model.train(rows());
    const path = join(dir, 'lenient');
    await model.save(path);
    await editJson(join(path, 'manifest.json'), (m) => {
      (((m.config as Json).state as Json).norms as Json).autoencoder = [null, null];
      ((m.preprocessing as Json).columns as Json[]).forEach((c) => {
        if (c.kind === 'categorical') c.buckets = 100_000;
      });
    });
    const loaded = await FraudDetector.load(path);
    expect(Array.from(loaded.scores(rows()))).toEqual(Array.from(model.scores(rows())));
    model.dispose();
    loaded.dispose();
  });

  it("a 'max' ensemble keeps its explainer under another name (a version without `combine` refuses it)", async () => {
    const model = FraudDetector.create({ seed: 1, combine: 'max' });
    await model.train(rows());
    const path = join(dir, 'max-bundle');
    await model.save(path);
    const files = await readdir(path);
    expect(files).toContain('explainer-max.f64');
    expect(files).not.toContain('explainer.f64');
    const loaded = await FraudDetector.load(path);
    expect(Array.from(loaded.scores(rows()))).toEqual(Array.from(model.scores(rows())));
    model.dispose();
    loaded.dispose();
  });

  // Repeated windows are now refused at create; a save written with them still loads (stream.test.ts).
  it('a scorer with a schema override saves and loads', async () => {
    const txs = generateTransactions({ cards: 30, days: 5, seed: 6 });
    for (const config of [{ detector: { detector: 'ecod' as const, preprocess: { schema: { new_merchant: 'categorical' as const } } } }]) {
      const scorer = TransactionScorer.create(config);
      await scorer.train(txs);
      const path = join(dir, `scorer-${Math.random().toString(36).slice(2)}`);
      await scorer.save(path);
      const loaded = await TransactionScorer.load(path);
      expect(loaded.isTrained).toBe(true);
      const later = { ...txs[0]!, timestamp: txs.at(-1)!.timestamp + 60_000 };
      expect((await loaded.score(later)).score).toBe((await scorer.score(later)).score);
      scorer.dispose();
      loaded.dispose();
      expect(loaded.isTrained).toBe(false);
    }
  });
});

describe('labels are read strictly', () => {
  it("a gap in a label column (null, '', ' ') is E_INPUT_INVALID, not 'not fraud'", async () => {
    const model = FraudDetector.create({ seed: 1 });
    const data = rows();
    await model.train(data);
    const scores = Array.from(model.scores(data));
    for (const gap of [null, '', ' ', undefined, 'yes', 2]) {
      const labels = data.map((_, i) => (i === 5 ? gap : i % 10 === 0 ? 1 : 0)) as never;
      await expectCode(model.evaluate(data, labels), 'E_INPUT_INVALID', /Label 5 is/);
      await expectCode(() => chooseThreshold(scores, { targetRecall: 0.5 }, labels), 'E_INPUT_INVALID', /Label 5 is/);
    }
    // 0 / 1 as numbers, booleans or the strings a CSV gives.
    const mixed = data.map((_, i) => [0, 1, false, true, '0', ' 1 '][i % 6]) as never;
    expect((await model.evaluate(data, mixed)).k).toBe(150);
    // Typed arrays, and '1.0' / '0.0' as a float column writes them; a string is not a list of labels.
    const y = data.map((_, i) => (i % 10 === 0 ? 1 : 0));
    for (const typed of [Float32Array.from(y), Uint8Array.from(y), y.map((v) => `${v}.0`) as never])
      expect((await model.evaluate(data, typed)).k).toBe(30);
    await expectCode(
      () => chooseThreshold([0.1, 0.9, 0.2, 0.3], { targetRecall: 1 }, '0110' as never),
      'E_INPUT_INVALID',
      /array of 0 \/ 1/,
    );
    const txs = generateTransactions({ cards: 20, days: 3, seed: 2 });
    const scorer = TransactionScorer.create({ detector: { detector: 'gbt', gbt: { trees: 5 } } });
    await expectCode(scorer.train(null as never, { labels: [] }), 'E_INPUT_INVALID');
    await expectCode(
      scorer.train(txs, { labels: txs.map((t, i) => (i === 3 ? null : t.label)) as never }),
      'E_INPUT_INVALID',
      /Label 3 is null/,
    );
    expect(scorer.entities).toBe(0);
    model.dispose();
    scorer.dispose();
  });
});
