import { describe, expect, it } from 'vitest';
import { FSDD_REFERENCE, referenceLine } from './presets';

// r2 F12: the demo printed "reference (same data)" before a CNN on 3 speakers with a random split, and
// gave the SVM figures without this repository's own bench run of the same peer.
describe("the demo's FSDD reference line", () => {
  it('names each figure’s source and protocol, with this repository’s peer run beside the issue’s', () => {
    const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
    const line = referenceLine(pct);
    expect(line).not.toContain('same data');
    for (const r of FSDD_REFERENCE) expect(r.what).toMatch(/this repository's bench|the issue's figure|other data/);
    expect(line).toContain("official split, this repository's bench 98.4 %");
    expect(line).toContain("(unseen speakers), this repository's bench 72.0 %");
    expect(line).toContain('other data (3 speakers, random split) 97.0 %');
  });
});
