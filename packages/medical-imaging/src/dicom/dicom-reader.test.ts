import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppliedMLError, resolveDataset } from '@appliedml/engine';
import { DICOM_SAMPLES_DATASET } from '../datasets';
import { dicomToDisplay, dicomToModality } from './dicom-pixels';
import { readDicom, readDicomFile } from './dicom-reader';
import type { DicomImage } from './dicom-reader';

interface InfoRecord {
  file: string;
  decoded: string | null;
  PhotometricInterpretation: string | null;
}

async function samples(): Promise<{ root: string; info: InfoRecord[] }> {
  const data = await resolveDataset(DICOM_SAMPLES_DATASET);
  const info = JSON.parse(await readFile(data.files['dicom_info.json'] as string, 'utf8')) as InfoRecord[];
  return { root: data.root, info };
}

function stats(image: DicomImage, ybr = false): { min: number; max: number; mean: number; shape: number[] } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  for (const frame of image.frames) {
    for (let p = 0; p < frame.length; p += image.samplesPerPixel) {
      for (let s = 0; s < image.samplesPerPixel; s++) {
        let v = frame[p + s]!;
        if (ybr) {
          // pydicom + GDCM keep JPEG colour as YCbCr; we return RGB. Compare in YCbCr (JFIF full range).
          const [r, g, b] = [frame[p]!, frame[p + 1]!, frame[p + 2]!];
          const y = 0.299 * r + 0.587 * g + 0.114 * b;
          v = s === 0 ? y : s === 1 ? 128 - 0.168736 * r - 0.331264 * g + 0.5 * b : 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
          v = Math.min(255, Math.max(0, Math.round(v)));
        }
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
        n++;
      }
    }
  }
  const shape = [image.frames.length, image.rows, image.columns, image.samplesPerPixel].filter(
    (d, i) => !(i === 0 && d === 1) && !(i === 3 && d === 1),
  );
  return { min, max, mean: sum / n, shape };
}

/** The 8 files that must fail with a typed error, and the code each gets. */
const BROKEN: Record<string, string> = {
  'MR_truncated.dcm': 'E_INPUT_INVALID',
  'rtplan_truncated.dcm': 'E_INPUT_INVALID',
  'no_meta.dcm': 'E_FORMAT_UNSUPPORTED',
  'meta_missing_tsyntax.dcm': 'E_INPUT_INVALID',
  'badVR.dcm': 'E_INPUT_INVALID',
  'emri_small_jpeg_2k_lossless_too_short.dcm': 'E_INPUT_INVALID',
  'JPEG2000-embedded-sequence-delimiter.dcm': 'E_INPUT_INVALID',
};
// Lossy codecs differ between decoders by a rounding here and there: compare their mean loosely.
const LOSSY = new Set([
  'JPGExtended.dcm',
  'SC_rgb_jpeg_dcmtk.dcm',
  'examples_ybr_color.dcm',
  'JPEG2000.dcm',
  'RG3_J2KI.dcm',
  'JPEGLSNearLossless_08.dcm',
]);

