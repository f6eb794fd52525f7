import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args';

describe('parseCliArgs', () => {
  const config = { args: [] as string[], allowPositionals: true, options: { limit: { type: 'string' as const } } };
  it('parses as parseArgs does', () => {
    expect(parseCliArgs({ ...config, args: ['train', '--limit', '5'] }, 'usage').values.limit).toBe('5');
  });
  it('an unknown option or a value that looks like an option is E_INPUT_INVALID carrying the usage', () => {
    for (const args of [['--nope'], ['--limit', '-5']])
      expect(() => parseCliArgs({ ...config, args }, 'usage: demo')).toThrow(
        expect.objectContaining({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/usage: demo$/) }),
      );
  });
});
