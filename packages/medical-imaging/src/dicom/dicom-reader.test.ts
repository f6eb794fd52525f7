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