describe('DICOM reader on the dicom-samples files (pydicom 2.3.1 + GDCM reference statistics)', () => {
  it('decodes all 27 readable files with the reference shape, min, max and mean', async () => {
    const { root, info } = await samples();
    const readable = info.filter((r) => r.decoded?.startsWith('shape=') && !(r.file in BROKEN));
    expect(readable).toHaveLength(27);
    for (const record of readable) {
      const image = await readDicomFile(join(root, record.file));
      const m = /shape=\(([\d, ]+)\) dtype=\S+ min=(-?[\d.]+) max=(-?[\d.]+) mean=(-?[\d.]+)/.exec(record.decoded!)!;
      const ybr = record.PhotometricInterpretation?.startsWith('YBR') === true && image.photometric === 'RGB';
      const s = stats(image, ybr);
      const label = `${record.file}: ${JSON.stringify(s)} vs ${record.decoded}`;
      expect(s.shape, label).toEqual(
        m[1]!
          .split(',')
          .map((v) => Number(v.trim()))
          .filter((v) => !Number.isNaN(v)),
      );
      if (LOSSY.has(record.file)) {
        expect(Math.abs(s.mean - Number(m[4])), label).toBeLessThan(ybr ? 1.5 : 0.2);
        expect(Math.abs(s.max - Number(m[3])), label).toBeLessThanOrEqual(ybr ? 40 : 2);
      } else {
        expect(s.min, label).toBe(Number(m[2]));
        expect(s.max, label).toBe(Number(m[3]));
        expect(s.mean, label).toBeCloseTo(Number(m[4]), 3);
      }
    }
  });

  it('decodes the six encodings of MR_small (explicit, implicit, big endian, RLE, JPEG 2000, JPEG-LS) to identical int16 pixels', async () => {
    const { root } = await samples();
    const names = [
      'MR_small',
      'MR_small_implicit',
      'MR_small_bigendian',
      'MR_small_RLE',
      'MR_small_jp2klossless',
      'MR_small_jpeg_ls_lossless',
    ];
    const images = await Promise.all(names.map((n) => readDicomFile(join(root, `${n}.dcm`))));
    const syntaxes = new Set(images.map((i) => i.metadata.transferSyntaxUid));
    expect(syntaxes.size).toBe(6);
    for (const image of images) {
      expect(image.frames[0]).toBeInstanceOf(Int16Array);
      expect(Array.from(image.frames[0]!)).toEqual(Array.from(images[0]!.frames[0]!));
    }
  });

  it('also decodes HTJ2K (which pydicom 2.3.1 could not) to a 640×480 RGB frame', async () => {
    const { root } = await samples();
    const image = await readDicomFile(join(root, 'HTJ2KLossless_08_RGB.dcm'));
    expect([image.columns, image.rows, image.samplesPerPixel]).toEqual([640, 480, 3]);
  });

  it.each(Object.entries(BROKEN))('%s → %s, never a crash or a hang', async (file, code) => {
    const { root } = await samples();
    const error = await readDicomFile(join(root, file)).catch((e: unknown) => e);
    expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
    expect((error as AppliedMLError).code).toBe(code);
  });

  it('keeps 16-bit values, exposes metadata, rescales and windows', async () => {
    const { root } = await samples();
    const ct = await readDicomFile(join(root, 'CT_small.dcm'));
    expect(ct.metadata).toMatchObject({ modality: 'CT', bitsAllocated: 16, signed: true, rows: 128, columns: 128 });
    expect(ct.metadata.pixelSpacing).toHaveLength(2);
    expect(ct.metadata.imagePositionPatient).toHaveLength(3);
    const hu = dicomToModality(ct);
    expect(hu[0]).toBeCloseTo(ct.frames[0]![0]! * ct.metadata.rescaleSlope + ct.metadata.rescaleIntercept, 4);
    const shown = dicomToDisplay(ct, { voi: { center: 40, width: 400 } });
    expect(Math.min(...shown.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...shown.data)).toBeLessThanOrEqual(1);
    // No identifying tag is ever exposed.
    expect(ct.tags.map((t) => t.name).join(' ')).not.toMatch(/Patient('s)? (Name|ID|Birth)|Institution|Accession/);
  });

  it('inverts MONOCHROME1 and reads multi-frame enhanced objects', async () => {
    const { root } = await samples();
    const cr = await readDicomFile(join(root, 'CR_dicomdirtests_77654033_CR1_6154.dcm'));
    const raw = cr.frames[0]!;
    const shown = dicomToDisplay(cr, { voi: 'minmax' });
    const brightest = raw.indexOf(Math.max(...raw));
    expect(shown.data[brightest]).toBe(0);
    const emri = await readDicomFile(join(root, 'emri_small.dcm'));
    expect(emri.frames).toHaveLength(10);
    expect(emri.metadata.frames).toBe(10);
    expect(dicomToDisplay(emri, { frame: 9 }).data).toHaveLength(64 * 64);
  });

  it('a damaged JPEG scan whose data ends on a 0xFF byte is a typed error, not a TypeError', async () => {
    const { root } = await samples();
    const bytes = Uint8Array.from(await readFile(join(root, 'JPGExtended.dcm')));
    // One changed header byte (found by fuzzing) makes the decoder read the scan up to a final 0xFF.
    for (const [at, value] of [
      [3307, 102],
      [9623, 15],
    ] as const) {
      const damaged = Uint8Array.from(bytes);
      damaged[at] = value;
      let error: unknown;
      try {
        dicomToDisplay(await readDicom(damaged));
      } catch (e) {
        error = e;
      }
      expect(AppliedMLError.isInstance(error), `byte ${at}: ${String(error)}`).toBe(true);
    }
  });

  it('rejects empty and non-DICOM bytes with typed errors', async () => {
    await expect(readDicom(new Uint8Array(0))).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(readDicom(new TextEncoder().encode('hello, this is not an image at all'))).rejects.toMatchObject({
      code: 'E_FORMAT_UNSUPPORTED',
    });
  });

  it('refuses a DICOM whose declared size is over the pixel limit before decoding', async () => {
    const { root } = await samples();
    const bytes = await readFile(join(root, 'eCT_Supplemental.dcm'));
    await expect(readDicom(bytes, { maxPixels: 512 * 512 })).rejects.toMatchObject({ code: 'E_INPUT_TOO_LARGE' });
  });
});

describe('RLE geometry', () => {
  it('an RLE file whose Rows were halved is refused (its segments hold more than the header gives), as pydicom refuses it', async () => {
    const { root } = await samples();
    const bytes = new Uint8Array(await readFile(join(root, 'MR_small_RLE.dcm')));
    const dicomParser = (await import('dicom-parser')).default;
    const rows = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' }).elements.x00280010!;
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect((await readDicom(bytes)).metadata.rows).toBe(view.getUint16(rows.dataOffset, true));
    view.setUint16(rows.dataOffset, view.getUint16(rows.dataOffset, true) / 2, true);
    const err = await readDicom(bytes).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(err, 'E_INPUT_INVALID'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/more than/);
  });
});

describe('rescale range', () => {
  it('a RescaleIntercept that would make every modality value Infinity is refused', async () => {
    const { root } = await samples();
    const bytes = new Uint8Array(await readFile(join(root, 'CT_small.dcm')));
    const dicomParser = (await import('dicom-parser')).default;
    const el = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' }).elements.x00281052!;
    const text = new TextDecoder().decode(bytes.subarray(el.dataOffset, el.dataOffset + el.length));
    expect(Number(text.trim())).toBe(-1024);
    bytes.set(new TextEncoder().encode('9e300'.padEnd(el.length, ' ')), el.dataOffset);
    const err = await readDicom(bytes).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(err, 'E_INPUT_INVALID'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/RescaleIntercept/);
  });
});

/** A minimal Part-10 file, explicit VR little endian: 2×2 MONOCHROME2 pixels of 16 allocated bits. */
function craft16(
  pixels: number[],
  tags: { bitsStored: number; highBit?: number; signed: boolean; window?: [string, string]; windowFunction?: string },
): Uint8Array {
  const parts: number[] = [];
  const u16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];
  const u32 = (v: number): number[] => [...u16(v & 0xffff), ...u16(v >>> 16)];
  const text = (s: string): number[] => {
    const b = [...Buffer.from(s, 'latin1')];
    return b.length % 2 ? [...b, 0] : b;
  };
  const short = (group: number, el: number, vr: string, value: number[]): void => {
    parts.push(...u16(group), ...u16(el), ...Buffer.from(vr), ...u16(value.length), ...value);
  };
  const syntax = text('1.2.840.10008.1.2.1');
  const metaBody: number[] = [];
  metaBody.push(...u16(0x0002), ...u16(0x0010), ...Buffer.from('UI'), ...u16(syntax.length), ...syntax);
  short(0x0002, 0x0000, 'UL', u32(metaBody.length));
  parts.push(...metaBody);
  short(0x0028, 0x0002, 'US', u16(1));
  short(0x0028, 0x0004, 'CS', text('MONOCHROME2 '));
  short(0x0028, 0x0010, 'US', u16(2));
  short(0x0028, 0x0011, 'US', u16(2));
  short(0x0028, 0x0100, 'US', u16(16));
  short(0x0028, 0x0101, 'US', u16(tags.bitsStored));
  short(0x0028, 0x0102, 'US', u16(tags.highBit ?? tags.bitsStored - 1));
  short(0x0028, 0x0103, 'US', u16(tags.signed ? 1 : 0));
  if (tags.window) {
    short(0x0028, 0x1050, 'DS', text(tags.window[0]));
    short(0x0028, 0x1051, 'DS', text(tags.window[1]));
  }
  if (tags.windowFunction) short(0x0028, 0x1056, 'CS', text(tags.windowFunction));
  const data = pixels.flatMap((p) => u16(p & 0xffff));
  parts.push(...u16(0x7fe0), ...u16(0x0010), ...Buffer.from('OW'), 0, 0, ...u32(data.length), ...data);
  return Uint8Array.from([...new Array<number>(128).fill(0), ...Buffer.from('DICM'), ...parts]);
}

describe('Bits Stored', () => {
  it('keeps only the stored bits: junk above them is cleared, signed values are sign-extended from the top stored bit', async () => {
    // 12 of 16 bits unsigned, with overlay bits 12–15 set on some pixels.
    const unsigned = await readDicom(craft16([0 | 0x1000, 1000 | 0x2000, 2000 | 0x3000, 4095 | 0x4000], { bitsStored: 12, signed: false }));
    expect(Array.from(unsigned.frames[0]!)).toEqual([0, 1000, 2000, 4095]);
    // 12 of 16 bits signed, written without sign extension (bits 12–15 zero).
    const signed = await readDicom(craft16([-1024 & 0xfff, -1 & 0xfff, 0, 2047], { bitsStored: 12, signed: true }));
    expect(Array.from(signed.frames[0]!)).toEqual([-1024, -1, 0, 2047]);
    // The same values sign-extended, as most writers store them, read the same.
    expect(Array.from((await readDicom(craft16([-1024, -1, 0, 2047], { bitsStored: 12, signed: true }))).frames[0]!)).toEqual([
      -1024, -1, 0, 2047,
    ]);
    // High Bit above Bits Stored − 1 (retired layouts): the stored bits are shifted down.
    expect(
      Array.from((await readDicom(craft16([4 << 4, 100 << 4, 0, 255 << 4], { bitsStored: 8, highBit: 11, signed: false }))).frames[0]!),
    ).toEqual([4, 100, 0, 255]);
    // Bits Stored over Bits Allocated is no layout.
    await expect(readDicom(craft16([0, 0, 0, 0], { bitsStored: 17, signed: false }))).rejects.toBeInstanceOf(AppliedMLError);
  });
});

describe('VOI LUT Function', () => {
  it('a window named SIGMOID or LINEAR_EXACT is applied as that function; LINEAR stays the default', async () => {
    const pixels = [0, 900, 1000, 1100];
    const display = async (windowFunction?: string): Promise<number[]> =>
      Array.from(
        dicomToDisplay(
          await readDicom(
            craft16(pixels, { bitsStored: 16, signed: false, window: ['1000', '200'], ...(windowFunction ? { windowFunction } : {}) }),
          ),
        ).data,
      );
    const sigmoid = await display('SIGMOID');
    pixels.forEach((x, i) => expect(sigmoid[i]).toBeCloseTo(1 / (1 + Math.exp((-4 * (x - 1000)) / 200)), 5));
    expect(
      (await readDicom(craft16(pixels, { bitsStored: 16, signed: false, window: ['1000', '200'], windowFunction: 'SIGMOID' }))).metadata
        .voiLutFunction,
    ).toBe('SIGMOID');
    const exact = await display('LINEAR_EXACT');
    expect(exact.map((v) => Number(v.toFixed(4)))).toEqual([0, 0, 0.5, 1]);
    const linear = await display();
    expect(linear[0]).toBe(0);
    expect(linear[2]).toBeCloseTo((1000 - 999.5) / 199 + 0.5, 5);
    expect(linear[3]).toBe(1);
  });
});

/**
 * A minimal enhanced multi-frame file (explicit VR little endian, 2×2 MONOCHROME2, 16-bit unsigned):
 * each frame's rescale and window in its Per-frame Functional Groups item, or `shared` ones for all.
 */
function craftEnhanced(
  frames: number[][],
  perFrame: Array<{ slope: string; intercept: string; center: string; width: string; fn?: string }>,
  shared = false,
): Uint8Array {
  const u16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];
  const u32 = (v: number): number[] => [...u16(v & 0xffff), ...u16(v >>> 16)];
  const text = (s: string): number[] => {
    const b = [...Buffer.from(s, 'latin1')];
    return b.length % 2 ? [...b, 0x20] : b;
  };
  const short = (group: number, el: number, vr: string, value: number[]): number[] => [
    ...u16(group),
    ...u16(el),
    ...Buffer.from(vr),
    ...u16(value.length),
    ...value,
  ];
  const item = (body: number[]): number[] => [...u16(0xfffe), ...u16(0xe000), ...u32(body.length), ...body];
  const sq = (group: number, el: number, items: number[][]): number[] => {
    const body = items.flatMap(item);
    return [...u16(group), ...u16(el), ...Buffer.from('SQ'), 0, 0, ...u32(body.length), ...body];
  };
  const groups = (v: (typeof perFrame)[number]): number[] => [
    ...sq(0x0028, 0x9132, [
      [
        ...short(0x0028, 0x1050, 'DS', text(v.center)),
        ...short(0x0028, 0x1051, 'DS', text(v.width)),
        ...(v.fn ? short(0x0028, 0x1056, 'CS', text(v.fn)) : []),
      ],
    ]),
    ...sq(0x0028, 0x9145, [[...short(0x0028, 0x1052, 'DS', text(v.intercept)), ...short(0x0028, 0x1053, 'DS', text(v.slope))]]),
  ];
  const syntax = text('1.2.840.10008.1.2.1').map((b) => (b === 0x20 ? 0 : b));
  const metaBody = [...u16(0x0002), ...u16(0x0010), ...Buffer.from('UI'), ...u16(syntax.length), ...syntax];
  const parts = [
    ...short(0x0002, 0x0000, 'UL', u32(metaBody.length)),
    ...metaBody,
    ...short(0x0028, 0x0002, 'US', u16(1)),
    ...short(0x0028, 0x0004, 'CS', text('MONOCHROME2')),
    ...short(0x0028, 0x0008, 'IS', text(String(frames.length))),
    ...short(0x0028, 0x0010, 'US', u16(2)),
    ...short(0x0028, 0x0011, 'US', u16(2)),
    ...short(0x0028, 0x0100, 'US', u16(16)),
    ...short(0x0028, 0x0101, 'US', u16(16)),
    ...short(0x0028, 0x0102, 'US', u16(15)),
    ...short(0x0028, 0x0103, 'US', u16(0)),
    ...(shared ? sq(0x5200, 0x9229, [groups(perFrame[0]!)]) : []),
    ...(shared ? [] : sq(0x5200, 0x9230, perFrame.map(groups))),
  ];
  const data = frames.flat().flatMap((p) => u16(p));
  parts.push(...u16(0x7fe0), ...u16(0x0010), ...Buffer.from('OW'), 0, 0, ...u32(data.length), ...data);
  return Uint8Array.from([...new Array<number>(128).fill(0), ...Buffer.from('DICM'), ...parts]);
}

