// Found in session 25: --seed had a parse default ('1'), so no command could tell whether the user gave
// it, and it was taken without a word where nothing reads it: by evaluate, forecast and serve (a saved
// model and the baselines draw nothing at random) and by train for a model that is not a network.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, scratchFolder } from './test-helpers';

const { file } = scratchFolder('traffic-seed-');

beforeAll(() => {
  const rows = ['time,A,B'];
  for (let t = 0; t < 400; t++)
    rows.push(`${new Date(Date.UTC(2026, 0, 5) + t * 300_000).toISOString()},${50 + 5 * Math.sin(t / 9)},${60 - (t % 5)}`);
  writeFileSync(file('speeds.csv'), `${rows.join('\n')}\n`);
});

/** The flags that read speeds.csv. */
const ownFile = (): string[] => ['--data', file('speeds.csv'), '--timestamp-column', 'time'];

/** Every file of a saved bundle, by name. */
const bundleFiles = (dir: string): Record<string, string> =>
  Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name)).toString('base64')]));

describe('--seed is refused where nothing reads it', () => {
  it.each(['evaluate', 'forecast', 'serve'])(
    '%s --seed 3',
    (command) => {
      const r = runCli([command, '--bundle', file('no-model'), '--seed', '3']);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        new RegExp(`^error E_INPUT_INVALID: --seed applies to train and demo only: ${command} does not read it\\. Leave --seed out\\.`),
      );
    },
    180_000,
  );

  it('train --model ridge --seed 3 (the ridge has no random starting weights)', () => {
    const r = runCli(['train', ...ownFile(), '--model', 'ridge', '--seed', '3', '--out', file('ridge')]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^error E_INPUT_INVALID: --seed applies to the networks \(--model gru, lstm, tgcn\) only: 'ridge' has no random starting weights\. Leave --seed out\./,
    );
  }, 180_000);
});

describe('--seed where it is read', () => {
  it('train --model gru takes it, and without it trains from seed 1 as before', () => {
    const flags = [...ownFile(), '--model', 'gru', '--epochs', '1', '--hidden', '4'];
    const bundles = { none: file('gru-default'), one: file('gru-seed-1'), seven: file('gru-seed-7') };
    for (const [name, seed] of [
      ['none', []],
      ['one', ['--seed', '1']],
      ['seven', ['--seed', '7']],
    ] as const) {
      const r = runCli(['train', ...flags, ...seed, '--out', bundles[name]]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
    const weights = (dir: string) => {
      const files = bundleFiles(dir);
      return Object.entries(files).filter(([name]) => !name.endsWith('.json'));
    };
    expect(weights(bundles.one).length).toBeGreaterThan(0);
    expect(weights(bundles.none)).toEqual(weights(bundles.one));
    expect(weights(bundles.seven)).not.toEqual(weights(bundles.one));
  }, 300_000);
});
