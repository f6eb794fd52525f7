import { afterEach, describe, expect, it, vi } from 'vitest';
import { IncidentMonitor } from './incident-monitor';
import { bits } from './test-helpers';

// Found by review s28 R3: observe() sorted every sensor's whole residual history twice a call (median,
// then MAD): 44 ms a call at 20 sensors × 8,000 residuals, and historySize goes to 100,000. The monitor
// now keeps each history sorted (insert / remove by bisection) and reads the median and MAD from it.
interface Inside {
  history: Float64Array[];
  filled: Uint32Array;
  score(s: number, r: number): number | undefined;
}

/** The robust z as it was computed: the kept residuals sorted, the median, the deviations sorted, their median. */
function naiveZ(monitor: Inside, s: number, r: number, minScale: number): number {
  const values = monitor.history[s]!.slice(0, monitor.filled[s]).sort();
  const median = (v: Float64Array): number => {
    const mid = v.length >> 1;
    return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  };
  const med = median(values);
  const dev = values.map((v) => Math.abs(v - med)).sort();
  return (r - med) / Math.max(1.4826 * median(dev), minScale, 1e-12);
}

let seed = 7;
const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('IncidentMonitor.observe', () => {
  for (const historySize of [3, 4, 7, 8, 50, 301]) {
    it(`historySize ${historySize}: every score has the same bits as sorting the kept residuals (ties, -0 and +0, incidents, wrap-around)`, () => {
      const sensors = ['ties', 'noise', 'zeros', 'jumps'];
      const monitor = new IncidentMonitor({ sensors, historySize, minHistory: 3, minScale: 0.001, direction: 'both', threshold: 3 });
      const inside = monitor as unknown as Inside;
      let raised = 0;
      let compared = 0;
      const differ: string[] = [];
      for (let step = 0; step < 4 * historySize + 60; step++) {
        const observed = [
          50 + Math.floor(rnd() * 3), // few distinct residuals: many ties
          50 + rnd() * 4,
          rnd() < 0.5 ? -0 : 0, // residuals -0 - 0 = -0 and 0 - 0 = 0
          step % 37 < 4 ? 10 : 50 + rnd(), // incidents: abnormal runs stay out of the history
        ];
        const expected = [51, 52, 0, 50];
        for (let s = 0; s < sensors.length; s++) {
          if (inside.filled[s]! < 3) continue;
          for (const r of [observed[s]! - expected[s]!, 0, -0, 7.25, -40]) {
            compared++;
            const [z, naive] = [inside.score(s, r)!, naiveZ(inside, s, r, 0.001)];
            if (bits([z]) !== bits([naive])) differ.push(`step ${step} sensor ${s} r ${r}: ${z} vs ${naive}`);
          }
        }
        raised += monitor.observe({ observed, expected }).filter((e) => e.type === 'raised').length;
      }
      expect(differ.slice(0, 5)).toEqual([]);
      expect(compared).toBeGreaterThan(4 * 5 * 3 * historySize);
      expect(raised).toBeGreaterThan(0);
    });
  }

  it('sorts no history: a call is bisection plus shifting, not two sorts per sensor', () => {
    const sensors = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const monitor = new IncidentMonitor({ sensors, historySize: 2000 });
    const expected = sensors.map(() => 52);
    const typedArrayPrototype = Object.getPrototypeOf(Float64Array.prototype) as { sort: (compare?: unknown) => unknown };
    const sort = vi.spyOn(typedArrayPrototype, 'sort');
    for (let step = 0; step < 2100; step++) monitor.observe({ observed: sensors.map(() => 50 + rnd() * 4), expected });
    // The old observe sorted each sensor's history twice a call: 2 × 20 × ~2,070 calls here.
    expect(sort).not.toHaveBeenCalled();
  });
});
