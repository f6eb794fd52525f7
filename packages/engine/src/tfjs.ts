/**
 * The engine's TensorFlow.js: what the `@tensorflow/tfjs` umbrella gives a Node program, without the
 * parts a Node service never uses (the WebGL backend, the graph-model converter, tf.data and the
 * browser bundles: 190 MB of the umbrella's 286 MB install).
 *
 * - tfjs-core and tfjs-layers, re-exported as the umbrella's index does (every op, `layers`,
 *   `sequential`, `model`, `loadLayersModel`, `io`, `train`, `losses`, `regularizers`, …);
 * - the gradients and the chained tensor methods (`x.add(y)`), registered as the umbrella registers
 *   them: tfjs-core's own `index` registers neither. Their modules are ES modules only, so the library
 *   build bundles these two (and what they import) into the engine, as the umbrella's Node build does;
 *   they register into tfjs-core's global registries, not into a copy of their own;
 * - the pure-JS `cpu` backend (the engine's `js` device), registered, and its exports (`MathBackendCPU`,
 *   `shared`, `version_cpu`) as the umbrella has them. The wasm backend is loaded by device/loaders.
 *
 * A user's own `@tensorflow/tfjs` (or tfjs-node) of the same version shares this tfjs-core: npm dedupes it.
 * The engine imports this module as '#tfjs' (package.json "imports"): built, it is dist/tfjs.*, one module
 * that index and the CLI share (see tsup.config.ts).
 */
// The order is the umbrella's: tfjs-core, tfjs-layers and the cpu backend load first, then the gradients are
// registered (over the ones tfjs-layers' Node build registers from its own copy) and the chained methods.
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { version_core } from '@tensorflow/tfjs-core';
import { version_layers } from '@tensorflow/tfjs-layers';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
export * from '@tensorflow/tfjs-backend-cpu';

/** The versions of the TensorFlow.js packages the engine runs on (the umbrella's `tf.version`, without the packages it leaves out). */
export const version: Readonly<Record<'tfjs-core' | 'tfjs-backend-cpu' | 'tfjs-layers', string>> = Object.freeze({
  'tfjs-core': version_core,
  'tfjs-backend-cpu': version_cpu,
  'tfjs-layers': version_layers,
});
