// The SDK's messages name its options (`timeZone`, `intervalMinutes`, `report.unfittedSteps`): right for a
// program calling it, wrong for someone at the command line, who sets them with flags. Its errors and the
// warnings the CLI prints pass through `cliWording`, which names the flags instead.
import { AppliedMLError } from '@appliedml/engine/errors';

/** Whole phrases first (an option with its value), then the option names left over, word by word. */
const PHRASES: ReadonlyArray<readonly [RegExp, string]> = [
  [/pass timeFormat: 'mdy'/g, 'pass --time-format mdy'],
  [/pass timeUnit: 's'/g, 'pass --time-unit s'],
  [/pass delimiter: ('[^']+')/g, 'pass --delimiter $1'],
  // The training warning about readings every few steps.
  [/Read the series with intervalMinutes (\S+) and train again/g, 'Pass --interval $1 and train again'],
  // readSeriesCsv's `sensors` list is --sensor-ids ('sensors lists a sensor with no column in the header: …').
  [/\bsensors lists\b/g, '--sensor-ids lists'],
  // Options whose names are also words ('start', 'epochs'): only where the SDK names the option, at the
  // head of its message ('start is not a valid date: yesterday.') or in its advice.
  [/^start (?=is not a valid date|\S+ does not exist in )/, '--start '],
  [/\bcheck start and\b/g, 'check --start and'],
  [/^epochs must be\b/, '--epochs must be'],
  // A field of the training report, which the CLI does not print.
  [/ \(report\.[A-Za-z]+\)/g, ''],
];

const OPTION_FLAGS: Readonly<Record<string, string>> = {
  intervalMinutes: '--interval',
  timestampColumn: '--timestamp-column',
  sensorColumn: '--sensor-column',
  valueColumn: '--value-column',
  timeZone: '--time-zone',
  timeUnit: '--time-unit',
  timeFormat: '--time-format',
  missingValue: '--missing-value',
  hiddenUnits: '--hidden',
};

// Not a name in quotes: that is the user's own text (a column or sensor named 'timeZone').
const OPTION_NAME = new RegExp(`(?<!['"])\\b(${Object.keys(OPTION_FLAGS).join('|')})\\b(?!['"])`, 'g');

/** An SDK message in the CLI's terms: the flags that set what it names. */
export function cliWording(message: string): string {
  const phrased = PHRASES.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), message);
  return phrased.replace(OPTION_NAME, (name) => OPTION_FLAGS[name] ?? name);
}

/** An SDK error whose message names an option: the same error (code, details, cause), naming the CLI's flag instead. */
export function asFlags(error: unknown): unknown {
  if (!AppliedMLError.isInstance(error)) return error;
  const message = cliWording(error.message);
  return message === error.message ? error : new AppliedMLError(error.code, message, { details: error.details, cause: error });
}
