import { describe, expect, it } from 'vitest';
import { eventLoopTurns } from './event-loop';

describe('eventLoopTurns', () => {
  it('gives a turn only once everyMs have passed since the last one', async () => {
    const turns = eventLoopTurns(20);
    expect(turns.turn()).toBeUndefined();
    const start = performance.now();
    while (performance.now() - start < 25) {
      // busy work, as a training loop would do
    }
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    const pending = turns.turn();
    expect(pending).toBeInstanceOf(Promise);
    await pending;
    expect(ran).toBe(true);
    expect(turns.turn()).toBeUndefined(); // the clock starts again after a turn
  });
});
