// A small sequential-DCT JPEG decoder (ITU T.81 processes 1, 2 and 4 with Huffman coding) for
// single-component images of 8 or 12 bits: DICOM "JPEG Extended" 12-bit frames, which the 8-bit
// libjpeg-turbo codec cannot read. Written from the T.81 text; float IDCT.
import { AppliedMLError } from '@appliedml/engine';
import type { DecodedFrame } from './codecs';
import { buildHuffmanTable, type HuffmanTable as Huffman } from './jpeg-huffman';

const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57,
  50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

function corrupt(message: string): AppliedMLError {
  return new AppliedMLError('E_INPUT_INVALID', `The JPEG stream is corrupt: ${message}.`);
}

const COS = (() => {
  const table = new Float64Array(64);
  for (let x = 0; x < 8; x++)
    for (let u = 0; u < 8; u++) table[x * 8 + u] = ((u === 0 ? Math.SQRT1_2 : 1) * Math.cos(((2 * x + 1) * u * Math.PI) / 16)) / 2;
  return table;
})();

function idct(coef: Float64Array, out: Float64Array, tmp: Float64Array): void {
  for (let y = 0; y < 8; y++)
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let v = 0; v < 8; v++) s += COS[y * 8 + v]! * coef[v * 8 + u]!;
      tmp[y * 8 + u] = s;
    }
  for (let y = 0; y < 8; y++)
    for (let x = 0; x < 8; x++) {
      let s = 0;
      for (let u = 0; u < 8; u++) s += COS[x * 8 + u]! * tmp[y * 8 + u]!;
      out[y * 8 + x] = s;
    }
}

/** Decode a single-component sequential Huffman JPEG of 8 or 12 bits into 16-bit little-endian samples. */
export function decodeJpegDct(data: Uint8Array): DecodedFrame {
  if (data[0] !== 0xff || data[1] !== 0xd8) throw corrupt('no start-of-image marker');
  const quant: Int32Array[] = [];
  const dcTables: Huffman[] = [];
  const acTables: Huffman[] = [];
  let width = 0;
  let height = 0;
  let precision = 8;
  let component: { id: number; q: number; dc: number; ac: number } | undefined;
  let restartInterval = 0;
  let pos = 2;
  const u16 = (at: number): number => {
    if (at + 1 >= data.length) throw corrupt('a segment runs past the end');
    return (data[at]! << 8) | data[at + 1]!;
  };
  while (pos < data.length) {
    if (data[pos] !== 0xff) throw corrupt(`no marker at byte ${pos}`);
    const marker = data[pos + 1]!;
    pos += 2;
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === 0xff) {
      if (marker === 0xff) pos--;
      continue;
    }
    if (marker === 0xd9) break;
    const length = u16(pos);
    const end = pos + length;
    if (end > data.length) throw corrupt('a segment runs past the end');
    let p = pos + 2;
    if (marker === 0xdb) {
      while (p < end) {
        const pq = data[p]! >> 4;
        const tq = data[p]! & 15;
        p++;
        const table = new Int32Array(64);
        for (let i = 0; i < 64; i++) {
          table[i] = pq ? u16(p) : data[p]!;
          p += pq ? 2 : 1;
        }
        quant[tq] = table;
      }
    } else if (marker === 0xc4) {
      while (p < end) {
        const tc = data[p]! >> 4;
        const th = data[p]! & 15;
        const counts = data.subarray(p + 1, p + 17);
        let total = 0;
        for (const c of counts) total += c;
        const symbols = data.subarray(p + 17, p + 17 + total);
        p += 17 + total;
        (tc === 0 ? dcTables : acTables)[th] = buildHuffmanTable(counts, symbols);
      }
    } else if (marker === 0xc0 || marker === 0xc1) {
      precision = data[p]!;
      height = u16(p + 1);
      width = u16(p + 3);
      const n = data[p + 5]!;
      if (n !== 1)
        throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `12-bit JPEG with ${n} components is not supported (single-component only).`);
      component = { id: data[p + 6]!, q: data[p + 8]!, dc: 0, ac: 0 };
    } else if (marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `JPEG process SOF${marker - 0xc0} is not supported for 12-bit data.`);
    } else if (marker === 0xdd) {
      restartInterval = u16(p);
    } else if (marker === 0xda) {
      if (!component || width === 0 || height === 0) throw corrupt('scan before frame header');
      const td = data[p + 2]! >> 4;
      const ta = data[p + 2]! & 15;
      component.dc = td;
      component.ac = ta;
      return decodeScan(data, end, {
        width,
        height,
        precision,
        restartInterval,
        q: quant[component.q],
        dc: dcTables[td],
        ac: acTables[ta],
      });
    }
    pos = end;
  }
  throw corrupt('no scan');
}

