import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine, tf } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrafficForecaster } from './forecaster';
import { generateTrafficNetwork } from './synthetic';
import { expectCode } from './test-helpers';

let dir: string;
beforeAll(async () => {
  await initEngine();
  dir = await mkdtemp(join(tmpdir(), 'traffic-ridge-bundle-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `weights` as ridge.f64 and re-seals the manifest (its file checksum, its own checksum dropped). */
async function editWeights(path: string, edit: (weights: Float64Array) => void): Promise<void> {
  const buf = await readFile(join(path, 'ridge.f64'));
  const weights = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  edit(weights);
  const bytes = new Uint8Array(weights.buffer);
  await writeFile(join(path, 'ridge.f64'), bytes);
  const manifest = JSON.parse(await readFile(join(path, 'manifest.json'), 'utf8')) as {
    files: Record<string, string>;
    manifestSha256?: string;
  };
  manifest.files['ridge.f64'] = createHash('sha256').update(bytes).digest('hex');
  delete manifest.manifestSha256;
  await writeFile(join(path, 'manifest.json'), JSON.stringify(manifest));
}

describe('ridge bundle values (SDK fuzz S11)', () => {
  it('a re-sealed ridge.f64 with a NaN or infinite weight is E_BUNDLE_CORRUPT at load, not a NaN forecast', async () => {
    const net = generateTrafficNetwork({ sensors: 4, corridorLength: 2, days: 2, incidents: 0, seed: 5 });
    const model = TrafficForecaster.create({ model: 'ridge', inputSteps: 6, horizons: [1, 3] });
    await model.train(net.series, { adjacency: net.adjacency });
    const before = tf.memory().numTensors;
    for (const bad of [NaN, Infinity, -Infinity]) {
      const path = join(dir, `ridge-${String(bad)}`);
      await model.save(path);
      const intact = await TrafficForecaster.load(path);
      expect(intact.isTrained).toBe(true);
      intact.dispose();
      await editWeights(path, (w) => {
        w[3] = bad;
      });
      const error = await expectCode(() => TrafficForecaster.load(path), 'E_BUNDLE_CORRUPT');
      expect(error.message).toMatch(new RegExp(`ridge weight 3 is ${String(bad)}`));
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
