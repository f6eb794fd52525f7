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
import { EXPLICIT, IMPLICIT, encode, file, recorder, text, u16, u32 } from './test-dicom-bytes';
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
  /** Write the window of 250 / 200 (default true). */
  window?: boolean;
  /** An enhanced multi-frame object: one frame of `pixels` for each, with this rescale in its Per-frame Functional Groups. */
  perFrame?: Array<[slope: string, intercept: string]>;
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
  const {
    explicit = true,
    signed = false,
    rescale,
    sequence: which = 'modality',
    window = true,
    perFrame,
  } = typeof spec === 'boolean' ? { explicit: spec } : spec;
  const seq = (group: number, element: number, items: number[][]): El => [
    group,
    element,
    'SQ',
    items.flatMap((body) => [...u16(0xfffe), ...u16(0xe000), ...u32(body.length), ...body]),
  ];
  const groups: El[] = perFrame
    ? [
        [0x0028, 0x0008, 'IS', text(String(perFrame.length))],
        seq(
          0x5200,
          0x9230,
          perFrame.map(([slope, intercept]) =>
            encode(
              [
                seq(0x0028, 0x9145, [
                  encode(
                    [
                      [0x0028, 0x1052, 'DS', text(intercept)],
                      [0x0028, 0x1053, 'DS', text(slope)],
                    ],
                    explicit,
                  ),
                ]),
              ],
              explicit,
            ),
          ),
        ),
      ]
    : [];
  const item = lut ? lutItem(lut, explicit) : [];
  const tag = which === 'voi' ? 0x3010 : 0x3000;
  const sequence: El[] = lut ? [[0x0028, tag, 'SQ', [...u16(0xfffe), ...u16(0xe000), ...u32(item.length), ...item]]] : [];
  const body = encode(
    [
      [0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.1', 0)],
      [0x0008, 0x0060, 'CS', text('CR')],
      [0x0028, 0x0002, 'US', u16(1)],
      [0x0028, 0x0004, 'CS', text('MONOCHROME2')],
      ...groups.slice(0, 1),
      [0x0028, 0x0010, 'US', u16(2)],
      [0x0028, 0x0011, 'US', u16(2)],
      [0x0028, 0x0100, 'US', u16(16)],
      [0x0028, 0x0101, 'US', u16(12)],
      [0x0028, 0x0102, 'US', u16(11)],
      [0x0028, 0x0103, 'US', u16(signed ? 1 : 0)],
      ...(window
        ? ([
            [0x0028, 0x1050, 'DS', text('250')],
            [0x0028, 0x1051, 'DS', text('200')],
          ] as El[])
        : []),
      ...(rescale
        ? ([
            [0x0028, 0x1052, 'DS', text(rescale[1])],
            [0x0028, 0x1053, 'DS', text(rescale[0])],
          ] as El[])
        : []),
      ...sequence,
      ...groups.slice(1),
      [0x7fe0, 0x0010, 'OW', (perFrame ?? [0]).flatMap(() => pixels.flatMap((p) => u16(p & 0xffff)))],
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
  it('LUT Data shorter than its descriptor says is E_INPUT_INVALID naming the sequence, never read past', async () => {
    const cases: Array<[LutSpec, number, number]> = [
      [{ first: 0, entries: 8, data: [100, 200, 300, 400] }, 8, 8],
      [{ first: 0, entries: 0, data: [100, 200, 300, 400] }, 65536, 8],
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

  it('the VOI LUT Sequence gets the same check, refused where dicomToDisplay would apply it (no window), the file named', async () => {
    const good = await readDicom(crWithLut([0, 1, 2, 3], { first: 0, data: [0, 1000, 2000, 4095] }, { sequence: 'voi' }));
    expect(good.metadata.voiLut?.data).toEqual([0, 1000, 2000, 4095]);
    const bytes = crWithLut([0, 1, 2, 3], { first: 0, entries: 8, data: [0, 1000, 2000, 4095] }, { sequence: 'voi', window: false });
    const log = recorder();
    const image = await readDicom(bytes, { logger: log }); // the file reads: dicomToModality never uses a VOI LUT
    expect(Array.from(dicomToModality(image))).toEqual([0, 1, 2, 3]);
    expect(image.metadata.voiLut).toBeUndefined();
    expect(image.metadata.voiLutProblem?.details).toMatchObject({ field: 'LUT Data', entries: 8, bytes: 8 });
    expect(log.lines.filter(([level]) => level === 'warn')).toHaveLength(1);
    const error = codeOf(() => dicomToDisplay(image));
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.message).toContain('VOI LUT Sequence (0028,3010)');
    expect(error.details).toMatchObject({ field: 'LUT Data', frame: 0 });
    // Asked for another VOI, the frame displays.
    expect(Array.from(dicomToDisplay(image, { voi: 'minmax' }).data)).toEqual([0, 1 / 3, 2 / 3, 1].map((v) => expect.closeTo(v, 6)));
    const dir = mkdtempSync(join(tmpdir(), 'voi-lut-'));
    try {
      const path = join(dir, 'short-voi-lut.dcm');
      writeFileSync(path, bytes);
      const fromPath = await readMedicalImage(path).then(
        () => undefined,
        (e: unknown) => e as AppliedMLError,
      );
      expect(fromPath?.code).toBe('E_INPUT_INVALID');
      expect(fromPath?.message).toContain('short-voi-lut.dcm');
      expect(fromPath?.message).toContain('VOI LUT Sequence (0028,3010)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function codeOf(fn: () => unknown): AppliedMLError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppliedMLError);
    return error as AppliedMLError;
  }
  throw new Error('expected an error');
}

/** A 2×2 RGB image (8 bits a sample) with, when given, a VOI LUT Sequence. */
function rgbWithVoiLut(lut: LutSpec): Uint8Array {
  const item = lutItem(lut, true);
  return file(
    'part10',
    EXPLICIT,
    encode(
      [
        [0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.7', 0)],
        [0x0028, 0x0002, 'US', u16(3)],
        [0x0028, 0x0004, 'CS', text('RGB')],
        [0x0028, 0x0006, 'US', u16(0)],
        [0x0028, 0x0010, 'US', u16(2)],
        [0x0028, 0x0011, 'US', u16(2)],
        [0x0028, 0x0100, 'US', u16(8)],
        [0x0028, 0x0101, 'US', u16(8)],
        [0x0028, 0x0102, 'US', u16(7)],
        [0x0028, 0x0103, 'US', u16(0)],
        [0x0028, 0x3010, 'SQ', [...u16(0xfffe), ...u16(0xe000), ...u32(item.length), ...item]],
        [0x7fe0, 0x0010, 'OB', [10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]],
      ],
      true,
    ),
  );
}

// A LUT that cannot be read refused the whole file (a73f0de) even where it is never applied: a VOI LUT
// beside a usable window or in a colour image, a Modality LUT in an enhanced multi-frame object whose
// frames carry their own rescale. Those files read (and display) as before it, with one warning.
describe('a LUT that would not be applied does not refuse the file', () => {
  const shortVoi: LutSpec = { first: 0, entries: 8, data: [0, 1000, 2000, 4095] };

  it('a window present: a short VOI LUT is left out with one warning, the window displays', async () => {
    const log = recorder();
    const image = await readDicom(crWithLut([0, 100, 250, 400], shortVoi, { sequence: 'voi' }), { logger: log });
    expect(image.metadata.voiLut).toBeUndefined();
    const warnings = log.lines.filter(([level]) => level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]![1]).toContain('VOI LUT Sequence (0028,3010)');
    const display = dicomToDisplay(image).data;
    expect(Array.from(display)).toEqual(Array.from(applyWindow(dicomToModality(image), 250, 200)));
    const medical = await readMedicalImage(crWithLut([0, 100, 250, 400], shortVoi, { sequence: 'voi' }));
    expect(Array.from(medical.image.data)).toEqual(Array.from(display));
  });

  it('RGB: a VOI LUT is never applied to colour, so a short one reads fine (one warning, no problem kept)', async () => {
    const log = recorder();
    const image = await readDicom(rgbWithVoiLut(shortVoi), { logger: log });
    expect(image.metadata.voiLut).toBeUndefined();
    expect(image.metadata.voiLutProblem).toBeUndefined();
    expect(log.lines.filter(([level]) => level === 'warn')).toHaveLength(1);
    expect(Array.from(dicomToDisplay(image).data)).toEqual([0, 1 / 3, 2 / 3, 1].map((v) => expect.closeTo(v, 6)));
  });

  it('perFrame: a short Modality LUT in an enhanced multi-frame object is not applied, so the file reads with one warning', async () => {
    const log = recorder();
    const bytes = crWithLut(
      [0, 1, 2, 3],
      { first: 0, entries: 8, data: [100, 200, 300, 400] },
      {
        perFrame: [
          ['2', '-1'],
          ['1', '10'],
        ],
      },
    );
    const image = await readDicom(bytes, { logger: log });
    expect(image.metadata.perFrame).toHaveLength(2);
    expect(image.metadata.modalityLut).toBeUndefined();
    expect(log.lines.filter(([level]) => level === 'warn')).toHaveLength(1);
    expect(Array.from(dicomToModality(image, 0))).toEqual([-1, 1, 3, 5]);
    expect(Array.from(dicomToModality(image, 1))).toEqual([10, 11, 12, 13]);
    // The same LUT in a single-frame file is applied, so it is still refused.
    expect((await refusal(crWithLut([0, 1, 2, 3], { first: 0, entries: 8, data: [100, 200, 300, 400] }))).code).toBe('E_INPUT_INVALID');
  });
});

describe('LUT Data longer than its descriptor, and LUT Descriptor bits', () => {
  // More LUT Data than described was refused (a73f0de); DCMTK reads the described entries with a warning.
  it('LUT Data longer than its descriptor says: the first described entries are used, with one warning', async () => {
    for (const sequence of ['modality', 'voi'] as const) {
      const log = recorder();
      const image = await readDicom(
        crWithLut([0, 1, 2, 9], { first: 0, entries: 3, data: [100, 200, 300, 400, 500] }, { sequence, window: false }),
        {
          logger: log,
        },
      );
      expect((sequence === 'voi' ? image.metadata.voiLut : image.metadata.modalityLut)?.data).toEqual([100, 200, 300]);
      const warnings = log.lines.filter(([level]) => level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]![2]).toMatchObject({ entries: 3, bytes: 10 });
      if (sequence === 'modality') expect(Array.from(dicomToModality(image))).toEqual([100, 200, 300, 300]);
    }
    // 8-bit entries: less than a word an entry is a byte an entry (8 bytes for 6 entries).
    const bytes = await readDicom(
      crWithLut([0, 1, 2, 3], { first: 0, bits: 8, entries: 6, data: [10, 20, 30, 40, 50, 60, 70, 80], packing: 'bytes' }),
    );
    expect(bytes.metadata.modalityLut?.data).toEqual([10, 20, 30, 40, 50, 60]);
  });

  // Bits 0 made dicomToDisplay's scale 1 / (2^0 − 1) = Infinity: NaN display pixels and no error.
  it('bits outside 1..16 are E_INPUT_INVALID naming the LUT Descriptor, where the LUT would be applied', async () => {
    for (const bits of [0, 17]) {
      const voi = await readDicom(
        crWithLut([0, 1, 2, 3], { first: 0, bits, data: [0, 100, 200, 300] }, { sequence: 'voi', window: false }),
      );
      const error = codeOf(() => dicomToDisplay(voi));
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message).toContain('LUT Descriptor (0028,3002)');
      expect(error.details).toMatchObject({ field: 'LUT Descriptor', bits });
      const windowed = await readDicom(crWithLut([0, 1, 2, 3], { first: 0, bits, data: [0, 100, 200, 300] }, { sequence: 'voi' }));
      expect(dicomToDisplay(windowed).data.every((v) => Number.isFinite(v))).toBe(true);
      const modality = await refusal(crWithLut([0, 1, 2, 3], { first: 0, bits, data: [0, 100, 200, 300] }));
      expect(modality.message).toContain('Modality LUT Sequence (0028,3000)');
      expect(modality.details).toMatchObject({ field: 'LUT Descriptor', bits });
    }
  });
});
