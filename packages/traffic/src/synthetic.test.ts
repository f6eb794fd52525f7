import { describe, expect, it } from 'vitest';
import { generateTrafficNetwork } from './synthetic';
import { expectCode } from './test-helpers';

const small = { sensors: 2, days: 1 };

describe('generateTrafficNetwork options (SDK fuzz S4, S3)', () => {
  it('intervalMinutes 0, negative, NaN, a string or under a second is refused typed (was an untyped RangeError)', async () => {
    for (const intervalMinutes of [0, -5, NaN, '5'])
      await expectCode(() => generateTrafficNetwork({ ...small, intervalMinutes: intervalMinutes as number }), 'E_INPUT_INVALID');
    // 1e-9 min (1.44e12 steps a day) is below the one-second interval rule; one second a day for 2000
    // sensors over a year passes it but is refused before allocating.
    await expectCode(() => generateTrafficNetwork({ ...small, intervalMinutes: 1e-9 }), 'E_INPUT_INVALID');
    await expectCode(() => generateTrafficNetwork({ sensors: 2000, days: 366, intervalMinutes: 1 / 60 }), 'E_INPUT_TOO_LARGE');
    await expectCode(() => generateTrafficNetwork({ sensors: 2000, days: 366 }), 'E_INPUT_TOO_LARGE');
    expect(generateTrafficNetwork({ ...small, intervalMinutes: 15 }).series.steps).toBe(96);
  });

  it('incidents and missingRate are checked; days must be a number', async () => {
    for (const incidents of [-1, NaN, 2.5, 1e5, '3'])
      await expectCode(() => generateTrafficNetwork({ ...small, incidents: incidents as number }), 'E_INPUT_INVALID');
    for (const missingRate of [-1, NaN, 1, 5, '0.1'])
      await expectCode(() => generateTrafficNetwork({ ...small, missingRate: missingRate as number }), 'E_INPUT_INVALID');
    await expectCode(() => generateTrafficNetwork({ ...small, days: '1' as never }), 'E_INPUT_INVALID');
    expect(generateTrafficNetwork({ ...small, incidents: 0, missingRate: 0 }).incidents).toEqual([]);
  });

  it('a misspelt option name is refused with the valid names; undefined options are the defaults', async () => {
    const error = await expectCode(() => generateTrafficNetwork({ sensor: 3, days: 1 } as never), 'E_INPUT_INVALID');
    expect(error.message).toMatch(/generateTrafficNetwork options has no option 'sensor'; valid: sensors, /);
    expect(generateTrafficNetwork({ sensors: 3, days: 1, incidents: undefined, missingRate: undefined }).series.sensors).toHaveLength(3);
    expect(generateTrafficNetwork(undefined).series.sensors).toHaveLength(24);
  });
});
