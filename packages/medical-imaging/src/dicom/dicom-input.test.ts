import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDataset } from '@appliedml/engine';
import { DICOM_SAMPLES_DATASET } from '../datasets';
import { codeOf as code } from '../test-discs';
import { readDicom, readDicomFile } from './dicom-reader';

describe('readDicom / readDicomFile inputs', () => {
  it('anything but bytes is E_INPUT_INVALID (a number is not a length, Infinity and bigints do not escape as RangeError / TypeError)', async () => {
    for (const input of [
      Infinity,
      10n,
      42,
      -1,
      Number.NaN,
      null,
      undefined,
      'CT_small.dcm',
      {},
      [1, 2, 3],
      new Uint16Array(200),
      Symbol('x'),
    ])
      expect(await code(() => readDicom(input as never)), String(typeof input === 'symbol' ? 'symbol' : input)).toBe('E_INPUT_INVALID');
    expect(await code(() => readDicom(new Uint8Array(0)))).toBe('E_INPUT_INVALID');
    for (const path of [42, undefined, null, '', Infinity, 10n])
      expect(await code(() => readDicomFile(path as never)), String(path)).toBe('E_INPUT_INVALID');
  });

  it('a Buffer, a Uint8Array view and an ArrayBuffer all read; a null or misspelt options object is refused', async () => {
    const data = await resolveDataset(DICOM_SAMPLES_DATASET);
    const path = join(data.root, 'CT_small.dcm');
    const buffer = await readFile(path);
    const fromFile = await readDicomFile(path);
    const copy = new Uint8Array(buffer.byteLength + 8);
    copy.set(buffer, 8);
    for (const input of [buffer, copy.subarray(8), copy.buffer.slice(8)]) {
      const image = await readDicom(input);
      expect([image.rows, image.columns]).toEqual([fromFile.rows, fromFile.columns]);
      expect(image.frames[0]).toEqual(fromFile.frames[0]);
    }
    expect(await code(() => readDicom(buffer, null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => readDicom(buffer, { maxpixels: 10 } as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => readDicomFile(path, null as never))).toBe('E_INPUT_INVALID');
  });
});
