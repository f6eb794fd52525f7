import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortedError } from '../abort';
import { AppliedMLError } from '../errors';
import { eventLoopTurns } from './event-loop';
import { TrainTickets } from './train-tickets';

describe('TrainTickets', () => {
  it('the later-started train installs whatever the finishing order; the earlier one is refused once it has', () => {
    const tickets = new TrainTickets();
    const first = tickets.start();
    const second = tickets.start();
    expect(second).toBeGreaterThan(first);
    // The later one finishes first and installs; the earlier one, finishing after it, may not.
    expect(tickets.install(second)).toBe(true);
    expect(tickets.install(first)).toBe(false);
  });

  it('in starting order both install; a later train that fails (never installs) leaves the earlier free to', () => {
    const tickets = new TrainTickets();
    const a = tickets.start();
    const b = tickets.start();
    expect(tickets.install(a)).toBe(true);
    expect(tickets.install(b)).toBe(true);
    const c = tickets.start();
    tickets.start(); // fails: never asks
    expect(tickets.install(c)).toBe(true);
    // A train started after the last install is free to install.
    expect(tickets.install(tickets.start())).toBe(true);
  });

  it('gives the E_BUSY the SDKs reject a superseded train with', () => {
    const error = new TrainTickets().supersededError('TextClassifier.train');
    expect(AppliedMLError.hasCode(error, 'E_BUSY')).toBe(true);
    expect(error.message).toMatch(/^TextClassifier\.train: a train started later has already replaced the model/);
    expect(error.details).toEqual({ reason: 'superseded' });
  });

  it("a train's signal aborts when a later train installs, and its E_ABORTED becomes the E_BUSY superseded", async () => {
    const tickets = new TrainTickets();
    const a = tickets.start();
    const b = tickets.start();
    const signalA = tickets.trainSignal(a, undefined, 'X.train');
    const signalB = tickets.trainSignal(b, undefined, 'X.train');
    // A later train that only starts (or fails) stops nothing.
    tickets.start();
    expect(signalA.aborted).toBe(false);
    expect(tickets.install(b)).toBe(true);
    expect(signalA.aborted).toBe(true);
    expect(signalB.aborted).toBe(false);
    // Seen at A's next turn, as an abort of its own signal would be; the train rejects with E_BUSY.
    const turns = eventLoopTurns(0, { signal: signalA, what: 'X.train' });
    const stopped = await (async () => turns.turn())().then(
      () => 'ran on',
      (e: unknown) => e,
    );
    expect(AppliedMLError.hasCode(stopped, 'E_ABORTED')).toBe(true);
    const error = tickets.trainError(stopped, 'X.train');
    expect(AppliedMLError.hasCode(error, 'E_BUSY')).toBe(true);
    expect((error as AppliedMLError).message).toMatch(/^X\.train: a train started later has already replaced the model/);
    expect((error as AppliedMLError).details).toEqual({ reason: 'superseded' });
    expect(tickets.install(a)).toBe(false);
    // Asked for after the supersession: aborted at once.
    expect(tickets.trainSignal(a).aborted).toBe(true);
  });

  it("follows the user's signal (its reason, E_ABORTED kept); the user's abort, before or after a supersession, stays E_ABORTED", () => {
    const tickets = new TrainTickets();
    const user = new AbortController();
    const a = tickets.start();
    const signal = tickets.trainSignal(a, user.signal, 'X.train');
    const reason = new Error('shutting down');
    user.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    tickets.install(tickets.start());
    const error = abortedError(signal, 'X.train');
    expect(tickets.trainError(error, 'X.train')).toBe(error);
    expect((error as AppliedMLError).message).toBe('X.train stopped: its signal was aborted: shutting down.');
    // Superseded first, the user's signal aborted before the train saw it: the user's abort wins (E_ABORTED).
    const later = new AbortController();
    const b = tickets.start();
    const signalB = tickets.trainSignal(b, later.signal, 'X.train');
    tickets.install(tickets.start());
    expect(signalB.aborted).toBe(true);
    later.abort(new Error('shutting down'));
    const both = tickets.trainError(abortedError(signalB, 'X.train'), 'X.train');
    expect(AppliedMLError.hasCode(both, 'E_ABORTED')).toBe(true);
    expect((both as AppliedMLError).message).toBe('X.train stopped: its signal was aborted: shutting down.');
    expect((both as AppliedMLError).cause).toBe(later.signal.reason);
    // Already aborted: the train's signal is too, with the same reason (a timeout stays a timeout).
    const timedOut = AbortSignal.abort(new DOMException('late', 'TimeoutError'));
    expect(tickets.trainSignal(tickets.start(), timedOut).reason).toBe(timedOut.reason);
    // Anything but an E_ABORTED passes through.
    const other = new AppliedMLError('E_INPUT_INVALID', 'bad');
    expect(tickets.trainError(other)).toBe(other);
  });

  it("holds no listener on the user's signal once each train finishes or is superseded, over many trains", () => {
    const tickets = new TrainTickets();
    const user = new AbortController();
    const signals: AbortSignal[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = tickets.start();
      signals.push(tickets.trainSignal(t, user.signal, 'X.train'));
      // Every third fails (finishes without installing), the others install.
      if (i % 3 !== 0) tickets.install(t);
      tickets.finish(t);
    }
    expect(getEventListeners(user.signal, 'abort')).toHaveLength(0);
    // Two still running, the earlier superseded by the later's install: neither holds a listener after.
    const early = tickets.start();
    const late = tickets.start();
    const earlySignal = tickets.trainSignal(early, user.signal);
    tickets.trainSignal(late, user.signal);
    // One listener on the user's signal, however many trains run under it.
    expect(getEventListeners(user.signal, 'abort')).toHaveLength(1);
    tickets.install(late);
    expect(earlySignal.aborted).toBe(true);
    expect(getEventListeners(user.signal, 'abort')).toHaveLength(1);
    tickets.finish(late);
    tickets.finish(early);
    expect(getEventListeners(user.signal, 'abort')).toHaveLength(0);
    // The user's abort now reaches none of the finished trains' signals.
    user.abort();
    expect(signals.some((s) => s.aborted)).toBe(false);
  });

  it('a dozen trains under one user signal (several models, one shutdown signal): no possible-leak warning, each stopped by its abort', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const user = new AbortController();
      const runs = Array.from({ length: 12 }, () => {
        const tickets = new TrainTickets(); // one model each
        const ticket = tickets.start();
        const signal = tickets.trainSignal(ticket, user.signal, 'X.train');
        // A train's own signal takes as many listeners as its steps need (a listener per worker thread).
        for (let k = 0; k < 12; k++) signal.addEventListener('abort', () => undefined);
        return { tickets, ticket, signal };
      });
      expect(getEventListeners(user.signal, 'abort')).toHaveLength(1);
      user.abort(new Error('shutting down'));
      for (const run of runs) {
        expect(run.signal.aborted).toBe(true);
        expect((run.signal.reason as Error).message).toBe('shutting down');
        run.tickets.finish(run.ticket);
      }
      expect(getEventListeners(user.signal, 'abort')).toHaveLength(0);
      // Node emits the warning on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
