// Bundle file and model names that are members of Object.prototype ('toString', 'constructor', …) are
// names like any other: saveBundle refused a file so named as "given twice" (an `in` test on a plain
// object found the inherited member).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '#tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { initEngine } from '../device/engine';
import { createRng, withSeededRandom } from '../random';
import { loadBundle, saveBundle } from './bundle';

let dir: string;
beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appliedml-bundle-names-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = { package: 'p', packageVersion: '1.0.0', task: 't' };
const INHERITED = ['toString', 'constructor', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString'];

describe('bundle names like Object.prototype members', () => {
  it('files so named save and load', async () => {
    const files = Object.fromEntries(INHERITED.map((name, i) => [name, i % 2 ? `text ${name}` : new Uint8Array([i, 1, 2])]));
    const manifest = await saveBundle(join(dir, 'b'), { ...base, files });
    expect(Object.keys(manifest.files).sort()).toEqual([...INHERITED].sort());
    const loaded = await loadBundle(join(dir, 'b'));
    for (const [i, name] of INHERITED.entries())
      expect(Buffer.from(loaded.files[name] as Uint8Array)).toEqual(Buffer.from(i % 2 ? `text ${name}` : new Uint8Array([i, 1, 2])));
  });

  it('a file that is given twice (a model file of that name) is still refused', async () => {
    const model = withSeededRandom(createRng(1), () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] }));
    try {
      await expect(
        saveBundle(join(dir, 'b'), { ...base, models: { constructor: model }, files: { 'constructor.model.json': '{}' } }),
      ).rejects.toMatchObject({ code: 'E_INPUT_INVALID', message: "Bundle file 'constructor.model.json' is given twice." });
      const manifest = await saveBundle(join(dir, 'c'), { ...base, models: { constructor: model }, files: { constructor: 'x' } });
      expect(Object.keys(manifest.files).sort()).toEqual(['constructor', 'constructor.model.json', 'constructor.weights.bin']);
      const loaded = await loadBundle(join(dir, 'c'));
      expect(Object.keys(loaded.models)).toEqual(['constructor']);
      const rebuilt = Object.values(loaded.models)[0];
      expect(Object.hasOwn(loaded.models, 'constructor') && rebuilt?.predict).toBeTypeOf('function');
      rebuilt?.dispose();
    } finally {
      model.dispose();
    }
  });
});
