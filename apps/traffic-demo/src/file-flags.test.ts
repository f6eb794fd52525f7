// Found in session 25: with a built-in source (--data auto, los-loop, synthetic) the flags that read a
// user's CSV (--delimiter, --time-zone, --interval, --adjacency, …) were taken without a word: a model
// trained with --time-zone Europe/Berlin on the generated network was read on its own clock all the same.
// And the SDK's `sensors` list (the columns of a wide file to read) had no flag: a file with a column of
// notes beside the sensors could not be read at all.
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, scratchFolder } from './test-helpers';

const { file } = scratchFolder('traffic-file-flags-');

beforeAll(() => {
  // A wide file with a text column (notes) between the sensors.
  const rows = ['time,A,B,notes,C'];
  for (let t = 0; t < 300; t++)
    rows.push(
      `${new Date(Date.UTC(2026, 0, 5) + t * 300_000).toISOString()},${50 + (t % 7)},${60 - (t % 5)},${t % 2 ? 'ok' : 'check'},${55 + (t % 3)}`,
    );
  writeFileSync(file('notes.csv'), `${rows.join('\n')}\n`);
  // Wide, no timestamps: one row per step.
  const plain = ['A,B'];
  for (let t = 0; t < 300; t++) plain.push(`${50 + (t % 7)},${60 - (t % 5)}`);
  writeFileSync(file('plain.csv'), `${plain.join('\n')}\n`);
});

