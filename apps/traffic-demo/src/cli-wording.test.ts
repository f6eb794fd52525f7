// Found in session 24's review (R5-1, R5-3, R5-11): `demo` on a file without a clock failed after
// training two models (the SDK now refuses the historical average there) and `train --model
// historical-average` said '(start: null)'; the SDK's warnings reached the user in its words
// ('Read the series with intervalMinutes 10', '(report.unfittedSteps)', "timeZone 'Mars/Base'"), one
// of them repeating the note's --interval advice; `--delimiter ab` was taken without a word.
import { readFileSync, writeFileSync } from 'node:fs';
import { webAppFolder } from '@appliedml/demo-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliWording } from './wording';
import { runCli, scratchFolder } from './test-helpers';

const scratch = scratchFolder('traffic-wording-');
const { file } = scratch;
const iso = (step: number, minutes = 5): string => new Date(Date.UTC(2026, 0, 5) + step * minutes * 60_000).toISOString();

beforeAll(() => {
  // Wide, no timestamps: one row per step, no clock unless --start gives one.
  const clockless = ['A,B,C'];
  for (let t = 0; t < 600; t++)
    clockless.push(`${(50 + 5 * Math.sin(t / 30)).toFixed(2)},${(60 - 3 * Math.cos(t / 25)).toFixed(2)},${55 + (t % 4)}`);
  writeFileSync(file('clockless.csv'), `${clockless.join('\n')}\n`);
  // Readings every 10 min, read on the default 5-min grid.
  const ten = ['time,A,B'];
  for (let t = 0; t < 432; t++) ten.push(`${iso(t, 10)},${50 + (t % 7)},${60 - (t % 5)}`);
  writeFileSync(file('ten.csv'), `${ten.join('\n')}\n`);
  // Sensor C reads only in the first 14 steps: the graph ridge sees no window observing it 3 or more steps ahead.
  const gappy = ['time,A,B,C'];
  for (let t = 0; t < 600; t++) gappy.push(`${iso(t)},${50 + (t % 7)},${60 - (t % 5)},${t < 14 ? 55 + (t % 3) : ''}`);
  writeFileSync(file('gappy.csv'), `${gappy.join('\n')}\n`);
  writeFileSync(file('adj-semi.csv'), '1;0.5\n0.5;1\n');
});

