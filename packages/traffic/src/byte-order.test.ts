import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';
import { generateTrafficNetwork } from './synthetic';
import { bits, expectCode, resealBundle, type BundleJson as Json } from './test-helpers';

// ha.f64 and ridge.f64 hold float64s in the byte order of the machine that saved them. The manifest
// records it (preprocessing.byteOrder); load converts a bundle from a machine of the other order, and
// takes a bundle without the field as little-endian (x64 and arm64 wrote every one of them).

const machine = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'little' : 'big';
const other = machine === 'little' ? 'big' : 'little';

let dir: string;
let saved: string;
let model: TrafficForecaster;
const net = generateTrafficNetwork({ sensors: 4, corridorLength: 2, days: 3, incidents: 0, seed: 7 });
const n = net.series.sensors.length;
const input = {
  values: Array.from({ length: 6 }, (_, t) => Array.from(net.series.values.subarray((300 + t) * n, (301 + t) * n))),
  end: net.series.start! + 305 * 5 * 60_000,
};
const starts = Array.from({ length: 30 }, (_, k) => k * 20);

/** Every 8-byte group reversed: the same float64s in the other byte order. */
function swapped(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 8) for (let k = 0; k < 8; k++) out[i + k] = bytes[i + 7 - k] as number;
  return out;
}

let k = 0;
async function copy(): Promise<string> {
  const to = join(dir, `copy-${k++}`);
  await cp(saved, to, { recursive: true });
  return to;
}

beforeAll(async () => {
  await initEngine();
  dir = await mkdtemp(join(tmpdir(), 'traffic-byte-order-'));
  // The graph ridge with the historical average: both ha.f64 and ridge.f64.
  model = TrafficForecaster.create({ model: 'ridge', inputSteps: 6, horizons: [1, 3] });
  await model.train(net.series, { adjacency: net.adjacency });
  saved = join(dir, 'saved');
  await model.save(saved);
});
afterAll(async () => {
  model.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function expectSameForecasts(path: string): Promise<void> {
  const loaded = await TrafficForecaster.load(path);
  expect(bits(await loaded.forecastSeries(net.series, starts))).toBe(bits(await model.forecastSeries(net.series, starts)));
  expect(await loaded.predict(input)).toEqual(await model.predict(input));
  loaded.dispose();
}

describe('the byte order of ha.f64 and ridge.f64', () => {
  it("is recorded in the manifest: this machine's", async () => {
    const manifest = JSON.parse(await readFile(join(saved, 'manifest.json'), 'utf8')) as Json;
    expect(manifest.preprocessing.byteOrder).toBe(machine);
    await expectSameForecasts(saved);
  });

  it(`a bundle written in the other order (${other}-endian) is converted at load: the same forecasts to the last bit`, async () => {
    const path = await copy();
    await resealBundle(path, { files: { 'ha.f64': swapped, 'ridge.f64': swapped }, manifest: (m) => (m.preprocessing.byteOrder = other) });
    await expectSameForecasts(path);
  });

  it('a bundle without the field (saved before it) is read as little-endian', async () => {
    const path = await copy();
    // Its files as a little-endian machine wrote them.
    const little = (b: Uint8Array): Uint8Array => (machine === 'little' ? b : swapped(b));
    await resealBundle(path, { files: { 'ha.f64': little, 'ridge.f64': little }, manifest: (m) => delete m.preprocessing.byteOrder });
    await expectSameForecasts(path);
  });

  for (const [label, value] of [
    ['middle', 'middle'],
    ['BIG', 'BIG'],
    ['null', null],
    ['1', 1],
  ] as const) {
    it(`a byte order of ${label} is E_BUNDLE_CORRUPT`, async () => {
      const path = await copy();
      await resealBundle(path, {
        files: { 'ha.f64': (b) => b, 'ridge.f64': (b) => b },
        manifest: (m) => (m.preprocessing.byteOrder = value),
      });
      const error = await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_CORRUPT');
      expect(error.message).toMatch(/the byte order of its \.f64 files \(.*\) is not 'little' or 'big'/);
    });
  }
});