interface ScanSetup {
  width: number;
  height: number;
  precision: number;
  restartInterval: number;
  q: Int32Array | undefined;
  dc: Huffman | undefined;
  ac: Huffman | undefined;
}

function decodeScan(data: Uint8Array, start: number, s: ScanSetup): DecodedFrame {
  const { width, height, precision } = s;
  if (!s.q || !s.dc || !s.ac) throw corrupt('a table the scan names is missing');
  const q = s.q;
  const dc = s.dc;
  const ac = s.ac;
  let pos = start;
  let bitBuf = 0;
  let bitCount = 0;
  const readBit = (): number => {
    if (bitCount === 0) {
      if (pos >= data.length) throw corrupt('the scan ends early');
      let byte = data[pos++]!;
      if (byte === 0xff) {
        if (pos >= data.length) throw corrupt('the scan ends inside a marker');
        const next = data[pos]!;
        if (next === 0) pos++;
        else if (next >= 0xd0 && next <= 0xd7) byte = 0;
        else if (next === 0xd9) byte = 0;
        else throw corrupt(`marker FF${next.toString(16)} inside the scan`);
      }
      bitBuf = byte;
      bitCount = 8;
    }
    bitCount--;
    return (bitBuf >> bitCount) & 1;
  };
  const receive = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | readBit();
    return v;
  };
  const extend = (v: number, n: number): number => (n === 0 ? 0 : v < 1 << (n - 1) ? v - (1 << n) + 1 : v);
  const decodeSymbol = (h: Huffman): number => {
    let code = readBit();
    for (let len = 1; len <= 16; len++) {
      if (h.maxCode[len]! >= 0 && code <= h.maxCode[len]!) return h.symbols[h.valPtr[len]! + code - h.minCode[len]!]!;
      code = (code << 1) | readBit();
    }
    throw corrupt('an invalid Huffman code');
  };
  const blocksX = Math.ceil(width / 8);
  const blocksY = Math.ceil(height / 8);
  const shift = 1 << (precision - 1);
  const maxValue = (1 << precision) - 1;
  const out = new Uint16Array(width * height);
  const coef = new Float64Array(64);
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  let pred = 0;
  let mcu = 0;
  for (let by = 0; by < blocksY; by++)
    for (let bx = 0; bx < blocksX; bx++) {
      if (s.restartInterval > 0 && mcu > 0 && mcu % s.restartInterval === 0) {
        bitCount = 0;
        while (pos + 1 < data.length && !(data[pos] === 0xff && data[pos + 1]! >= 0xd0 && data[pos + 1]! <= 0xd7)) pos++;
        pos += 2;
        pred = 0;
      }
      mcu++;
      coef.fill(0);
      const t = decodeSymbol(dc);
      if (t > 16) throw corrupt('a DC magnitude over 16 bits');
      pred += extend(receive(t), t);
      coef[0] = pred * q[0]!;
      for (let k = 1; k < 64;) {
        const rs = decodeSymbol(ac);
        const r = rs >> 4;
        const size = rs & 15;
        if (size === 0) {
          if (r !== 15) break;
          k += 16;
          continue;
        }
        k += r;
        if (k > 63) throw corrupt('an AC run past the block');
        coef[ZIGZAG[k]!] = extend(receive(size), size) * q[k]!;
        k++;
      }
      idct(coef, block, tmp);
      for (let y = 0; y < 8; y++) {
        const py = by * 8 + y;
        if (py >= height) break;
        for (let x = 0; x < 8; x++) {
          const px = bx * 8 + x;
          if (px >= width) break;
          const v = Math.round(block[y * 8 + x]! + shift);
          out[py * width + px] = v < 0 ? 0 : v > maxValue ? maxValue : v;
        }
      }
    }
  return {
    width,
    height,
    components: 1,
    bitsPerSample: precision > 8 ? 16 : 8,
    signed: false,
    bytes: precision > 8 ? new Uint8Array(out.buffer) : Uint8Array.from(out),
  };
}
