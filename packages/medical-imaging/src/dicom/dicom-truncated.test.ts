import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { readDicom } from './dicom-reader';
import { EXPLICIT, IMPLICIT, dataSet, file, type Layout } from './test-dicom-bytes';

// Review R2-2: a file cut short was reported as another problem. Cut inside the file meta header
// (`head -c 200 CT_small.dcm`), it was "meta header has no Transfer Syntax UID"; cut between two
// elements of the data set (`head -c 526 MR_small.dcm`), it was "holds no pixel data".

async function messageOf(bytes: Uint8Array): Promise<string> {
  try {
    await readDicom(bytes);
  } catch (e) {
    if (!AppliedMLError.isInstance(e)) throw e;
    expect(e.code, e.message).toBe('E_INPUT_INVALID');
    return e.message;
  }
  return 'no error';
}

describe('readDicom on a truncated file', () => {
  const prefix: Record<Layout, number> = { part10: 132, 'dicm-at-0': 4, 'meta-at-0': 0 };
  for (const layout of ['part10', 'dicm-at-0', 'meta-at-0'] as const)
    for (const [explicit, syntax] of [
      [true, EXPLICIT],
      [false, IMPLICIT],
    ] as const)
      it(`says "truncated" wherever a ${layout} ${explicit ? 'explicit' : 'implicit'} VR file is cut`, async () => {
        const whole = file(layout, syntax, dataSet(explicit));
        expect(await messageOf(whole)).toBe('no error');
        // From the first whole element of the meta group (shorter, the bytes are not known as DICOM).
        for (let cut = prefix[layout] + 12; cut < whole.length; cut++)
          expect(await messageOf(whole.subarray(0, cut)), `cut at ${cut} of ${whole.length}`).toMatch(/truncated/);
      });

  it('names where the file ends: in the meta header, right after it, or after the last element read', async () => {
    const whole = file('part10', EXPLICIT, dataSet(true));
    expect(await messageOf(whole.subarray(0, 140))).toBe(
      'The DICOM file is truncated: it ends at byte 140, inside its file meta header (group 0002).',
    );
    const metaEnd = file('part10', EXPLICIT, []).length;
    expect(await messageOf(whole.subarray(0, metaEnd))).toBe(
      `The DICOM file is truncated: it ends at byte ${metaEnd}, right after its file meta header, before any data set.`,
    );
    // Cut just before the pixel data element: the data set parses whole, only shorter.
    const pixelElement = 12 + 8; // explicit VR OW: a 12-byte header, 8 bytes of pixels
    expect(await messageOf(whole.subarray(0, whole.length - pixelElement))).toBe(
      'The DICOM file holds no pixel data (7FE0,0010): its data set ends after (0028,0103), so the file is truncated, or holds no image.',
    );
  });
});
