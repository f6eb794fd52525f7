import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkModelClock, loadDemoData } from './data';
import { runCli } from './test-helpers';

let dir: string;
let longCsv: string;
const longFlags = { timestampColumn: 'time', sensorColumn: 'station', valueColumn: 'speed' } as const;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'traffic-own-'));
  // Three stations, two days of 5-min speeds, sensor by sensor (as a database export might list them).
  const rows = ['station,time,speed'];
  const start = Date.UTC(2026, 0, 5);
  for (const [k, station] of ['s-9', 's-2', 's-5'].entries())
    for (let t = 0; t < 576; t++) {
      const hour = ((t * 5) / 60) % 24;
      rows.push(`${station},${new Date(start + t * 300_000).toISOString()},${(60 - 20 * Math.exp(-((hour - 8) ** 2)) + k).toFixed(1)}`);
    }
  longCsv = join(dir, 'speeds.csv');
  await writeFile(longCsv, `${rows.join('\n')}\n`);
  await writeFile(join(dir, 'adj.csv'), '0,1,0\n1,0,1\n0,1,0\n');
  await writeFile(join(dir, 'adj2.csv'), '0,1\n1,0\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('traffic demo on your own CSV', () => {
  it('reads a long file with its road graph, or without one (every sensor on its own); --sensors keeps the first N', async () => {
    const d = await loadDemoData(longCsv, undefined, {}, { ...longFlags, adjacency: join(dir, 'adj.csv') });
    expect(d.name).toBe('file');
    expect(d.series.sensors).toEqual(['s-9', 's-2', 's-5']);
    expect(d.series.steps).toBe(576);
    expect(Array.from(d.adjacency.weights)).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0]);
    expect(d.note).toMatch(/^Your data .*3 sensors, 576 steps of 5 min; road graph/);
    const two = await loadDemoData(longCsv, 2, {}, { ...longFlags, adjacency: join(dir, 'adj.csv') });
    expect(two.series.sensors).toEqual(['s-9', 's-2']);
    expect(Array.from(two.adjacency.weights)).toEqual([0, 1, 1, 0]);
    expect(two.note).toMatch(/^Your data .*: the first 2 of 3 sensors, 576 steps/);
    // One sensor: 'the first of 3 sensors' (it said 'the first 1 of 3 sensors').
    const one = await loadDemoData(longCsv, 1, {}, longFlags);
    expect(one.series.sensors).toEqual(['s-9']);
    expect(one.note).toMatch(/^Your data .*: the first of 3 sensors, 576 steps/);
    // Relative paths (data and graph) are taken from the working directory (the CLI moves to where the command was typed).
    const start = process.cwd();
    try {
      process.chdir(dir);
      const relative = await loadDemoData('speeds.csv', undefined, { INIT_CWD: start }, { ...longFlags, adjacency: 'adj.csv' });
      expect(relative.adjacency.size).toBe(3);
    } finally {
      process.chdir(start);
    }
    const alone = await loadDemoData(longCsv, undefined, {}, longFlags);
    expect(Array.from(alone.adjacency.weights)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(alone.note).toMatch(/no road graph/);
  });

  it('a missing file or an adjacency of the wrong size is a typed error', async () => {
    const missing = await loadDemoData(join(dir, 'nope.csv'), undefined, {}, longFlags).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(missing, 'E_INPUT_INVALID')).toBe(true);
    const wrong = await loadDemoData(longCsv, undefined, {}, { ...longFlags, adjacency: join(dir, 'adj2.csv') }).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(wrong, 'E_SHAPE_MISMATCH')).toBe(true);
    // A graph whose first line names the sensors: the CLI's --adjacency-header reads it (review R3-6).
    await writeFile(join(dir, 'adj-ids.csv'), 's-9,s-2,s-5\n0,1,0\n1,0,1\n0,1,0\n');
    const ids = await loadDemoData(longCsv, undefined, {}, { ...longFlags, adjacency: join(dir, 'adj-ids.csv') }).catch((e: unknown) => e);
    expect((ids as AppliedMLError).message).toMatch(/If the first line names the sensors \(a header row\), pass --adjacency-header\.$/);
    const read = await loadDemoData(longCsv, undefined, {}, { ...longFlags, adjacency: join(dir, 'adj-ids.csv'), adjacencyHeader: true });
    expect(Array.from(read.adjacency.weights)).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0]);
  });

  it('--adjacency-header matches the graph to the data by sensor id; other ids are refused by name (review R6-2, R6-3)', async () => {
    // The graph lists s-5, s-9, s-2 (the data: s-9, s-2, s-5) and links s-5 with s-9 only: applied by
    // position, that link landed on s-9 and s-2.
    await writeFile(join(dir, 'adj-order.csv'), 's-5,s-9,s-2\n0,1,0\n1,0,0\n0,0,0\n');
    const d = await loadDemoData(longCsv, undefined, {}, { ...longFlags, adjacency: join(dir, 'adj-order.csv'), adjacencyHeader: true });
    expect(d.series.sensors).toEqual(['s-9', 's-2', 's-5']);
    expect(Array.from(d.adjacency.weights)).toEqual([0, 0, 1, 0, 0, 0, 1, 0, 0]);
    expect(d.note).toMatch(/matched to the data by the sensor ids in its header/);
    await writeFile(join(dir, 'adj-other.csv'), 's-5,s-9,s-7\n0,1,0\n1,0,0\n0,0,0\n');
    const other = await loadDemoData(
      longCsv,
      undefined,
      {},
      { ...longFlags, adjacency: join(dir, 'adj-other.csv'), adjacencyHeader: true },
    ).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(other, 'E_INPUT_INVALID')).toBe(true);
    expect((other as AppliedMLError).message).toMatch(/not in the graph: s-2; not in the data: s-7/);
    // Numeric ids in the header without the flag: the CLI's flag is named.
    await writeFile(join(dir, 'adj-numeric.csv'), '9,2,5\n0,1,0\n1,0,1\n0,1,0\n');
    const numeric = await loadDemoData(longCsv, undefined, {}, { ...longFlags, adjacency: join(dir, 'adj-numeric.csv') }).catch(
      (e: unknown) => e,
    );
    expect(AppliedMLError.hasCode(numeric, 'E_SHAPE_MISMATCH')).toBe(true);
    expect((numeric as AppliedMLError).message).toMatch(
      /4 × 3\. If the first line names the sensors \(a header row of ids\), pass --adjacency-header\.$/,
    );
  });

  it("a trained model's sensors are taken from the file by id, in the model's order; one the file lacks is refused by name", async () => {
    // The same readings, sensors listed in another order (a re-export): before, the first N were taken by position.
    const all = await loadDemoData(longCsv, undefined, {}, { ...longFlags, adjacency: join(dir, 'adj.csv') });
    const matched = await loadDemoData(longCsv, ['s-5', 's-9'], {}, { ...longFlags, adjacency: join(dir, 'adj.csv') });
    expect(matched.series.sensors).toEqual(['s-5', 's-9']);
    const n = all.series.sensors.length;
    for (let t = 0; t < all.series.steps; t += 97) {
      expect(matched.series.values[t * 2]).toBe(all.series.values[t * n + 2]);
      expect(matched.series.values[t * 2 + 1]).toBe(all.series.values[t * n]);
    }
    expect(matched.note).toMatch(/taken from it by id/);
    const same = await loadDemoData(longCsv, ['s-9', 's-2', 's-5'], {}, longFlags);
    expect(same.note).not.toMatch(/by id/);
    const missing = await loadDemoData(longCsv, ['s-9', 'S000'], {}, longFlags).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(missing, 'E_SHAPE_MISMATCH')).toBe(true);
    expect((missing as AppliedMLError).message).toMatch(
      /sensor\(s\) 'S000' that the data does not have \(its sensors: 's-9', 's-2' and 's-5'\)/,
    );
  });

  it('for a trained model the graph is not read: a file with extra sensors and the train flags is evaluated, and the note does not say "no road graph" (review R6-4)', async () => {
    // Train read the three sensors with a 3 × 3 graph; evaluate gets a file that also has a fourth sensor,
    // and the same flags (as the docs say): it was refused "adjacency is 3×3 but the CSV has 4 sensors".
    const rows = ['time,s-9,s-2,s-5,s-7'];
    const start = Date.UTC(2026, 0, 5);
    for (let t = 0; t < 100; t++)
      rows.push(`${new Date(start + t * 300_000).toISOString()},${50 + (t % 7)},${60 - (t % 5)},${55},${40 + (t % 3)}`);
    const wide = join(dir, 'wide-extra.csv');
    await writeFile(wide, `${rows.join('\n')}\n`);
    const flags = { timestampColumn: 'time', adjacency: join(dir, 'adj.csv') };
    const d = await loadDemoData(wide, ['s-9', 's-2', 's-5'], {}, flags);
    expect(d.series.sensors).toEqual(['s-9', 's-2', 's-5']);
    expect(d.note).toMatch(/neighbours are the model's, fixed at train \(--adjacency is not read again\)/);
    const bare = await loadDemoData(wide, ['s-9', 's-2', 's-5'], {}, { timestampColumn: 'time' });
    expect(bare.note).not.toMatch(/no road graph|every sensor on its own/);
    expect(bare.note).toMatch(/neighbours are the model's, fixed at train/);
  });

  it('readings every 15 min read on the default 5-min grid: the note says to pass --interval 15 (review R3-3)', async () => {
    const rows = ['time,A,B'];
    const start = Date.UTC(2026, 0, 5);
    for (let t = 0; t < 200; t++) rows.push(`${new Date(start + t * 900_000).toISOString()},${50 + (t % 7)},${60 - (t % 5)}`);
    const csv = join(dir, 'fifteen.csv');
    await writeFile(csv, `${rows.join('\n')}\n`);
    const five = await loadDemoData(csv, undefined, {}, { timestampColumn: 'time' });
    expect(five.note).toMatch(/once every 3 steps: every 15 min, not every 5 .*pass --interval 15/);
    // For a trained model (evaluate, forecast, serve) the interval is the model's: train again (review R6-8).
    const forModel = await loadDemoData(csv, ['A', 'B'], {}, { timestampColumn: 'time' });
    expect(forModel.note).toMatch(/the model's steps are 5 min \(its interval, fixed at train\): train it again with --interval 15/);
    const fifteen = await loadDemoData(csv, undefined, {}, { timestampColumn: 'time', intervalMinutes: 15 });
    expect(fifteen.note).not.toMatch(/--interval/);
    // A gap here and there is not a stride.
    expect((await loadDemoData(longCsv, undefined, {}, longFlags)).note).not.toMatch(/--interval/);
  });

  it('a fractional interval is printed without float noise: every 0.3 min, not 0.30000000000000004 (review R6-7)', async () => {
    const rows = ['time,A,B'];
    const start = Date.UTC(2026, 0, 5);
    for (let t = 0; t < 200; t++) rows.push(`${new Date(start + t * 18_000).toISOString()},${50 + (t % 7)},${60 - (t % 5)}`);
    const csv = join(dir, 'eighteen-s.csv');
    await writeFile(csv, `${rows.join('\n')}\n`);
    const d = await loadDemoData(csv, undefined, {}, { timestampColumn: 'time', intervalMinutes: 0.1 });
    expect(d.note).toMatch(/every 0\.3 min, not every 0\.1 .*pass --interval 0\.3 \(each step ahead is then 0\.3 min\)/);
  });

  it('a directory or a FIFO given as the file is refused before reading (a FIFO hung the read)', async () => {
    const fifo = join(dir, 'pipe.csv');
    spawnSync('mkfifo', [fifo]);
    for (const [data, adjacency] of [
      [fifo, undefined],
      [join(dir, 'folder.csv'), undefined],
      [longCsv, fifo],
    ] as const) {
      if (data.endsWith('folder.csv')) await mkdir(data, { recursive: true });
      const error = await loadDemoData(data, undefined, {}, { ...longFlags, ...(adjacency ? { adjacency } : {}) }).catch((e: unknown) => e);
      expect(AppliedMLError.hasCode(error, 'E_IO'), String(error)).toBe(true);
      expect((error as AppliedMLError).message).toContain(adjacency ?? data);
    }
  });

  it('--interval takes minutes as readSeriesCsv does: fractions (30-second readings) in [1/60, 1440]', () => {
    // Before, only whole minutes: a PeMS 30-second feed could not be read from the CLI.
    const rows = ['time,A,B'];
    const start = Date.UTC(2026, 0, 5);
    for (let t = 0; t < 400; t++) rows.push(`${new Date(start + t * 30_000).toISOString()},${50 + (t % 7)},${60 - (t % 5)}`);
    const csv = join(dir, 'thirty-seconds.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const flags = ['--data', csv, '--timestamp-column', 'time', '--model', 'last-value', '--out', join(dir, 'thirty')];
    const ok = runCli(['train', ...flags, '--interval', '0.5']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/400 steps of 0\.5 min/);
    for (const bad of ['0.01', '1441', 'x', ' '])
      expect(runCli(['train', ...flags, '--interval', bad]).stderr).toMatch(
        /^error E_INPUT_INVALID: --interval must be the minutes between readings, a number in \[1\/60, 1440\]/,
      );
  }, 240_000);

  it('--time-format mdy reads MM/DD/YYYY times, as PeMS writes them (before, the CLI had no such flag)', () => {
    const rows = ['Timestamp,Station,Speed'];
    const start = Date.UTC(2026, 0, 5);
    const mdy = (ms: number) => {
      const d = new Date(ms).toISOString();
      return `${d.slice(5, 7)}/${d.slice(8, 10)}/${d.slice(0, 4)} ${d.slice(11, 19)}`;
    };
    for (let t = 0; t < 300; t++) for (const s of ['400001', '400017']) rows.push(`${mdy(start + t * 30_000)},${s},${50 + (t % 7)}`);
    const csv = join(dir, 'pems.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const flags = ['--data', csv, '--timestamp-column', 'Timestamp', '--sensor-column', 'Station', '--value-column', 'Speed'];
    const train = runCli([
      'train',
      ...flags,
      '--interval',
      '0.5',
      '--time-format',
      'mdy',
      '--model',
      'last-value',
      '--out',
      join(dir, 'pems'),
    ]);
    expect(train.stderr).toBe('');
    expect(train.stdout).toMatch(/2 sensors, 300 steps of 0\.5 min/);
    expect(runCli(['train', ...flags, '--time-format', 'dmy']).stderr).toMatch(
      /^error E_INPUT_INVALID: --time-format must be iso or mdy; got dmy\./,
    );
  }, 240_000);

  it("the SDK's reading advice names the CLI's flags: --time-format mdy, --time-zone, --delimiter (it named options the CLI has no way to set)", async () => {
    const mdy = join(dir, 'us-times.csv');
    await writeFile(mdy, 'time,A\n01/05/2026 00:00:00,50\n01/05/2026 00:05:00,51\n');
    const us = await loadDemoData(mdy, undefined, {}, { timestampColumn: 'time' }).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(us, 'E_INPUT_INVALID')).toBe(true);
    expect((us as AppliedMLError).message).toMatch(/For MM\/DD\/YYYY HH:mm\[:ss\] times, pass --time-format mdy\.$/);
    // Los Angeles wall-clock times across the night the clocks go back: 01:00-01:55 comes twice.
    const rows = ['time,A'];
    for (let k = 0; k < 48; k++) {
      const utc = Date.UTC(2026, 10, 1, 7, 0) + k * 300_000;
      const local = utc - (utc < Date.UTC(2026, 10, 1, 9, 0) ? 7 : 8) * 3_600_000;
      rows.push(`${new Date(local).toISOString().slice(0, 16).replace('T', ' ')},${50 + (k % 5)}`);
    }
    const wall = join(dir, 'wall-clock.csv');
    await writeFile(wall, `${rows.join('\n')}\n`);
    const zone = await loadDemoData(wall, undefined, {}, { timestampColumn: 'time' }).catch((e: unknown) => e);
    expect((zone as AppliedMLError).message).toMatch(/pass --time-zone \(the clock's IANA zone/);
    expect((await loadDemoData(wall, undefined, {}, { timestampColumn: 'time', timeZone: 'America/Los_Angeles' })).series.steps).toBe(48);
    const semi = join(dir, 'semicolons.csv');
    await writeFile(semi, 'time;A\n2026-01-05T00:00Z;50\n2026-01-05T00:05Z;51\n');
    const sep = await loadDemoData(semi, undefined, {}, { timestampColumn: 'time' }).catch((e: unknown) => e);
    expect((sep as AppliedMLError).message).toMatch(/pass --delimiter ';'\.$/);
  });

  it('--delimiter reads a file separated by semicolons or tabs, named .tsv too (before, the CLI had no such flag)', () => {
    const rows = ['time;A;B'];
    const start = Date.UTC(2026, 0, 5);
    for (let t = 0; t < 200; t++) rows.push(`${new Date(start + t * 300_000).toISOString()};${50 + (t % 7)};${60 - (t % 5)}`);
    const semi = join(dir, 'semi.csv');
    const tabs = join(dir, 'tabs.csv');
    writeFileSync(semi, `${rows.join('\n')}\n`);
    writeFileSync(tabs, `${rows.join('\n').replaceAll(';', '\t')}\n`);
    const tsv = join(dir, 'tabs.tsv');
    writeFileSync(tsv, readFileSync(tabs));
    for (const [file, delimiter] of [
      [semi, ';'],
      [tabs, '\\t'],
      [tsv, 'tab'],
    ] as const) {
      const train = runCli([
        'train',
        '--data',
        file,
        '--timestamp-column',
        'time',
        '--delimiter',
        delimiter,
        '--model',
        'last-value',
        '--out',
        join(dir, 'delimited'),
      ]);
      expect(train.stderr).toBe('');
      expect(train.stdout).toMatch(/2 sensors, 200 steps of 5 min/);
    }
  }, 240_000);

  it("forecast and serve refuse data read on another grid or clock than the model's (forecast gave 5-min averages to a 30-second model without a word)", async () => {
    const rows = ['time,A,B'];
    const start = Date.UTC(2026, 0, 5);
    for (let t = 0; t < 400; t++) rows.push(`${new Date(start + t * 30_000).toISOString()},${50 + (t % 7)},${60 - (t % 5)}`);
    const csv = join(dir, 'half-minutes.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const bundle = join(dir, 'half-minute-model');
    const flags = ['--data', csv, '--timestamp-column', 'time'];
    expect(runCli(['train', ...flags, '--interval', '0.5', '--model', 'last-value', '--out', bundle]).status).toBe(0);
    const forgot = runCli(['forecast', '--bundle', bundle, ...flags]);
    expect(forgot.status).toBe(1);
    expect(forgot.stdout).not.toMatch(/Forecast from/);
    expect(forgot.stderr).toMatch(
      /^error E_INPUT_INVALID: The model was trained on 0\.5-min steps, but the data was read on 5-min steps: give this command train's --interval 0\.5\./,
    );
    expect(runCli(['forecast', '--bundle', bundle, ...flags, '--interval', '0.5']).stdout).toMatch(
      /Forecast from 2026-01-05T03:19:30\.000Z/,
    );
    // The clock: a model on Los Angeles time, data read without --time-zone (its local times read as UTC: 8 hours off).
    const model = { intervalMinutes: 0.5, timeZone: 'America/Los_Angeles' };
    const utc = await loadDemoData(csv, ['A', 'B'], {}, { timestampColumn: 'time', intervalMinutes: 0.5 });
    expect(() => checkModelClock(model, utc)).toThrow(
      /reads the America\/Los_Angeles clock, but the data was read without --time-zone: give this command train's --time-zone America\/Los_Angeles\./,
    );
    expect(() => checkModelClock({ intervalMinutes: 0.5, timeZone: undefined }, utc)).not.toThrow();
  }, 240_000);

  it('the CLI trains on the file and forecasts from it with the same flags', () => {
    const flags = ['--data', longCsv, '--timestamp-column', 'time', '--sensor-column', 'station', '--value-column', 'speed'];
    const bundle = join(dir, 'model');
    const train = runCli(['train', '--model', 'historical-average', '--out', bundle, ...flags]);
    expect(train.stderr).toBe('');
    expect(train.status).toBe(0);
    expect(train.stdout).toMatch(/Your data/);
    // A table is not trained in epochs: no '(0 epochs, best 0)' (review R3-5).
    expect(train.stdout).toMatch(/trained historical-average in \d+\.\d s; saved to /);
    const forecast = runCli(['forecast', '--bundle', bundle, ...flags]);
    expect(forecast.status).toBe(0);
    expect(forecast.stdout).toMatch(/s-9/);
    const bad = runCli(['train', '--data', longCsv, '--time-unit', 'days']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error E_INPUT_INVALID: --time-unit must be ms or s/);
  }, 240_000);
});
