import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tools/tsup-library';

// The library as every package builds it, plus the `appliedml` CLI as CommonJS only.
export default defineConfig([
  libraryBuild(),
  { ...libraryBuild(), entry: { cli: 'src/cli.ts' }, format: ['cjs'], dts: false, clean: false },
]);
