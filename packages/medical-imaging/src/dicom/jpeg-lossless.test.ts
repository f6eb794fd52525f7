import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createRng } from '@appliedml/engine';
import { decodeJpegLossless } from './codecs';
import { decodeJpegLosslessFast } from './jpeg-lossless';

// A small JPEG lossless (process 14) encoder for the tests: prediction as in T.81 H.1.2.1, differences
// modulo 2^16, a fixed Huffman table whose long codes (10 bits) exercise the decoder's slow path.
const COUNTS = [0, 3, 0, 3, 0, 0, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0];
const SYMBOLS = Array.from({ length: 17 }, (_, i) => i);

function codes(counts: number[], symbols: number[]): Map<number, { code: number; length: number }> {
  const out = new Map<number, { code: number; length: number }>();
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < counts[len - 1]!; i++) out.set(symbols[k++]!, { code: code++, length: len });
    code <<= 1;
  }
  return out;
}

class BitWriter {
  readonly bytes: number[] = [];
  private acc = 0;
  private n = 0;
  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.n === 8) this.flushByte();
    }
  }
  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0);
    this.acc = 0;
    this.n = 0;
  }
  pad(): void {
    while (this.n !== 0) this.write(1, 1);
  }
}

interface EncodeOptions {
  width: number;
  height: number;
  components: number;
  precision: number;
  predictor: number;
  restartRows?: number;
  pointTransform?: number;
  /** Different Huffman tables for even and odd components. */
  twoTables?: boolean;
}

function predict(p: number, ra: number, rb: number, rc: number): number {
  return [0, ra, rb, rc, ra + rb - rc, ra + ((rb - rc) >> 1), rb + ((ra - rc) >> 1), (ra + rb) >> 1][p]!;
}

function encode(samples: Uint16Array, o: EncodeOptions): Uint8Array {
  const { width, height, components: nc, precision, predictor } = o;
  const tables = [codes(COUNTS, SYMBOLS), codes(COUNTS, [...SYMBOLS].reverse())];
  const w = new BitWriter();
  const restartRows = o.restartRows ?? height;
  const out: number[] = [0xff, 0xd8];
  const segment = (marker: number, body: number[]): void => {
    out.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body);
  };
  segment(0xc4, [0x00, ...COUNTS, ...SYMBOLS]);
  segment(0xc4, [0x01, ...COUNTS, ...[...SYMBOLS].reverse()]);
  if (o.restartRows) segment(0xdd, [(restartRows * width) >> 8, (restartRows * width) & 0xff]);
  const comps: number[] = [];
  for (let c = 0; c < nc; c++) comps.push(c + 1, 0x11, 0);
  segment(0xc3, [precision, height >> 8, height & 0xff, width >> 8, width & 0xff, nc, ...comps]);
  const scan: number[] = [nc];
  for (let c = 0; c < nc; c++) scan.push(c + 1, (o.twoTables ? c % 2 : 0) << 4);
  segment(0xda, [...scan, predictor, 0, o.pointTransform ?? 0]);
  const at = (x: number, y: number, c: number): number => samples[(y * width + x) * nc + c]!;
  let marker = 0;
  for (let y = 0; y < height; y++) {
    const first = y % restartRows === 0;
    if (first && y > 0) {
      w.pad();
      w.bytes.push(0xff, 0xd0 + (marker++ % 8));
    }
    for (let x = 0; x < width; x++)
      for (let c = 0; c < nc; c++) {
        let pred: number;
        if (first) pred = x === 0 ? 1 << (precision - 1) : at(x - 1, y, c);
        else if (x === 0) pred = at(x, y - 1, c);
        else pred = predict(predictor, at(x - 1, y, c), at(x, y - 1, c), at(x - 1, y - 1, c));
        let diff = (at(x, y, c) - pred) & 0xffff;
        if (diff > 32768) diff -= 65536;
        const s = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
        const { code, length } = tables[o.twoTables ? c % 2 : 0]!.get(s)!;
        w.write(code, length);
        if (s > 0 && s < 16) w.write(diff > 0 ? diff : diff + (1 << s) - 1, s);
      }
  }
  w.pad();
  return Uint8Array.from([...out, ...w.bytes, 0xff, 0xd9]);
}

function image(width: number, height: number, nc: number, precision: number, seed: number): Uint16Array {
  const rng = createRng(seed);
  const out = new Uint16Array(width * height * nc);
  const max = 2 ** precision - 1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < nc; c++) {
        // A smooth ramp with noise, and now and then a jump to the extremes (large differences).
        const smooth = ((x + y * 2 + c * 40) / (width + 2 * height + 80)) * max;
        const noise = (rng.next() - 0.5) * max * 0.05;
        const jump = rng.next() < 0.02 ? (rng.next() < 0.5 ? 0 : max) : undefined;
        out[(y * width + x) * nc + c] = jump ?? Math.max(0, Math.min(max, Math.round(smooth + noise)));
      }
  return out;
}

interface Reference {
  decode(buffer: ArrayBuffer, offset: number, length: number, numBytes: number): ArrayBuffer | Uint8Array | Uint16Array;
}
const { Decoder } = createRequire(import.meta.url)('jpeg-lossless-decoder-js') as { Decoder: new () => Reference };

