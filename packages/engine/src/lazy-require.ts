import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';

/**
 * A `require` for the modules a package loads lazily (optional codecs, data packages), made on first use
 * so that importing the package works however it was built or bundled. `moduleUrl` reads the calling
 * module's `import.meta.url` when called (never at import): the file's own URL in an ESM build and in an
 * ES module bundle, `__filename`'s in a CommonJS build (tsup's shim), undefined in a CommonJS bundle of
 * the ESM build, where esbuild leaves `import.meta` empty. There the require resolves from the service's
 * entry script (the bundle), else from the working directory: the modules must be installed beside the
 * bundle. Each package passes its own reader, so resolution starts from that package's files.
 */
export function lazyRequire(moduleUrl: () => string | undefined): () => NodeJS.Require {
  let made: NodeJS.Require | undefined;
  return () => {
    if (!made) {
      const entry = process.argv[1];
      made = createRequire(moduleUrl() ?? (entry && isAbsolute(entry) ? entry : join(process.cwd(), 'noop.js')));
    }
    return made;
  };
}
