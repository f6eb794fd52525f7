import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tools/tsup-library';

// The engine's TensorFlow.js (src/tfjs.ts, imported everywhere as '#tfjs', package.json "imports") is an
// entry of its own, dist/tfjs.*, which index and the CLI require: its declarations then stay
// `export * from` tfjs-core / tfjs-layers / tfjs-backend-cpu, which the declaration bundler cannot write
// as a namespace inside index.d.ts (it wrote JavaScript there, and `typeof` consts that lose the types).
// tfjs-core's gradients and chained tensor methods ship as ES modules only (no CommonJS build outside the
// `@tensorflow/tfjs` umbrella's bundle): tfjs.ts imports them by path and they are bundled in, as the
// umbrella's Node build bundles them; they register into tfjs-core's global registries.
const tfjsCoreRegistrations = /^@tensorflow\/tfjs-core\/dist\//;

// The library as every package builds it, plus the `appliedml` CLI as CommonJS only.
export default defineConfig([
  { ...libraryBuild(), entry: { index: 'src/index.ts', tfjs: 'src/tfjs.ts' }, external: ['#tfjs'], noExternal: [tfjsCoreRegistrations] },
  { ...libraryBuild(), entry: { cli: 'src/cli.ts' }, format: ['cjs'], dts: false, clean: false, external: ['#tfjs'] },
]);