function referenceBytes(jpeg: Uint8Array, bytesPerSample: number): Uint8Array {
  const copy = Uint8Array.from(jpeg);
  const out = new Decoder().decode(copy.buffer, 0, copy.length, bytesPerSample);
  return out instanceof ArrayBuffer ? new Uint8Array(out) : new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

describe('JPEG lossless decoder (process 14)', () => {
  const cases: EncodeOptions[] = [];
  for (let predictor = 1; predictor <= 7; predictor++) cases.push({ width: 37, height: 23, components: 1, precision: 12, predictor });
  cases.push({ width: 40, height: 30, components: 1, precision: 16, predictor: 1 });
  cases.push({ width: 40, height: 30, components: 1, precision: 16, predictor: 6 });
  cases.push({ width: 33, height: 17, components: 1, precision: 8, predictor: 4 });
  cases.push({ width: 20, height: 24, components: 1, precision: 12, predictor: 7, restartRows: 5 });
  cases.push({ width: 19, height: 11, components: 3, precision: 8, predictor: 1 });
  cases.push({ width: 19, height: 11, components: 3, precision: 8, predictor: 5, twoTables: true, restartRows: 2 });

  it.each(cases)('decodes %o to the encoded samples', (o) => {
    const samples = image(o.width, o.height, o.components, o.precision, o.predictor * 31 + o.precision);
    const jpeg = encode(samples, o);
    const bytesPerSample = o.precision > 8 ? 2 : 1;
    const decoded = decodeJpegLosslessFast(jpeg, bytesPerSample)!;
    expect(decoded).toBeDefined();
    expect([decoded.width, decoded.height, decoded.components, decoded.bitsPerSample]).toEqual([
      o.width,
      o.height,
      o.components,
      bytesPerSample * 8,
    ]);
    const values =
      bytesPerSample === 2 ? new Uint16Array(decoded.bytes.buffer, decoded.bytes.byteOffset, decoded.bytes.length / 2) : decoded.bytes;
    expect(Array.from(values)).toEqual(Array.from(samples));
    // jpeg-lossless-decoder-js does not reset the prediction at restart markers (T.81 H.1.2.1 says to),
    // so it is a reference only for streams without them.
    if (!o.restartRows) expect(Array.from(decoded.bytes)).toEqual(Array.from(referenceBytes(jpeg, bytesPerSample)));
  });

  it('leaves a point transform to the general decoder and still decodes it', () => {
    const o = { width: 16, height: 8, components: 1, precision: 12, predictor: 1, pointTransform: 1 };
    const jpeg = encode(image(16, 8, 1, 11, 5), o);
    expect(decodeJpegLosslessFast(jpeg, 2)).toBeUndefined();
    expect(decodeJpegLossless(jpeg, 2, 16, 8).bytes).toHaveLength(16 * 8 * 2);
  });

  it('refuses a frame header that claims another size than the DICOM header, before allocating', () => {
    const o = { width: 16, height: 8, components: 3, precision: 8, predictor: 1 };
    const jpeg = encode(image(16, 8, 3, 8, 4), o);
    expect(decodeJpegLossless(jpeg, 1, 16, 8).components).toBe(3);
    let sof = 2;
    while (!(jpeg[sof] === 0xff && jpeg[sof + 1] === 0xc3)) sof++;
    const bomb = Uint8Array.from(jpeg);
    bomb.fill(0xff, sof + 5, sof + 9); // 65,535 × 65,535 × 3 samples
    expect(() => decodeJpegLossless(bomb, 1, 16, 8)).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/65535×65535/) }),
    );
    const many = Uint8Array.from(jpeg);
    many[sof + 9] = 200; // 200 components
    expect(() => decodeJpegLossless(many, 1, 16, 8)).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/E_INPUT_INVALID|E_FORMAT_UNSUPPORTED/) }),
    );
  });

  it('refuses restarts inside a row with predictors 2–7 (the general decoder would get them wrong)', () => {
    const o = { width: 16, height: 8, components: 1, precision: 12, predictor: 4, restartRows: 1 };
    const jpeg = encode(image(16, 8, 1, 12, 6), o);
    let dri = 2;
    while (!(jpeg[dri] === 0xff && jpeg[dri + 1] === 0xdd)) dri++;
    const inside = Uint8Array.from(jpeg);
    inside[dri + 5] = 5; // an interval of 5 samples: inside a row of 16
    inside[dri + 4] = 0;
    expect(() => decodeJpegLossless(inside, 2, 16, 8)).toThrow(expect.objectContaining({ code: 'E_FORMAT_UNSUPPORTED' }));
  });

  it('refuses truncated and malformed streams with E_INPUT_INVALID', () => {
    const o = { width: 64, height: 64, components: 1, precision: 12, predictor: 1 };
    const jpeg = encode(image(64, 64, 1, 12, 9), o);
    const scanEnd = jpeg.length - 2;
    for (const cut of [Math.floor(scanEnd * 0.6), scanEnd - 40, 40, 3])
      expect(() => decodeJpegLosslessFast(jpeg.subarray(0, cut), 2), `cut at ${cut}`).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID' }),
      );
    expect(() => decodeJpegLosslessFast(Uint8Array.from([1, 2, 3, 4, 5]), 2)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    const noTables = Uint8Array.from(jpeg);
    expect([noTables[2], noTables[3]]).toEqual([0xff, 0xc4]);
    noTables[3] = 0xfe; // the first DHT becomes a comment: table 0 is never defined
    expect(() => decodeJpegLosslessFast(noTables, 2)).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/not defined/) }),
    );
    expect(() => decodeJpegLossless(jpeg.subarray(0, scanEnd - 40), 2, 64, 64)).toThrow(
      expect.objectContaining({ code: 'E_INPUT_INVALID' }),
    );
  });
});
