import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';
import { createSeries } from './series';
import { expectCode, resealBundle } from './test-helpers';
import { PACKAGE_VERSION } from './version';

// A bundle saved by a newer version of the package, holding what this one cannot read (a model kind or
// a config value it added), was E_BUNDLE_CORRUPT "its config is invalid": a service on the older
// version was told the file was damaged. It is E_BUNDLE_INCOMPATIBLE now, saying which version saved it
// and to upgrade; a newer bundle this version can read loads, and an unreadable one from this version
// or an earlier one is still E_BUNDLE_CORRUPT.

let dir: string;
let saved: string;
let k = 0;
beforeAll(async () => {
  await initEngine();
  dir = await mkdtemp(join(tmpdir(), 'traffic-bundle-version-'));
  const rows = Array.from({ length: 60 }, (_, t) => [50 + Math.sin(t / 5), 40 + Math.cos(t / 3)]);
  const model = TrafficForecaster.create({ model: 'last-value', inputSteps: 4, horizons: [1, 2] });
  await model.train(createSeries({ values: rows, sensors: ['a', 'b'], intervalMinutes: 5, start: '2026-01-05T00:00:00Z' }));
  saved = join(dir, 'saved');
  await model.save(saved);
  model.dispose();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function edited(packageVersion: string, model?: string): Promise<string> {
  const to = join(dir, `copy-${k++}`);
  await cp(saved, to, { recursive: true });
  await resealBundle(to, {
    manifest: (m) => {
      m.packageVersion = packageVersion;
      if (model) m.config.model = model;
    },
  });
  return to;
}

describe('a bundle from a newer version of the package', () => {
  it('that this version cannot read is E_BUNDLE_INCOMPATIBLE naming both versions and what to do', async () => {
    const path = await edited('9.1.0', 'dcrnn');
    const e = await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_INCOMPATIBLE');
    expect(e.message).toMatch(
      new RegExp(
        `^Bundle ${path} was saved by @appliedml/traffic 9\\.1\\.0, newer than this ${PACKAGE_VERSION.replace(/\./g, '\\.')}, which cannot read it \\(its config is invalid \\(Unknown model 'dcrnn'\\. Models: .*\\)\\)\\. Upgrade @appliedml/traffic to 9\\.1\\.0 or later\\.$`,
      ),
    );
    expect(e.details).toMatchObject({ dir: path, packageVersion: '9.1.0', version: PACKAGE_VERSION });
    expect((e.cause as { code?: string }).code).toBe('E_BUNDLE_CORRUPT');
  });

  it('that this version can read loads', async () => {
    const model = await TrafficForecaster.load(await edited('9.1.0'));
    expect(model.sensors).toEqual(['a', 'b']);
    model.dispose();
  });

  it('from this version or an earlier one, the same edit is still E_BUNDLE_CORRUPT', async () => {
    for (const version of [PACKAGE_VERSION, '0.0.9', 'not a version']) {
      const e = await expectCode(async () => TrafficForecaster.load(await edited(version, 'dcrnn')), 'E_BUNDLE_CORRUPT');
      expect(e.message).toContain("its config is invalid (Unknown model 'dcrnn'.");
    }
  });
});

// What a newer version adds beside its config (a preprocessing field, a file, a network or a layer this
// version cannot rebuild) loaded silently, or was "corrupt": the forecasts would not be the saved model's.
describe('a newer bundle holding a preprocessing field, a file or a network this version does not know', () => {
  async function withExtras(packageVersion: string): Promise<string> {
    const to = join(dir, `copy-${k++}`);
    await cp(saved, to, { recursive: true });
    await writeFile(join(to, 'calibration.bin'), new Uint8Array([1, 2, 3]));
    await resealBundle(to, {
      files: { 'calibration.bin': (bytes) => bytes },
      manifest: (m) => {
        m.packageVersion = packageVersion;
        m.preprocessing.seasonalProfile = { weeks: 4 };
      },
    });
    return to;
  }

  it('is E_BUNDLE_INCOMPATIBLE naming each (it loaded and forecast without them)', async () => {
    const path = await withExtras('9.1.0');
    const e = await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_INCOMPATIBLE');
    expect(e.details.unknown).toEqual(['preprocessing.seasonalProfile', "file 'calibration.bin'"]);
    expect(e.message).toContain("it holds what this version does not know: preprocessing.seasonalProfile, file 'calibration.bin'");
    expect(e.message).toContain('Upgrade @appliedml/traffic to 9.1.0 or later.');
  });

  it('from this version, unknown names stay ignored as they always were', async () => {
    const model = await TrafficForecaster.load(await withExtras(PACKAGE_VERSION));
    expect(model.sensors).toEqual(['a', 'b']);
    model.dispose();
  });

  it('a network layer this version cannot rebuild: E_BUNDLE_INCOMPATIBLE from a newer version (it was E_BUNDLE_CORRUPT), still E_BUNDLE_CORRUPT from this one', async () => {
    const rows = Array.from({ length: 80 }, (_, t) => [50 + Math.sin(t / 5), 40 + Math.cos(t / 3)]);
    const model = TrafficForecaster.create({ model: 'gru', hiddenUnits: 2, inputSteps: 4, horizons: [1] });
    await model.train(createSeries({ values: rows, sensors: ['a', 'b'], intervalMinutes: 5, start: '2026-01-05T00:00:00Z' }), {
      epochs: 1,
      batchSize: 64,
    });
    const neural = join(dir, 'neural');
    await model.save(neural);
    model.dispose();
    const networkFile = (await readdir(neural)).find((f) => f.endsWith('.json') && f !== 'manifest.json');
    expect(networkFile).toBeDefined();
    for (const [version, code] of [
      ['9.1.0', 'E_BUNDLE_INCOMPATIBLE'],
      [PACKAGE_VERSION, 'E_BUNDLE_CORRUPT'],
    ] as const) {
      const to = join(dir, `copy-${k++}`);
      await cp(neural, to, { recursive: true });
      await resealBundle(to, {
        files: { [networkFile!]: (bytes) => Buffer.from(bytes.toString('utf8').replace('"class_name":"GRU"', '"class_name":"FutureGRU"')) },
        manifest: (m) => {
          m.packageVersion = version;
        },
      });
      const e = await expectCode(() => TrafficForecaster.load(to), code);
      expect(e.message).toContain('FutureGRU');
    }
  });
});
