import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import { incompatibleIfNewer } from './newer-version';
import { anyValueFields, eachEntry, unknownBundleParts, unknownPartsError } from './unknown-parts';
import type { KnownBundleParts } from './unknown-parts';

// Four SDKs each walked a newer bundle for the names they do not know, each their own way (fraud,
// medical imaging, speech, text). One walk now, here.

const known: KnownBundleParts = {
  config: { kind: true, augmentation: ['flip', 'rotate'], trees: eachEntry(['feature', 'value']) },
  preprocessing: { size: true, columns: eachEntry({ name: true, scale: ['mean', 'sd'] }), byName: eachEntry(['mean']) },
  files: { 'state.json': { kind: true, forest: { trees: eachEntry(['left', 'right']) } }, 'weights.bin': true },
  models: ['main'],
};

const bundle = (packageVersion: unknown) => ({
  manifest: {
    packageVersion,
    config: {
      kind: 'x',
      loss: 'focal',
      augmentation: { flip: true, elastic: 0.2 },
      trees: [{ feature: [1] }, { feature: [1], gain: [2] }, { feature: [0], gain: [1], cover: [3] }],
    },
    preprocessing: {
      size: 4,
      clahe: { clip: 2 },
      columns: [{ name: 'a', scale: { mean: 0, sd: 1, robust: true }, bins: 3 }, { name: 'b' }],
      byName: { amount: { mean: 1, median: 2 }, hour: { mean: 1, median: 3 } },
    },
  },
  files: {
    'state.json': Buffer.from(JSON.stringify({ kind: 'f', version: 2, forest: { trees: [{ left: [], right: [], missing: [] }] } })),
    'weights.bin': Buffer.from([1, 2, 3]),
    'broken.json': Buffer.from('{'),
    'calibration.bin': new Uint8Array([0]),
  },
  models: { main: {}, refiner: {} },
});

describe('unknownBundleParts', () => {
  it('in a newer bundle, names every field, nested field, entry field, file and network this version does not know', () => {
    expect(unknownBundleParts(bundle('9.1.0'), '1.2.3', known)).toEqual([
      'config.loss',
      'config.augmentation.elastic',
      'config.trees[1].gain',
      'config.trees[2].cover',
      'preprocessing.clahe',
      'preprocessing.columns[0].scale.robust',
      'preprocessing.columns[0].bins',
      'preprocessing.byName.amount.median',
      'state.json version',
      'state.json forest.trees[0].missing',
      "file 'broken.json'",
      "file 'calibration.bin'",
      "network 'refiner'",
    ]);
  });

  it('is empty for a bundle of this version, an earlier one or one with no readable version', () => {
    for (const version of ['1.2.3', '1.2.2', '0.9.9', 'not a version', undefined, 9])
      expect(unknownBundleParts(bundle(version), '1.2.3', known), String(version)).toEqual([]);
  });

  it('looks only at the parts it is given, with the names they start with', () => {
    const b = bundle('9.1.0');
    expect(unknownBundleParts(b, '1.2.3', { config: known.config!, names: { config: '' } })).toEqual([
      'loss',
      'augmentation.elastic',
      'trees[1].gain',
      'trees[2].cover',
    ]);
    expect(unknownBundleParts(b, '1.2.3', { preprocessing: ['size', 'columns', 'byName'], names: { preprocessing: 'pre' } })).toEqual([
      'pre.clahe',
    ]);
    expect(unknownBundleParts({ manifest: b.manifest }, '1.2.3', { files: {}, models: [] })).toEqual([]);
  });

  it('a value of another shape than the known one is not looked into, and names such as constructor are unknown', () => {
    const b = { manifest: { packageVersion: '2.0.0', config: { augmentation: 5, trees: { a: 1 }, constructor: 1, __proto__x: 1 } } };
    expect(unknownBundleParts(b, '1.0.0', { config: known.config! })).toEqual(['config.constructor', 'config.__proto__x']);
    const parsed = { manifest: { packageVersion: '2.0.0', config: JSON.parse('{"__proto__": {"x": 1}, "kind": 1}') as unknown } };
    expect(unknownBundleParts(parsed, '1.0.0', { config: known.config! })).toEqual(['config.__proto__']);
  });
});

// Text and speech spelt "these fields, any value" as Object.fromEntries(KEYS.map((key) => [key, true])),
// fraud and medical imaging as their own anyValue(KEYS), traffic as a literal of `true`s: one helper.
describe('anyValueFields', () => {
  it('is each name as a field whose value is not looked into, to spread beside fields described further', () => {
    expect(anyValueFields(['kind', 'size'])).toEqual({ kind: true, size: true });
    expect(anyValueFields([])).toEqual({});
    const shape: KnownBundleParts = { config: { ...anyValueFields(['kind', 'loss']), augmentation: ['flip'] } };
    // Known with any value: loss's inner fields are not looked into; augmentation's are.
    const b = {
      manifest: { packageVersion: '2.0.0', config: { kind: 1, loss: { focal: 2 }, augmentation: { flip: 1, elastic: 1 }, x: 1 } },
    };
    expect(unknownBundleParts(b, '1.0.0', shape)).toEqual(['config.augmentation.elastic', 'config.x']);
  });

  it('knows a field named __proto__ or constructor as its own, as the spelt-out copies did', () => {
    const fields = anyValueFields(['__proto__', 'constructor']);
    expect(Object.keys(fields)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    const parsed = JSON.parse('{"packageVersion": "2.0.0", "config": {"__proto__": {"a": 1}, "constructor": 1, "y": 1}}') as {
      config: unknown;
    };
    expect(unknownBundleParts({ manifest: parsed }, '1.0.0', { config: fields })).toEqual(['config.y']);
  });
});

describe('unknownPartsError', () => {
  it('is E_BUNDLE_CORRUPT naming the first ten, with all in details.unknown', () => {
    const names = Array.from({ length: 12 }, (_, i) => `config.f${i}`);
    const e = unknownPartsError('/b', names, 'Fraud bundle');
    expect(e.code).toBe('E_BUNDLE_CORRUPT');
    expect(e.message).toBe(`Fraud bundle /b: it holds what this version does not know: ${names.slice(0, 10).join(', ')} and 2 more.`);
    expect(e.details).toEqual({ dir: '/b', unknown: names });
    expect(unknownPartsError('/b', ['config.loss']).message).toBe('Bundle /b: it holds what this version does not know: config.loss.');
  });

  it('incompatibleIfNewer turns it into E_BUNDLE_INCOMPATIBLE keeping details.unknown', () => {
    const e = incompatibleIfNewer(unknownPartsError('/b', ['config.loss']), {
      dir: '/b',
      package: '@appliedml/x',
      saved: '9.1.0',
      running: '1.0.0',
    }) as AppliedMLError;
    expect(e.code).toBe('E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toBe(
      'Bundle /b was saved by @appliedml/x 9.1.0, newer than this 1.0.0, which cannot read it (it holds what this version does not know: config.loss). Upgrade @appliedml/x to 9.1.0 or later.',
    );
    expect(e.details).toMatchObject({ dir: '/b', unknown: ['config.loss'], packageVersion: '9.1.0' });
  });
});
