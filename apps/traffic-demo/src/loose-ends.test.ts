// Found in session 24: `--sensors N` was ignored without a word by evaluate, forecast and serve; the
// --adjacency file was read comma-separated whatever --delimiter said; "Forecast from …" was printed in
// UTC for a model trained on a local clock (--time-zone).
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from './data';
import { clockTime } from './render';
import { runCli, scratchFolder } from './test-helpers';

const { file } = scratchFolder('traffic-loose-');
// Local wall-clock times, no offset: read on the --time-zone clock.
const local = (step: number): string => new Date(Date.UTC(2026, 0, 5) + step * 300_000).toISOString().slice(0, 19);

beforeAll(() => {
  const comma = ['time,A,B,C'];
  const semi = ['time;A;B;C'];
  for (let t = 0; t < 200; t++) {
    const row = [local(t), 50 + (t % 7), 60 - (t % 5), 55 + (t % 3)];
    comma.push(row.join(','));
    semi.push(row.join(';'));
  }
  writeFileSync(file('speeds.csv'), `${comma.join('\n')}\n`);
  writeFileSync(file('speeds-semi.csv'), `${semi.join('\n')}\n`);
  writeFileSync(file('adj-semi.csv'), '1;0.5;0\n0.5;1;0.5\n0;0.5;1\n');
});

describe('--sensors where the model decides the sensors', () => {
  it.each([['evaluate'], ['forecast'], ['serve']])(
    '%s refuses --sensors N, saying the model uses its own sensors (it was ignored without a word)',
    (command) => {
      const r = runCli([
        command,
        '--bundle',
        file('no-such-model'),
        '--sensors',
        '2',
        '--data',
        file('speeds.csv'),
        '--timestamp-column',
        'time',
      ]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        new RegExp(
          `^error E_INPUT_INVALID: --sensors applies to train and demo only: ${command} uses the model's own sensors \\(those it was trained on, taken from the data by id\\)\\. Leave --sensors out\\.`,
        ),
      );
    },
    180_000,
  );
});

describe("the --adjacency file's separator", () => {
  it("--delimiter ';' reads a ';'-separated graph too (it was read comma-separated and refused)", () => {
    const r = runCli([
      'train',
      '--data',
      file('speeds-semi.csv'),
      '--timestamp-column',
      'time',
      '--delimiter',
      ';',
      '--adjacency',
      file('adj-semi.csv'),
      '--model',
      'last-value',
      '--out',
      file('semi-model'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/3 sensors, 200 steps of 5 min; road graph /);
  }, 180_000);

  it("--adjacency-delimiter sets the graph's alone: a comma data file with a ';' graph", async () => {
    const d = await loadDemoData(
      file('speeds.csv'),
      undefined,
      {},
      {
        timestampColumn: 'time',
        adjacency: file('adj-semi.csv'),
        adjacencyDelimiter: ';',
      },
    );
    expect(Array.from(d.adjacency.weights)).toEqual([1, 0.5, 0, 0.5, 1, 0.5, 0, 0.5, 1]);
    const r = runCli([
      'train',
      '--data',
      file('speeds.csv'),
      '--timestamp-column',
      'time',
      '--adjacency',
      file('adj-semi.csv'),
      '--adjacency-delimiter',
      ';',
      '--model',
      'last-value',
      '--out',
      file('semi-graph-model'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // Without it, the advice names the flag that reads the graph.
    const without = runCli(['train', '--data', file('speeds.csv'), '--timestamp-column', 'time', '--adjacency', file('adj-semi.csv')]);
    expect(without.status).toBe(1);
    expect(without.stderr).toMatch(/pass --adjacency-delimiter ';'\./);
    expect(without.stderr).not.toMatch(/pass (--)?delimiter/);
  }, 240_000);
});

describe("the graph's flags without a graph", () => {
  it.each([[['--adjacency-delimiter', ';']], [['--adjacency-header']]])(
    '%j without --adjacency is refused (it read nothing, without a word)',
    (flag) => {
      const r = runCli(['train', '--data', file('speeds.csv'), '--timestamp-column', 'time', ...flag]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^error E_INPUT_INVALID: ${flag[0]} reads the --adjacency file, and none was given`));
    },
    180_000,
  );
});

describe('"Forecast from" on the model\'s clock', () => {
  it('clockTime gives the local time with its zone and UTC offset; UTC fields stay ISO', () => {
    expect(clockTime('2026-01-05T16:35:00.000Z', 'America/Los_Angeles')).toBe('2026-01-05 08:35:00 America/Los_Angeles (UTC-08:00)');
    expect(clockTime('2026-07-05T16:35:00.000Z', 'Europe/Berlin')).toBe('2026-07-05 18:35:00 Europe/Berlin (UTC+02:00)');
    expect(clockTime('2026-01-05T16:35:00.000Z', 'UTC')).toBe('2026-01-05 16:35:00 UTC (UTC+00:00)');
    expect(clockTime('2026-01-05T16:35:00.000Z', undefined)).toBe('2026-01-05T16:35:00.000Z');
  });

  it('a model trained with --time-zone says its forecast time on that clock, not in UTC', () => {
    const flags = ['--data', file('speeds.csv'), '--timestamp-column', 'time', '--time-zone', 'America/Los_Angeles'];
    const train = runCli(['train', ...flags, '--model', 'last-value', '--out', file('la-model')]);
    expect(train.status).toBe(0);
    const r = runCli(['forecast', '--bundle', file('la-model'), ...flags]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The file's last row: 16:35 local time (00:35 UTC the next day).
    expect(r.stdout).toMatch(/Forecast from 2026-01-05 16:35:00 America\/Los_Angeles \(UTC-08:00\):/);
    expect(r.stdout).not.toMatch(/Forecast from 2026-01-06T00:35/);
  }, 240_000);
});
