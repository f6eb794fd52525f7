import { describe, expect, it } from 'vitest';
import { TransactionScorer } from './scorer';

// TransactionScorer.load checks its path with the engine's checkPathArgument, which took a path holding
// a NUL character, so fs refused it further on and the load answered with an untyped error or E_IO.
// checkPathArgument now refuses it as the bundle code does (E_INPUT_INVALID, reason nul-character).

describe('TransactionScorer.load with a NUL in the path', () => {
  it('is E_INPUT_INVALID naming the NUL', async () => {
    await expect(TransactionScorer.load('a\0b')).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringContaining('holds a NUL character'),
      details: { field: 'The scorer path', reason: 'nul-character' },
    });
  });
});
