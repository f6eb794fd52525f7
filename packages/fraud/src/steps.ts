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

/** The steps' value, or undefined when `check` abandoned them. */
export type Driven<T> = { value: T } | undefined;

/**
 * Drives `steps` to their end, taking the turn `turns` says is due (if any) at a yield, then `check`: it
 * may throw to stop the work, or return true to abandon it (the result is then undefined). With no
 * `turns`, none is taken. Synchronous until a turn is taken (the result itself when none is), a promise
 * from then on. However the drive ends (the steps' end, their own error, `check`'s), the steps are closed
 * (`steps.return()`), so a generator's `finally` always runs.
 */
export function driveSteps<T>(steps: Steps<T>, turns: Turns | undefined, check: () => boolean | void): Driven<T> | Promise<Driven<T>> {
  let r: StepsOrTurn<T>;
  try {
    r = untilTurn(steps, turns);
  } catch (error) {
    steps.return(undefined as T);
    throw error;
  }
  return r.done ? { value: r.value } : driveAfterTurns(steps, turns, check, r.turn);
}

type StepsOrTurn<T> = { done: true; value: T } | { done: false; turn: Promise<void> };

/** Runs the steps until they end or a turn is due. */
function untilTurn<T>(steps: Steps<T>, turns: Turns | undefined): StepsOrTurn<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r;
    const turn = turns?.turn();
    if (turn) return { done: false, turn };
  }
}

async function driveAfterTurns<T>(
  steps: Steps<T>,
  turns: Turns | undefined,
  check: () => boolean | void,
  turn: Promise<void>,
): Promise<Driven<T>> {
  try {
    for (;;) {
      await turn;
      if (check() === true) return undefined;
      const r = untilTurn(steps, turns);
      if (r.done) return { value: r.value };
      turn = r.turn;
    }
  } finally {
    // Nothing to do once the steps ended or threw; steps stopped at a yield run their `finally`.
    steps.return(undefined as T);
  }
}

/** `turns` may be shared by several runs in a row, so the clock does not restart between them. */
export async function runStepsWithTurns<T>(steps: Steps<T>, check: () => void, turns: Turns = eventLoopTurns(50)): Promise<T> {
  return runStepsInTurns(steps, check, turns);
}

/**
 * `runStepsWithTurns` without a pause where none is due: the value itself when the steps end before
 * ~50 ms of work (a small batch stays synchronous, as a one-record `predict` should), a promise once
 * a turn is taken.
 */
export function runStepsInTurns<T>(steps: Steps<T>, check: () => void, turns: Turns): T | Promise<T> {
  // `check` throws or returns nothing: the steps are never abandoned.
  const driven = driveSteps(steps, turns, () => void check());
  return driven instanceof Promise ? driven.then((d) => (d as { value: T }).value) : (driven as { value: T }).value;
}
