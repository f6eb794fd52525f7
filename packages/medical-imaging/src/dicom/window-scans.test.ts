// dicomToDisplay windows the reader's own values without scanning them again (they are never NaN or
// ±Infinity, and its window was checked on the way in); applyWindow, the public entry, still checks both.
import { describe, expect, it, vi } from 'vitest';
import * as preprocess from '../preprocess';
import { codeOf as code } from '../test-discs';
import { applyWindow, dicomToDisplay } from './dicom-pixels';
import { readDicom } from './dicom-reader';
import { EXPLICIT, dataSet, file } from './test-dicom-bytes';

vi.mock('../preprocess', async (importOriginal) => {
  const original = await importOriginal<typeof import('../preprocess')>();
  return { ...original, checkValues: vi.fn(original.checkValues) };
});

describe('DICOM windowing: checks once, at the entry', () => {
  it('dicomToDisplay does not scan the values it windows; applyWindow does, and still refuses NaN and a bad window', async () => {
    const image = await readDicom(file('part10', EXPLICIT, dataSet(true)));
    const scans = vi.mocked(preprocess.checkValues);
    scans.mockClear();
    expect(dicomToDisplay(image, { voi: { center: 100, width: 200 } }).data.length).toBe(4);
    expect(dicomToDisplay(image).data.length).toBe(4);
    expect(scans).not.toHaveBeenCalled();
    expect(Array.from(applyWindow(new Float32Array([0, 100, 200]), 100, 200, 'LINEAR_EXACT'))).toEqual([0, 0.5, 1]);
    expect(scans).toHaveBeenCalledTimes(1);
    expect(await code(() => applyWindow(new Float32Array([0, NaN]), 100, 200))).toBe('E_INPUT_INVALID');
    expect(await code(() => applyWindow(new Float32Array([0, 1]), 100, 0))).toBe('E_INPUT_INVALID');
    expect(await code(() => dicomToDisplay(image, { voi: { center: 100, width: 0 } }))).toBe('E_INPUT_INVALID');
  });
});
