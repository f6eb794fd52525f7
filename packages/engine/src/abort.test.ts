import { describe, expect, it } from 'vitest';
import { abortedError, checkSignalOption, throwIfAborted } from './abort';
import { AppliedMLError, httpStatusForCode } from './errors';
import { eventLoopTurns } from './train/event-loop';

describe('abort signals', () => {
  it('checkSignalOption takes undefined and AbortSignals, refuses anything else naming the field', () => {
    const signal = new AbortController().signal;
    expect(checkSignalOption(undefined)).toBeUndefined();
    expect(checkSignalOption(signal)).toBe(signal);
    expect(checkSignalOption(AbortSignal.timeout(1000))).toBeInstanceOf(AbortSignal);
    for (const bad of [null, 1, 'abort', {}, [], () => {}]) {
      let err: unknown;
      try {
        checkSignalOption(bad, 'options.signal');
      } catch (e) {
        err = e;
      }
      expect(AppliedMLError.hasCode(err, 'E_INPUT_INVALID')).toBe(true);
      expect((err as AppliedMLError).details).toEqual({ field: 'options.signal' });
      expect((err as AppliedMLError).message).toMatch(/^options\.signal must be an AbortSignal/);
    }
  });

  it('E_ABORTED names the call and the reason, keeps the reason as cause, answers 503', () => {
    const c = new AbortController();
    expect(() => throwIfAborted(c.signal, 'X.train')).not.toThrow();
    c.abort('user pressed stop');
    const e = abortedError(c.signal, 'X.train');
    expect(e.code).toBe('E_ABORTED');
    expect(e.message).toBe('X.train stopped: its signal was aborted: user pressed stop.');
    expect(e.cause).toBe('user pressed stop');
    expect(httpStatusForCode('E_ABORTED')).toBe(503);
    expect(() => throwIfAborted(c.signal, 'X.train')).toThrow(expect.objectContaining({ code: 'E_ABORTED' }));
  });

  it('eventLoopTurns with a signal: turn() throws once aborted, and a turn during which it aborts rejects', async () => {
    const c = new AbortController();
    const turns = eventLoopTurns(0, { signal: c.signal, what: 'work' });
    setImmediate(() => c.abort());
    const pending = turns.turn();
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).rejects.toMatchObject({ code: 'E_ABORTED', message: 'work stopped: its signal was aborted.' });
    expect(() => turns.turn()).toThrow(expect.objectContaining({ code: 'E_ABORTED' }));
  });
});
