import { describe, expect, it, vi } from 'vitest';
import { eventLoopTurns } from './event-loop';

describe('eventLoopTurns', () => {
  it('gives a turn only once everyMs have passed since the last one', async () => {
    // The clock is the test's, so a pause of the machine cannot make a turn due early.
    let now = 1000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const turns = eventLoopTurns(20);
      now += 19;
      expect(turns.turn()).toBeUndefined();
      now += 6; // 25 ms of busy work, as a training loop would do
      let ran = false;
      setImmediate(() => {
        ran = true;
      });
      const pending = turns.turn();
      expect(pending).toBeInstanceOf(Promise);
      await pending;
      expect(ran).toBe(true);
      now += 19;
      expect(turns.turn()).toBeUndefined(); // the clock starts again after a turn
      now += 2;
      expect(turns.turn()).toBeInstanceOf(Promise);
    } finally {
      clock.mockRestore();
    }
  });
});
