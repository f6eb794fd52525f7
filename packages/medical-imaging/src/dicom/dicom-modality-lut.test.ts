// A Modality LUT Sequence (0028,3000) in place of RescaleSlope / RescaleIntercept (some CR, XA and US
// files): it was ignored, so dicomToModality gave the stored values and the file's window, written for
// the LUT's output, was applied to them. The reader now keeps it (metadata.modalityLut) and
// dicomToModality / dicomToDisplay map each stored value through it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { readMedicalImage } from '../image-reader';
import { applyWindow, dicomToDisplay, dicomToModality } from './dicom-pixels';
import { readDicom } from './dicom-reader';
import { EXPLICIT, IMPLICIT, encode, file, text, u16, u32 } from './test-dicom-bytes';
import type { El } from './test-dicom-bytes';

interface LutSpec {
  first: number;
  data: number[];
  /** The descriptor's entry count (default data.length; 0 means 65536). */
  entries?: number;
  /** The descriptor's bits an entry (default 16). */
  bits?: number;
  /** How LUT Data is written: 16-bit words (default) or one byte an entry (padded to even). */
  packing?: 'words' | 'bytes';
  descriptorVr?: 'US' | 'SS';
  dataVr?: 'US' | 'OW';
}

interface CrSpec {
  explicit?: boolean;
  signed?: boolean;
  /** RescaleSlope and RescaleIntercept written beside the LUT. */
  rescale?: [slope: string, intercept: string];
  /** A VOI LUT Sequence (0028,3010) instead of a Modality LUT Sequence. */
  sequence?: 'modality' | 'voi';
}

function lutItem(lut: LutSpec, explicit: boolean): number[] {
  const bytes = lut.packing === 'bytes' ? (lut.data.length % 2 ? [...lut.data, 0] : lut.data) : lut.data.flatMap(u16);
  return encode(
    [
      [
        0x0028,
        0x3002,
        lut.descriptorVr ?? 'US',
        [...u16(lut.entries ?? lut.data.length), ...u16(lut.first & 0xffff), ...u16(lut.bits ?? 16)],
      ],
      [0x0028, 0x3006, lut.dataVr ?? 'US', bytes],
    ],
    explicit,
  );
}

/** A 2×2 16-bit CR image with a window of 250 / 200 and, when given, a Modality LUT Sequence. */
function crWithLut(pixels: number[], lut: LutSpec | undefined, spec: CrSpec | boolean = {}): Uint8Array {
  const { explicit = true, signed = false, rescale, sequence: which = 'modality' } = typeof spec === 'boolean' ? { explicit: spec } : spec;
  const item = lut ? lutItem(lut, explicit) : [];
  const tag = which === 'voi' ? 0x3010 : 0x3000;
  const sequence: El[] = lut ? [[0x0028, tag, 'SQ', [...u16(0xfffe), ...u16(0xe000), ...u32(item.length), ...item]]] : [];
  const body = encode(
    [
      [0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.1', 0)],
      [0x0008, 0x0060, 'CS', text('CR')],
      [0x0028, 0x0002, 'US', u16(1)],
      [0x0028, 0x0004, 'CS', text('MONOCHROME2')],
      [0x0028, 0x0010, 'US', u16(2)],
      [0x0028, 0x0011, 'US', u16(2)],
      [0x0028, 0x0100, 'US', u16(16)],
      [0x0028, 0x0101, 'US', u16(12)],
      [0x0028, 0x0102, 'US', u16(11)],
      [0x0028, 0x0103, 'US', u16(signed ? 1 : 0)],
      [0x0028, 0x1050, 'DS', text('250')],
      [0x0028, 0x1051, 'DS', text('200')],
      ...(rescale
        ? ([
            [0x0028, 0x1052, 'DS', text(rescale[1])],
            [0x0028, 0x1053, 'DS', text(rescale[0])],
          ] as El[])
        : []),
      ...sequence,
      [0x7fe0, 0x0010, 'OW', pixels.flatMap((p) => u16(p & 0xffff))],
    ],
    explicit,
  );
  return file('part10', explicit ? EXPLICIT : IMPLICIT, body);
}

async function refusal(bytes: Uint8Array): Promise<AppliedMLError> {
  const error = await readDicom(bytes).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppliedMLError);
  return error as AppliedMLError;
}