describe('a file without a clock (review R5-1)', () => {
  it('demo leaves the historical average out with a note saying why and which flag gives a clock, and finishes the table', () => {
    const r = runCli(['demo', '--data', file('clockless.csv'), '--epochs', '1', '--hidden', '4', '--out', file('report')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/persistence \(last value\)/);
    expect(r.stdout).toMatch(/T-GCN-style graph model/);
    expect(r.stdout).not.toMatch(/│ historical average/);
    // The graph ridge reads no historical average without a clock: its row does not say it does.
    expect(r.stdout).toMatch(/│ graph ridge \(window and neighbours; no historical average: the data has no clock\) +│/);
    expect(r.stdout).not.toMatch(/window, neighbours, historical average/);
    expect(r.stdout).toMatch(
      /^Left out of the table: historical average .*Not trained: the 'historical-average' model averages by time of day, and this data has no clock .*--timestamp-column COLUMN .*--start ISO/m,
    );
    expect(readFileSync(file('report/report.html'), 'utf8')).toMatch(/Left out of the table: historical average/);
  }, 180_000);

  it('train --model historical-average says what to pass in flags, not "(start: null)", before training', () => {
    const r = runCli(['train', '--model', 'historical-average', '--data', file('clockless.csv'), '--out', file('ha')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error E_INPUT_INVALID: Cannot train: the 'historical-average' model averages by time of day/);
    expect(r.stderr).toMatch(/--timestamp-column COLUMN/);
    expect(r.stderr).toMatch(/--start ISO/);
    expect(r.stderr).not.toMatch(/start: null/);
    // With a clock it trains.
    const clocked = runCli([
      'train',
      '--model',
      'historical-average',
      '--data',
      file('clockless.csv'),
      '--start',
      iso(0),
      '--out',
      file('ha'),
    ]);
    expect(clocked.status, clocked.stderr).toBe(0);
  }, 180_000);
});

describe("the SDK's warnings and errors in the CLI's flags (review R5-3)", () => {
  it('readings every 10 min: the --interval advice is said once (the note), not again on stderr in SDK words', () => {
    const r = runCli(['train', '--model', 'ridge', '--data', file('ten.csv'), '--timestamp-column', 'time', '--out', file('ten')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pass --interval 10 \(each step ahead is then 10 min\)/);
    expect(r.stderr).not.toMatch(/intervalMinutes/);
    expect(`${r.stdout}${r.stderr}`.match(/read only once every 2 steps/g)).toHaveLength(1);
  }, 180_000);

  it('a step ahead no training window observed: the warning does not name the report field', () => {
    const r = runCli(['train', '--model', 'ridge', '--data', file('gappy.csv'), '--timestamp-column', 'time', '--out', file('gappy')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^\[traffic-demo\] warning: The graph ridge had no training window observing some steps ahead of 1 sensor\(s\)/m,
    );
    expect(r.stderr).not.toMatch(/report\./);
  }, 180_000);

  it('an unknown time zone is named by its flag', () => {
    const r = runCli(['train', '--data', file('ten.csv'), '--timestamp-column', 'time', '--time-zone', 'Mars/Base', '--out', file('tz')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error E_INPUT_INVALID: --time-zone 'Mars\/Base' is not a time zone/);
    expect(r.stderr).not.toMatch(/timeZone/);
  }, 180_000);

  it("the graph's delimiter advice names the flag that reads the graph alone, not the SDK's option or --delimiter (which sets the data's too)", () => {
    const r = runCli([
      'train',
      '--data',
      file('ten.csv'),
      '--timestamp-column',
      'time',
      '--adjacency',
      file('adj-semi.csv'),
      '--out',
      file('adj'),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/if the file is separated by ';', pass --adjacency-delimiter ';'\./);
    expect(r.stderr).not.toMatch(/pass (--)?delimiter/);
  }, 180_000);

  it('cliWording names the flags', () => {
    expect(cliWording('Read the series with intervalMinutes 10 and train again (each step ahead is then 10 min).')).toBe(
      'Pass --interval 10 and train again (each step ahead is then 10 min).',
    );
    expect(cliWording("For MM/DD/YYYY HH:mm[:ss] times, pass timeFormat: 'mdy'.")).toBe(
      'For MM/DD/YYYY HH:mm[:ss] times, pass --time-format mdy.',
    );
    expect(cliWording("If they are Unix seconds, pass timeUnit: 's'.")).toBe('If they are Unix seconds, pass --time-unit s.');
    expect(cliWording("if the file is separated by ';', pass delimiter: ';'. For a long file")).toBe(
      "if the file is separated by ';', pass --delimiter ';'. For a long file",
    );
    expect(cliWording('For a long file (one reading per row), pass sensorColumn and valueColumn too.')).toBe(
      'For a long file (one reading per row), pass --sensor-column and --value-column too.',
    );
    expect(cliWording('… last reading there: x (report.unfittedSteps). Give more history.')).toBe(
      '… last reading there: x. Give more history.',
    );
    expect(cliWording('No timestamp column time.')).toBe('No timestamp column time.');
    // A quoted name is the user's (a column called so), not the option.
    expect(cliWording("No timestamp column 'timeZone' (columns: a, b).")).toBe("No timestamp column 'timeZone' (columns: a, b).");
    expect(cliWording("timeZone 'Mars/Base' is not a time zone")).toBe("--time-zone 'Mars/Base' is not a time zone");
  });
});

describe('--delimiter (review R5-11)', () => {
  it.each([['ab'], ['"'], ['']])(
    'refuses %j, listing the values it takes',
    (value) => {
      const r = runCli(['train', '--data', file('ten.csv'), '--timestamp-column', 'time', '--delimiter', value]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error E_INPUT_INVALID: --delimiter must be one of ',' ';' '\|' or a tab \('\\t' or tab\); got /);
    },
    60_000,
  );
});

// 547f61a: the save refuses a web app's folder (its manifest.json is not a bundle's), but `train` found
// that out only at the save, after reading the data and training the whole model.
describe('train --out', () => {
  it("refuses a web app's folder before it reads the data or trains", async () => {
    const app = await webAppFolder(scratch.path);
    const r = runCli(['train', '--data', 'synthetic', '--model', 'gru', '--epochs', '1', '--out', app.dir]);
    expect([r.status, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toMatch(
      /^error E_INPUT_INVALID: --out .*\/app: Refusing to save over .*\/app: it is not empty and its manifest\.json is not an appliedml model bundle manifest \(it holds .*\)\. .* Nothing was trained\.$/m,
    );
    expect(await app.untouched()).toBe(true);
  }, 60_000);
});
