// Test data only (not exported by the package): DICOM files written byte by byte — Part 10, without the
// preamble, and bare data sets without file meta — so tests need no downloaded file.
import type { Logger } from '@appliedml/engine';

export const IMPLICIT = '1.2.840.10008.1.2';
export const EXPLICIT = '1.2.840.10008.1.2.1';
export const DEFLATED = '1.2.840.10008.1.2.1.99';
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OW', 'SQ', 'UN', 'UT']);

export type El = [group: number, element: number, vr: string, value: number[]];

export const u16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];
export const u32 = (v: number): number[] => [...u16(v & 0xffff), ...u16(v >>> 16)];
export const text = (s: string, pad = 0x20): number[] => {
  const b = [...Buffer.from(s, 'latin1')];
  return b.length % 2 ? [...b, pad] : b;
};

/** Elements in implicit or explicit VR little endian; `length` overrides an element's length field. */
export function encode(elements: Array<El | [...El, { length: number }]>, explicit: boolean): number[] {
  return elements.flatMap(([group, element, vr, value, override]) => {
    const tag = [...u16(group), ...u16(element)];
    const length = override?.length ?? value.length;
    if (!explicit) return [...tag, ...u32(length), ...value];
    if (LONG_VRS.has(vr)) return [...tag, ...Buffer.from(vr), 0, 0, ...u32(length), ...value];
    return [...tag, ...Buffer.from(vr), ...u16(length), ...value];
  });
}

export const PIXELS = [0, 1000, 2000, 4095];

export interface ImageSpec {
  rows?: number;
  columns?: number;
  frames?: number;
  bitsAllocated?: 1 | 8 | 16;
  /** The pixel data element's bytes (default PIXELS as 16-bit little endian). */
  pixelData?: number[];
  /** The pixel data element's length field, when it should differ from `pixelData.length`. */
  pixelLength?: number;
}

/** A MONOCHROME2 CT image's data set (no file meta): 2×2, 16 bits allocated, 12 stored, unless `spec` says otherwise. */
export function dataSet(explicit: boolean, pixels: number[] = PIXELS, spec: ImageSpec = {}): number[] {
  const bits = spec.bitsAllocated ?? 16;
  const stored = bits === 16 ? 12 : bits;
  const pixelData = spec.pixelData ?? pixels.flatMap(u16);
  return encode(
    [
      [0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.2', 0)],
      [0x0008, 0x0060, 'CS', text('CT')],
      [0x0028, 0x0002, 'US', u16(1)],
      [0x0028, 0x0004, 'CS', text('MONOCHROME2')],
      ...(spec.frames === undefined ? [] : [[0x0028, 0x0008, 'IS', text(String(spec.frames))] as El]),
      [0x0028, 0x0010, 'US', u16(spec.rows ?? 2)],
      [0x0028, 0x0011, 'US', u16(spec.columns ?? 2)],
      [0x0028, 0x0100, 'US', u16(bits)],
      [0x0028, 0x0101, 'US', u16(stored)],
      [0x0028, 0x0102, 'US', u16(stored - 1)],
      [0x0028, 0x0103, 'US', u16(0)],
      [0x7fe0, 0x0010, bits === 16 ? 'OW' : 'OB', pixelData, { length: spec.pixelLength ?? pixelData.length }],
    ],
    explicit,
  );
}

/** The file meta group (explicit VR little endian) naming `syntax`. */
export function meta(syntax: string): number[] {
  const body = encode([[0x0002, 0x0010, 'UI', text(syntax, 0)]], true);
  return [...encode([[0x0002, 0x0000, 'UL', u32(body.length)]], true), ...body];
}

export type Layout = 'part10' | 'dicm-at-0' | 'meta-at-0';

export function file(layout: Layout, syntax: string, body: number[]): Uint8Array {
  const prefix =
    layout === 'part10'
      ? [...new Array<number>(128).fill(0), ...Buffer.from('DICM')]
      : layout === 'dicm-at-0'
        ? [...Buffer.from('DICM')]
        : [];
  return Uint8Array.from([...prefix, ...meta(syntax), ...body]);
}

export type LogLine = [level: 'debug' | 'info' | 'warn', message: string, fields: Record<string, unknown> | undefined];

/** A logger that keeps what it is told. */
export function recorder(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    debug: (m, f) => lines.push(['debug', m, f]),
    info: (m, f) => lines.push(['info', m, f]),
    warn: (m, f) => lines.push(['warn', m, f]),
  };
}
