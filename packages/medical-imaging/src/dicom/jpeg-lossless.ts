// JPEG lossless (ITU T.81 process 14: SOF3, Huffman coding, predictors 1–7), written from the T.81
// text for speed: the entropy-coded data is unstuffed once, Huffman codes of up to 9 bits are read
// through a lookup table, and the single-component path (nearly every DICOM frame) has its own loop.
// Handles 2–16-bit samples, any number of components in one interleaved scan with 1×1 sampling,
// restart intervals that are whole rows, and no point transform. Other layouts (several scans,
// subsampled components, a point transform, DNL, restarts inside a row with predictor 1) return
// undefined so the caller can use a general decoder; restarts inside a row with predictors 2–7 and
// more than 4 components are E_FORMAT_UNSUPPORTED. Corrupt or truncated streams, and a frame header
// whose size differs from the expected one, are E_INPUT_INVALID.
import { AppliedMLError } from '@appliedml/engine';
import type { DecodedFrame } from './codecs';
import { buildHuffmanTable, LOOKUP_BITS, LOOKUP_MASK, type HuffmanTable as Table } from './jpeg-huffman';

function corrupt(message: string): AppliedMLError {
  return new AppliedMLError('E_INPUT_INVALID', `The JPEG lossless stream is corrupt: ${message}.`);
}

interface Frame {
  precision: number;
  height: number;
  width: number;
  ids: number[];
}

/** Entropy-coded bytes with the stuffed zeros removed, one segment per restart interval. */
function unstuff(data: Uint8Array, start: number): { bytes: Uint8Array; ends: number[]; next: number } {
  const bytes = new Uint8Array(data.length - start);
  const ends: number[] = [];
  let n = 0;
  let i = start;
  while (i < data.length) {
    const b = data[i]!;
    if (b !== 0xff) {
      bytes[n++] = b;
      i++;
      continue;
    }
    let j = i + 1;
    while (j < data.length && data[j] === 0xff) j++; // fill bytes
    if (j >= data.length) break;
    const m = data[j]!;
    if (m === 0) {
      bytes[n++] = 0xff;
      i = j + 1;
    } else if (m >= 0xd0 && m <= 0xd7) {
      ends.push(n);
      i = j + 1;
    } else {
      i = j - 1; // the marker's 0xFF
      break;
    }
  }
  ends.push(n);
  return { bytes: bytes.subarray(0, n), ends, next: i };
}

/**
 * Decode one JPEG lossless frame. `bytesPerSample` 1 gives 8-bit samples, 2 gives 16-bit samples
 * (little-endian bytes); samples are interleaved per pixel. Undefined when the stream uses a layout
 * this decoder does not cover.
 */
