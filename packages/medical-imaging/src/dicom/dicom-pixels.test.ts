import { describe, expect, it } from 'vitest';
import { readMedicalImage } from '../image-reader';
import { codeOf as code } from '../test-discs';
import { applyWindow, dicomToColor, dicomToDisplay, dicomToModality } from './dicom-pixels';
import { readDicom } from './dicom-reader';
import { EXPLICIT, dataSet, file } from './test-dicom-bytes';

describe('DICOM pixel helpers: arguments', () => {
  it('refuse null, {} or a hand-made image missing its parts, a non-integer frame, and bad display options (E_INPUT_INVALID)', async () => {
    const bytes = file('part10', EXPLICIT, dataSet(true));
    const image = await readDicom(bytes);
    expect(dicomToDisplay(image).data.length).toBe(4);
    expect(dicomToDisplay(image, undefined).data.length).toBe(4);
    expect(dicomToDisplay(image, { voi: { center: 100, width: 200 } }).data.length).toBe(4);
    for (const bad of [null, {}, 'x', { ...image, rows: 0 }, { ...image, frames: null }, { ...image, metadata: undefined }]) {
      expect(await code(() => dicomToDisplay(bad as never)), JSON.stringify(bad)?.slice(0, 40)).toBe('E_INPUT_INVALID');
      expect(await code(() => dicomToModality(bad as never))).toBe('E_INPUT_INVALID');
      expect(await code(() => dicomToColor(bad as never))).toBe('E_INPUT_INVALID');
    }
    expect(await code(() => dicomToModality(image, 'x' as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => dicomToDisplay(image, null as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => dicomToDisplay(image, { frames: 0 } as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => dicomToDisplay(image, { voi: 'bogus' } as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => dicomToDisplay(image, { voi: null } as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => dicomToDisplay(image, { voi: { centre: 40, width: 400 } } as never))).toBe('E_INPUT_INVALID');
    expect(await code(() => readMedicalImage(bytes, { voi: 'bogus' } as never))).toBe('E_INPUT_INVALID');
  });

  it('applyWindow refuses values that are not an array', async () => {
    expect(Array.from(applyWindow(new Float32Array([-1000, 1000]), 40, 400))).toEqual([0, 1]);
    for (const bad of [null, undefined, 5, 'ab', { length: 2 }])
      expect(await code(() => applyWindow(bad as never, 40, 400)), String(bad)).toBe('E_INPUT_INVALID');
  });
});
