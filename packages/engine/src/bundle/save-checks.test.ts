// saveBundle checks at save what loadBundle would refuse (review R3 E3): a bundle written, then refused
// at load as E_BUNDLE_CORRUPT, or a TypeError mid-save, is now E_INPUT_INVALID naming the field (or
// E_MODEL_DISPOSED), and nothing is written.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '#tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { initEngine } from '../device/engine';
import { AppliedMLError } from '../errors';
import { createRng, withSeededRandom } from '../random';
import { loadBundle, saveBundle } from './bundle';

let dir: string;
beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appliedml-save-checks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const dense = (): tf.LayersModel =>
  withSeededRandom(createRng(4), () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'softmax' })] }));

describe('saveBundle refuses what loadBundle would refuse, writing nothing', () => {
  it('names the field of each bad input; an existing bundle stays as it was', async () => {
    const model = dense();
    const nan = dense();
    nan.setWeights([tf.fill([4, 3], NaN), tf.zeros([3])]);
    const inf = dense();
    inf.setWeights([tf.zeros([4, 3]), tf.tensor1d([0, -Infinity, 0])]);
    const disposed = dense();
    disposed.dispose();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const good = { package: 'p', packageVersion: '1.0.0', task: 't', models: { main: model } };
    const target = join(dir, 'bundle');
    await saveBundle(target, { ...good, labels: ['a', 'b', 'c'] });
    const before = await readFile(join(target, 'manifest.json'), 'utf8');
    const cases: [string, unknown, string, string][] = [
      ['input null', null, 'E_INPUT_INVALID', 'input'],
      ['task missing', { package: 'p', packageVersion: '1.0.0', models: { main: model } }, 'E_INPUT_INVALID', 'task'],
      ['package a number', { ...good, package: 5 }, 'E_INPUT_INVALID', 'package'],
      ['packageVersion empty', { ...good, packageVersion: '' }, 'E_INPUT_INVALID', 'packageVersion'],
      ['labels numbers', { ...good, labels: [1, 2, 3] }, 'E_INPUT_INVALID', 'labels'],
      ['metrics a string', { ...good, metrics: { acc: 'high' } }, 'E_INPUT_INVALID', 'metrics.acc'],
      ['metrics a list', { ...good, metrics: [0.5] }, 'E_INPUT_INVALID', 'metrics'],
      ['preprocessing BigInt', { ...good, preprocessing: { n: 1n } }, 'E_INPUT_INVALID', 'preprocessing'],
      ['config circular', { ...good, config: circular }, 'E_INPUT_INVALID', 'config'],
      ['not a model', { ...good, models: { main: {} } }, 'E_INPUT_INVALID', 'model'],
      ['disposed model', { ...good, models: { main: disposed } }, 'E_MODEL_DISPOSED', 'model'],
      ['NaN weights', { ...good, models: { main: nan } }, 'E_INPUT_INVALID', 'models.main'],
      ['-Infinity bias', { ...good, models: { main: model, second: inf } }, 'E_INPUT_INVALID', 'models.second'],
      ['file a number', { ...good, files: { 'x.txt': 5 } }, 'E_INPUT_INVALID', 'files.x.txt'],
    ];
    for (const [name, bad, code, field] of cases) {
      for (const out of [target, join(dir, 'fresh')]) {
        const err = await saveBundle(out, bad as never).then(
          () => 'saved',
          (e: unknown) => e,
        );
        expect(AppliedMLError.hasCode(err, code as never), `${name}: ${String(err)}`).toBe(true);
        expect((err as AppliedMLError).details.field, name).toBe(field);
      }
      expect(await readFile(join(target, 'manifest.json'), 'utf8'), name).toBe(before);
      expect(await readdir(dir), name).toEqual(['bundle']);
    }
    const nanErr = (await saveBundle(target, { ...good, models: { main: nan } }).catch((e: unknown) => e)) as AppliedMLError;
    expect(nanErr.message).toMatch(
      /^saveBundle: model 'main' holds NaN in weight '[^']+\/kernel' \(value 1\); a bundle with it would not load/,
    );
    // The bundle there is the good one, whole.
    const loaded = await loadBundle(target);
    expect(loaded.manifest.labels).toEqual(['a', 'b', 'c']);
    Object.values(loaded.models).forEach((m) => m.dispose());
    [model, nan, inf].forEach((m) => m.dispose());
  });
});

