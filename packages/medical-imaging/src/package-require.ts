import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';

/**
 * This module's URL, read when called (never at import): the file's own in the ESM build and in an ES
 * module bundle, from `__filename` in the CommonJS build (tsup's shim). Undefined in a CommonJS bundle
 * of the ESM build, where esbuild leaves `import.meta` empty.
 */
export function moduleUrl(): string | undefined {
  const url: unknown = import.meta.url;
  return typeof url === 'string' && url !== '' ? url : undefined;
}

let made: NodeJS.Require | undefined;

/**
 * A `require` for the modules this package loads lazily, made on first use so that importing the
 * package works however it was built or bundled. It resolves from this module's file; where that is
 * unknown (a CommonJS bundle of the ESM build) from the service's entry script (the bundle), else from
 * the working directory: the modules must then be installed beside the bundle.
 */
export function packageRequire(): NodeJS.Require {
  if (!made) {
    const entry = process.argv[1];
    made = createRequire(moduleUrl() ?? (entry && isAbsolute(entry) ? entry : join(process.cwd(), 'noop.js')));
  }
  return made;
}
