import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import { checkFiniteWeights, type NetworkFile } from './saved-network';

function file(weightSpecs: NetworkFile['weightSpecs']): NetworkFile {
  return { modelTopology: {}, weightSpecs };
}

function refusal(run: () => void): AppliedMLError | undefined {
  try {
    run();
  } catch (error) {
    if (AppliedMLError.hasCode(error, 'E_BUNDLE_CORRUPT')) return error;
    throw error;
  }
  return undefined;
}

describe('checkFiniteWeights', () => {
  it('finds a non-finite float32 after a weight of another size (an unaligned offset)', () => {
    const specs = file([
      { name: 'flag', shape: [1], dtype: 'bool' },
      { name: 'w', shape: [3], dtype: 'float32' },
    ]);
    const data = new Uint8Array(1 + 12);
    const floats = new Float32Array([1, -2, 3]);
    data.set(new Uint8Array(floats.buffer), 1);
    expect(refusal(() => checkFiniteWeights(specs, data, 'x'))).toBeUndefined();
    floats[1] = -Infinity;
    data.set(new Uint8Array(floats.buffer), 1);
    const error = refusal(() => checkFiniteWeights(specs, data, 'x'));
    expect(error?.details).toMatchObject({ weight: 'w', index: 1, value: '-Infinity' });
  });

  it('reads the right bytes of a Node Buffer (what readFile gives), whose slice is a view, at an unaligned offset', () => {
    const specs = file([
      { name: 'flag', shape: [1], dtype: 'bool' },
      { name: 'w', shape: [2], dtype: 'float32' },
    ]);
    // Bytes 0-3 of the file hold a NaN pattern; the weight itself (bytes 1-8) is finite.
    const data = Buffer.alloc(1 + 8);
    data.writeFloatLE(2.5, 1);
    data.writeFloatLE(-1, 5);
    data[0] = 0xff;
    expect(refusal(() => checkFiniteWeights(specs, data, 'x'))).toBeUndefined();
    data.writeFloatLE(Number.NaN, 5);
    expect(refusal(() => checkFiniteWeights(specs, data, 'x'))?.details).toMatchObject({ weight: 'w', index: 1 });
  });

  it('reads float16-quantised weights by their exponent bits; int32 and uint8-quantised weights are always finite', () => {
    const specs = file([
      { name: 'i', shape: [1], dtype: 'int32' },
      { name: 'q', shape: [1], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } },
      { name: 'h', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
    ]);
    const data = new Uint8Array(4 + 1 + 4);
    data.fill(0xff, 0, 5);
    const halves = new DataView(data.buffer, 5);
    halves.setUint16(0, 0x3c00, true); // 1.0
    halves.setUint16(2, 0x7bff, true); // 65504, the largest finite half
    expect(refusal(() => checkFiniteWeights(specs, data, 'x'))).toBeUndefined();
    halves.setUint16(2, 0xfc00, true); // -Infinity
    expect(refusal(() => checkFiniteWeights(specs, data, 'x'))?.details).toMatchObject({ weight: 'h', index: 1 });
  });
});
