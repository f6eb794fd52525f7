import { initEngine } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';
import { createSeries } from './series';
import { bits } from './test-helpers';

// Found by review s28 R3: one update() after a feed outage filled the gap a row at a time, each row
// cutting the front of a full buffer, so its cost was quadratic in the stream's capacity (35 s for a
// 1-day outage of a 1-s seasonal-naive stream, 86,412 rows).
const MINUTE = 60_000;
const START = Date.UTC(2026, 0, 5);
const SEASON = 1500;
const STEPS = SEASON + 200;
const series = createSeries({
  values: Array.from({ length: STEPS }, (_, t) => [50 + Math.sin(t / 50), 40 + Math.cos(t / 70)]),
  sensors: ['a', 'b'],
  intervalMinutes: 1,
  start: START,
});

beforeAll(async () => {
  await initEngine({ device: 'wasm' });
});

async function trained(): Promise<TrafficForecaster> {
  const model = TrafficForecaster.create({ model: 'seasonal-naive', seasonSteps: SEASON });
  await model.train(series);
  return model;
}

/** `count` in-order readings from `from` (exclusive), each a step later; returns the last time. */
function stream(model: TrafficForecaster, from: number, count: number, phase = 0): number {
  let t = from;
  for (let k = 0; k < count; k++) {
    t += MINUTE;
    model.update({ values: [50 + Math.sin((k + phase) / 9), 40 - Math.cos((k + phase) / 13)], time: t });
  }
  return t;
}

/** The stream's rows (a private field: what the next forecast reads). */
function rowsOf(model: TrafficForecaster): Float64Array[] {
  return (model as unknown as { buffer: Float64Array[] }).buffer;
}

/**
 * Replaces the stream's row array by a proxy counting every element read, write and delete made through
 * it (a push, a splice, a slice all go through these): the work one update does on the buffer.
 */
function countAccesses(model: TrafficForecaster): { count: number } {
  const counter = { count: 0 };
  const holder = model as unknown as { buffer: Float64Array[] };
  holder.buffer = new Proxy(holder.buffer, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) counter.count++;
      return Reflect.get(target, key, receiver);
    },
    set(target, key, value, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) counter.count++;
      return Reflect.set(target, key, value, receiver);
    },
    deleteProperty(target, key) {
      if (typeof key === 'string' && /^\d+$/.test(key)) counter.count++;
      return Reflect.deleteProperty(target, key);
    },
  });
  return counter;
}

describe('update() after an outage', () => {
  it('a gap of two seasons touches at most a few times the capacity of rows (it was the capacity squared)', async () => {
    const model = await trained();
    const cap = model.streamCapacity;
    expect(cap).toBe(SEASON + 12);
    const last = stream(model, START + STEPS * MINUTE, cap);
    const counter = countAccesses(model);
    model.update({ values: [51, 41], time: last + 2 * SEASON * MINUTE });
    // Filling row by row with a cut of the front each time moved about cap² = 2.3 million rows here.
    expect(counter.count).toBeLessThanOrEqual(4 * cap);
    expect(model.bufferedSteps).toBe(cap);
    model.dispose();
  });

  for (const gap of [1, 7, SEASON, SEASON + 10, SEASON + 11, SEASON + 12, SEASON + 13, 3 * SEASON]) {
    for (const before of [20, SEASON + 12]) {
      it(`${gap} missing step(s) after ${before} rows: the same rows and forecast as the missing steps given one by one`, async () => {
        const gapped = await trained();
        const reference = await trained();
        let t = stream(gapped, START + STEPS * MINUTE, before);
        stream(reference, START + STEPS * MINUTE, before);
        for (let k = 1; k <= gap; k++) reference.update({ values: [null, null], time: t + k * MINUTE });
        t += (gap + 1) * MINUTE;
        gapped.update({ values: [52, 42], time: t });
        reference.update({ values: [52, 42], time: t });
        // Then a few more in-order readings on both.
        stream(gapped, t, 15, 3);
        stream(reference, t, 15, 3);
        expect(gapped.bufferedSteps).toBe(reference.bufferedSteps);
        expect(bits(rowsOf(gapped).flatMap((r) => [...r]))).toBe(bits(rowsOf(reference).flatMap((r) => [...r])));
        const [a, b] = [await gapped.forecast(), await reference.forecast()];
        expect(a.from).toBe(b.from);
        expect(bits(a.steps.flatMap((s) => s.values))).toBe(bits(b.steps.flatMap((s) => s.values)));
        gapped.dispose();
        reference.dispose();
      });
    }
  }
});
