#!/usr/bin/env node
// Packing test for @appliedml/engine: build, `npm pack`, install the tarball into a scratch project
// outside the workspace and use it the way a user would (plain node, ESM and CJS, the bin, the types).
//
//   node tools/pack-test/pack-test.mjs [--no-build] [--keep]
//
// stdout: `[pack-test] …` progress lines and one JSON line per check ({"check": …, "ok": true, …}),
// ending with {"check":"summary"}. Exits 1 with a `[pack-test] FAILED …` message on stderr on failure.
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CONSUMER_FIXTURES,
  CheckFailure,
  IS_WINDOWS,
  ROOT,
  SOURCE_CONDITION,
  check,
  copyFixtures,
  emit,
  isInside,
  jsonLine,
  log,
  manifestTargets,
  npmPack,
  parseTsc,
  run,
  readOptions,
  runChecks,
  state,
  step,
  tail,
  warn,
} from './harness.mjs';

const ENGINE_DIR = join(ROOT, 'packages', 'engine');
const PKG_NAME = '@appliedml/engine';

const BUILD = readOptions('pack-test.mjs');

async function main() {
  log(`repo ${ROOT}`);
  const manifest = JSON.parse(readFileSync(join(ENGINE_DIR, 'package.json'), 'utf8'));
  check(manifest.name === PKG_NAME, `packages/engine/package.json is ${manifest.name}, expected ${PKG_NAME}`);
  const require = createRequire(join(ROOT, 'package.json'));
  const tscBin = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  const tsVersion = JSON.parse(readFileSync(require.resolve('typescript/package.json'), 'utf8')).version;

  const work = realpathSync(mkdtempSync(join(tmpdir(), 'appliedml-pack-test-')));
  state.tempDirs.push(work);
  check(!isInside(work, ROOT), `the temp dir ${work} is inside the workspace ${ROOT}; point TMPDIR elsewhere`);
  for (let dir = dirname(work); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) {
      warn(`${join(dir, 'node_modules')} exists above the scratch project; resolution there could hide missing dependencies`);
    }
    if (dirname(dir) === dir) break;
  }
  const packDir = join(work, 'pack');
  const consumerDir = join(work, 'consumer');
  mkdirSync(packDir);
  mkdirSync(consumerDir);

  // 1. Build ------------------------------------------------------------------------------------
  if (BUILD) {
    await step(`build: npm run build -w ${PKG_NAME}`, async () => {
      await run('npm', ['run', 'build', '-w', PKG_NAME], { cwd: ROOT, timeoutMs: 180_000 });
    });
  } else {
    log('── build skipped (--no-build)');
    check(existsSync(join(ENGINE_DIR, 'dist')), 'packages/engine/dist is missing; run without --no-build');
  }

  // 2. Pack -------------------------------------------------------------------------------------
  const packed = await step('pack: npm pack --json', async () => {
    const [entry] = await npmPack([PKG_NAME], packDir, 120_000);
    log(
      `   ${entry.filename}: ${entry.files.length} files, ${(entry.size / 1024).toFixed(0)} kB packed, ${(entry.unpackedSize / 1024).toFixed(0)} kB unpacked`,
    );
    // The bins' first lines, as packed.
    const binTargets = typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {});
    const firstLines = Object.fromEntries(
      binTargets
        .map((target) => target.replace(/^\.\//, ''))
        .filter((rel) => existsSync(join(ENGINE_DIR, rel)))
        .map((rel) => [rel, readFileSync(join(ENGINE_DIR, rel), 'utf8').split('\n', 1)[0]]),
    );
    return { ...entry, firstLines };
  });

  // 3. Tarball contents (exports, files, bin) ------------------------------------------------------
  await step('tarball contents: files allowlist, exports/bin targets, shebang', async () => {
    const paths = packed.files.map((f) => f.path);
    const inTarball = new Set(paths);
    const allowed = (p) => p === 'package.json' || p.startsWith('dist/') || /^(readme|changelog|licen[cs]e)(\.[a-z]+)?$/i.test(p);
    const unexpected = paths.filter((p) => !allowed(p));
    check(
      unexpected.length === 0,
      `the tarball contains files outside dist/ and the docs: ${unexpected.join(', ')} (fix "files" in packages/engine/package.json)`,
    );
    const testLike = paths.filter(
      (p) =>
        /(^|\/)(src|test|tests|__tests__|bench|fixtures|__fixtures__)\//.test(p) ||
        /\.(test|spec)\.[cm]?[jt]s$/.test(p) ||
        /(^|\/)(tsconfig[^/]*\.json|tsup\.config\.[cm]?[jt]s)$/.test(p),
    );
    check(testLike.length === 0, `the tarball contains sources, tests or build config: ${testLike.join(', ')}`);
    const tsSources = paths.filter((p) => /\.[cm]?ts$/.test(p) && !/\.d\.[cm]?ts$/.test(p));
    check(tsSources.length === 0, `the tarball contains TypeScript sources: ${tsSources.join(', ')}`);

    const packedManifest = JSON.parse(readFileSync(join(ENGINE_DIR, 'package.json'), 'utf8'));
    const { targets, sourceTargets } = manifestTargets(packedManifest);
    const missing = [...targets].filter(([target]) => !inTarball.has(target)).map(([target, where]) => `${where} → ./${target}`);
    check(missing.length === 0, `package.json points at files that are not in the tarball: ${missing.join('; ')}`);
    for (const { where, target } of sourceTargets) {
      check(!inTarball.has(String(target).replace(/^\.\//, '')), `${where} → ${target} is shipped in the tarball`);
    }

    // Every `files` entry should ship something; a missing README leaves the npm page empty.
    for (const entry of packedManifest.files ?? []) {
      const clean = entry.replace(/^\.\//, '').replace(/\/$/, '');
      if (!paths.some((p) => p === clean || p.startsWith(`${clean}/`))) {
        warn(`"files" lists ${entry} but packages/engine/${clean} does not exist, so it is not packed`);
      }
    }
    if (!paths.some((p) => /^readme(\.|$)/i.test(p))) warn('the tarball has no README (the npm page will be empty)');
    if (packedManifest.license && !paths.some((p) => /^licen[cs]e(\.|$)/i.test(p))) {
      warn(`license is ${packedManifest.license} but the tarball has no LICENSE file`);
    }
    // Build output nothing points at is dead weight.
    const referenced = new Set(targets.keys());
    const unreferenced = paths.filter((p) => p.startsWith('dist/') && !p.endsWith('.map') && !referenced.has(p));
    if (unreferenced.length > 0) warn(`the tarball ships build output no entry point, export or bin uses: ${unreferenced.join(', ')}`);

    // Each bin must be executable through the npm shim: a node shebang, and the file mode npm packs.
    const bins =
      typeof packedManifest.bin === 'string' ? { [packedManifest.name.split('/').pop()]: packedManifest.bin } : (packedManifest.bin ?? {});
    for (const [name, target] of Object.entries(bins)) {
      const rel = target.replace(/^\.\//, '');
      const firstLine = packed.firstLines[rel] ?? '';
      check(
        firstLine.startsWith('#!') && firstLine.includes('node'),
        `bin ${name} (${rel}) starts with ${JSON.stringify(firstLine.slice(0, 40))}, not a node shebang`,
      );
    }
    emit({
      check: 'tarball',
      ok: true,
      name: packed.name,
      version: packed.version,
      files: paths.length,
      packedKB: Math.round(packed.size / 1024),
      unpackedKB: Math.round(packed.unpackedSize / 1024),
      topLevel: [...new Set(paths.map((p) => p.split('/')[0]))].sort(),
      sourceConditionShipped: false,
      warnings: state.warnings.length,
    });
  });

  // 4. Scratch consumer -------------------------------------------------------------------------
  await step(
    `consumer: npm init -y && npm install ${packed.filename} @types/node --prefer-offline --no-audit --no-fund (in ${consumerDir})`,
    async () => {
      await run('npm', ['init', '-y'], { cwd: consumerDir, timeoutMs: 60_000 });
      // A Node project in TypeScript has Node's types (the engine's declarations use Buffer and node:fs): the
      // repository's own version, from the npm cache. They used to come along with the tfjs umbrella's tf.data.
      const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
      const typesNode = `@types/node@${lock.packages['node_modules/@types/node'].version}`;
      const install = await run('npm', ['install', packed.tarball, typesNode, '--prefer-offline', '--no-audit', '--no-fund'], {
        cwd: consumerDir,
        timeoutMs: 240_000,
      });
      log(`   ${tail(install.stdout, 1).trim()}`);
      const installed = join(consumerDir, 'node_modules', ...PKG_NAME.split('/'));
      check(existsSync(installed), `${installed} is missing after npm install`);
      check(!lstatSync(installed).isSymbolicLink(), `${installed} is a symlink (a workspace link, not the tarball)`);
      check(isInside(realpathSync(installed), consumerDir), `${installed} resolves outside the scratch project`);
      const installedManifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
      check(installedManifest.version === packed.version, `installed ${installedManifest.version}, packed ${packed.version}`);
      for (const forbidden of ['tfjs-node', 'tfjs-node-gpu']) {
        check(
          !existsSync(join(consumerDir, 'node_modules', '@tensorflow', forbidden)),
          `@tensorflow/${forbidden} got installed; the engine must not depend on it`,
        );
      }
      // The umbrella and the browser-only packages it brings (WebGL backend, converter, tf.data): 190 MB a
      // Node service never runs. The engine depends on tfjs-core, tfjs-layers and the cpu and wasm backends.
      for (const unused of ['tfjs', 'tfjs-backend-webgl', 'tfjs-converter', 'tfjs-data']) {
        check(
          !existsSync(join(consumerDir, 'node_modules', '@tensorflow', unused)),
          `@tensorflow/${unused} got installed; the engine depends on tfjs-core, tfjs-layers and the cpu and wasm backends only`,
        );
      }
      const wasm = JSON.parse(readFileSync(join(consumerDir, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'package.json'), 'utf8'));
      log(`   @tensorflow/tfjs-backend-wasm ${wasm.version}`);
    },
  );

  // 5. ESM and 6. CJS smoke runs ------------------------------------------------------------------
  copyFixtures(consumerDir, ['esm-smoke.mjs', 'cjs-smoke.cjs', 'smoke-run.cjs', 'leak-check.mjs', 'types-esm.mts', 'types-cjs.cts']);
  // The same ES-module consumer, checked a second time under `moduleResolution: bundler`.
  copyFileSync(join(CONSUMER_FIXTURES, 'types-esm.mts'), join(consumerDir, 'types-bundler.ts'));
  // The CommonJS consumer once more under `moduleResolution: node` (node10, TypeScript's default for
  // `module: commonjs`), which reads package.json "types" and no "exports" / "imports".
  copyFileSync(join(CONSUMER_FIXTURES, 'types-cjs.cts'), join(consumerDir, 'types-node10.ts'));
  const smoke = {};
  for (const [flavour, file] of [
    ['esm', 'esm-smoke.mjs'],
    ['cjs', 'cjs-smoke.cjs'],
  ]) {
    smoke[flavour] = await step(`${flavour}: node ${file} (initEngine auto → wasm, fitModel, predictBatched, AppliedMLError)`, async () => {
      const { stdout } = await run(process.execPath, [file], { cwd: consumerDir, timeoutMs: 120_000 });
      const result = jsonLine(stdout, flavour);
      check(result.ok === true, `${file} did not report ok: ${JSON.stringify(result)}`);
      check(result.version === packed.version, `${flavour} ENGINE_VERSION is ${result.version}, packed ${packed.version}`);
      check(result.device === 'wasm', `${flavour} picked ${result.device}, expected wasm`);
      check(result.lastLoss < result.firstLoss, `${flavour} loss did not drop: ${result.firstLoss} → ${result.lastLoss}`);
      emit(result);
      return result;
    });
  }
  check(
    smoke.esm.lastLoss === smoke.cjs.lastLoss,
    `the ESM and CJS builds trained differently with the same seeds: ${smoke.esm.lastLoss} vs ${smoke.cjs.lastLoss}`,
  );

  // 7. The bin ------------------------------------------------------------------------------------
  await step('bin: npx --no -- appliedml doctor --json', async () => {
    const bin = join(consumerDir, 'node_modules', '.bin', IS_WINDOWS ? 'appliedml.cmd' : 'appliedml');
    check(existsSync(bin), `npm did not link the appliedml bin (${bin} is missing)`);
    const { stdout } = await run('npx', ['--no', '--', 'appliedml', 'doctor', '--json'], { cwd: consumerDir, timeoutMs: 120_000 });
    let report;
    try {
      report = JSON.parse(stdout);
    } catch (error) {
      throw new CheckFailure(`appliedml doctor --json printed something that is not JSON (${error.message}):\n${tail(stdout)}`);
    }
    check(report.info?.device === 'wasm', `appliedml doctor reports device ${report.info?.device}, expected wasm`);
    check(report.engineVersion === packed.version, `appliedml doctor reports engine ${report.engineVersion}, packed ${packed.version}`);
    const help = await run('npx', ['--no', '--', 'appliedml', '--help'], { cwd: consumerDir, timeoutMs: 60_000 });
    check(help.stdout.includes('usage: appliedml doctor'), `appliedml --help printed no usage:\n${tail(help.stdout)}`);
    emit({ check: 'bin', ok: true, device: report.info.device, backend: report.info.backend, engineVersion: report.engineVersion });
  });

  // 8. The in-repo source condition does not leak --------------------------------------------------
  await step(`leak: no ${SOURCE_CONDITION} / src in the installed package`, async () => {
    const { stdout } = await run(process.execPath, ['leak-check.mjs'], { cwd: consumerDir, timeoutMs: 60_000 });
    const result = jsonLine(stdout, 'leak');
    // A consumer that turned the repo-internal condition on would get a hard error, not our sources.
    const probe = await run(
      process.execPath,
      [
        `--conditions=${SOURCE_CONDITION}`,
        '--input-type=module',
        '-e',
        "import('@appliedml/engine').then(() => console.log('loaded'), (e) => console.log(e.code))",
      ],
      { cwd: consumerDir, timeoutMs: 60_000 },
    );
    result.withSourceCondition = probe.stdout.trim();
    check(result.withSourceCondition !== 'loaded', `with --conditions=${SOURCE_CONDITION} the installed package loaded sources`);
    emit(result);
  });

  // 9. Types through both branches of the exports map ------------------------------------------------
  await step(`types: tsc ${tsVersion} --noEmit (node16: .mts import + .cts require; bundler: .ts import; node10: require)`, async () => {
    const base = { target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, forceConsistentCasingInFileNames: true };
    writeFileSync(
      join(consumerDir, 'tsconfig.node16.json'),
      JSON.stringify(
        { compilerOptions: { ...base, module: 'node16', moduleResolution: 'node16' }, files: ['types-esm.mts', 'types-cjs.cts'] },
        null,
        2,
      ),
    );
    writeFileSync(
      join(consumerDir, 'tsconfig.bundler.json'),
      JSON.stringify({ compilerOptions: { ...base, module: 'esnext', moduleResolution: 'bundler' }, files: ['types-bundler.ts'] }, null, 2),
    );
    writeFileSync(
      join(consumerDir, 'tsconfig.node10.json'),
      JSON.stringify({ compilerOptions: { ...base, module: 'commonjs', moduleResolution: 'node10' }, files: ['types-node10.ts'] }, null, 2),
    );
    const projects = {
      node16: { expect: { 'types-esm.mts': 'dist/index.d.mts', 'types-cjs.cts': 'dist/index.d.ts' } },
      bundler: { expect: { 'types-bundler.ts': 'dist/index.d.mts' } },
      node10: { expect: { 'types-node10.ts': 'dist/index.d.ts' } },
    };
    // The two compilations are independent: run them side by side.
    const outputs = await Promise.all(
      Object.keys(projects).map((name) =>
        run(process.execPath, [tscBin, '-p', `tsconfig.${name}.json`, '--explainFiles', '--pretty', 'false'], {
          cwd: consumerDir,
          timeoutMs: 180_000,
          allowFailure: true,
        }),
      ),
    );
    const summary = { check: 'types', ok: true, typescript: tsVersion };
    let ignored = 0;
    Object.keys(projects).forEach((name, i) => {
      const { errors, resolvedFor } = parseTsc(outputs[i].stdout, PKG_NAME);
      // tfjs 4.22's own declarations do not compile with skipLibCheck off (upstream); anything else does count.
      const ours = errors.filter((e) => !/node_modules[\\/]/.test(e) || /node_modules[\\/]@appliedml[\\/]/.test(e));
      ignored += errors.length - ours.length;
      check(ours.length === 0, `tsc (${name}) reported errors in the consumer or the engine's declarations:\n${ours.join('\n')}`);
      check(
        outputs[i].code === 0 || errors.length > 0,
        `tsc (${name}) exited with ${outputs[i].code} without an error line:\n${tail(outputs[i].stdout + outputs[i].stderr)}`,
      );
      for (const [importer, want] of Object.entries(projects[name].expect)) {
        check(
          resolvedFor[importer] === want,
          `tsc (${name}) resolved '@appliedml/engine' from ${importer} to ${resolvedFor[importer] ?? 'nothing'}, expected ${want}`,
        );
      }
      summary[name] = resolvedFor;
    });
    summary.ignoredThirdPartyErrors = ignored;
    emit(summary);
  });

  return { version: packed.version };
}

await runChecks(main);
