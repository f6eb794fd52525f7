import type { eventLoopTurns } from '@appliedml/engine';

/**
 * Long synchronous work (fitting the scaler, the historical average or the graph ridge, building
 * training windows) written once as a generator that yields between pieces of ~a millisecond:
 * `runSync` runs it to its end at once (predict, evaluate: calls that hold no awaits), `runWithTurns`
 * gives the event loop a turn at its yields every ~50 ms, where a train's AbortSignal is seen
 * (`turns.turn()` throws E_ABORTED). The yields change nothing computed: same steps, same order.
 */
export type Work<T> = Generator<void, T, undefined>;

export type Turns = ReturnType<typeof eventLoopTurns>;

/** Pieces of work between two yields: windows, steps (rows) or values at a time. */
export const WINDOWS_PER_YIELD = 64;
export const STEPS_PER_YIELD = 256;
export const VALUES_PER_YIELD = 65_536;

/** Runs `work` to its end without a pause. */
export function runSync<T>(work: Work<T>): T {
  for (;;) {
    const next = work.next();
    if (next.done) return next.value;
  }
}

/** Runs `work`, giving the event loop a turn at its yields (`turns.turn()`; throws E_ABORTED once its signal aborts). */
export async function runWithTurns<T>(work: Work<T>, turns: Turns): Promise<T> {
  try {
    for (;;) {
      const next = work.next();
      if (next.done) return next.value;
      const turn = turns.turn();
      if (turn) await turn;
    }
  } finally {
    // Stopped at a yield (aborted): the generator is closed, nothing of it runs later.
    work.return(undefined as never);
  }
}
