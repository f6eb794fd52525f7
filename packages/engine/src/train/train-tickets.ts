import { setMaxListeners } from 'node:events';
import { abortedError } from '../abort';
import { AppliedMLError } from '../errors';

/** A train that asked for its signal and has not finished: what stops it, and what to undo at its end. */
interface Running {
  controller: AbortController;
  what: string;
  /** The user's signal, if any. */
  signal: AbortSignal | undefined;
  /** Takes the listener off the user's signal (nothing without one). */
  release: () => void;
}

/**
 * The rule for overlapping `train` calls on one model: the model ends as the last-started train left
 * it, whatever order they finish in. Each train takes a ticket when it starts (`start`); when its model
 * is ready it asks `install(ticket)` right before putting it in place, with no await between: true
 * when no train started after it has installed yet (the ticket then counts as installed), false when
 * one has, and the caller frees what it built and throws `supersededError()` (E_BUSY). A later train
 * that fails installs nothing, so an earlier one still installs when it finishes.
 *
 * A train is doomed only once a later one has installed; from then on its work is wasted. A train that
 * runs under `trainSignal(ticket, signal)` is stopped at its next step instead of running to its end:
 * that signal aborts when a later ticket installs, the train's steps reject with E_ABORTED as for the
 * user's own signal, and `trainError` turns that into the E_BUSY of `supersededError`. The train calls
 * `finish(ticket)` when it ends, however it ends (a `finally`), which lets go of the user's signal.
 */
export class TrainTickets {
  private started = 0;
  private installed = 0;
  /** The trains that asked for a signal, by ticket, until they finish or are superseded. */
  private readonly running = new Map<number, Running>();
  /**
   * The reasons this object aborted trains' signals with (an E_ABORTED caused by one was a supersession),
   * each with the user's signal of that train.
   */
  private readonly reasons = new WeakMap<object, AbortSignal | undefined>();

  /** A ticket for a train starting now: higher than every ticket given before. */
  start(): number {
    this.started += 1;
    return this.started;
  }

  /**
   * The signal the train holding `ticket` runs under, in place of the user's `signal`: it aborts with
   * `signal`'s reason when `signal` aborts, and when a train started after this one installs its model
   * (this one can then never install), with a reason `trainError` recognises; at once when either has
   * happened already. `what` names the call ('TextClassifier.train'). Until `finish(ticket)` (or the
   * supersession) it keeps one listener on `signal`: call `finish` when the train ends.
   */
  trainSignal(ticket: number, signal?: AbortSignal, what = 'train'): AbortSignal {
    this.finish(ticket);
    const controller = new AbortController();
    // The signal is this train's own: its steps (a listener per worker thread, per fit) may listen to it
    // as many times as they need without Node's possible-leak warning.
    setMaxListeners(0, controller.signal);
    if (ticket < this.installed) {
      controller.abort(this.supersededReason(what, signal));
      return controller.signal;
    }
    if (signal?.aborted) {
      controller.abort(reasonOf(signal));
      return controller.signal;
    }
    let release = (): void => undefined;
    if (signal)
      release = onUserAbort(signal, () => {
        this.finish(ticket);
        controller.abort(reasonOf(signal));
      });
    this.running.set(ticket, { controller, what, signal, release });
    return controller.signal;
  }

  /**
   * Whether the train holding `ticket` may install its model now: true (and from now on a train started
   * before it may not) when no train started after it has installed, false when one has. True also
   * aborts the `trainSignal` of every train started before it that still runs.
   */
  install(ticket: number): boolean {
    if (ticket < this.installed) return false;
    this.installed = ticket;
    for (const [t, run] of this.running) {
      if (t >= ticket) continue;
      this.running.delete(t);
      run.release();
      run.controller.abort(this.supersededReason(run.what, run.signal));
    }
    return true;
  }

  /** The train holding `ticket` has ended: its signal lets go of the user's (idempotent). */
  finish(ticket: number): void {
    const run = this.running.get(ticket);
    if (!run) return;
    this.running.delete(ticket);
    run.release();
  }

  /**
   * What a train rejects with for `error`: when `error` is an E_ABORTED its `trainSignal` gave for a
   * supersession, the E_BUSY of `supersededError(what)`, or, when the user's signal has been aborted too
   * by now, that abort's E_ABORTED (the user's abort wins, as when it came first); else `error`.
   */
  trainError(error: unknown, what = 'train'): unknown {
    if (!AppliedMLError.hasCode(error, 'E_ABORTED')) return error;
    const cause = (error as AppliedMLError).cause;
    if (typeof cause !== 'object' || cause === null || !this.reasons.has(cause)) return error;
    const user = this.reasons.get(cause);
    return user?.aborted ? abortedError(user, what) : this.supersededError(what);
  }

  /** The E_BUSY a train whose `install` answered false rejects with (`what` names the call, e.g. 'TextClassifier.train'). */
  supersededError(what = 'train'): AppliedMLError {
    return new AppliedMLError(
      'E_BUSY',
      `${what}: a train started later has already replaced the model, so this one's model was discarded (the model is the later one's).`,
      { details: { reason: 'superseded' } },
    );
  }

  private supersededReason(what: string, signal: AbortSignal | undefined): AppliedMLError {
    const reason = this.supersededError(what);
    this.reasons.set(reason, signal);
    return reason;
  }
}

/**
 * The trains listening to each user signal: one listener on the signal however many trains run under it
 * (a service's shutdown signal shared by a dozen models would otherwise pass Node's limit of 10 and print
 * a possible-leak warning on the user's signal, whose limit is not ours to raise).
 */
const userSignalWatchers = new WeakMap<AbortSignal, { listener: () => void; calls: Set<() => void> }>();

/** Calls `call` once when `signal` aborts; the returned function stops that (and frees the listener when none is left). */
function onUserAbort(signal: AbortSignal, call: () => void): () => void {
  let watch = userSignalWatchers.get(signal);
  if (!watch) {
    const calls = new Set<() => void>();
    const listener = (): void => {
      userSignalWatchers.delete(signal);
      signal.removeEventListener('abort', listener);
      for (const c of [...calls]) c();
    };
    watch = { listener, calls };
    userSignalWatchers.set(signal, watch);
    signal.addEventListener('abort', listener);
  }
  const { calls, listener } = watch;
  calls.add(call);
  return () => {
    if (!calls.delete(call) || calls.size > 0) return;
    if (userSignalWatchers.get(signal)?.calls === calls) userSignalWatchers.delete(signal);
    signal.removeEventListener('abort', listener);
  };
}

/** `signal.reason`, or undefined when a look-alike signal's getter throws. */
function reasonOf(signal: AbortSignal): unknown {
  try {
    return signal.reason;
  } catch {
    return undefined;
  }
}
