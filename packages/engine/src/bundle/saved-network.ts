import type * as tf from '#tfjs';
import { AppliedMLError, describeValue } from '../errors';

/** A `<name>.model.json` as the bundle saves it: the Keras-style topology and the specs of its weights. */
export interface NetworkFile {
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
}

/**
 * Makes the error for what is wrong with a network file: `what` reads after the file's name, without a
 * final full stop (`is not valid JSON`); `details` name the weight and sizes concerned; `cause` is the
 * parser's error, if any.
 */
export type NetworkFault = (what: string, details: Record<string, unknown>, cause?: unknown) => Error;

/** Bytes per value of the weight types a layers network saves. */
const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
/** Bytes per value of tfjs's quantised weights. */
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads a network file of a bundle and checks that every field tfjs reads has its type: the topology an
 * object, each weight spec a name, a shape of whole numbers and a dtype a layers network saves (float32,
 * int32, bool; quantised as uint8, uint16 or float16). Anything else is the error `fault` makes of what
 * is wrong (the loader's E_BUNDLE_CORRUPT naming the file), before tfjs builds or decodes anything.
 */
export function parseNetworkFile(data: Uint8Array, fault: NetworkFault): NetworkFile {
  const corrupt = (what: string, cause?: unknown): Error => fault(what, {}, cause);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (cause) {
    throw corrupt('is not valid JSON', cause);
  }
  if (!isRecord(parsed) || !isRecord(parsed.modelTopology) || !Array.isArray(parsed.weightSpecs))
    throw corrupt("is not a saved network (an object with a 'modelTopology' object and a 'weightSpecs' list)");
  parsed.weightSpecs.forEach((spec: unknown, i) => {
    const label = isRecord(spec) && typeof spec.name === 'string' ? `weight '${spec.name}'` : `weight spec ${i}`;
    if (!isRecord(spec) || typeof spec.name !== 'string') throw corrupt(`has ${label} without a name: ${describeValue(spec)}`);
    if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
      throw corrupt(`gives ${label} the shape ${describeValue(spec.shape)}, not a list of whole numbers`);
    if (typeof spec.dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, spec.dtype))
      throw corrupt(`gives ${label} the dtype ${describeValue(spec.dtype)} (a network's weights are float32, int32 or bool)`);
    if (spec.group !== undefined && typeof spec.group !== 'string') throw corrupt(`gives ${label} a group that is not text`);
    const q = spec.quantization;
    if (q !== undefined) {
      if (
        !isRecord(q) ||
        typeof q.dtype !== 'string' ||
        !Object.hasOwn(QUANTIZED_BYTES, q.dtype) ||
        (q.dtype !== 'float16' && (typeof q.scale !== 'number' || typeof q.min !== 'number'))
      )
        throw corrupt(`gives ${label} a quantisation tfjs does not read: ${describeValue(q)}`);
    }
  });
  return parsed as unknown as NetworkFile;
}

/** Values in a weight: the product of its shape (an empty shape is one value). */
function valueCount(shape: number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** A typed view of `bytes` (copied when its offset does not suit the element size). */
function view<T>(data: Uint8Array, offset: number, bytes: number, size: number, make: (b: ArrayBuffer, o: number, n: number) => T): T {
  const start = data.byteOffset + offset;
  if (start % size === 0) return make(data.buffer as ArrayBuffer, start, bytes / size);
  // A copy of those bytes: Uint8Array's slice, since a Node Buffer's own `slice` is a view of the whole file.
  return make(Uint8Array.prototype.slice.call(data, offset, offset + bytes).buffer as ArrayBuffer, 0, bytes / size);
}

/**
 * Every float weight of a network holds finite values: a NaN or ±Infinity (a hand edit, a buggy export, a
 * training run that diverged) would load and make every prediction NaN. One pass over the bytes, before
 * any tensor is made; E_BUNDLE_CORRUPT naming the weight and `where` (`Bundle <dir>: <file>`). Weights
 * past the end of the data are left to the size checks.
 */
export function checkFiniteWeights(file: NetworkFile, data: Uint8Array, where: string, details: Record<string, unknown> = {}): void {
  let offset = 0;
  for (const spec of file.weightSpecs) {
    const count = valueCount(spec.shape);
    const q = spec.quantization?.dtype;
    const size = q ? QUANTIZED_BYTES[q]! : DTYPE_BYTES[spec.dtype]!;
    const bytes = count * size;
    if (offset + bytes > data.byteLength) return;
    let bad = -1;
    let value = 'Infinity or NaN';
    if (q === 'float16') {
      // Half precision: all exponent bits set is Infinity or NaN.
      const halves = view(data, offset, bytes, 2, (b, o, n) => new Uint16Array(b, o, n));
      for (let i = 0; i < halves.length; i++)
        if ((halves[i]! & 0x7c00) === 0x7c00) {
          bad = i;
          break;
        }
    } else if (!q && spec.dtype === 'float32') {
      const values = view(data, offset, bytes, 4, (b, o, n) => new Float32Array(b, o, n));
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v - v !== 0) {
          bad = i;
          value = String(v);
          break;
        }
      }
    }
    if (bad >= 0) {
      throw new AppliedMLError(
        'E_BUNDLE_CORRUPT',
        `${where} holds ${value} in weight '${spec.name}' (value ${bad + 1} of ${count}); a network with it would predict NaN, so it is refused.`,
        { details: { ...details, weight: spec.name, index: bad, value } },
      );
    }
    offset += bytes;
  }
}

/**
 * The weight specs describe the weights file exactly: each weight's values at its dtype's size, one after
 * the other, adding up to the file's length. So no spec declares more than the file holds (a shape
 * edited to millions of values is refused here, before anything is decoded), and a file cut short or
 * padded is refused too: the error `fault` makes of it (the loader's E_BUNDLE_CORRUPT naming the file),
 * naming the weight. Returns the number of values the network's own weights hold (optimizer state, which
 * tfjs sets aside, not counted): the most a topology that fits them can create.
 */
export function checkWeightSizes(file: NetworkFile, data: Uint8Array, fault: NetworkFault): number {
  let offset = 0;
  let values = 0;
  for (const spec of file.weightSpecs) {
    const count = valueCount(spec.shape);
    const q = spec.quantization?.dtype;
    const bytes = count * (q ? QUANTIZED_BYTES[q]! : DTYPE_BYTES[spec.dtype]!);
    if (offset + bytes > data.byteLength)
      throw fault(
        `holds ${data.byteLength} bytes, but its weight '${spec.name}' of shape [${spec.shape.join(', ')}] would need ${bytes} bytes from byte ${offset}: the weights file is cut short or the weight specs were edited`,
        { weight: spec.name, shape: spec.shape, bytes: data.byteLength },
      );
    offset += bytes;
    if (spec.group !== 'optimizer') values += count;
  }
  if (offset !== data.byteLength)
    throw fault(
      `holds ${data.byteLength} bytes, but its weight specs describe ${offset}: the weights file was padded or the weight specs were edited`,
      { bytes: data.byteLength, described: offset },
    );
  return values;
}
