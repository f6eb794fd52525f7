import { lazyRequire } from '@appliedml/engine';

/**
 * This module's URL, read when called (never at import): the file's own in the ESM build and in an ES
 * module bundle, from `__filename` in the CommonJS build (tsup's shim). Undefined in a CommonJS bundle
 * of the ESM build, where esbuild leaves `import.meta` empty.
 */
export function moduleUrl(): string | undefined {
  const url: unknown = import.meta.url;
  return typeof url === 'string' && url !== '' ? url : undefined;
}

/** A `require` for the modules this package loads lazily, made on first use (the engine's `lazyRequire`). */
export const packageRequire: () => NodeJS.Require = lazyRequire(moduleUrl);
