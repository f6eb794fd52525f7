import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDataset } from '@appliedml/engine';
import { generateTrafficNetwork, LOS_LOOP } from '@appliedml/traffic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData, type DemoData } from './data';
import { horizonTable } from './render';
import { replayTest, writeReport } from './report';
import { quickComparison, runCli } from './test-helpers';

let data: DemoData;
let dir: string;

beforeAll(async () => {
  data = await loadDemoData('auto', 8, {});
  dir = await mkdtemp(join(tmpdir(), 'traffic-demo-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('traffic demo', () => {
  it('falls back to the generated network offline and says it is synthetic', () => {
    expect(data.name).toBe('synthetic');
    expect(data.series.synthetic).toBe(true);
    expect(data.note).toMatch(/^SYNTHETIC/);
    expect(data.series.sensors).toHaveLength(8);
  });

  it('the CLI answers an unknown flag with a typed error and the usage, not a stack trace', () => {
    const r = runCli(['train', '--bogus'], { timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error E_INPUT_INVALID: Unknown option '--bogus'/);
    expect(r.stderr).toMatch(/usage:/);
    expect(r.stderr).not.toMatch(/TypeError|    at /);
  }, 60_000);

  it('uses Los-loop when APPLIEDML_DATA_DIR has it', async () => {
    await resolveDataset(LOS_LOOP); // E_DATASET_MISSING (with how to get it) when the data is absent
    const los = await loadDemoData('auto', 5);
    expect(los.name).toBe('los-loop');
    expect(los.series.steps).toBe(2016);
    expect(los.adjacency.size).toBe(5);
  });

  it('compares baselines per horizon, prints the published rows, and writes the HTML report with SVG and PNG plots', async () => {
    const { results, testStart, kept } = await quickComparison(data, ['last-value', 'window-mean']);
    const table = horizonTable(results);
    expect(table).toContain('persistence (last value)');
    expect(table).toContain('5.1264 / 3.1802');
    // Persistence beats the window mean at 15 min on this smooth network.
    expect(results[0]!.horizons[0]!.rmse).toBeLessThan(results[1]!.horizons[0]!.rmse);
    const model = kept.get('last-value')!;
    const replay = await replayTest(model, data, testStart, [0, 1]);
    expect(replay.charts[0]!.times.length).toBeGreaterThan(100);
    const file = await writeReport(dir, { data, results, replay, replayModel: 'persistence', tableText: table });
    const html = await readFile(file, 'utf8');
    expect(html).toContain('SYNTHETIC');
    expect(html).toContain('<svg');
    const png = await readFile(join(dir, 'error-by-horizon.png'));
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    for (const m of kept.values()) m.dispose();
  });

  it('on 15-minute data the table and the report give the minutes they are at (45 min), not 15 (review R3-5)', async () => {
    const net = generateTrafficNetwork({ sensors: 3, days: 7, intervalMinutes: 15, incidents: 0, seed: 3 });
    const d: DemoData = { ...net, name: 'synthetic', note: 'SYNTHETIC 15-minute data' };
    const { results, testStart, kept } = await quickComparison(d);
    const table = horizonTable(results, undefined, false);
    expect(table).toMatch(/45 min RMSE/);
    expect(table).toContain('acc @45 min');
    const replay = await replayTest(kept.get('last-value')!, d, testStart, [0]);
    expect(replay.minutesAhead).toBe(45);
    const html = await readFile(
      await writeReport(join(dir, 'fifteen'), { data: d, results, replay, replayModel: 'persistence', tableText: table }),
      'utf8',
    );
    expect(html).toContain('persistence, 45 min ahead');
    expect(html).not.toContain('15 min ahead');
    for (const m of kept.values()) m.dispose();
  });
});
