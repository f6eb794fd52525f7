import { describe, expect, it } from 'vitest';
import { AppliedMLError } from './errors';
import { createRng, withSeededRandom } from './random';

function refusal(run: () => unknown): AppliedMLError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(AppliedMLError.hasCode(caught, 'E_INPUT_INVALID'), String(caught)).toBe(true);
  return caught as AppliedMLError;
}

describe('withSeededRandom and asynchronous work', () => {
  it('seeds a synchronous function and restores Math.random after it', () => {
    const original = Math.random;
    const drawn = withSeededRandom(createRng(1), () => [Math.random(), Math.random()]);
    const reference = createRng(1);
    expect(drawn).toEqual([reference.next(), reference.next()]);
    expect(Math.random).toBe(original);
  });

  it('refuses an async function before running it, saying why and what to do instead', () => {
    const original = Math.random;
    let ran = false;
    const error = refusal(() =>
      withSeededRandom(createRng(1), async () => {
        ran = true;
        await null;
        return Math.random(); // would be unseeded: the swap ends at the first await
      }),
    );
    expect(ran).toBe(false);
    expect(error.message).toMatch(/synchronous functions only \(got an async function\)/);
    expect(error.message).toMatch(/after its first await/);
    expect(error.message).toMatch(/inside each synchronous step/);
    expect(error.details).toEqual({ field: 'fn' });
    expect(Math.random).toBe(original);
  });

  it('refuses generator functions, whose body would run after the swap', () => {
    expect(refusal(() => withSeededRandom(createRng(1), function* () {})).message).toMatch(/got a generator function/);
    expect(refusal(() => withSeededRandom(createRng(1), async function* () {})).message).toMatch(/got an async generator function/);
  });

  it('refuses a function that returns a promise, after restoring Math.random, and keeps its rejection handled', async () => {
    const original = Math.random;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const error = refusal(() => withSeededRandom(createRng(1), () => Promise.reject(new Error('later'))));
      expect(error.message).toMatch(/fn returned a promise/);
      expect(Math.random).toBe(original);
      const thenable = { then: (): void => undefined };
      expect(refusal(() => withSeededRandom(createRng(1), () => thenable)).message).toMatch(/fn returned a promise/);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('still returns values that only look like thenables from afar (a then that is not a function, a throwing getter)', () => {
    const plain = { then: 5 };
    expect(withSeededRandom(createRng(1), () => plain)).toBe(plain);
    const trap = Object.defineProperty({}, 'then', {
      get() {
        throw new Error('no then');
      },
    });
    expect(withSeededRandom(createRng(1), () => trap)).toBe(trap);
  });
});

describe('Rng.nextInt', () => {
  it('refuses a bound that is no positive integer with E_INPUT_INVALID, even one whose toString throws or that has none', () => {
    const rng = createRng(1);
    const throwing = {
      toString(): string {
        throw new Error('no text');
      },
    };
    for (const bad of [0, -1, 1.5, Number.NaN, '3', throwing, Object.create(null)]) {
      const error = refusal(() => rng.nextInt(bad as never));
      expect(error.message).toMatch(/^nextInt needs a positive integer bound; got /);
      expect(error.details).toEqual({ field: 'maxExclusive' });
    }
    expect(rng.nextInt(1)).toBe(0);
  });
});
