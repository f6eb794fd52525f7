import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import type { Logger } from '@appliedml/engine';
import { readMedicalImage } from '../image-reader';
import { isDicom, readDicom } from './dicom-reader';

// Files written byte by byte: Part 10, without the preamble, and bare data sets without file meta.
const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const DEFLATED = '1.2.840.10008.1.2.1.99';
const LONG_VRS = new Set(['OB', 'OW', 'SQ', 'UN', 'UT']);

type El = [group: number, element: number, vr: string, value: number[]];

const u16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];
const u32 = (v: number): number[] => [...u16(v & 0xffff), ...u16(v >>> 16)];
const text = (s: string, pad = 0x20): number[] => {
  const b = [...Buffer.from(s, 'latin1')];
  return b.length % 2 ? [...b, pad] : b;
};

function encode(elements: El[], explicit: boolean): number[] {
  return elements.flatMap(([group, element, vr, value]) => {
    const tag = [...u16(group), ...u16(element)];
    if (!explicit) return [...tag, ...u32(value.length), ...value];
    if (LONG_VRS.has(vr)) return [...tag, ...Buffer.from(vr), 0, 0, ...u32(value.length), ...value];
    return [...tag, ...Buffer.from(vr), ...u16(value.length), ...value];
  });
}

const PIXELS = [0, 1000, 2000, 4095];

/** A 2×2 16-bit MONOCHROME2 CT image's data set (no file meta). */
function dataSet(explicit: boolean, pixels = PIXELS): number[] {
  return encode(
    [
      [0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.2', 0)],
      [0x0008, 0x0060, 'CS', text('CT')],
      [0x0028, 0x0002, 'US', u16(1)],
      [0x0028, 0x0004, 'CS', text('MONOCHROME2')],
      [0x0028, 0x0010, 'US', u16(2)],
      [0x0028, 0x0011, 'US', u16(2)],
      [0x0028, 0x0100, 'US', u16(16)],
      [0x0028, 0x0101, 'US', u16(12)],
      [0x0028, 0x0102, 'US', u16(11)],
      [0x0028, 0x0103, 'US', u16(0)],
      [0x7fe0, 0x0010, 'OW', pixels.flatMap(u16)],
    ],
    explicit,
  );
}

/** The file meta group (explicit VR little endian) naming `syntax`. */
function meta(syntax: string): number[] {
  const body = encode([[0x0002, 0x0010, 'UI', text(syntax, 0)]], true);
  return [...encode([[0x0002, 0x0000, 'UL', u32(body.length)]], true), ...body];
}

type Layout = 'part10' | 'dicm-at-0' | 'meta-at-0';

function file(layout: Layout, syntax: string, body: number[]): Uint8Array {
  const prefix =
    layout === 'part10'
      ? [...new Array<number>(128).fill(0), ...Buffer.from('DICM')]
      : layout === 'dicm-at-0'
        ? [...Buffer.from('DICM')]
        : [];
  return Uint8Array.from([...prefix, ...meta(syntax), ...body]);
}

function recorder(): Logger & { lines: Array<[string, string, Record<string, unknown> | undefined]> } {
  const lines: Array<[string, string, Record<string, unknown> | undefined]> = [];
  return {
    lines,
    debug: (m, f) => lines.push(['debug', m, f]),
    info: (m, f) => lines.push(['info', m, f]),
    warn: (m, f) => lines.push(['warn', m, f]),
  };
}

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
