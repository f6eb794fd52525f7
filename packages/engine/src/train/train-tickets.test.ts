import { describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
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
});
