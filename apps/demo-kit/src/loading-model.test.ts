import { describe, expect, it } from 'vitest';
import { loadingModel } from './loading-model';

describe('loadingModel', () => {
  it('is busy (E_BUSY with a retry hint) until the model resolves, then hands it out and closes it once', async () => {
    interface Model {
      isReady: boolean;
      close(): void;
    }
    let resolve!: (m: Model) => void;
    let closed = 0;
    const model: Model = {
      isReady: true,
      close: () => {
        closed++;
      },
    };
    const wrapped = loadingModel(new Promise<Model>((r) => (resolve = r)));
    expect(wrapped.isReady()).toBe(false);
    expect(() => wrapped.require()).toThrow(expect.objectContaining({ code: 'E_BUSY', details: { retryAfterSeconds: 2 } }));
    resolve(model);
    await Promise.resolve();
    await Promise.resolve();
    expect(wrapped.isReady()).toBe(true);
    expect(wrapped.require()).toBe(model);
    await wrapped.close();
    expect(closed).toBe(1);
  });

  it('stays not ready after a failed load and closes without throwing', async () => {
    const wrapped = loadingModel<{ isReady: boolean; close(): void }>(Promise.reject(new Error('load failed')));
    await new Promise((r) => setTimeout(r, 0));
    expect(wrapped.isReady()).toBe(false);
    expect(wrapped.current).toBeUndefined();
    await expect(wrapped.close()).resolves.toBeUndefined();
  });
});
