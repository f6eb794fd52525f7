import { describe, expect, it } from 'vitest';
import { lazyRequire } from './lazy-require';

describe('lazyRequire', () => {
  it('resolves from the given module URL, made once, on first use', () => {
    let reads = 0;
    const req = lazyRequire(() => {
      reads += 1;
      return import.meta.url;
    });
    expect(reads).toBe(0);
    expect(req().resolve('fflate')).toMatch(/fflate/);
    expect(req()).toBe(req());
    expect(reads).toBe(1);
  });

  it('without a module URL (a CommonJS bundle of an ESM build) resolves from the entry script or the working directory', () => {
    const req = lazyRequire(() => undefined);
    expect(typeof req().resolve).toBe('function');
    expect(() => req().resolve('a-module-that-is-not-installed-anywhere')).toThrow(expect.objectContaining({ code: 'MODULE_NOT_FOUND' }));
  });
});
