import { afterEach, describe, expect, it, vi } from 'vitest';

describe('@appliedml/traffic import', () => {
  afterEach(() => vi.restoreAllMocks());

  it('has no side effects: nothing logged or written', async () => {
    const spies = [
      vi.spyOn(console, 'log'),
      vi.spyOn(console, 'warn'),
      vi.spyOn(console, 'info'),
      vi.spyOn(process.stdout, 'write'),
      vi.spyOn(process.stderr, 'write'),
    ];
    vi.resetModules();
    const sdk = await import('./index');
    expect(typeof sdk.TrafficForecaster.create).toBe('function');
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});
