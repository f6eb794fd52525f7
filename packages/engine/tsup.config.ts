import { defineConfig } from 'tsup';

// The library as ESM + CommonJS with declarations; the `appliedml` CLI as CommonJS only.
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
  {
    entry: { cli: 'src/cli.ts' },
    format: ['cjs'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: false,
    splitting: false,
    shims: true,
  },
]);
