import { eventLoopTurns } from '@appliedml/engine';

/**
 * Long synchronous work written as a generator that `yield`s where a caller may pause (after each tree).
 * `runSteps` runs it straight through; `runStepsWithTurns` gives the event loop a turn every ~50 ms at
 * those points, so a service training in its own process keeps answering, and `check` (run after each
 * turn) can stop it.
 */
export type Steps<T> = Generator<void, T, void>;

export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

export type Turns = ReturnType<typeof eventLoopTurns>;

/** `turns` may be shared by several runs in a row, so the clock does not restart between them. */
export async function runStepsWithTurns<T>(steps: Steps<T>, check: () => void, turns: Turns = eventLoopTurns(50)): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    const turn = turns.turn();
    if (turn) {
      await turn;
      try {
        check();
      } catch (error) {
        steps.return(undefined as T);
        throw error;
      }
    }
  }
}

/**
 * `runStepsWithTurns` without a pause where none is due: the value itself when the steps end before
 * ~50 ms of work (a small batch stays synchronous, as a one-record `predict` should), a promise once
 * a turn is taken.
 */
export function runStepsInTurns<T>(steps: Steps<T>, check: () => void, turns: Turns): T | Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    const turn = turns.turn();
    if (turn)
      return turn.then(() => {
        try {
          check();
        } catch (error) {
          steps.return(undefined as T);
          throw error;
        }
        return runStepsWithTurns(steps, check, turns);
      });
  }
}
