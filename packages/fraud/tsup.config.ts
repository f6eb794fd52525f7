import { defineConfig } from 'tsup';

// The library as ESM + CommonJS with declarations.
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['cjs', 'esm'],
    dts: true,
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: true,
    splitting: false,
    shims: true,
  },
]);
