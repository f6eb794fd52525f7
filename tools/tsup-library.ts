import type { Options } from 'tsup';

/**
 * The one build every published package uses: `src/index.ts` as ESM + CommonJS with declarations,
 * for Node 20. A package's tsup.config.ts is `export default libraryBuild()`, plus any extra entries.
 */
export function libraryBuild(): Options {
  return {
    entry: { index: 'src/index.ts' },
    format: ['cjs', 'esm'],
    dts: true,
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: true,
    splitting: false,
    shims: true,
    // Classes and functions keep the names they are written with. Without it esbuild renamed the classes
    // that refer to themselves (`class _AppliedMLError`, `_TextClassifier`), and an uncaught error
    // printed as `_AppliedMLError: …`.
    keepNames: true,
  };
}
