import vm from 'node:vm';
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

  it('a reason ending its sentence gets no second full stop; an Error from another realm gives its message; a throwing reason getter is no reason', () => {
    const c = new AbortController();
    c.abort(new Error('Server is shutting down.'));
    expect(abortedError(c.signal, 'X.train').message).toBe('X.train stopped: its signal was aborted: Server is shutting down.');
    const other = new AbortController();
    const foreign = vm.runInNewContext("new Error('deadline passed')") as unknown;
    expect(foreign instanceof Error).toBe(false);
    other.abort(foreign);
    const e = abortedError(other.signal, 'X.train');
    expect(e.message).toBe('X.train stopped: its signal was aborted: deadline passed.');
    expect(e.cause).toBe(foreign);
    const lookAlike = {
      aborted: true,
      get reason(): unknown {
        throw new TypeError('reason getter');
      },
      addEventListener() {},
      removeEventListener() {},
    } as unknown as AbortSignal;
    expect(checkSignalOption(lookAlike)).toBe(lookAlike);
    let thrown: unknown;
    try {
      throwIfAborted(lookAlike, 'X.train');
    } catch (error) {
      thrown = error;
    }
    expect(AppliedMLError.hasCode(thrown, 'E_ABORTED')).toBe(true);
    expect((thrown as AppliedMLError).message).toBe('X.train stopped: its signal was aborted.');
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
