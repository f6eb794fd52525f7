// A dataset file whose path is '__proto__' (or any name of an Object.prototype member) is in the resolved
// `files` like any other: assigned on a plain object, '__proto__' was dropped (the setter ignores a string).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDataset, type DatasetSpec } from './resolver';
import { tempDir } from './test-helpers';

const NAMES = ['__proto__', 'constructor', 'toString', 'train.csv'];

function spec(): DatasetSpec {
  return { name: 'toy', files: NAMES.map((path) => ({ path })), howToGet: 'Toy data, made by the test.' };
}

function put(root: string): void {
  mkdirSync(root, { recursive: true });
  for (const name of NAMES) writeFileSync(join(root, name), 'x\n');
}

describe('resolveDataset: file paths named like Object.prototype members', () => {
  it.each(['data-dir', 'cache'] as const)('lists every file as an own entry of a plain object (%s)', async (source) => {
    const dataDir = tempDir();
    const cacheDir = tempDir();
    const root = join(source === 'data-dir' ? dataDir : cacheDir, 'toy');
    put(root);
    const ds = await resolveDataset(spec(), { dataDir, cacheDir, allowDownload: false, env: {} as NodeJS.ProcessEnv });
    expect(ds.source).toBe(source);
    expect(Object.keys(ds.files)).toEqual(NAMES);
    for (const name of NAMES) {
      expect(Object.hasOwn(ds.files, name)).toBe(true);
      expect(ds.files[name]).toBe(join(root, name));
    }
    // Still a plain object, whose JSON lists the same entries.
    expect(Object.getPrototypeOf(ds.files)).toBe(Object.prototype);
    expect(Object.keys(JSON.parse(JSON.stringify(ds.files)) as object)).toEqual(NAMES);
  });
});
