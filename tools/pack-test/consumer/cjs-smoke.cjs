// Runs inside the scratch consumer project with plain `node`: the packed engine through `require`.
'use strict';
const engine = require('@appliedml/engine');
const runSmoke = require('./smoke-run.cjs');

const fail = (message) => {
  process.stderr.write(`cjs-smoke: ${message}\n`);
  process.exit(1);
};

const resolved = require.resolve('@appliedml/engine').split('\\').join('/');
if (!resolved.endsWith('/dist/index.js')) fail(`require resolved to ${resolved}, expected dist/index.js`);

async function main() {
  const result = await runSmoke(engine, fail);
  process.stdout.write(
    `${JSON.stringify({ check: 'cjs', ok: true, resolved: resolved.slice(resolved.lastIndexOf('/dist/') + 1), ...result })}\n`,
  );
}

main().catch((error) => fail(error && error.stack ? error.stack : String(error)));