describe('Modality LUT Sequence', () => {
  it('maps each stored value through the LUT (clamped to its ends), in explicit and implicit VR; the window applies to its output', async () => {
    for (const explicit of [true, false]) {
      const image = await readDicom(crWithLut([9, 10, 12, 20], { first: 10, data: [100, 200, 300, 400] }, explicit));
      expect(image.metadata.modalityLut).toEqual({ firstMapped: 10, bits: 16, data: [100, 200, 300, 400] });
      const modality = dicomToModality(image);
      expect(Array.from(modality)).toEqual([100, 100, 300, 400]); // the stored values were [9, 10, 12, 20]
      expect(Array.from(dicomToDisplay(image).data)).toEqual(Array.from(applyWindow(modality, 250, 200)));
      expect(Array.from(dicomToDisplay(image).data)).toEqual([0, 0, expect.closeTo(0.75, 2), 1]);
    }
  });

  it('a file without one is rescaled as before', async () => {
    const image = await readDicom(crWithLut([9, 10, 12, 20], undefined));
    expect(image.metadata.modalityLut).toBeUndefined();
    expect(Array.from(dicomToModality(image))).toEqual([9, 10, 12, 20]);
  });

  it('8-bit entries, one a byte (an odd count padded) or one a 16-bit word', async () => {
    const bytes = await readDicom(crWithLut([0, 1, 2, 3], { first: 0, bits: 8, data: [10, 20, 30, 40], packing: 'bytes', dataVr: 'OW' }));
    expect(Array.from(dicomToModality(bytes))).toEqual([10, 20, 30, 40]);
    const padded = await readDicom(crWithLut([0, 1, 2, 3], { first: 0, bits: 8, data: [10, 20, 30], packing: 'bytes', dataVr: 'OW' }));
    expect(padded.metadata.modalityLut?.data).toEqual([10, 20, 30]);
    expect(Array.from(dicomToModality(padded))).toEqual([10, 20, 30, 30]);
    const words = await readDicom(crWithLut([0, 1, 2, 3], { first: 0, bits: 8, data: [10, 20, 30, 40] }));
    expect(Array.from(dicomToModality(words))).toEqual([10, 20, 30, 40]);
  });

  it('a signed first mapped value on signed pixels (SS or US descriptor, explicit or implicit VR)', async () => {
    for (const [explicit, descriptorVr] of [
      [true, 'SS'],
      [true, 'US'],
      [false, 'US'],
    ] as const) {
      const image = await readDicom(
        crWithLut([-3, -2, 0, 5], { first: -2, data: [100, 200, 300, 400], descriptorVr }, { explicit, signed: true }),
      );
      expect(image.metadata.modalityLut?.firstMapped).toBe(-2);
      expect(Array.from(dicomToModality(image))).toEqual([100, 100, 300, 400]);
    }
  });

  it('wins over a Rescale Slope / Intercept also present (whose values metadata still shows)', async () => {
    const image = await readDicom(crWithLut([0, 1, 2, 3], { first: 0, data: [100, 200, 300, 400] }, { rescale: ['2', '-1000'] }));
    expect(image.metadata).toMatchObject({ rescaleSlope: 2, rescaleIntercept: -1000 });
    expect(Array.from(dicomToModality(image))).toEqual([100, 200, 300, 400]);
  });

  it("is not applied to an enhanced multi-frame object whose frames carry their own rescale (metadata.perFrame): the frame's rescale is", async () => {
    const image = await readDicom(crWithLut([0, 1, 2, 3], { first: 0, data: [100, 200, 300, 400] }));
    // As the reader gives it for a multi-frame file with Per-frame Functional Groups.
    const enhanced = { ...image, metadata: { ...image.metadata, perFrame: [{ rescaleSlope: 2, rescaleIntercept: -1 }] } };
    expect(Array.from(dicomToModality(enhanced))).toEqual([-1, 1, 3, 5]);
  });

  // LUT Data that does not match its descriptor was read one byte an entry, or on past the element into
  // the bytes after it (the Pixel Data header): [100, 0, 200, 1] for 8 entries described, 4 written.
  it('LUT Data of another length than its descriptor says is E_INPUT_INVALID naming the sequence, never read past', async () => {
    const cases: Array<[LutSpec, number, number]> = [
      [{ first: 0, entries: 8, data: [100, 200, 300, 400] }, 8, 8],
      [{ first: 0, entries: 0, data: [100, 200, 300, 400] }, 65536, 8],
      [{ first: 0, entries: 3, data: [100, 200, 300, 400] }, 3, 8],
      [{ first: 0, entries: 6, bits: 8, data: [10, 20, 30, 40], packing: 'bytes' }, 6, 4],
    ];
    for (const [lut, entries, bytes] of cases)
      for (const explicit of [true, false]) {
        const error = await refusal(crWithLut([0, 1, 2, 7], lut, explicit));
        expect(error.code).toBe('E_INPUT_INVALID');
        expect(error.message).toContain('Modality LUT Sequence (0028,3000)');
        expect(error.message).toContain('LUT Data (0028,3006)');
        expect(error.details).toMatchObject({ field: 'LUT Data', entries, bytes });
      }
  });

  it('read from a path, the refusal names the file too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modality-lut-'));
    try {
      const path = join(dir, 'short-lut.dcm');
      writeFileSync(path, crWithLut([0, 1, 2, 3], { first: 0, entries: 8, data: [100, 200, 300, 400] }));
      const error = await readMedicalImage(path).then(
        () => undefined,
        (e: unknown) => e as AppliedMLError,
      );
      expect(error?.code).toBe('E_INPUT_INVALID');
      expect(error?.message).toContain('short-lut.dcm');
      expect(error?.message).toContain('Modality LUT Sequence (0028,3000)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the VOI LUT Sequence gets the same check', async () => {
    const good = await readDicom(crWithLut([0, 1, 2, 3], { first: 0, data: [0, 1000, 2000, 4095] }, { sequence: 'voi' }));
    expect(good.metadata.voiLut?.data).toEqual([0, 1000, 2000, 4095]);
    const error = await refusal(crWithLut([0, 1, 2, 3], { first: 0, entries: 8, data: [0, 1000, 2000, 4095] }, { sequence: 'voi' }));
    expect(error.message).toContain('VOI LUT Sequence (0028,3010)');
  });
});
