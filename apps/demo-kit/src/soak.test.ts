import { describe, expect, it } from 'vitest';
import { SOAK_BOUNDS, soakViolations, type SoakResult } from './soak';

const ok: SoakResult = { errors: 0, seconds: 2, heapGrowth: 1e6, rssFirstHalf: 40e6, rssSecondHalf: 1e6, summary: '' };

describe('soakViolations', () => {
  it('is empty when every bound holds', () => {
    expect(soakViolations(ok)).toEqual([]);
  });

  it('names each broken bound with its figure', () => {
    const bad = { ...ok, errors: 2, seconds: 61, rssSecondHalf: SOAK_BOUNDS.rssSecondHalf, heapGrowth: Number.NaN };
    expect(soakViolations(bad)).toEqual([
      '2 requests failed',
      'seconds 61 ≥ 60',
      'heap growth NaN ≥ 16777216',
      `RSS growth over the second half ${SOAK_BOUNDS.rssSecondHalf} ≥ ${SOAK_BOUNDS.rssSecondHalf}`,
    ]);
    expect(soakViolations({ ...ok, rssFirstHalf: 100e6, rssSecondHalf: 40e6 })).toEqual([
      'RSS growth over both halves 140000000 ≥ 134217728',
    ]);
  });

  it('takes other bounds', () => {
    expect(soakViolations(ok, { ...SOAK_BOUNDS, seconds: 1 })).toEqual(['seconds 2 ≥ 1']);
  });
});
