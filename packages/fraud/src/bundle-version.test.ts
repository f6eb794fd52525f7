import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError, createRng } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';
import { TransactionScorer } from './scorer';
import { generateTransactions } from './synthetic';
import { FRAUD_VERSION } from './version';

// A detector bundle saved by a newer version of the package, holding what this one cannot read (a
// detector kind or a config field it added), was E_BUNDLE_CORRUPT "its config is invalid": an operator
// on the older version went looking for disk damage. It is E_BUNDLE_INCOMPATIBLE now, naming the version
// that saved it and this one and asking for an upgrade (the engine's incompatibleIfNewer, as traffic
// does); the same edit in a bundle of this version or an earlier one is still E_BUNDLE_CORRUPT.

let root: string;
let saved: string;
let scorerSaved: string;
let k = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fraud-bundle-version-'));
  const rng = createRng(3);
  const rows = Array.from({ length: 200 }, (_, i) => ({ amount: 10 + 90 * rng.next(), channel: i % 3 ? 'web' : 'pos' }));
  const model = FraudDetector.create({ detector: 'ecod', seed: 1 });
  await model.train(rows);
  saved = join(root, 'detector');
  await model.save(saved);
  model.dispose();
  const scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
  await scorer.train(generateTransactions({ cards: 40, days: 6, seed: 5 }));
  scorerSaved = join(root, 'scorer');
  await scorer.save(scorerSaved);
  scorer.dispose();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A copy of `from` whose manifest (in `manifestDir` below it) says `packageVersion` and, if given, the detector `kind`. */
async function edited(from: string, packageVersion: string, kind?: string, manifestDir = ''): Promise<string> {
  const to = join(root, `copy-${k++}`);
  await cp(from, to, { recursive: true });
  const path = join(to, manifestDir, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8')) as {
    manifestSha256?: string;
    packageVersion: string;
    config: { detector: string };
  };
  // As a newer version's own save would be sealed: without the seal the loader checks the values themselves.
  delete manifest.manifestSha256;
  manifest.packageVersion = packageVersion;
  if (kind) manifest.config.detector = kind;
  await writeFile(path, JSON.stringify(manifest));
  return to;
}

async function failure(p: Promise<unknown>): Promise<AppliedMLError> {
  const caught = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppliedMLError.isInstance(caught), String(caught)).toBe(true);
  return caught as AppliedMLError;
}

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a fraud bundle from a newer version of the package', () => {
  it('that this version cannot read (an unknown detector kind) is E_BUNDLE_INCOMPATIBLE naming both versions', async () => {
    const path = await edited(saved, '9.1.0', 'lof');
    const e = await failure(FraudDetector.load(path));
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toMatch(
      new RegExp(
        `^Bundle ${escaped(path)} was saved by @appliedml/fraud 9\\.1\\.0, newer than this ${escaped(FRAUD_VERSION)}, which cannot read it \\(its config is invalid \\(Unknown detector 'lof'\\. Use one of .*\\)\\)\\. Upgrade @appliedml/fraud to 9\\.1\\.0 or later\\.$`,
      ),
    );
    expect(e.details).toMatchObject({ dir: path, packageVersion: '9.1.0', version: FRAUD_VERSION });
    expect((e.cause as { code?: string }).code).toBe('E_BUNDLE_CORRUPT');
  });

  it('that this version can read loads', async () => {
    const model = await FraudDetector.load(await edited(saved, '9.1.0'));
    expect(model.isTrained).toBe(true);
    model.dispose();
  });

  it('from this version or an earlier one, the same edit is still E_BUNDLE_CORRUPT', async () => {
    for (const version of [FRAUD_VERSION, '0.0.9', 'not a version']) {
      const e = await failure(FraudDetector.load(await edited(saved, version, 'lof')));
      expect(e.code, version).toBe('E_BUNDLE_CORRUPT');
      expect(e.message).toContain("its config is invalid (Unknown detector 'lof'.");
    }
  });

  it("inside a transaction scorer's save, the scorer's load says the same", async () => {
    const path = await edited(scorerSaved, '9.1.0', 'lof', 'detector');
    const e = await failure(TransactionScorer.load(path));
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toContain(`Bundle ${join(path, 'detector')} was saved by @appliedml/fraud 9.1.0, newer than this ${FRAUD_VERSION}`);
    const same = await failure(TransactionScorer.load(await edited(scorerSaved, FRAUD_VERSION, 'lof', 'detector')));
    expect(same.code).toBe('E_BUNDLE_CORRUPT');
  });
});

