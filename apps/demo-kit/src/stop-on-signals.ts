// Ctrl-C (SIGINT) or SIGTERM during a demo CLI's long command (train, demo): the first asks the work to stop
// through the AbortSignal the SDKs' `train` takes (it rejects E_ABORTED after the current step, nothing
// installed, nothing saved), the second quits at once. Without it a Ctrl-C killed the process mid-step: the
// saves are atomic, so nothing was lost, but the user got no word and no cleanup ran.
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { AppliedMLError } from '@appliedml/engine/errors';

export interface StopOnSignalsOptions {
  /**
   * The file or folder the work writes at its end (a bundle, a report): after a stop the CLI says it is as it
   * was, or that it was not created. None: the line is only "Stopped." (work that writes nothing).
   */
  output?: string;
  /** Default SIGINT and SIGTERM. */
  signals?: readonly NodeJS.Signals[];
  /** Where the signals arrive (default `process`). */
  target?: NodeJS.EventEmitter;
  /** Where the two lines go (default `process.stderr`); on a terminal they clear the progress bar's line first. */
  stderr?: { write(text: string): unknown; isTTY?: boolean };
  /** A second signal: called at once with 128 + the signal's number (default `process.exit`). */
  exit?: (code: number) => void;
  /** After a stop, with 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM (default: sets `process.exitCode`). */
  exitCode?: (code: number) => void;
}

/** The line the first signal prints. */
export const STOPPING_LINE = 'Stopping after the current step… (Ctrl-C again to quit at once)';

/** The shell's exit code for a process ended by `signal`: 128 + its number (SIGINT 130, SIGTERM 143). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Runs `work` with an AbortSignal that the first SIGINT or SIGTERM aborts (it prints STOPPING_LINE to
 * stderr). When `work` then rejects with E_ABORTED, prints "Stopped: nothing was saved; OUTPUT is as it
 * was." (or "… was not created."; "Stopped." without an `output`) and sets the exit code to 130 / 143; any other outcome is `work`'s own
 * (a signal that came during the last, atomic step, the save, lets it finish). A second signal exits at
 * once with that code, the terminal's cursor and line wrapping put back (a progress bar hides them). The
 * listeners are removed when `work` settles.
 *
 * `work` passes the signal to every long call that takes one (the SDKs' `train`, the engine's
 * `fitModel`) and checks it (`throwIfAborted`) between steps that do not, and before its save.
 */
export async function stopOnSignals(work: (signal: AbortSignal) => Promise<unknown>, options: StopOnSignalsOptions): Promise<void> {
  const target = options.target ?? process;
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const stderr = options.stderr ?? process.stderr;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const exitCode =
    options.exitCode ??
    ((code: number) => {
      process.exitCode = code;
    });
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  // On a terminal: the line the progress bar (and the echoed ^C) is on is cleared, so the bar goes on below.
  const lineStart = stderr.isTTY ? '\r\x1b[2K' : '';
  const handler = (signal: NodeJS.Signals): void => {
    if (received !== undefined) {
      // The bar's hidden cursor and turned-off wrapping would outlive the process.
      if (stderr.isTTY) stderr.write('\x1b[?25h\x1b[?7h\n');
      exit(signalExitCode(signal));
      return;
    }
    received = signal;
    stderr.write(`${lineStart}${STOPPING_LINE}\n`);
    controller.abort(new AppliedMLError('E_ABORTED', `${signal} received.`, { details: { reason: 'aborted', signal } }));
  };
  const listeners = signals.map((signal) => {
    const listener = (): void => handler(signal);
    target.on(signal, listener);
    return [signal, listener] as const;
  });
  try {
    await work(controller.signal);
  } catch (error) {
    if (received === undefined || !AppliedMLError.hasCode(error, 'E_ABORTED')) throw error;
    const { output } = options;
    const saved = output === undefined ? '' : `: nothing was saved; ${output} ${existsSync(output) ? 'is as it was' : 'was not created'}`;
    stderr.write(`${lineStart}Stopped${saved}.\n`);
    exitCode(signalExitCode(received));
  } finally {
    for (const [signal, listener] of listeners) target.off(signal, listener);
  }
}
