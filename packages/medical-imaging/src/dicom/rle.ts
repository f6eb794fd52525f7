// DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then one PackBits
// segment per byte plane (most significant byte first, one set per sample).
import { AppliedMLError } from '@appliedml/engine';

function corrupt(message: string): AppliedMLError {
  return new AppliedMLError('E_INPUT_INVALID', `RLE pixel data is corrupt: ${message}.`);
}

function unpackBits(src: Uint8Array, start: number, end: number, out: Uint8Array): void {
  let i = start;
  let o = 0;
  while (i < end && o < out.length) {
    const n = src[i++]!;
    if (n < 128) {
      const count = n + 1;
      if (i + count > end) throw corrupt('a literal run passes the end of its segment');
      out.set(src.subarray(i, i + Math.min(count, out.length - o)), o);
      i += count;
      o += count;
    } else if (n > 128) {
      const count = 257 - n;
      if (i >= end) throw corrupt('a repeat run has no byte');
      out.fill(src[i++]!, o, Math.min(out.length, o + count));
      o += count;
    }
  }
  if (o < out.length) throw corrupt(`a segment holds ${o} of ${out.length} bytes`);
  // More data than Rows × Columns (beyond the one byte that pads a segment to even length): the header's
  // geometry disagrees with the pixels, as pydicom also refuses.
  if (o > out.length || end - i > 1) throw corrupt(`a segment holds more than the ${out.length} bytes its header's geometry gives`);
}

/**
 * Decode one RLE frame into pixel-interleaved little-endian bytes:
 * `bytesPerSample` 1, 2 or 4; `samples` 1 or 3.
 */
export function decodeRle(frame: Uint8Array, pixels: number, samples: number, bytesPerSample: number): Uint8Array {
  if (frame.length < 64) throw corrupt('the header is shorter than 64 bytes');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  if (segments !== samples * bytesPerSample) throw corrupt(`${segments} segments where ${samples * bytesPerSample} are expected`);
  const offsets: number[] = [];
  for (let s = 0; s < segments; s++) offsets.push(view.getUint32(4 + 4 * s, true));
  const out = new Uint8Array(pixels * samples * bytesPerSample);
  const plane = new Uint8Array(pixels);
  for (let s = 0; s < segments; s++) {
    const start = offsets[s]!;
    const end = s + 1 < segments ? offsets[s + 1]! : frame.length;
    if (start < 64 || start > end || end > frame.length) throw corrupt(`segment ${s + 1} lies outside the frame`);
    unpackBits(frame, start, end, plane);
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // MSB first → little-endian position
    const stride = samples * bytesPerSample;
    const base = sample * bytesPerSample + byteInSample;
    for (let p = 0; p < pixels; p++) out[p * stride + base] = plane[p]!;
  }
  return out;
}
