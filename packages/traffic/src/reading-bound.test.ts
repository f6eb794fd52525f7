import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrafficForecaster, type TrafficModelKind } from './forecaster';
import { readSeriesCsv, resampleToGrid } from './read-csv';
import { createSeries, MAX_READING, selectSensors, sliceSeries, splitSeries, type TrafficSeries } from './series';
import { expectCode } from './test-helpers';

// Load refuses a bundle whose scaler (means, standard deviations) or historical-average cells pass
// MAX_READING (1e12) in size. A hand-built series with a reading of 3e12 trained and saved, then its
// bundle was E_BUNDLE_CORRUPT; so was one of 9,000 readings of exactly ±1e12 (their standard deviation
// rounded to 1e12 + 0.03). Train now refuses the first, naming the sensor and value, and keeps the
// second's scaler within the bound.

/** The smallest reading refused: the next float64 after 1e12 (its spacing there is 2^-13). */
const JUST_OVER = MAX_READING + 2 ** -13;

let dir: string;
beforeAll(async () => {
  await initEngine();
  dir = await mkdtemp(join(tmpdir(), 'traffic-reading-bound-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A hand-built (not createSeries) series: sensor 'big' reads `big(t)`, sensor 'ok' ordinary speeds. */
function handBuilt(steps: number, big: (t: number) => number): TrafficSeries {
  const values = new Float64Array(steps * 2);
  for (let t = 0; t < steps; t++) {
    values[t * 2] = big(t);
    values[t * 2 + 1] = 50 + 10 * Math.sin(t / 3);
  }
  return { sensors: ['big', 'ok'], steps, intervalMinutes: 60, start: Date.UTC(2026, 0, 5), values };
}

async function trainSaveLoad(model: TrafficModelKind, series: TrafficSeries, name: string): Promise<TrafficForecaster> {
  const m = TrafficForecaster.create({ model, inputSteps: 4, horizons: [1] });
  await m.train(series);
  const out = join(dir, name);
  await m.save(out);
  m.dispose();
  return TrafficForecaster.load(out);
}

describe('readings are at most 1e12 in size, the bound load holds a bundle to', () => {
  it('the bound is just past the next float64 after 1e12', () => {
    expect(JUST_OVER).toBeGreaterThan(MAX_READING);
    expect((MAX_READING + JUST_OVER) / 2 === MAX_READING || (MAX_READING + JUST_OVER) / 2 === JUST_OVER).toBe(true);
  });

  it('createSeries takes ±1e12 and refuses the next float64 past either, naming the sensor and value', async () => {
    const ok = createSeries({
      values: [
        [MAX_READING, 1],
        [-MAX_READING, 2],
      ],
      sensors: ['big', 'ok'],
      intervalMinutes: 5,
    });
    expect(Array.from(ok.values)).toEqual([MAX_READING, 1, -MAX_READING, 2]);
    for (const v of [JUST_OVER, -JUST_OVER, Infinity]) {
      const e = await expectCode(
        () =>
          createSeries({
            values: [
              [1, 2],
              [3, v],
            ],
            sensors: ['a', 'big'],
            intervalMinutes: 5,
          }),
        'E_INPUT_INVALID',
      );
      expect(e.message).toContain(`Row 1, sensor 'big' is ${v}`);
      expect(e.details).toMatchObject({ row: 1, sensor: 'big', value: v });
    }
  });

  it('train refuses a hand-built series with a reading past 1e12 (E_INPUT_INVALID naming the sensor and value)', async () => {
    for (const model of ['last-value', 'historical-average', 'ridge'] as const) {
      for (const v of [JUST_OVER, -JUST_OVER, 3e12, -Infinity]) {
        const series = handBuilt(24 * 8, (t) => (t === 30 ? v : 1e11));
        const m = TrafficForecaster.create({ model, inputSteps: 4, horizons: [1] });
        const e = await expectCode(() => m.train(series), 'E_INPUT_INVALID');
        expect(e.message).toContain(`The training series: row 30, sensor 'big' is ${v}`);
        expect(e.details).toMatchObject({ row: 30, sensor: 'big', value: v });
        expect(m.isTrained).toBe(false);
        m.dispose();
      }
    }
  });

  it('a hand-built series whose largest reading is 1e12 trains, saves and loads (every model kind without a network)', async () => {
    for (const model of ['last-value', 'historical-average', 'seasonal-naive', 'ridge'] as const) {
      for (const sign of [1, -1]) {
        const series = handBuilt(24 * 8, (t) => sign * (t % 5 === 0 ? MAX_READING : 9e11 + 1e10 * Math.sin(t / 2)));
        const loaded = await trainSaveLoad(model, series, `max-${model}-${sign}`);
        const f = await loaded.predict({
          values: [
            [1e11, 50],
            [2e11, 51],
            [3e11, 52],
            [4e11, 53],
          ],
          end: '2026-02-01T03:00:00Z',
        });
        expect(f.steps[0]!.values.every(Number.isFinite)).toBe(true);
        loaded.dispose();
      }
    }
  });

  it("9,000 readings of ±1e12 train, save and load: the scaler's standard deviation stays at most 1e12", async () => {
    // Summed in float64, their variance came to (1e12 + 0.03)², which load refused (E_BUNDLE_CORRUPT).
    const series = handBuilt(9_000, (t) => (t % 2 === 0 ? MAX_READING : -MAX_READING));
    for (const model of ['last-value', 'historical-average', 'seasonal-naive'] as const) {
      const loaded = await trainSaveLoad(model, series, `alternating-${model}`);
      expect(loaded.sensors).toEqual(['big', 'ok']);
      loaded.dispose();
    }
  });

  it('sliceSeries, selectSensors and splitSeries refuse a hand-built series with a reading past 1e12', async () => {
    const series = handBuilt(10, (t) => (t === 3 ? JUST_OVER : 1));
    for (const call of [() => sliceSeries(series, 0, 5), () => selectSensors(series, ['ok']), () => splitSeries(series)]) {
      const e = await expectCode(call, 'E_INPUT_INVALID');
      expect(e.details).toMatchObject({ row: 3, sensor: 'big', value: JUST_OVER });
    }
  });
});

describe('the readers refuse a reading past 1e12 before averaging it into a grid slot', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

  it('a wide file without timestamps: 1e12 read, the next float64 refused naming the sensor', async () => {
    const s = await readSeriesCsv(bytes('a,big\n1,1e12\n2,-1e12\n'), { intervalMinutes: 5 });
    expect(Array.from(s.values)).toEqual([1, MAX_READING, 2, -MAX_READING]);
    const e = await expectCode(() => readSeriesCsv(bytes('a,big\n1,2\n3,1000000000000.001\n'), { intervalMinutes: 5 }), 'E_INPUT_INVALID');
    expect(e.details).toMatchObject({ row: 1, sensor: 'big' });
  });

  it('a wide file with timestamps: 2e12 and 0 in one 5-min slot are refused, not averaged to 1e12', async () => {
    const text = 'time,a,big\n2026-01-05T00:00:00Z,1,2e12\n2026-01-05T00:01:00Z,2,0\n2026-01-05T00:05:00Z,3,4\n';
    const e = await expectCode(() => readSeriesCsv(bytes(text), { intervalMinutes: 5, timestampColumn: 'time' }), 'E_INPUT_INVALID');
    expect(e.message).toContain("Line 2, sensor 'big' at 2026-01-05T00:00:00.000Z is 2000000000000");
    expect(e.details).toMatchObject({ sensor: 'big', value: 2e12 });
    const ok = await readSeriesCsv(bytes(text.replace('2e12', '1e12').replace(',0\n', ',1e12\n')), {
      intervalMinutes: 5,
      timestampColumn: 'time',
    });
    expect(ok.values[1]).toBe(MAX_READING);
  });

  it('a long file: a reading past 1e12 is refused naming its sensor; a missing-value marker past it is skipped', async () => {
    const opts = { intervalMinutes: 5, timestampColumn: 'time', sensorColumn: 'station', valueColumn: 'speed' } as const;
    const text = 'time,station,speed\n2026-01-05T00:00:00Z,s1,60\n2026-01-05T00:00:00Z,big,1000000000000.001\n2026-01-05T00:02:00Z,big,0\n';
    const e = await expectCode(() => readSeriesCsv(bytes(text), opts), 'E_INPUT_INVALID');
    expect(e.details).toMatchObject({ sensor: 'big', value: 1000000000000.001 });
    const marked = await readSeriesCsv(bytes(text), { ...opts, missingValue: 1000000000000.001 });
    expect(marked.values[1]).toBe(0);
  });

  it('resampleToGrid refuses a raw reading past 1e12 (even one time far outside a Date) naming the sensor', async () => {
    const e = await expectCode(
      () => resampleToGrid(Float64Array.from([0, 60_000]), Float64Array.from([1, -3e12, 2, 0]), ['a', 'big'], 5),
      'E_INPUT_INVALID',
    );
    expect(e.details).toMatchObject({ sensor: 'big', value: -3e12 });
    const far = await expectCode(
      () => resampleToGrid(Float64Array.from([1e300]), Float64Array.from([Infinity]), ['big'], 5),
      'E_INPUT_INVALID',
    );
    expect(far.message).toContain("Sensor 'big' at 1e+300 is Infinity");
  });
});