describe('metrics left undefined and files given as typed arrays (review R5-3)', () => {
  const base = { package: 'p', packageVersion: '1.0.0', task: 't' };

  it('a metric whose value is undefined is left out, as JSON leaves it (it was refused since the save checks)', async () => {
    const target = join(dir, 'bundle');
    // ClassificationMetrics' optional fields, read from JavaScript: { sensitivity: undefined }.
    const saved = await saveBundle(target, { ...base, metrics: { auc: 0.9, sensitivity: undefined } });
    expect(saved.metrics).toEqual({ auc: 0.9 });
    expect(Object.keys(saved.metrics ?? {})).toEqual(['auc']);
    expect((await loadBundle(target)).manifest.metrics).toEqual({ auc: 0.9 });
    // Still refused: a metric of another type, naming it.
    const err = (await saveBundle(target, { ...base, metrics: { auc: null } } as never).catch((e: unknown) => e)) as AppliedMLError;
    expect(err).toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'metrics.auc' } });
  });

  it('any typed array, Buffer or DataView is a file of its bytes as stored; other objects are refused naming their type', async () => {
    const target = join(dir, 'bundle');
    const doubles = new Float64Array([1, -2.5]);
    const words = new Uint16Array([1, 2, 3, 4]).subarray(1, 3); // a view into a larger buffer: its own bytes only
    const view = new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2);
    await saveBundle(target, {
      ...base,
      files: { 'd.bin': doubles, 'w.bin': words, 'v.bin': view, 'b.bin': Buffer.from([1, 2]), 't.txt': 'text' },
    });
    const loaded = await loadBundle(target);
    const bytesOf = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    expect(Buffer.from(loaded.files['d.bin']!)).toEqual(bytesOf(doubles));
    expect(new Float64Array(new Uint8Array(loaded.files['d.bin']!).buffer)).toEqual(doubles);
    expect(Buffer.from(loaded.files['w.bin']!)).toEqual(bytesOf(words));
    expect([...loaded.files['v.bin']!]).toEqual([8, 7]);
    expect([...loaded.files['b.bin']!]).toEqual([1, 2]);
    expect(Buffer.from(loaded.files['t.txt']!).toString('utf8')).toBe('text');
    for (const [bad, kind] of [
      [new ArrayBuffer(4), 'an ArrayBuffer; wrap it: new Uint8Array(buffer)'],
      [new Map(), 'a Map'],
      [new URL('https://example.com/w.bin'), 'a URL'], // said 'an URL'
      [new SharedArrayBuffer(4), 'a SharedArrayBuffer; wrap it: new Uint8Array(buffer)'],
      [{ 0: 1 }, 'an object {"0":1}'],
      [[1, 2], 'an array [1,2]'],
      [7, 'a number 7'],
      [null, 'null'],
    ] as const) {
      const err = (await saveBundle(join(dir, 'fresh'), { ...base, files: { 'x.bin': bad } } as never).catch(
        (e: unknown) => e,
      )) as AppliedMLError;
      expect(err).toMatchObject({ code: 'E_INPUT_INVALID', details: { field: 'files.x.bin' } });
      expect(err.message).toBe(`saveBundle: file 'x.bin' must be bytes (a Uint8Array, Buffer or other typed array) or text (got ${kind}).`);
    }
    expect(await readdir(dir)).toEqual(['bundle']);
  });
});

describe('misspelt names', () => {
  it("saveBundle's field and loadBundle's option are refused, not ignored ({ tasks: 'fraud' } loaded a churn bundle)", async () => {
    const model = dense();
    const target = join(dir, 'churn');
    const good = { package: 'p', packageVersion: '1.0.0', task: 'churn', models: { main: model } };
    const saveError = (await saveBundle(target, { ...good, labelz: ['a', 'b', 'c'] } as never).catch((e: unknown) => e)) as AppliedMLError;
    expect(AppliedMLError.hasCode(saveError, 'E_INPUT_INVALID'), String(saveError)).toBe(true);
    expect(saveError.message).toBe(
      "saveBundle input has no option 'labelz'; valid: package, packageVersion, task, models, labels, preprocessing, config, metrics, files.",
    );
    expect(await readdir(dir)).toEqual([]);
    await saveBundle(target, good);
    const loadError = (await loadBundle(target, { tasks: 'fraud' } as never).catch((e: unknown) => e)) as AppliedMLError;
    expect(AppliedMLError.hasCode(loadError, 'E_INPUT_INVALID'), String(loadError)).toBe(true);
    expect(loadError.message).toBe("loadBundle options has no option 'tasks'; valid: package, task, readerVersion.");
    await expect(loadBundle(target, { task: 'fraud' })).rejects.toMatchObject({ code: 'E_BUNDLE_INCOMPATIBLE' });
    model.dispose();
  });
});

describe('names that are not plain file names', () => {
  it("a model or file name such as '../x' is E_INPUT_INVALID at save (it was E_BUNDLE_CORRUPT, as if a bundle were damaged)", async () => {
    const model = dense();
    const good = { package: 'p', packageVersion: '1.0.0', task: 't' };
    const cases: [unknown, string][] = [
      [{ ...good, models: { '../x': model } }, 'models.../x'],
      [{ ...good, models: { '': model } }, 'models.'],
      [{ ...good, files: { '../escape.txt': 'x' } }, 'files.../escape.txt'],
      [{ ...good, files: { 'manifest.json': '{}' } }, 'files.manifest.json'],
    ];
    for (const [bad, field] of cases) {
      const error = (await saveBundle(join(dir, 'b'), bad as never).catch((e: unknown) => e)) as AppliedMLError;
      expect(AppliedMLError.hasCode(error, 'E_INPUT_INVALID'), String(error)).toBe(true);
      expect(error.message).toMatch(/^saveBundle: (model|file) name ".*" is not a plain file name/);
      expect(error.details.field).toBe(field);
    }
    expect(await readdir(dir)).toEqual([]);
    model.dispose();
  });

  it('a 117-character model name is refused at save: its weights file would be 129 characters, which the load refuses as damage', async () => {
    const model = dense();
    const good = { package: 'p', packageVersion: '1.0.0', task: 't' };
    const long = (await saveBundle(join(dir, 'b'), { ...good, models: { ['m'.repeat(117)]: model } }).catch(
      (e: unknown) => e,
    )) as AppliedMLError;
    expect(AppliedMLError.hasCode(long, 'E_INPUT_INVALID'), String(long)).toBe(true);
    expect(long.message).toContain('at most 116 characters');
    await saveBundle(join(dir, 'ok'), { ...good, models: { ['m'.repeat(116)]: model } });
    const loaded = await loadBundle(join(dir, 'ok'));
    expect(loaded.models['m'.repeat(116)]).toBeDefined();
    Object.values(loaded.models).forEach((m) => m.dispose());
    model.dispose();
  });
});
