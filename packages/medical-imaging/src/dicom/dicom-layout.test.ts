import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { readMedicalImage } from '../image-reader';
import { isDicom, readDicom } from './dicom-reader';
import { DEFLATED, EXPLICIT, IMPLICIT, PIXELS, dataSet, encode, file, recorder, text, u16, u32 } from './test-dicom-bytes';

async function failure(bytes: Uint8Array): Promise<AppliedMLError> {
  const error = await readDicom(bytes).catch((e: unknown) => e);
  expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
  return error as AppliedMLError;
}

describe('DICOM files without the Part 10 preamble or file meta header', () => {
  it('a bare data set (no preamble, no "DICM", no group 0002) is read in implicit or explicit VR little endian, its syntax inferred', async () => {
    const reference = await readDicom(file('part10', EXPLICIT, dataSet(true)));
    expect(Array.from(reference.frames[0]!)).toEqual(PIXELS);
    expect(reference.metadata.transferSyntaxInferred).toBeUndefined();
    expect(reference.tags.map((t) => t.name)).toContain('Transfer Syntax UID');
    for (const [explicit, syntax] of [
      [false, IMPLICIT],
      [true, EXPLICIT],
    ] as const) {
      const bytes = Uint8Array.from(dataSet(explicit));
      expect(isDicom(bytes), syntax).toBe(true);
      const log = recorder();
      const image = await readDicom(bytes, { logger: log });
      expect(Array.from(image.frames[0]!), syntax).toEqual(PIXELS);
      expect(image.metadata).toMatchObject({
        transferSyntaxUid: syntax,
        transferSyntaxInferred: true,
        modality: 'CT',
        sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
        rows: 2,
        columns: 2,
        bitsStored: 12,
      });
      // The syntax is not in the file, so the tag list does not claim it is.
      expect(image.tags.map((t) => t.name)).not.toContain('Transfer Syntax UID');
      expect(image.tags.find((t) => t.name === 'Modality')?.value).toBe('CT');
      expect(log.lines.some(([level, , fields]) => level === 'info' && fields?.transferSyntax === syntax)).toBe(true);
    }
  });

  it('"DICM" at offset 0 (no preamble) and a file meta group at offset 0 are read with the syntax the meta header names', async () => {
    for (const layout of ['dicm-at-0', 'meta-at-0'] as const) {
      for (const [explicit, syntax] of [
        [false, IMPLICIT],
        [true, EXPLICIT],
      ] as const) {
        const bytes = file(layout, syntax, dataSet(explicit));
        expect(isDicom(bytes), `${layout} ${syntax}`).toBe(true);
        const image = await readDicom(bytes);
        expect(Array.from(image.frames[0]!), `${layout} ${syntax}`).toEqual(PIXELS);
        expect(image.metadata.transferSyntaxUid).toBe(syntax);
        expect(image.metadata.transferSyntaxInferred).toBeUndefined();
        expect(image.tags.find((t) => t.name === 'Transfer Syntax UID')?.value).toBe(syntax);
      }
    }
    // A deflated data set after a preamble-less meta header inflates too.
    const deflated = file('dicm-at-0', DEFLATED, [...deflateRawSync(Uint8Array.from(dataSet(true)))]);
    const image = await readDicom(deflated);
    expect(Array.from(image.frames[0]!)).toEqual(PIXELS);
    expect(image.metadata.transferSyntaxName).toBe('Deflated Explicit VR Little Endian');
  });

  it('readMedicalImage takes a bare data set as DICOM', async () => {
    const read = await readMedicalImage(Uint8Array.from(dataSet(false)));
    expect(read.format).toBe('dicom');
    expect(read.dicom?.metadata.transferSyntaxInferred).toBe(true);
    expect([read.image.width, read.image.height]).toEqual([2, 2]);
  });

  it('bytes that do not read as a data set stay E_FORMAT_UNSUPPORTED, with a message saying what was expected', async () => {
    const good = dataSet(false);
    const descending = encode(
      [
        [0x0008, 0x0060, 'CS', text('CT')],
        [0x0008, 0x0016, 'UI', text('1.2', 0)],
      ],
      false,
    );
    const cases: Record<string, number[]> = {
      'odd (private) first group': [...u16(0x0009), ...good.slice(2)],
      'first group past 0028': [...u16(0x0030), ...good.slice(2)],
      'first length past the end': [...good.slice(0, 4), ...u32(0x00ff0000), ...good.slice(8)],
      'tags not ascending': [...descending, ...good],
      'a stray byte before the data set': [0x20, ...good],
      zeros: new Array<number>(300).fill(0),
      text: [...Buffer.from('hello, this is not an image at all')],
      'PNG signature': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Array<number>(200).fill(0)],
      'JPEG signature': [0xff, 0xd8, 0xff, 0xe0, ...new Array<number>(200).fill(0)],
      'TIFF signature': [0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0, ...new Array<number>(200).fill(0)],
      'seven bytes': good.slice(0, 7),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      const input = Uint8Array.from(bytes);
      expect(isDicom(input), name).toBe(false);
      const error = await failure(input);
      expect(error.code, name).toBe('E_FORMAT_UNSUPPORTED');
      expect(error.message, name).toMatch(/"DICM" at offset 128 \(Part 10\) or 0/);
      expect(error.message, name).toMatch(/\(0008,xxxx\) in implicit or explicit VR little endian/);
    }
  });

  it('a preamble-less meta header without a Transfer Syntax UID, or a bare data set cut short, is E_INPUT_INVALID', async () => {
    const noSyntax = Uint8Array.from([...Buffer.from('DICM'), ...encode([[0x0002, 0x0001, 'OB', [0, 1]]], true), ...dataSet(true)]);
    const missing = await failure(noSyntax);
    expect(missing.code).toBe('E_INPUT_INVALID');
    expect(missing.message).toMatch(/0002,0010/);
    const cut = Uint8Array.from(dataSet(false).slice(0, -3));
    expect(isDicom(cut)).toBe(true);
    const truncated = await failure(cut);
    expect(truncated.code).toBe('E_INPUT_INVALID');
  });
});
