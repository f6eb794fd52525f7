import { describe, expect, it } from 'vitest';
import { resolveDataset } from './datasets/resolver';
import { AppliedMLError, checkPathArgument } from './errors';

// A path holding a NUL character was refused only inside the bundle code (6a4e26f's checkPathText);
// checkPathArgument took it, so its other callers (the fraud scorer's load, the medical kvasir reader's
// root, the demo kit's output path, resolveDataset's folders) handed it to fs and got E_IO or Node's
// untyped ERR_INVALID_ARG_VALUE. checkPathArgument now refuses it, with the bundle code's words.

function caught(run: () => unknown): AppliedMLError {
  try {
    run();
  } catch (error) {
    if (AppliedMLError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

describe('checkPathArgument and a NUL character', () => {
  it('refuses a path holding NUL with E_INPUT_INVALID, reason nul-character', () => {
    const error = caught(() => checkPathArgument('models/a\0b', 'The scorer path'));
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.details).toEqual({ field: 'The scorer path', reason: 'nul-character' });
    expect(error.message).toBe('The scorer path holds a NUL character (\\0), which no file system takes: "models/a\\u0000b".');
  });

  it('still takes an ordinary path and still refuses an empty one without a reason', () => {
    expect(() => checkPathArgument('models/a b', 'p')).not.toThrow();
    const error = caught(() => checkPathArgument(' ', 'p'));
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.details).toEqual({ field: 'p' });
  });

  it('resolveDataset refuses a dataDir holding NUL before looking at the disk', async () => {
    const spec = { name: 'nul-test', files: [{ path: 'x.csv' }], howToGet: 'nowhere' };
    await expect(resolveDataset(spec, { dataDir: '/tmp/a\0b' })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      details: { field: 'resolveDataset dataDir', reason: 'nul-character' },
    });
  });
});
