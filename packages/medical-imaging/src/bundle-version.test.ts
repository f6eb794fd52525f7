import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError, createRng, initEngine, tf } from '@appliedml/engine';
import type { GrayImage } from './gray-image';
import { ImageClassifier } from './image-classifier';
import { ImageSegmenter } from './image-segmenter';
import { SegmenterEnsemble } from './segmenter-ensemble';
import { discs } from './test-discs';
import { MEDICAL_IMAGING_VERSION } from './version';

// A bundle saved by a newer version of the package, holding what this one cannot read (a config value
// or a layout it added), was E_BUNDLE_CORRUPT: a service on the older version was told the bundle was
// damaged. ImageClassifier.load, ImageSegmenter.load and SegmenterEnsemble.load say E_BUNDLE_INCOMPATIBLE
// now (the engine's incompatibleIfNewer, as fraud and traffic do), naming the version that saved it and
// this one and asking for an upgrade; a newer bundle this version can read loads, and the same edit in a
// bundle of this version or an earlier one is still E_BUNDLE_CORRUPT.

let root: string;
let classifier: string;
let segmenter: string;
let ensemble: string;
let k = 0;
beforeAll(async () => {
  await initEngine();
  root = await mkdtemp(join(tmpdir(), 'medical-bundle-version-'));
  const rng = createRng(6);
  const images: GrayImage[] = Array.from({ length: 8 }, (_, i) => ({
    width: 16,
    height: 16,
    data: Float32Array.from({ length: 256 }, () => 0.5 * rng.next() + (i % 2 ? 0.4 : 0)),
  }));
  const c = ImageClassifier.create({ imageSize: 16, filters: [4, 8], seed: 1 });
  await c.train({ images, labels: images.map((_, i) => (i % 2 ? 'a' : 'b')) }, { epochs: 1 });
  classifier = join(root, 'classifier');
  await c.save(classifier);
  c.dispose();
  const s = ImageSegmenter.create({ imageSize: 16, filters: [2, 4], seed: 1 });
  await s.train(discs(8, 16, 1), { epochs: 1, batchSize: 4 });
  segmenter = join(root, 'segmenter');
  await s.save(segmenter);
  ensemble = join(root, 'ensemble');
  const e = SegmenterEnsemble.from([s]);
  await e.save(ensemble);
  e.dispose();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A copy of `from` whose `file` (in `sub` below it) says `packageVersion`, edited by `edit`; a manifest unsealed, as a newer save's seal is not checked against these values. */
async function edited(
  from: string,
  packageVersion: string,
  edit: (json: any) => void = () => {},
  file = 'manifest.json',
  sub = '',
): Promise<string> {
  const to = join(root, `copy-${k++}`);
  await cp(from, to, { recursive: true });
  const path = join(to, sub, file);
  const json = JSON.parse(await readFile(path, 'utf8'));
  delete json.manifestSha256;
  json.packageVersion = packageVersion;
  edit(json);
  await writeFile(path, JSON.stringify(json));
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

const upgrade = (dir: string, reason: string): string =>
  `Bundle ${dir} was saved by @appliedml/medical-imaging 9.1.0, newer than this ${MEDICAL_IMAGING_VERSION}, which cannot read it (${reason}). Upgrade @appliedml/medical-imaging to 9.1.0 or later.`;

const newNormalization = (m: any): void => {
  m.config.normalization = 'clahe';
};
const newRotation = (m: any): void => {
  m.config.rotation = 270;
};
const moreMembers = (index: any): void => {
  index.members = Array.from({ length: 12 }, (_, i) => `member-${i}`);
};

describe('a medical-imaging bundle from a newer version of the package', () => {
  it('a classifier this version cannot read is E_BUNDLE_INCOMPATIBLE naming both versions', async () => {
    const dir = await edited(classifier, '9.1.0', newNormalization);
    const before = tf.memory().numTensors;
    const e = await failure(ImageClassifier.load(dir));
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toBe(upgrade(dir, "its config is not valid (normalization must be 'dataset' or 'per-image' (got clahe).)"));
    expect(e.details).toMatchObject({ dir, packageVersion: '9.1.0', version: MEDICAL_IMAGING_VERSION });
    expect((e.cause as { code?: string }).code).toBe('E_BUNDLE_CORRUPT');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a segmenter this version cannot read too', async () => {
    const dir = await edited(segmenter, '9.1.0', newRotation);
    const e = await failure(ImageSegmenter.load(dir));
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toMatch(
      /which cannot read it \(its config is not valid \(.*rotation.*\)\)\. Upgrade @appliedml\/medical-imaging to 9\.1\.0 or later\.$/,
    );
    expect(
      e.message.startsWith(`Bundle ${dir} was saved by @appliedml/medical-imaging 9.1.0, newer than this ${MEDICAL_IMAGING_VERSION}`),
    ).toBe(true);
  });

  it('an ensemble whose index lists what this version cannot read, or whose member it cannot read, too', async () => {
    const dir = await edited(ensemble, '9.1.0', moreMembers, 'ensemble.json');
    const e = await failure(SegmenterEnsemble.load(dir));
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toBe(upgrade(dir, 'ensemble.json lists no valid members'));
    const member = await edited(ensemble, '9.1.0', newRotation, 'manifest.json', 'member-0');
    const m = await failure(SegmenterEnsemble.load(member));
    expect(m.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(m.message).toContain(`Bundle ${join(member, 'member-0')} was saved by @appliedml/medical-imaging 9.1.0`);
  });

  it('that this version can read loads', async () => {
    const c = await ImageClassifier.load(await edited(classifier, '9.1.0'));
    expect(c.labels).toEqual(['a', 'b']);
    c.dispose();
    const s = await ImageSegmenter.load(await edited(segmenter, '9.1.0'));
    expect(s.isTrained).toBe(true);
    s.dispose();
    const e = await SegmenterEnsemble.load(await edited(ensemble, '9.1.0', () => {}, 'ensemble.json'));
    e.dispose();
  });

  it('a newer ensemble whose member folder is gone is damage, E_BUNDLE_CORRUPT, not a version problem (review R4-9)', async () => {
    const dir = await edited(ensemble, '9.1.0', () => {}, 'ensemble.json');
    await rm(join(dir, 'member-0'), { recursive: true });
    const e = await failure(SegmenterEnsemble.load(dir));
    expect(e.code).toBe('E_BUNDLE_CORRUPT');
    expect(e.message).toBe(`Segmenter ensemble ${dir}: a member listed in ensemble.json is missing.`);
  });

  it('from this version or an earlier one, the same edits are still E_BUNDLE_CORRUPT', async () => {
    for (const version of [MEDICAL_IMAGING_VERSION, '0.0.1', 'not a version']) {
      const c = await failure(ImageClassifier.load(await edited(classifier, version, newNormalization)));
      expect(c.code, version).toBe('E_BUNDLE_CORRUPT');
      expect(c.message).toContain("its config is not valid (normalization must be 'dataset' or 'per-image'");
      const s = await failure(ImageSegmenter.load(await edited(segmenter, version, newRotation)));
      expect(s.code, version).toBe('E_BUNDLE_CORRUPT');
      const e = await failure(SegmenterEnsemble.load(await edited(ensemble, version, moreMembers, 'ensemble.json')));
      expect(e.code, version).toBe('E_BUNDLE_CORRUPT');
      expect(e.message).toBe(`Segmenter ensemble ${e.details?.dir as string}: ensemble.json lists no valid members.`);
    }
  });

  // What a newer version added and this one does not know was dropped: the model loaded and read its
  // images otherwise than it was saved to. In a newer bundle it is refused, named (details.unknown).
  it('a field or network this version does not know, in a newer bundle, is E_BUNDLE_INCOMPATIBLE naming it', async () => {
    const added = (m: any): void => {
      m.config.augmentation.elastic = 0.2;
      m.preprocessing.clahe = { clip: 2 };
    };
    const dir = await edited(classifier, '9.1.0', added);
    const e = await failure(ImageClassifier.load(dir));
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toBe(upgrade(dir, 'it holds what this version does not know: config.augmentation.elastic, preprocessing.clahe'));
    expect(e.details).toMatchObject({ unknown: ['config.augmentation.elastic', 'preprocessing.clahe'], packageVersion: '9.1.0' });
    const seg = await edited(segmenter, '9.1.0', (m: any) => (m.config.loss = 'focal'));
    const s = await failure(ImageSegmenter.load(seg));
    expect(s.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(s.message).toBe(upgrade(seg, 'it holds what this version does not know: config.loss'));
    // In a bundle of this version or an earlier one such names stay ignored, as before.
    for (const version of [MEDICAL_IMAGING_VERSION, '0.0.1']) {
      const c = await ImageClassifier.load(await edited(classifier, version, added));
      c.dispose();
      const g = await ImageSegmenter.load(await edited(segmenter, version, (m: any) => (m.config.loss = 'focal')));
      g.dispose();
    }
  });

  // Named as the other SDKs name one ("network 'refiner'"; it said "network refiner").
  it('a network this version does not know, in a newer bundle, is named quoted, as the other SDKs name it', async () => {
    const refiner = (m: any): void => {
      m.models.refiner = m.models.segmenter;
    };
    const dir = await edited(segmenter, '9.1.0', refiner);
    const before = tf.memory().numTensors;
    const e = await failure(ImageSegmenter.load(dir));
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toBe(upgrade(dir, "it holds what this version does not know: network 'refiner'"));
    expect(e.details).toMatchObject({ unknown: ["network 'refiner'"] });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an ensemble index field this version does not know, in a newer ensemble, is E_BUNDLE_INCOMPATIBLE naming it', async () => {
    const weights = (index: any): void => {
      index.weights = [1];
    };
    const dir = await edited(ensemble, '9.1.0', weights, 'ensemble.json');
    const e = await failure(SegmenterEnsemble.load(dir));
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toBe(upgrade(dir, 'ensemble.json holds what this version does not know: weights'));
    expect(e.details).toMatchObject({ unknown: ['weights'] });
    (await SegmenterEnsemble.load(await edited(ensemble, MEDICAL_IMAGING_VERSION, weights, 'ensemble.json'))).dispose();
  });
});

// A network this engine cannot rebuild (a layer class a later tfjs or engine writes) failed inside the
// engine's loadBundle, before the SDK saw the manifest's packageVersion: E_BUNDLE_CORRUPT for a newer
// bundle that only needed an upgrade. It is E_BUNDLE_INCOMPATIBLE now; from this version, corrupt.
describe('a newer medical-imaging bundle whose network this engine cannot rebuild', () => {
  /** A copy of `from` saved by `packageVersion` whose network `name` has its first Conv2D layer of a class this tfjs does not know. */
  async function futureLayer(from: string, packageVersion: string, name: string): Promise<string> {
    const dir = await edited(from, packageVersion);
    const file = join(dir, `${name}.model.json`);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('"class_name":"Conv2D"');
    const changed = text.replace('"class_name":"Conv2D"', '"class_name":"FutureConv2D"');
    await writeFile(file, changed);
    const manifestPath = join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    manifest.files[`${name}.model.json`] = createHash('sha256').update(changed).digest('hex');
    await writeFile(manifestPath, JSON.stringify(manifest));
    return dir;
  }

  it('is E_BUNDLE_INCOMPATIBLE "upgrade" for the classifier, the segmenter and an ensemble member; from this version E_BUNDLE_CORRUPT', async () => {
    const cases: [string, string, (dir: string) => Promise<unknown>][] = [
      [classifier, 'classifier', (dir) => ImageClassifier.load(dir)],
      [segmenter, 'segmenter', (dir) => ImageSegmenter.load(dir)],
    ];
    const before = tf.memory().numTensors;
    for (const [from, name, load] of cases) {
      const dir = await futureLayer(from, '9.1.0', name);
      const e = await failure(load(dir));
      expect(e.code, name).toBe('E_BUNDLE_INCOMPATIBLE');
      expect(e.message).toMatch(
        new RegExp(
          `which cannot read it \\(model '${name}' could not be rebuilt: .*FutureConv2D.*\\)\\. Upgrade @appliedml/medical-imaging to 9\\.1\\.0 or later\\.$`,
        ),
      );
      expect(
        e.message.startsWith(`Bundle ${dir} was saved by @appliedml/medical-imaging 9.1.0, newer than this ${MEDICAL_IMAGING_VERSION}`),
      ).toBe(true);
      expect(e.details).toMatchObject({ dir, packageVersion: '9.1.0', version: MEDICAL_IMAGING_VERSION });
      const same = await failure(load(await futureLayer(from, MEDICAL_IMAGING_VERSION, name)));
      expect(same.code, name).toBe('E_BUNDLE_CORRUPT');
    }
    const copy = join(root, `copy-${k++}`);
    await cp(ensemble, copy, { recursive: true });
    const member = await futureLayer(join(copy, 'member-0'), '9.1.0', 'segmenter');
    await rm(join(copy, 'member-0'), { recursive: true });
    await cp(member, join(copy, 'member-0'), { recursive: true });
    const m = await failure(SegmenterEnsemble.load(copy));
    expect(m.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(tf.memory().numTensors).toBe(before);
  });
});
