// Options objects of the dataset functions (API fuzz F12): null, a number or a list is E_INPUT_INVALID
// naming the function before anything is opened or allocated; undefined still means the defaults.
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import { readCsv, readCsvAll, readNumericMatrix } from './csv';
import { downloadFile } from './download';
import { parseNpy, readNpy, writeNpy } from './npy';
import { parseNpz, readNpz } from './npz';
import { resolveDataset } from './resolver';
import { chronologicalSplit, kFold, trainTestSplit } from './split';

async function codeOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
    return 'no error';
  } catch (e) {
    return AppliedMLError.isInstance(e) ? `${e.code}: ${e.message}` : `untyped ${String(e)}`;
  }
}

const csv = Buffer.from('a,b\n1,2\n');
const npy = writeNpy({ data: [1, 2], dtype: 'float32' });
const spec = { name: 'ds', files: [{ path: 'a.csv' }], howToGet: 'by hand' };

describe('options objects of the dataset functions', () => {
  it.each([null, 5, 'x', [1]])('refuse %j with E_INPUT_INVALID naming the function', async (bad) => {
    const cases: [string, () => unknown][] = [
      ['trainTestSplit', () => trainTestSplit(10, bad as never)],
      ['kFold', () => kFold(10, bad as never)],
      ['chronologicalSplit', () => chronologicalSplit(10, bad as never)],
      [
        'readCsv',
        async () => {
          for await (const _ of readCsv(csv, bad as never));
        },
      ],
      ['readCsvAll', () => readCsvAll(csv, bad as never)],
      ['readNumericMatrix', () => readNumericMatrix(csv, bad as never)],
      ['parseNpy', () => parseNpy(npy, bad as never)],
      ['readNpy', () => readNpy('/nonexistent.npy', bad as never)],
      ['writeNpy', () => writeNpy({ data: [1] }, bad as never)],
      ['parseNpz', () => parseNpz(new Uint8Array(22), bad as never)],
      ['readNpz', () => readNpz('/nonexistent.npz', bad as never)],
      ['resolveDataset', () => resolveDataset(spec, bad as never)],
      ['downloadFile', () => downloadFile('http://127.0.0.1:1/x', '/nonexistent/dir/x', bad as never)],
    ];
    for (const [name, fn] of cases)
      expect(await codeOf(fn), name).toMatch(new RegExp(`^E_INPUT_INVALID: ${name} options must be an object`));
  });

  it('refuse an option name they do not know, listing the valid ones (a misspelt one was ignored)', async () => {
    const cases: [string, string, () => unknown][] = [
      ['trainTestSplit', 'testfraction', () => trainTestSplit(10, { testFraction: 0.2, testfraction: 0.5 } as never)],
      ['kFold', 'stratified', () => kFold(10, { k: 2, stratified: [] } as never)],
      ['chronologicalSplit', 'valfraction', () => chronologicalSplit(10, { trainFraction: 0.8, valfraction: 0.1 } as never)],
      [
        'readCsv',
        'delimeter',
        async () => {
          for await (const _ of readCsv(csv, { delimeter: ';' } as never));
        },
      ],
      ['readCsvAll', 'heading', () => readCsvAll(csv, { heading: false } as never)],
      ['readNumericMatrix', 'allowmissing', () => readNumericMatrix(csv, { allowmissing: true } as never)],
      ['resolveDataset', 'allowdownload', () => resolveDataset(spec, { allowdownload: true } as never)],
      ['downloadFile', 'timeout', () => downloadFile('http://127.0.0.1:1/x', '/nonexistent/dir/x', { timeout: 5 } as never)],
      ['parseNpy', 'maxbytes', () => parseNpy(npy, { maxbytes: 1 } as never)],
      ['readNpy', 'int46', () => readNpy('/nonexistent.npy', { int46: 'bigint' } as never)],
      ['writeNpy', 'endian', () => writeNpy({ data: [1] }, { endian: 'big' } as never)],
      ['parseNpz', 'key', () => parseNpz(new Uint8Array(22), { key: ['x'] } as never)],
      ['readNpz', 'maxUncompressed', () => readNpz('/nonexistent.npz', { maxUncompressed: 1 } as never)],
    ];
    for (const [name, key, fn] of cases)
      expect(await codeOf(fn), name).toMatch(new RegExp(`^E_INPUT_INVALID: ${name} options has no option '${key}'; valid: `));
    // Every name by itself is still taken.
    expect(
      await readNumericMatrix(csv, {
        header: true,
        delimiter: ',',
        allowMissing: true,
        missing: ['NA'],
        maxRows: 5,
        maxCells: 10,
        maxRecordChars: 100,
        rowLines: true,
      }),
    ).toMatchObject({ rows: 1 });
    expect(kFold(4, { k: 2, seed: 1, shuffle: false, stratify: [0, 1, 0, 1] })).toHaveLength(2);
    expect(chronologicalSplit(10, { trainFraction: 0.6, valFraction: 0.2 }).val).toHaveLength(2);
    // parseNpz hands each member only parseNpy's options.
    const big = writeNpy({ data: new BigInt64Array([5n]) }, { version: 1, byteOrder: 'big', fortranOrder: false });
    const arrays = parseNpz(zipSync({ 'a.npy': big, 'b.npy': npy }), {
      keys: ['a'],
      maxUncompressedBytes: 1000,
      int64: 'bigint',
      maxBytes: 100,
      maxHeaderBytes: 1000,
    });
    expect(Object.keys(arrays)).toEqual(['a']);
    expect(arrays.a!.data[0]).toBe(5n);
  });

  it('split functions with no options name the missing required field', async () => {
    expect(await codeOf(() => trainTestSplit(10, undefined as never))).toMatch(/^E_INPUT_INVALID: testFraction must be/);
    expect(await codeOf(() => kFold(10, undefined as never))).toMatch(/^E_INPUT_INVALID: kFold needs an integer k/);
    expect(await codeOf(() => chronologicalSplit(10, undefined as never))).toMatch(/^E_INPUT_INVALID: trainFraction must be/);
  });

  it('writeNpy refuses input that is not {data}, and data that is not an array', async () => {
    for (const bad of [null, 5, [1, 2]])
      expect(await codeOf(() => writeNpy(bad as never))).toMatch(/^E_INPUT_INVALID: writeNpy needs \{data/);
    for (const data of [null, 5, 'ab', {}])
      expect(await codeOf(() => writeNpy({ data: data as never, dtype: 'float32' }))).toMatch(/^E_INPUT_INVALID: writeNpy: data must be/);
  });

  it('undefined options still mean the defaults', async () => {
    expect(await readCsvAll(csv, undefined)).toHaveLength(1);
    expect((await readNumericMatrix(csv, undefined)).rows).toBe(1);
    expect(parseNpy(npy, undefined).shape).toEqual([2]);
    expect(writeNpy({ data: [1] }, undefined).length).toBeGreaterThan(0);
  });
});
