import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { readDicom } from './dicom-reader';
import { DEFLATED, PIXELS, dataSet, file } from './test-dicom-bytes';

// A deflated data set that inflated past maxBytes was told apart by zlib's message, matched against
// /maxOutputLength|buffer length/; Node 20 says "Cannot create a Buffer larger than …", so the file was
// E_INPUT_INVALID "truncated or corrupt" instead of E_INPUT_TOO_LARGE. And the same pattern matched the
// message zlib gives for an output limit above the largest Buffer (4 GiB): with maxBytes raised past
// that, every deflated file, however small, was refused as inflating past the limit. zlib's error code
// tells them apart now, and the limit zlib is given is at most the largest Buffer.

/** A deflated file of a 1024 x 1024 16-bit image: a few KB that inflate to 2 MiB. */
function largeDeflated(): Uint8Array {
  const pixelData = new Array<number>(1024 * 1024 * 2).fill(0);
  return file('part10', DEFLATED, [...deflateRawSync(Uint8Array.from(dataSet(true, [], { rows: 1024, columns: 1024, pixelData })))]);
}

async function failure(p: Promise<unknown>): Promise<AppliedMLError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
  return error as AppliedMLError;
}

describe('a deflated DICOM data set', () => {
  it('inflating past maxBytes is E_INPUT_TOO_LARGE naming the limit', async () => {
    const bytes = largeDeflated();
    expect(bytes.length).toBeLessThan(2 ** 20);
    const e = await failure(readDicom(bytes, { maxBytes: 2 ** 20 }));
    expect(e.code, e.message).toBe('E_INPUT_TOO_LARGE');
    expect(e.message).toBe(`The deflated DICOM data set inflates past the maxBytes limit of ${2 ** 20} bytes.`);
    expect(e.details).toMatchObject({ maxBytes: 2 ** 20 });
    // Within the limit it reads.
    const image = await readDicom(bytes, { maxBytes: 4 * 2 ** 20 });
    expect(image.rows).toBe(1024);
  });

  it('reads with a maxBytes above the largest Buffer', async () => {
    const small = file('part10', DEFLATED, [...deflateRawSync(Uint8Array.from(dataSet(true)))]);
    const image = await readDicom(small, { maxBytes: 2 ** 40 });
    expect(Array.from(image.frames[0]!)).toEqual(PIXELS);
  });

  it('a damaged stream is still E_INPUT_INVALID, truncated or corrupt', async () => {
    const stream = deflateRawSync(Uint8Array.from(dataSet(true)));
    const damaged = file('part10', DEFLATED, [0xff, 0xff, ...stream.subarray(2)]);
    const e = await failure(readDicom(damaged));
    expect(e.code).toBe('E_INPUT_INVALID');
    expect(e.message).toMatch(/^The DICOM data set is truncated or corrupt \(/);
  });
});