// A newer version's bundle holding a config field, a state field or a file this version does not know
// loaded silently (only an unknown detector kind was refused), scoring without what the newer version
// saved it to use: it is E_BUNDLE_INCOMPATIBLE naming what it holds. In a bundle of this version or an
// earlier one such names are ignored, as they always were.
type Manifest = Record<string, any>;

async function editedWith(
  from: string,
  packageVersion: string,
  edit: (manifest: Manifest, dir: string) => Promise<void> | void,
): Promise<string> {
  const to = join(root, `copy-${k++}`);
  await cp(from, to, { recursive: true });
  const path = join(to, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Manifest;
  delete manifest.manifestSha256;
  manifest.packageVersion = packageVersion;
  await edit(manifest, to);
  await writeFile(path, JSON.stringify(manifest));
  return to;
}

/** Rewrites (or adds) `name` in a bundle copy and records its checksum, as a save would. */
async function putFile(manifest: Manifest, dir: string, name: string, bytes: Buffer): Promise<void> {
  await writeFile(join(dir, name), bytes);
  manifest.files[name] = createHash('sha256').update(bytes).digest('hex');
}

describe('a newer fraud bundle holding what this version does not know', () => {
  let ensemble: string;
  beforeAll(async () => {
    const rng = createRng(4);
    const rows = Array.from({ length: 200 }, () => ({ amount: 10 + 90 * rng.next(), hour: Math.floor(24 * rng.next()) }));
    const model = FraudDetector.create({ detector: 'ensemble', seed: 2, iforest: { trees: 20 } });
    await model.train(rows);
    ensemble = join(root, 'ensemble');
    await model.save(ensemble);
    model.dispose();
  });

  const edits: [string, string, (m: Manifest, dir: string) => Promise<void> | void][] = [
    ['a config field', 'lofNeighbours', (m) => void (m.config.lofNeighbours = 20)],
    ['a config.state field', 'state.calibration', (m) => void (m.config.state.calibration = { method: 'isotonic' })],
    ['an explainer state field', 'state.explainer.bandwidth', (m) => void (m.config.state.explainer.bandwidth = 0.5)],
    ['a member option', 'iforest.extended', (m) => void (m.config.iforest = { ...m.config.iforest, extended: true })],
    ['a preprocessing field', 'preprocessing.scaling', (m) => void (m.preprocessing.scaling = 'robust')],
    ['a file', "file 'calibration.bin'", (m, dir) => putFile(m, dir, 'calibration.bin', Buffer.from('new data'))],
    [
      'a field of a state file',
      'iforest.json extended',
      async (m, dir) => {
        const state = JSON.parse(await readFile(join(dir, 'iforest.json'), 'utf8')) as Manifest;
        await putFile(m, dir, 'iforest.json', Buffer.from(JSON.stringify({ ...state, extended: true })));
      },
    ],
    // Inside a list's entries: were not looked at (a newer column field or tree node field loaded silently).
    ['a field of a preprocessing column', 'preprocessing.columns[0].clip', (m) => void (m.preprocessing.columns[0].clip = [0, 1])],
    [
      'a field of the trees in a state file (named once, at the first tree holding it)',
      'iforest.json trees[0].depth',
      async (m, dir) => {
        const state = JSON.parse(await readFile(join(dir, 'iforest.json'), 'utf8')) as { trees: Manifest[] };
        for (const tree of state.trees) tree.depth = [0];
        await putFile(m, dir, 'iforest.json', Buffer.from(JSON.stringify(state)));
      },
    ],
  ];

  it.each(edits)('%s is E_BUNDLE_INCOMPATIBLE naming it (it loaded silently)', async (_what, named, edit) => {
    const path = await editedWith(ensemble, '9.1.0', edit);
    const e = await failure(FraudDetector.load(path));
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toBe(
      `Bundle ${path} was saved by @appliedml/fraud 9.1.0, newer than this ${FRAUD_VERSION}, which cannot read it (it holds what this version does not know: ${named}). Upgrade @appliedml/fraud to 9.1.0 or later.`,
    );
    expect(e.details).toMatchObject({ dir: path, unknown: [named], packageVersion: '9.1.0', version: FRAUD_VERSION });
  });

  it('the same in a bundle of this version or an earlier one is ignored and it loads, as before; a newer one without them scores as saved', async () => {
    const probe = [
      { amount: 55, hour: 3 },
      { amount: 5000, hour: 4 },
    ];
    const original = await FraudDetector.load(ensemble);
    const expected = await original.scores(probe);
    original.dispose();
    for (const version of [FRAUD_VERSION, '0.0.9']) {
      for (const [what, , edit] of edits) {
        const model = await FraudDetector.load(await editedWith(ensemble, version, edit));
        expect(Array.from(await model.scores(probe)), `${what} at ${version}`).toEqual(Array.from(expected));
        model.dispose();
      }
    }
    const newer = await FraudDetector.load(await editedWith(ensemble, '9.1.0', () => undefined));
    expect(Array.from(await newer.scores(probe))).toEqual(Array.from(expected));
    newer.dispose();
  });
});

describe('a newer gradient-boosted bundle with a forest', () => {
  it('loads as saved, and a field of a boosted or a forest tree it does not know is E_BUNDLE_INCOMPATIBLE naming it', async () => {
    const rng = createRng(8);
    const rows = Array.from({ length: 300 }, () => [rng.next(), rng.next()]);
    const labels = rows.map((r) => (r[0]! > 0.8 ? 1 : 0));
    const model = FraudDetector.create({ detector: 'gbt', seed: 1, gbt: { trees: 5, forest: { trees: 3 } } });
    await model.train(rows, { labels });
    const path = join(root, 'gbt-forest');
    await model.save(path);
    model.dispose();
    (await FraudDetector.load(await editedWith(path, '9.1.0', () => undefined))).dispose();
    const treeField = (at: 'trees' | 'forest') => async (m: Manifest, dir: string) => {
      const state = JSON.parse(await readFile(join(dir, 'gbt-forest.json'), 'utf8')) as Manifest;
      (at === 'trees' ? state.trees : state.forest.trees)[1].gain = [1];
      await putFile(m, dir, 'gbt-forest.json', Buffer.from(JSON.stringify(state)));
    };
    for (const [at, named] of [
      ['trees', 'gbt-forest.json trees[1].gain'],
      ['forest', 'gbt-forest.json forest.trees[1].gain'],
    ] as const) {
      const e = await failure(FraudDetector.load(await editedWith(path, '9.1.0', treeField(at))));
      expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
      expect(e.details).toMatchObject({ unknown: [named], packageVersion: '9.1.0' });
      (await FraudDetector.load(await editedWith(path, FRAUD_VERSION, treeField(at)))).dispose();
    }
  });
});

// A network this engine cannot rebuild (a layer class a later tfjs or engine writes) failed inside the
// engine's loadBundle, before the detector saw the manifest's packageVersion: E_BUNDLE_CORRUPT for a
// newer bundle that only needed an upgrade. It is E_BUNDLE_INCOMPATIBLE now; from this version, corrupt.
describe('a newer fraud bundle whose network this engine cannot rebuild', () => {
  it('is E_BUNDLE_INCOMPATIBLE "upgrade"; the same edit from this version is E_BUNDLE_CORRUPT', async () => {
    const rng = createRng(9);
    const rows = Array.from({ length: 120 }, () => [rng.next(), rng.next(), rng.next()]);
    const model = FraudDetector.create({ detector: 'autoencoder', seed: 1, autoencoder: { epochs: 1, hidden: [2] } });
    await model.train(rows);
    const path = join(root, 'autoencoder');
    await model.save(path);
    model.dispose();
    const futureLayer = async (m: Manifest, dir: string): Promise<void> => {
      const file = join(dir, 'autoencoder.model.json');
      const text = await readFile(file, 'utf8');
      expect(text).toContain('"class_name":"Dense"');
      await putFile(m, dir, 'autoencoder.model.json', Buffer.from(text.replace('"class_name":"Dense"', '"class_name":"FutureDense"')));
    };
    const newer = await editedWith(path, '9.1.0', futureLayer);
    const e = await failure(FraudDetector.load(newer));
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toMatch(
      new RegExp(
        `^Bundle ${escaped(newer)} was saved by @appliedml/fraud 9\\.1\\.0, newer than this ${escaped(FRAUD_VERSION)}, which cannot read it \\(model 'autoencoder' could not be rebuilt: .*FutureDense.*\\)\\. Upgrade @appliedml/fraud to 9\\.1\\.0 or later\\.$`,
      ),
    );
    expect(e.details).toMatchObject({ dir: newer, packageVersion: '9.1.0', version: FRAUD_VERSION });
    const same = await failure(FraudDetector.load(await editedWith(path, FRAUD_VERSION, futureLayer)));
    expect(same.code).toBe('E_BUNDLE_CORRUPT');
    expect(same.message).toContain("model 'autoencoder' could not be rebuilt");
  });
});
