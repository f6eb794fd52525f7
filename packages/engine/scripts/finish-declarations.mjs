// After tsup: the built declarations reach the engine's TensorFlow.js without the package.json "imports"
// entry ('#tfjs'), which TypeScript's `moduleResolution: node` (node10, the default for `module: commonjs`)
// does not read: there every `tf` type became `any`. And dist/tfjs.d.(m)ts imports tfjs-core's chained-op
// declarations, which add `x.add(y)`, `.argMax()`, `.slice()` … to the Tensor type (the declaration bundler
// drops side-effect imports; the umbrella @tensorflow/tfjs's index.d.ts has the same import).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const CHAINED_OPS = "import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';\n";

function edit(file, change) {
  const path = dist + file;
  const before = readFileSync(path, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`finish-declarations: nothing to change in dist/${file}`);
  writeFileSync(path, after);
}

for (const [file, target] of [
  ['index.d.ts', './tfjs.js'],
  ['index.d.mts', './tfjs.mjs'],
]) {
  edit(file, (text) => text.replaceAll(/(from |import\()'#tfjs'/g, `$1'${target}'`));
}
for (const file of ['tfjs.d.ts', 'tfjs.d.mts']) {
  edit(file, (text) => (text.includes(CHAINED_OPS) ? text : CHAINED_OPS + text));
}
