import { AppliedMLError } from '../errors';

/**
 * The rule for overlapping `train` calls on one model: the model ends as the last-started train left
 * it, whatever order they finish in. Each train takes a ticket when it starts (`start`); when its model
 * is ready it asks `install(ticket)` right before putting it in place, with no await between: true
 * when no train started after it has installed yet (the ticket then counts as installed), false when
 * one has, and the caller frees what it built and throws `supersededError()` (E_BUSY). A later train
 * that fails installs nothing, so an earlier one still installs when it finishes.
 */
export class TrainTickets {
  private started = 0;
  private installed = 0;

  /** A ticket for a train starting now: higher than every ticket given before. */
  start(): number {
    this.started += 1;
    return this.started;
  }

  /**
   * Whether the train holding `ticket` may install its model now: true (and from now on a train started
   * before it may not) when no train started after it has installed, false when one has.
   */
  install(ticket: number): boolean {
    if (ticket < this.installed) return false;
    this.installed = ticket;
    return true;
  }

  /** The E_BUSY a train whose `install` answered false rejects with (`what` names the call, e.g. 'TextClassifier.train'). */
  supersededError(what = 'train'): AppliedMLError {
    return new AppliedMLError(
      'E_BUSY',
      `${what}: a train started later has already replaced the model, so this one's model was discarded (the model is the later one's).`,
      { details: { reason: 'superseded' } },
    );
  }
}
