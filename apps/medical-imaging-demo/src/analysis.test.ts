import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { resolveDataset } from '@appliedml/engine';
import * as sdk from '@appliedml/medical-imaging';
import { analyse } from './analysis';
import { grayTiff } from './test-model';

// A frame past a DICOM file's last: the service read the whole file a second time (every frame decoded
// again) only to count its frames, since the SDK's "Frame N does not exist" had no details. The SDK now
// gives details.frame / details.frames, and the upload is read once.

vi.mock('@appliedml/medical-imaging', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@appliedml/medical-imaging')>();
  return { ...actual, readMedicalImage: vi.fn(actual.readMedicalImage) };
});

describe('analyse: a frame past the last', () => {
  it('says how many frames the file has from one read of the upload', async () => {
    const mri = await readFile(join((await resolveDataset(sdk.DICOM_SAMPLES_DATASET)).root, 'emri_small.dcm'));
    const reads = vi.mocked(sdk.readMedicalImage);
    reads.mockClear();
    const error = await analyse({ description: 'none' }, mri, { frame: 10 }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'E_INPUT_INVALID',
      message: 'frame 10 is out of range: this DICOM file has 10 frames, numbered 0 to 9.',
      details: { field: 'frame', frame: 10, frames: 10 },
    });
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('says a one-frame file\'s numbering as one frame (it said "numbered 0 to 0")', async () => {
    const mr = await readFile(join((await resolveDataset(sdk.DICOM_SAMPLES_DATASET)).root, 'MR_small.dcm'));
    const error = await analyse({ description: 'none' }, mr, { frame: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'E_INPUT_INVALID',
      message: 'frame 1 is out of range: this DICOM file has 1 frame, numbered 0.',
      details: { field: 'frame', frame: 1, frames: 1 },
    });
  });

  // ff18757: a multi-page TIFF's pages are frames too, and a page past the last carries `frames`: the
  // service said "this DICOM file has 2 frames" of a TIFF stack.
  it('names a TIFF stack and its pages, not a DICOM file', async () => {
    const page = (k: number) => ({ width: 16, height: 16, samples: Uint16Array.from({ length: 256 }, (_, i) => i * 16 + k) });
    const stack = grayTiff(page(0), page(1));
    const error = await analyse({ description: 'none' }, stack, { frame: 2 }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'E_INPUT_INVALID',
      message: 'frame 2 is out of range: this TIFF file has 2 pages, numbered 0 to 1.',
      details: { field: 'frame', frame: 2, frames: 2, format: 'tiff' },
    });
    // A page that is there is analysed, and the answer says which of how many.
    const second = await analyse({ description: 'none' }, stack, { frame: 1 });
    expect(second).toMatchObject({ format: 'tiff', frames: 2, frame: 1 });
    expect(second.dicom).toBeUndefined();
    // One image: a frame asked of it names both kinds of file that have more.
    const single = await analyse({ description: 'none' }, grayTiff(page(0)), { frame: 1 }).catch((e: unknown) => e);
    expect(single).toMatchObject({
      message: 'frame applies to DICOM files and multi-page TIFFs; this upload is a TIFF image with one frame (leave frame out).',
    });
  });
});
