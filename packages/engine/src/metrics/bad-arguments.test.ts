import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import { shuffleIndices } from '../datasets/split';
import { confusionMatrix } from './classification';
import { averagePrecision, rocAuc, rocAucOvr } from './ranking';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return AppliedMLError.isInstance(e) ? e.code : `untyped ${String(e)}`;
  }
  return 'no error';
}

describe('metrics given no arrays or absurd class counts', () => {
  it('answer with E_INPUT_INVALID, not a TypeError or RangeError', () => {
    expect(codeOf(() => rocAuc(null as never, null as never))).toBe('E_INPUT_INVALID');
    expect(codeOf(() => averagePrecision([0, 1], undefined as never))).toBe('E_INPUT_INVALID');
    expect(codeOf(() => rocAucOvr([0, 1, 2], undefined as never, 3))).toBe('E_INPUT_INVALID');
    expect(codeOf(() => rocAucOvr(null as never, [[1, 0, 0]], 3))).toBe('E_INPUT_INVALID');
    expect(codeOf(() => confusionMatrix([0, 1], [0, 1], 1e9))).toBe('E_INPUT_INVALID');
    expect(codeOf(() => shuffleIndices(1e10))).toBe('E_INPUT_INVALID');
  });
});