describe('enhanced multi-frame functional groups', () => {
  it('each frame is rescaled and windowed with its own Per-frame Functional Groups values', async () => {
    const frames = [
      [0, 100, 200, 300],
      [0, 100, 200, 300],
    ];
    const image = await readDicom(
      craftEnhanced(frames, [
        { slope: '1', intercept: '-1024', center: '-974', width: '200' },
        { slope: '2.5', intercept: '10', center: '260', width: '500', fn: 'SIGMOID' },
      ]),
    );
    expect(image.metadata.frames).toBe(2);
    expect(image.metadata.rescaleSlope).toBe(1); // frame 0's
    expect(image.metadata.perFrame).toEqual([
      { rescaleSlope: 1, rescaleIntercept: -1024, windowCenter: -974, windowWidth: 200 },
      { rescaleSlope: 2.5, rescaleIntercept: 10, windowCenter: 260, windowWidth: 500, voiLutFunction: 'SIGMOID' },
    ]);
    expect(Array.from(dicomToModality(image, 0))).toEqual([-1024, -924, -824, -724]);
    expect(Array.from(dicomToModality(image, 1))).toEqual([10, 260, 510, 760]);
    const second = dicomToDisplay(image, { frame: 1 }).data;
    [10, 260, 510, 760].forEach((x, i) => expect(second[i]).toBeCloseTo(1 / (1 + Math.exp((-4 * (x - 260)) / 500)), 5));
    expect(dicomToDisplay(image, { frame: 0 }).data[1]).toBeCloseTo((-924 - (-974 - 0.5)) / 199 + 0.5, 5);
  });

  it('shared groups apply to every frame (no perFrame); a per-frame sequence of the wrong length is refused', async () => {
    const frames = [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ];
    const shared = await readDicom(craftEnhanced(frames, [{ slope: '2', intercept: '1', center: '5', width: '10' }], true));
    expect(shared.metadata.perFrame).toBeUndefined();
    expect(Array.from(dicomToModality(shared, 1))).toEqual([9, 11, 13, 15]);
    const err = await readDicom(craftEnhanced(frames, [{ slope: '2', intercept: '1', center: '5', width: '10' }])).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(err, 'E_INPUT_INVALID'), String(err)).toBe(true);
    const huge = await readDicom(
      craftEnhanced(frames, [
        { slope: '1', intercept: '0', center: '5', width: '10' },
        { slope: '1e9', intercept: '0', center: '5', width: '10' },
      ]),
    ).catch((e: unknown) => e);
    expect((huge as Error).message).toMatch(/of frame 1/);
  });
});
