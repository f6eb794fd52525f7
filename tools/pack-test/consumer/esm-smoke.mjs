// Runs inside the scratch consumer project with plain `node`: the packed engine through `import`.
import * as engine from '@appliedml/engine';
import runSmoke from './smoke-run.cjs';

const fail = (message) => {
  process.stderr.write(`esm-smoke: ${message}\n`);
  process.exit(1);
};

const resolved = import.meta.resolve('@appliedml/engine');
if (!resolved.endsWith('/dist/index.mjs')) fail(`import resolved to ${resolved}, expected dist/index.mjs`);

const result = await runSmoke(engine, fail);
process.stdout.write(
  `${JSON.stringify({ check: 'esm', ok: true, resolved: resolved.slice(resolved.lastIndexOf('/dist/') + 1), ...result })}\n`,
);