describe("a built-in source refuses the flags that read a user's CSV", () => {
  it.each([
    [['train', '--data', 'synthetic', '--delimiter', ';'], '--delimiter reads', '--data synthetic \\(the generated network\\)'],
    [
      ['train', '--data', 'synthetic', '--time-zone', 'Europe/Berlin', '--interval', '10'],
      '--interval and --time-zone read',
      '--data synthetic',
    ],
    [['demo', '--data', 'los-loop', '--time-format', 'mdy'], '--time-format reads', '--data los-loop'],
    [['evaluate', '--bundle', 'no-such-model', '--adjacency', 'graph.csv'], '--adjacency reads', '--data auto \\(the default'],
    [['train', '--timestamp-column', 'time', '--missing-value', '0'], '--timestamp-column and --missing-value read', '--data auto'],
  ])(
    '%j is E_INPUT_INVALID naming the flags and what they apply to (they were taken without a word)',
    (args, flags, source) => {
      const r = runCli([...args, ...(['train', 'demo'].includes(args[0]!) ? ['--out', file('model')] : [])]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        new RegExp(
          `^error E_INPUT_INVALID: ${flags} your own CSV \\(--data FILE\\.csv\\) only, and the data is ${source}.*: give --data FILE\\.csv or leave (it|them) out\\.\\n$`,
        ),
      );
    },
    180_000,
  );

  it('the built-in sources still train without them', () => {
    const r = runCli(['train', '--data', 'synthetic', '--sensors', '4', '--model', 'last-value', '--out', file('plain')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 180_000);
});

describe('--sensor-ids: the sensors to read (readSeriesCsv sensors)', () => {
  const flags = () => ['--data', file('notes.csv'), '--timestamp-column', 'time'];

  it("train reads the listed columns only, in the list's order (the notes column was refused: no flag could leave it out)", () => {
    const r = runCli(['train', ...flags(), '--sensor-ids', 'C, A', '--model', 'last-value', '--out', file('ids-model')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Your data \(.*notes\.csv\): 2 sensors \(those --sensor-ids lists\), 300 steps of 5 min;/);
    // forecast takes the same flags as train; its rows are the model's sensors, in the model's order.
    const f = runCli(['forecast', '--bundle', file('ids-model'), ...flags(), '--sensor-ids', 'A,C']);
    expect(f.stderr).toBe('');
    expect(f.status).toBe(0);
    expect(f.stdout).toMatch(/│ C +│[\s\S]*│ A +│/);
    // Without the list the notes column is read as a sensor, and refused.
    const without = runCli(['train', ...flags(), '--model', 'last-value', '--out', file('no-ids')]);
    expect(without.stderr).toMatch(/column 'notes': 'check' is not a number\./);
  }, 240_000);

  it.each([
    [['--sensor-ids', 'C,X'], "--sensor-ids lists a sensor with no column in the header: 'X' \\(columns: time, A, B, notes, C\\)\\."],
    [['--sensor-ids', 'C,A,C'], "--sensor-ids lists 'C' twice\\."],
    [['--sensor-ids', 'C,,A'], "--sensor-ids must be sensor ids separated by commas \\(A,B,C\\), none empty; got 'C,,A'\\."],
    [
      ['--sensor-ids', 'C', '--sensors', '1'],
      '--sensors N \\(the first N sensors\\) and --sensor-ids \\(the sensors listed\\) both pick the sensors: give one of them\\.',
    ],
  ])(
    "%j is E_INPUT_INVALID in the flag's words",
    (extra, message) => {
      const r = runCli(['train', ...flags(), ...extra, '--model', 'last-value', '--out', file('bad')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^error E_INPUT_INVALID: ${message}\\n$`));
    },
    180_000,
  );

  it('a built-in source refuses it (it reads your own CSV only)', () => {
    const r = runCli(['train', '--data', 'synthetic', '--sensor-ids', 's0,s1', '--out', file('bad')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error E_INPUT_INVALID: --sensor-ids reads your own CSV \(--data FILE\.csv\) only/);
  }, 180_000);
});

describe('reading flags that read nothing in the file given', () => {
  it.each([
    [
      ['--data', 'notes.csv', '--timestamp-column', 'time', '--sensor-ids', 'A', '--start', '1999-01-01'],
      "--start is the time of the first row of a file without timestamps, and --timestamp-column gives the file's own times: leave --start out",
    ],
    [['--data', 'plain.csv', '--time-format', 'mdy'], '--time-format reads the times of the --timestamp-column, and none was given'],
    [['--data', 'plain.csv', '--time-unit', 's'], '--time-unit reads the times of the --timestamp-column, and none was given'],
  ])(
    '%j is refused (it was taken without a word)',
    (args, message) => {
      const r = runCli(['train', ...args.map((a) => (a.endsWith('.csv') ? file(a) : a)), '--model', 'last-value', '--out', file('bad')]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.startsWith(`error E_INPUT_INVALID: ${message}`)).toBe(true);
    },
    180_000,
  );

  it('a file without timestamps still reads with --start, and one sensor is "1 sensor"', () => {
    const r = runCli([
      'train',
      '--data',
      file('plain.csv'),
      '--start',
      '2026-01-05T00:00Z',
      '--sensor-ids',
      'B',
      '--model',
      'last-value',
      '--out',
      file('plain-model'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/: 1 sensor \(those --sensor-ids lists\), 300 steps of 5 min;/);
  }, 180_000);
});

describe('flags a command does not read', () => {
  it.each([
    [
      ['forecast', '--bundle', 'no-such-model', '--epochs', '50'],
      '--epochs applies to train and demo only: forecast does not read it\\. Leave --epochs out\\.',
    ],
    [
      ['train', '--bundle', 'old-model', '--out', 'OUT'],
      '--bundle applies to evaluate, forecast and serve only: train does not read it\\. Leave --bundle out\\.',
    ],
    [['demo', '--model', 'gru', '--out', 'OUT'], '--model applies to train only: demo does not read it\\. Leave --model out\\.'],
    [
      ['evaluate', '--bundle', 'no-such-model', '--port', '9000'],
      '--port applies to serve only: evaluate does not read it\\. Leave --port out\\.',
    ],
    [['serve', '--bundle', 'no-such-model', '--at', '40'], '--at applies to forecast only: serve does not read it\\. Leave --at out\\.'],
    [
      ['train', '--model', 'ridge', '--hidden', '8', '--out', 'OUT'],
      "--hidden applies to the networks \\(--model gru, lstm, tgcn\\) only: 'ridge' is not trained in epochs and has no hidden units\\. Leave --hidden out\\.",
    ],
    [
      ['train', '--epochs', '5', '--out', 'OUT'],
      "--epochs applies to the networks \\(--model gru, lstm, tgcn\\) only: 'ridge' is not trained in epochs",
    ],
  ])(
    '%j is refused (it was taken without a word)',
    (args, message) => {
      // Train and demo write to --out (in the test's folder) should the flag be taken.
      const r = runCli([...args.map((a) => (a === 'OUT' ? file('out') : a)), '--data', file('plain.csv')]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^error E_INPUT_INVALID: ${message}`));
    },
    180_000,
  );

  it('a network takes --epochs and --hidden', () => {
    const r = runCli(['train', '--data', file('plain.csv'), '--model', 'gru', '--epochs', '1', '--hidden', '4', '--out', file('gru')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/trained gru in [\d.]+ s \(1 epoch, best 1\); saved to /);
  }, 180_000);
});
