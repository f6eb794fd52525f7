// Found in session 25: some SDK errors still named its options where the user had typed flags:
// '--start yesterday' gave 'start is not a valid date: yesterday.', '--hidden 0' gave 'hiddenUnits must be
// an integer in 1..4096', '--epochs 0' gave 'epochs must be an integer in [1, 10000] (got 0).'
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliWording } from './wording';
import { runCli, scratchFolder } from './test-helpers';

const { file } = scratchFolder('traffic-option-words-');

beforeAll(() => {
  // Wide, no timestamps: --start gives the clock.
  const rows = ['A,B'];
  for (let t = 0; t < 300; t++) rows.push(`${50 + (t % 7)},${60 - (t % 5)}`);
  writeFileSync(file('plain.csv'), `${rows.join('\n')}\n`);
});

describe("the SDK's option names in the CLI's errors are its flags", () => {
  it.each([
    [['--start', 'yesterday'], '--start is not a valid date: yesterday\\.'],
    [
      ['--start', '2026-03-08T02:30', '--time-zone', 'America/Los_Angeles'],
      '--start 2026-03-08T02:30 does not exist in America/Los_Angeles \\(the clocks skip it when they go forward\\)\\.',
    ],
    [['--model', 'gru', '--hidden', '0'], '--hidden must be an integer in 1\\.\\.4096; got 0\\.'],
    [['--model', 'gru', '--epochs', '0'], '--epochs must be an integer in \\[1, 10000\\] \\(got 0\\)\\.'],
  ])(
    'train %j says the flag',
    (flags, message) => {
      const r = runCli(['train', '--data', file('plain.csv'), ...flags, '--out', file('model')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^error E_INPUT_INVALID: ${message}\\n$`));
    },
    180_000,
  );

  it('only where the SDK names the option: the words start and epochs elsewhere are left as they are', () => {
    expect(
      cliWording('The series ends past the latest time a series can hold: 3 steps of 5 min from X; check start and intervalMinutes.'),
    ).toBe('The series ends past the latest time a series can hold: 3 steps of 5 min from X; check --start and --interval.');
    expect(cliWording('Early stopping after 12 epochs: the validation loss did not improve at the start of training.')).toBe(
      'Early stopping after 12 epochs: the validation loss did not improve at the start of training.',
    );
    expect(cliWording("No timestamp column 'start' (columns: start, epochs).")).toBe(
      "No timestamp column 'start' (columns: start, epochs).",
    );
  });
});
