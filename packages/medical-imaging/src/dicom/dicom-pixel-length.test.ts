import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { readDicom } from './dicom-reader';
import { EXPLICIT, IMPLICIT, PIXELS, dataSet, file, recorder, u16 } from './test-dicom-bytes';
import type { ImageSpec } from './test-dicom-bytes';

const part10 = (spec: ImageSpec, pixels = PIXELS): Uint8Array => file('part10', EXPLICIT, dataSet(true, pixels, spec));

function warnings(log: ReturnType<typeof recorder>): Array<Record<string, unknown> | undefined> {
  return log.lines.filter(([level]) => level === 'warn').map(([, , fields]) => fields);
}

async function failure(bytes: Uint8Array): Promise<AppliedMLError> {
  const error = await readDicom(bytes).catch((e: unknown) => e);
  expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
  return error as AppliedMLError;
}

describe('native pixel data longer or shorter than the header says', () => {
  it('more bytes than Rows × Columns × Samples × BitsAllocated/8 × Frames: the expected ones are read and the logger warns', async () => {
    const log = recorder();
    const long = part10({ pixelData: [...PIXELS, 7, 7, 7, 7].flatMap(u16) });
    const image = await readDicom(long, { logger: log });
    expect(Array.from(image.frames[0]!)).toEqual(PIXELS);
    expect(warnings(log)).toEqual([{ expectedBytes: 8, actualBytes: 16 }]);
    const [, message] = log.lines.find(([level]) => level === 'warn')!;
    expect(message).toMatch(/16 bytes where 8 are expected/);
    // Quiet without a logger, and the same values.
    expect(Array.from((await readDicom(long)).frames[0]!)).toEqual(PIXELS);
    // Implicit VR, several frames: each frame is cut where the header says.
    const frames = [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ];
    const multi = recorder();
    const twoFrames = await readDicom(
      file('part10', IMPLICIT, dataSet(false, [], { frames: 2, pixelData: [...frames.flat(), 9, 9].flatMap(u16) })),
      { logger: multi },
    );
    expect(twoFrames.frames.map((f) => Array.from(f))).toEqual(frames);
    expect(warnings(multi)).toEqual([{ expectedBytes: 16, actualBytes: 20 }]);
  });

  it('exactly the expected bytes, or one padding byte after an odd length, give no warning; two do', async () => {
    const exact = recorder();
    await readDicom(part10({}), { logger: exact });
    expect(warnings(exact)).toEqual([]);
    // 3×1 8-bit: 3 bytes expected, the fourth pads to even.
    const odd = (pixelData: number[]): Uint8Array => part10({ rows: 1, columns: 3, bitsAllocated: 8, pixelData });
    const padded = recorder();
    const image = await readDicom(odd([10, 20, 30, 0]), { logger: padded });
    expect(Array.from(image.frames[0]!)).toEqual([10, 20, 30]);
    expect(warnings(padded)).toEqual([]);
    const over = recorder();
    await readDicom(odd([10, 20, 30, 0, 0, 0]), { logger: over });
    expect(warnings(over)).toEqual([{ expectedBytes: 3, actualBytes: 6 }]);
    // 1-bit (a SEG): 4×4 bits are 2 bytes; 4 bytes warn.
    const bits = recorder();
    const seg = await readDicom(part10({ rows: 4, columns: 4, bitsAllocated: 1, pixelData: [0b10000001, 0xff, 0, 0] }), { logger: bits });
    expect(Array.from(seg.frames[0]!)).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(warnings(bits)).toEqual([{ expectedBytes: 2, actualBytes: 4 }]);
  });

  it('fewer bytes than expected stay E_INPUT_INVALID, also when the element length claims more than the file holds', async () => {
    const short = await failure(part10({ pixelData: PIXELS.slice(0, 3).flatMap(u16) }));
    expect(short.code).toBe('E_INPUT_INVALID');
    expect(short.message).toMatch(/6 bytes where 8 are expected: the file is truncated/);
    expect(short.details).toMatchObject({ expectedBytes: 8, actualBytes: 6 });
    // The length field says 8, the file ends after 6: dicom-parser refuses it in explicit VR; in implicit VR
    // it passes the element on and the reader refuses it.
    const cutExplicit = await failure(part10({ pixelData: PIXELS.slice(0, 3).flatMap(u16), pixelLength: 8 }));
    expect(cutExplicit.code).toBe('E_INPUT_INVALID');
    const implicit = (spec: ImageSpec): Uint8Array => file('part10', IMPLICIT, dataSet(false, PIXELS, spec));
    const cut = await failure(implicit({ pixelData: PIXELS.slice(0, 3).flatMap(u16), pixelLength: 8 }));
    expect(cut.code).toBe('E_INPUT_INVALID');
    expect(cut.details).toMatchObject({ expectedBytes: 8, actualBytes: 6 });
    // 1-bit: 2 bytes expected, the length field says 2, the file holds 1 (read as zeros before).
    const bits = await failure(implicit({ rows: 4, columns: 4, bitsAllocated: 1, pixelData: [0xff], pixelLength: 2 }));
    expect(bits.code).toBe('E_INPUT_INVALID');
    expect(bits.message).toMatch(/1 bytes where 2 are expected/);
    expect(bits.details).toMatchObject({ expectedBytes: 2, actualBytes: 1 });
  });
});
