import { describe, expect, it } from 'vitest';
import { runCli } from './test-helpers';

describe('the CLI takes one command', () => {
  it("a second word is refused before anything runs: `npm run demo -- train` ran the quick preset with 'train' ignored", () => {
    const both = runCli(['demo', 'train', '--model', 'ridge', '--epochs', 'x']);
    expect(both.status).toBe(1);
    expect(both.stdout).toBe('');
    expect(both.stderr).toMatch(
      /^error E_INPUT_INVALID: 'demo' takes no further arguments; got 'train'\. One command at a time: npx appliedml-traffic-demo <command>/,
    );
  }, 120_000);
});
