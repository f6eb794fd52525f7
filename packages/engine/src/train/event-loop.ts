/**
 * For long synchronous work on the main thread (training loops, large batches): `turn()` gives the
 * event loop a turn (one `setImmediate`) when `everyMs` have passed since the last one, so a service
 * that does the work in its own process keeps answering health checks and other requests meanwhile.
 * Call it every few hundred steps; between turns it costs one clock read.
 */
export function eventLoopTurns(everyMs = 50): { turn(): Promise<void> | undefined } {
  let last = performance.now();
  return {
    turn() {
      if (performance.now() - last <= everyMs) return undefined;
      return new Promise<void>((resolve) =>
        setImmediate(() => {
          last = performance.now();
          resolve();
        }),
      );
    },
  };
}