export function decodeJpegLosslessFast(
  jpeg: Uint8Array,
  bytesPerSample: 1 | 2,
  expected?: { width: number; height: number },
): DecodedFrame | undefined {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw corrupt('no start-of-image marker');
  const tables: Array<Table | undefined> = [];
  let frame: Frame | undefined;
  let restart = 0;
  let i = 2;
  for (;;) {
    while (i < jpeg.length && jpeg[i] === 0xff && jpeg[i + 1] === 0xff) i++;
    if (i + 4 > jpeg.length) throw corrupt('it ends before the scan');
    if (jpeg[i] !== 0xff) throw corrupt(`a marker was expected at byte ${i}`);
    const marker = jpeg[i + 1]!;
    const length = (jpeg[i + 2]! << 8) | jpeg[i + 3]!;
    const body = i + 4;
    const end = i + 2 + length;
    if (length < 2 || end > jpeg.length) throw corrupt(`marker 0x${marker.toString(16)} runs past the end`);
    if (marker === 0xc3) {
      if (length < 8) throw corrupt('the frame header is too short');
      const nc = jpeg[body + 5]!;
      if (length < 8 + 3 * nc) throw corrupt('the frame header is too short');
      const height = (jpeg[body + 1]! << 8) | jpeg[body + 2]!;
      const width = (jpeg[body + 3]! << 8) | jpeg[body + 4]!;
      // Checked before anything is allocated: the frame header could claim any size.
      if (expected && (width !== expected.width || height !== expected.height))
        throw corrupt(`its frame header says ${width}×${height}, the DICOM header ${expected.width}×${expected.height}`);
      if (nc < 1 || nc > 4)
        throw new AppliedMLError('E_FORMAT_UNSUPPORTED', `A JPEG lossless frame with ${nc} components is not supported (1–4).`);
      const ids: number[] = [];
      for (let c = 0; c < nc; c++) {
        if (jpeg[body + 7 + 3 * c] !== 0x11) return undefined; // subsampled components
        ids.push(jpeg[body + 6 + 3 * c]!);
      }
      frame = { precision: jpeg[body]!, height, width, ids };
    } else if ((marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xdc) {
      return undefined; // another process (hierarchical, arithmetic …) or DNL
    } else if (marker === 0xc4) {
      for (let p = body; p < end;) {
        const id = jpeg[p]! & 0x0f;
        if (p + 17 > end) throw corrupt('a Huffman table is truncated');
        const counts = jpeg.subarray(p + 1, p + 17);
        let total = 0;
        for (const c of counts) total += c;
        if (p + 17 + total > end) throw corrupt('a Huffman table is truncated');
        tables[id] = buildHuffmanTable(counts, jpeg.slice(p + 17, p + 17 + total));
        p += 17 + total;
      }
    } else if (marker === 0xdd) {
      restart = (jpeg[body]! << 8) | jpeg[body + 1]!;
    } else if (marker === 0xda) {
      if (!frame) throw corrupt('the scan comes before the frame header');
      const ns = jpeg[body]!;
      if (ns !== frame.ids.length) return undefined; // components in separate scans
      const scanTables: Table[] = [];
      for (let s = 0; s < ns; s++) {
        const id = jpeg[body + 1 + 2 * s]!;
        if (id !== frame.ids[s]) return undefined;
        const table = tables[jpeg[body + 2 + 2 * s]! >> 4];
        if (!table) throw corrupt('the scan uses a Huffman table that is not defined');
        scanTables.push(table);
      }
      const predictor = jpeg[body + 1 + 2 * ns]!;
      const pointTransform = jpeg[body + 3 + 2 * ns]! & 0x0f;
      if (pointTransform !== 0) return undefined;
      if (predictor < 1 || predictor > 7) throw corrupt(`predictor ${predictor} is not 1–7`);
      if (restart > 0 && restart % frame.width !== 0) {
        // Restarts inside a row: jpeg-lossless-decoder-js gets those right for predictor 1 only (it does not
        // reset the prediction as T.81 H.1.2.1 says), so other predictors are refused rather than decoded wrong.
        if (predictor !== 1)
          throw new AppliedMLError(
            'E_FORMAT_UNSUPPORTED',
            `JPEG lossless with predictor ${predictor} and restart intervals inside a row is not supported.`,
          );
        return undefined;
      }
      if (frame.precision < 2 || frame.precision > 16 || (bytesPerSample === 1 && frame.precision > 8))
        throw corrupt(`sample precision ${frame.precision} does not fit ${bytesPerSample * 8}-bit samples`);
      if (frame.width < 1 || frame.height < 1) return undefined;
      const { bytes, ends, next } = unstuff(jpeg, end);
      // Another scan or table after this one means a multi-scan layout.
      if (next + 1 < jpeg.length && (jpeg[next + 1] === 0xda || jpeg[next + 1] === 0xc4)) return undefined;
      return decodeScan(bytes, ends, frame, scanTables, predictor, restart > 0 ? restart / frame.width : frame.height, bytesPerSample);
    } else if (marker === 0xd9) {
      throw corrupt('it ends before the scan');
    }
    i = end;
  }
}

function decodeScan(
  bytes: Uint8Array,
  ends: number[],
  frame: Frame,
  tables: Table[],
  predictor: number,
  rowsPerInterval: number,
  bytesPerSample: 1 | 2,
): DecodedFrame {
  const { width, height, precision } = frame;
  const nc = tables.length;
  const rowLength = width * nc;
  const out = bytesPerSample === 1 ? new Uint8Array(rowLength * height) : new Uint16Array(rowLength * height);
  const mask = bytesPerSample === 1 ? 0xff : 0xffff;
  const initial = 1 << (precision - 1);
  const diffs = new Int32Array(rowLength);
  const reader: Reader = { bytes, pos: 0, limit: ends[0] ?? bytes.length, acc: 0, bits: 0 };

  for (let row = 0; row < height; row++) {
    const first = row % rowsPerInterval === 0;
    if (first && row > 0) {
      // Restart: byte-align, move to the next interval's data.
      const interval = row / rowsPerInterval;
      if (interval >= ends.length) throw corrupt('a restart marker is missing');
      reader.pos = ends[interval - 1]!;
      reader.limit = ends[interval]!;
      reader.acc = 0;
      reader.bits = 0;
    }
    if (nc === 1) readRow(reader, tables[0]!, diffs, rowLength);
    else readRowInterleaved(reader, tables, diffs, width);
    // Bits used past the interval's end (the reader pads with zeros there): the data is truncated.
    if (reader.pos * 8 - reader.bits > reader.limit * 8) throw corrupt('the entropy-coded data ends early');

    const at = row * rowLength;
    if (first) {
      for (let c = 0; c < nc; c++) out[at + c] = (initial + diffs[c]!) & mask;
      for (let k = nc; k < rowLength; k++) out[at + k] = (out[at + k - nc]! + diffs[k]!) & mask;
      continue;
    }
    const up = at - rowLength;
    for (let c = 0; c < nc; c++) out[at + c] = (out[up + c]! + diffs[c]!) & mask;
    switch (predictor) {
      case 1:
        for (let k = nc; k < rowLength; k++) out[at + k] = (out[at + k - nc]! + diffs[k]!) & mask;
        break;
      case 2:
        for (let k = nc; k < rowLength; k++) out[at + k] = (out[up + k]! + diffs[k]!) & mask;
        break;
      case 3:
        for (let k = nc; k < rowLength; k++) out[at + k] = (out[up + k - nc]! + diffs[k]!) & mask;
        break;
      case 4:
        for (let k = nc; k < rowLength; k++) out[at + k] = (out[at + k - nc]! + out[up + k]! - out[up + k - nc]! + diffs[k]!) & mask;
        break;
      case 5:
        for (let k = nc; k < rowLength; k++)
          out[at + k] = (out[at + k - nc]! + ((out[up + k]! - out[up + k - nc]!) >> 1) + diffs[k]!) & mask;
        break;
      case 6:
        for (let k = nc; k < rowLength; k++)
          out[at + k] = (out[up + k]! + ((out[at + k - nc]! - out[up + k - nc]!) >> 1) + diffs[k]!) & mask;
        break;
      default:
        for (let k = nc; k < rowLength; k++) out[at + k] = (((out[at + k - nc]! + out[up + k]!) >> 1) + diffs[k]!) & mask;
    }
  }
  return {
    width,
    height,
    components: nc,
    bitsPerSample: bytesPerSample * 8,
    signed: false,
    bytes: new Uint8Array(out.buffer, out.byteOffset, out.byteLength),
  };
}

interface Reader {
  bytes: Uint8Array;
  pos: number;
  limit: number;
  /** Up to 32 buffered bits; the low `bits` of them are unread. */
  acc: number;
  bits: number;
}

/** One row of differences of a single component. */
function readRow(reader: Reader, table: Table, diffs: Int32Array, count: number): void {
  const { bytes, limit } = reader;
  const { lookup, maxCode, valPtr, minCode, symbols } = table;
  let { pos, acc, bits } = reader;
  // Local copies: an imported or module-level constant read in this loop costs a binding check per read
  // under ES modules (measured: twice the decode time).
  const lookBits = LOOKUP_BITS;
  const lookMask = LOOKUP_MASK;
  for (let k = 0; k < count; k++) {
    while (bits <= 24) {
      acc = (acc << 8) | (pos < limit ? bytes[pos]! : 0);
      pos++;
      bits += 8;
    }
    const entry = lookup[(acc >>> (bits - lookBits)) & lookMask]!;
    let s: number;
    if (entry !== 0) {
      bits -= entry >> 8;
      s = entry & 0xff;
    } else {
      let len = lookBits + 1;
      let code = (acc >>> (bits - len)) & ((1 << len) - 1);
      while (len <= 16 && code > maxCode[len]!) {
        len++;
        code = (acc >>> (bits - len)) & ((1 << len) - 1);
      }
      if (len > 16) throw corrupt('a Huffman code is not in its table');
      bits -= len;
      s = symbols[valPtr[len]! + code - minCode[len]!]!;
    }
    if (s === 0) diffs[k] = 0;
    else if (s === 16) diffs[k] = 32768;
    else {
      if (s > 16) throw corrupt(`difference category ${s} is over 16`);
      if (bits < s) {
        acc = (acc << 8) | (pos < limit ? bytes[pos]! : 0);
        pos++;
        bits += 8;
        if (bits < s) {
          acc = (acc << 8) | (pos < limit ? bytes[pos]! : 0);
          pos++;
          bits += 8;
        }
      }
      const v = (acc >>> (bits - s)) & ((1 << s) - 1);
      bits -= s;
      diffs[k] = v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
    }
  }
  reader.pos = pos;
  reader.acc = acc;
  reader.bits = bits;
}

/** One row of differences of several interleaved components, each with its own table. */
function readRowInterleaved(reader: Reader, tables: Table[], diffs: Int32Array, width: number): void {
  const nc = tables.length;
  const one = new Int32Array(1);
  for (let col = 0; col < width; col++)
    for (let c = 0; c < nc; c++) {
      readRow(reader, tables[c]!, one, 1);
      diffs[col * nc + c] = one[0]!;
    }
}
