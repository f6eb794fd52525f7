// Runs inside the scratch consumer project: the in-repo "@appliedml/source" condition and the
// TypeScript sources must not be reachable from an installed copy of the engine.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const fail = (message) => {
  process.stderr.write(`leak-check: ${message}\n`);
  process.exit(1);
};

const codeOf = async (load) => {
  try {
    await load();
    return 'loaded';
  } catch (error) {
    return error?.code ?? String(error);
  }
};

// Deep imports of the sources are blocked by the exports map (and the files are not shipped).
const esmSource = await codeOf(() => import('@appliedml/engine/src/index.ts'));
const cjsSource = await codeOf(() => require('@appliedml/engine/src/index.ts'));
const esmDist = await codeOf(() => import('@appliedml/engine/dist/index.mjs'));
if (esmSource !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') fail(`import of @appliedml/engine/src/index.ts gave ${esmSource}`);
if (cjsSource !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') fail(`require of @appliedml/engine/src/index.ts gave ${cjsSource}`);
if (esmDist !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') fail(`import of @appliedml/engine/dist/index.mjs gave ${esmDist}`);

// The one extra subpath the exports map promises.
const pkg = require('@appliedml/engine/package.json');
const packageDir = dirname(require.resolve('@appliedml/engine/package.json'));

// Nothing but the build output, the manifest and docs in the installed directory.
const shipped = readdirSync(packageDir).sort();
const unexpected = shipped.filter(
  (name) => !['dist', 'package.json'].includes(name) && !/^(readme|changelog|licen[cs]e)(\.|$)/i.test(name),
);
if (unexpected.length > 0) fail(`the installed package contains ${unexpected.join(', ')}`);
if (existsSync(join(packageDir, 'src'))) fail('the installed package contains src/');

process.stdout.write(
  `${JSON.stringify({
    check: 'leak',
    ok: true,
    version: pkg.version,
    sourceImport: esmSource,
    sourceRequire: cjsSource,
    deepDistImport: esmDist,
    installed: shipped,
  })}\n`,
);
