import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine/errors';
import { STOPPING_LINE, signalExitCode, stopOnSignals, type StopOnSignalsOptions } from './stop-on-signals';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stop-on-signals-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Work as a train is: steps until its signal aborts, then E_ABORTED. `started` resolves at the first step. */
function steps(): { work: (signal: AbortSignal) => Promise<void>; started: Promise<void>; finish: () => void } {
  let start!: () => void;
  const started = new Promise<void>((resolve) => (start = resolve));
  let done = false;
  return {
    started,
    finish: () => (done = true),
    work: async (signal) => {
      start();
      while (!done) {
        if (signal.aborted) throw new AppliedMLError('E_ABORTED', 'steps stopped: its signal was aborted.');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

/** A fake process: its signals, stderr, and the exit calls recorded. */
function fakeProcess(isTTY = false) {
  const target = new EventEmitter();
  const written: string[] = [];
  const exits: number[] = [];
  const codes: number[] = [];
  const options = {
    target,
    stderr: { isTTY, write: (text: string) => written.push(text) },
    exit: (code: number) => void exits.push(code),
    exitCode: (code: number) => void codes.push(code),
  } satisfies Partial<StopOnSignalsOptions>;
  const listening = (): number => target.listenerCount('SIGINT') + target.listenerCount('SIGTERM');
  return { target, written, exits, codes, options, listening };
}

describe('stopOnSignals', () => {
  it("exit codes are the shell's: 128 + the signal number", () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });

  it('a SIGINT aborts the work: one line when it comes, one when it stopped, exit code 130, no listener left', async () => {
    const p = fakeProcess();
    const s = steps();
    const output = join(dir, 'not-made');
    const run = stopOnSignals(s.work, { ...p.options, output });
    await s.started;
    expect(p.listening()).toBe(2);
    p.target.emit('SIGINT');
    await run;
    expect(p.written).toEqual([`${STOPPING_LINE}\n`, `Stopped: nothing was saved; ${output} was not created.\n`]);
    expect(p.codes).toEqual([130]);
    expect(p.exits).toEqual([]);
    expect(p.listening()).toBe(0);
  });

  it('a SIGTERM: 143, and an output that exists is as it was; without an output only "Stopped."', async () => {
    const p = fakeProcess();
    const s = steps();
    const run = stopOnSignals(s.work, { ...p.options, output: dir });
    await s.started;
    p.target.emit('SIGTERM');
    await run;
    expect(p.written[1]).toBe(`Stopped: nothing was saved; ${dir} is as it was.\n`);
    expect(p.codes).toEqual([143]);

    const q = fakeProcess();
    const t = steps();
    const second = stopOnSignals(t.work, q.options);
    await t.started;
    q.target.emit('SIGINT');
    await second;
    expect(q.written).toEqual([`${STOPPING_LINE}\n`, 'Stopped.\n']);
  });

  it('a second signal exits at once (through the injected exit), the terminal put back on a TTY', async () => {
    const p = fakeProcess(true);
    // Work that does not stop when asked (a long step): only the second signal ends it.
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const run = stopOnSignals(() => stuck, { ...p.options, output: dir });
    p.target.emit('SIGINT');
    expect(p.exits).toEqual([]);
    p.target.emit('SIGINT');
    expect(p.exits).toEqual([130]);
    // On a terminal the progress bar's line is cleared first, and its hidden cursor and wrapping put back.
    expect(p.written).toEqual([`\r\x1b[2K${STOPPING_LINE}\n`, '\x1b[?25h\x1b[?7h\n']);
    release();
    await run;
    // The work finished after all: its own outcome, no stop code; the listeners are gone.
    expect(p.codes).toEqual([]);
    expect(p.listening()).toBe(0);
  });

  it('work that ends without a signal, or fails otherwise, is its own outcome, and leaves no listener', async () => {
    const p = fakeProcess();
    const s = steps();
    const run = stopOnSignals(s.work, { ...p.options, output: dir });
    await s.started;
    s.finish();
    await run;
    expect(p.written).toEqual([]);
    expect(p.codes).toEqual([]);
    expect(p.listening()).toBe(0);

    const failure = new AppliedMLError('E_IO', 'disk full');
    await expect(stopOnSignals(() => Promise.reject(failure), { ...p.options, output: dir })).rejects.toBe(failure);
    // An E_ABORTED from the work's own signal (no SIGINT came) is not a stop of this CLI's.
    const own = new AppliedMLError('E_ABORTED', 'fitModel stopped: its signal timed out.');
    await expect(stopOnSignals(() => Promise.reject(own), { ...p.options, output: dir })).rejects.toBe(own);
    // An error other than E_ABORTED after a signal is still that error.
    const after = stopOnSignals(
      (signal) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(new AppliedMLError('E_MODEL_DISPOSED', 'gone')))),
      { ...p.options, output: dir },
    );
    p.target.emit('SIGINT');
    await expect(after).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
    expect(p.codes).toEqual([]);
    expect(p.listening()).toBe(0);
  });

  it('by default listens on process and removes its listeners when the work settles', async () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    let during: number[] = [];
    await stopOnSignals(
      async () => {
        during = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
      },
      { output: dir },
    );
    expect(during).toEqual([before[0]! + 1, before[1]! + 1]);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });
});
