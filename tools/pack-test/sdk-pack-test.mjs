#!/usr/bin/env node
// Packing test for the five domain SDKs: build them and the engine, `npm pack` all six, install the
// tarballs into one scratch project outside the workspace (as `npm install @appliedml/<domain>` would,
// with the engine from its tarball instead of the registry) and use each SDK there with plain node:
// train on a few generated rows, predict, save, load, dispose, a typed error; `require` from CommonJS;
// the declarations through tsc; a tiny service per SDK bundled with README.md's "Bundling a service"
// esbuild commands (CommonJS and ES module) and run from its bundle.
//
//   node tools/pack-test/sdk-pack-test.mjs [--no-build] [--keep]
//
// stdout: `[pack-test] …` progress lines and one JSON line per check ({"check": …, "ok": true, …}),
// ending with {"check":"summary"}. Exits 1 with a `[pack-test] FAILED …` message on stderr on failure.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
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
} from './harness.mjs';

const ENGINE = '@appliedml/engine';
/** Each SDK, its folder, and the consumer script that uses it. */
const SDKS = [
  { name: '@appliedml/fraud', dir: 'fraud', script: 'sdk-fraud.mjs' },
  { name: '@appliedml/text', dir: 'text', script: 'sdk-text.mjs' },
  { name: '@appliedml/speech', dir: 'speech', script: 'sdk-speech.mjs' },
  { name: '@appliedml/traffic', dir: 'traffic', script: 'sdk-traffic.mjs' },
  { name: '@appliedml/medical-imaging', dir: 'medical-imaging', script: 'sdk-medical-imaging.mjs' },
];
const PACKAGES = [{ name: ENGINE, dir: 'engine' }, ...SDKS];

const BUILD = readOptions('sdk-pack-test.mjs');

/** The repository's own Nx CLI, from its manifest's bin. */
function nxCli() {
  const manifestPath = require.resolve('nx/package.json');
  return join(dirname(manifestPath), JSON.parse(readFileSync(manifestPath, 'utf8')).bin.nx);
}

const packageDir = (pkg) => join(ROOT, 'packages', pkg.dir);

/** A caret range as npm writes it for 0.x and 1.x+ (the only form the SDKs use for the engine). */
function caretAllows(range, version) {
  const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  const v = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m || !v) return false;
  const [want, have] = [m.slice(1).map(Number), v.slice(1).map(Number)];
  if (want[0] !== have[0]) return false;
  if (want[0] === 0 && want[1] !== have[1]) return false;
  for (let i = 0; i < 3; i++) if (have[i] !== want[i]) return have[i] > want[i];
  return true;
}

const require = createRequire(join(ROOT, 'package.json'));

/**
 * The commands of README.md's "Bundling a service" (its first sh block): the esbuild command of each
 * format and the copy of the wasm files, backslash continuations joined. APPLIEDML_PACK_TEST_README
 * reads them from another file (to show an older recipe failing).
 */
function bundleRecipe(readme) {
  const section = readme.slice(readme.indexOf('**Bundling a service**'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  check(block !== undefined, 'README.md\'s "Bundling a service" has no sh block with the bundling commands');
  const commands = block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const esbuild = (format) => commands.find((c) => c.startsWith('npx esbuild ') && c.includes(` --format=${format} `));
  const recipe = { cjs: esbuild('cjs'), esm: esbuild('esm'), copyWasm: commands.find((c) => c.startsWith('cp ') && c.includes('.wasm')) };
  for (const [what, command] of Object.entries(recipe)) check(command !== undefined, `README.md's bundling block has no ${what} command`);
  return recipe;
}

async function main() {
  log(`repo ${ROOT}`);
  const tscBin = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  const tsVersion = JSON.parse(readFileSync(require.resolve('typescript/package.json'), 'utf8')).version;

  const work = realpathSync(mkdtempSync(join(tmpdir(), 'appliedml-sdk-pack-test-')));
  state.tempDirs.push(work);
  check(!isInside(work, ROOT), `the temp dir ${work} is inside the workspace ${ROOT}; point TMPDIR elsewhere`);
  const packDir = join(work, 'pack');
  const consumerDir = join(work, 'consumer');
  mkdirSync(packDir);
  mkdirSync(consumerDir);
  const workspaces = PACKAGES.flatMap((pkg) => ['-w', pkg.name]);

  // 1. Build and 2. pack all six.
  if (BUILD) {
    // Through Nx: after the README's `npm test` has built them, its cache answers in seconds.
    const projects = PACKAGES.map((pkg) => pkg.name);
    await step(`build: nx run-many -t build -p ${projects.join(' ')}`, async () => {
      await run(process.execPath, [nxCli(), 'run-many', '-t', 'build', '-p', ...projects, '--outputStyle=static'], {
        cwd: ROOT,
        timeoutMs: 420_000,
      });
    });
  } else {
    log('── build skipped (--no-build)');
    for (const pkg of PACKAGES)
      check(existsSync(join(packageDir(pkg), 'dist')), `packages/${pkg.dir}/dist is missing; run without --no-build`);
  }
  const packed = await step('pack: npm pack --json (six tarballs)', async () => {
    const entries = await npmPack(
      PACKAGES.map((pkg) => pkg.name),
      packDir,
      180_000,
    );
    const out = {};
    PACKAGES.forEach((pkg, i) => {
      const entry = entries[i];
      // The declarations as packed.
      const declarations = entry.files
        .map((f) => f.path)
        .filter((p) => /\.d\.[cm]?ts$/.test(p))
        .map((p) => ({ path: p, text: readFileSync(join(packageDir(pkg), p), 'utf8') }));
      out[pkg.name] = { ...entry, declarations };
      log(`   ${entry.filename}: ${entry.files.length} files, ${(entry.size / 1024).toFixed(0)} kB packed`);
    });
    return out;
  });

  // 3. What each SDK tarball holds and declares --------------------------------------------------------
  const engineVersion = packed[ENGINE].version;
  await step('tarballs: dist and docs only, every export present, engine range, no tfjs types in signatures', async () => {
    const summary = { check: 'tarballs', ok: true, engineVersion, packages: {} };
    for (const pkg of SDKS) {
      const entry = packed[pkg.name];
      const paths = entry.files.map((f) => f.path);
      const inTarball = new Set(paths);
      const allowed = (p) => p === 'package.json' || p.startsWith('dist/') || /^(readme|changelog|licen[cs]e)(\.[a-z]+)?$/i.test(p);
      const unexpected = paths.filter((p) => !allowed(p));
      check(unexpected.length === 0, `${pkg.name}: the tarball holds files outside dist/ and the docs: ${unexpected.join(', ')}`);
      const manifest = JSON.parse(readFileSync(join(packageDir(pkg), 'package.json'), 'utf8'));
      const { targets, sourceTargets } = manifestTargets(manifest);
      const missing = [...targets].filter(([target]) => !inTarball.has(target)).map(([target, where]) => `${where} → ./${target}`);
      check(missing.length === 0, `${pkg.name}: package.json points at files that are not in the tarball: ${missing.join('; ')}`);
      for (const { where, target } of sourceTargets)
        check(!inTarball.has(String(target).replace(/^\.\//, '')), `${pkg.name}: ${where} → ${target} is shipped`);
      const range = manifest.dependencies?.[ENGINE];
      check(typeof range === 'string', `${pkg.name} does not depend on ${ENGINE}`);
      check(
        caretAllows(range, engineVersion),
        `${pkg.name} asks for ${ENGINE}@${range}, which the packed ${engineVersion} does not satisfy`,
      );
      const workspaceLinks = Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies }).filter(([, v]) =>
        /^(workspace|file|link):/.test(String(v)),
      );
      check(workspaceLinks.length === 0, `${pkg.name} has dependencies a registry cannot serve: ${JSON.stringify(workspaceLinks)}`);
      // The public surface hides tensors: no declaration file of an SDK names TensorFlow.js.
      const tfjs = entry.declarations.filter((d) => /@tensorflow\//.test(d.text)).map((d) => d.path);
      check(entry.declarations.length > 0, `${pkg.name} ships no declarations`);
      check(tfjs.length === 0, `${pkg.name}: its declarations name TensorFlow.js (tfjs types in SDK signatures): ${tfjs.join(', ')}`);
      summary.packages[pkg.name] = {
        version: entry.version,
        files: paths.length,
        packedKB: Math.round(entry.size / 1024),
        engineRange: range,
        topLevel: [...new Set(paths.map((p) => p.split('/')[0]))].sort(),
      };
    }
    emit(summary);
  });

  // 4. One scratch consumer with all six tarballs ---------------------------------------------------
  await step(`consumer: npm init -y && npm install <six tarballs> --prefer-offline --no-audit --no-fund (in ${consumerDir})`, async () => {
    await run('npm', ['init', '-y'], { cwd: consumerDir, timeoutMs: 60_000 });
    const tarballs = PACKAGES.map((pkg) => packed[pkg.name].tarball);
    // A Node service has Node's types: the repository's own version of them, from the npm cache.
    // The medical consumer script makes its JPEG DICOM with sharp, so it asks for sharp itself (the SDK's version).
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
    const versionOf = (name) => lock.packages[`node_modules/${name}`].version;
    const extras = [`@types/node@${versionOf('@types/node')}`, `sharp@${versionOf('sharp')}`];
    const install = await run('npm', ['install', ...tarballs, ...extras, '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: consumerDir,
      timeoutMs: 420_000,
    });
    log(`   ${tail(install.stdout, 1).trim()}`);
    for (const pkg of PACKAGES) {
      const installed = join(consumerDir, 'node_modules', ...pkg.name.split('/'));
      check(existsSync(installed), `${installed} is missing after npm install`);
      check(isInside(realpathSync(installed), consumerDir), `${installed} resolves outside the scratch project (a workspace link?)`);
      const version = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version;
      check(version === packed[pkg.name].version, `installed ${pkg.name}@${version}, packed ${packed[pkg.name].version}`);
    }
    // One engine for all five SDKs: a second copy would split the device state and the error class.
    const nested = SDKS.filter((pkg) =>
      existsSync(join(consumerDir, 'node_modules', ...pkg.name.split('/'), 'node_modules', ...ENGINE.split('/'))),
    );
    check(nested.length === 0, `a second ${ENGINE} got installed under ${nested.map((p) => p.name).join(', ')}`);
    // Nor the tfjs umbrella and the browser-only packages it brings (WebGL backend, converter, tf.data).
    for (const forbidden of ['tfjs-node', 'tfjs-node-gpu', 'tfjs', 'tfjs-backend-webgl', 'tfjs-converter', 'tfjs-data'])
      check(!existsSync(join(consumerDir, 'node_modules', '@tensorflow', forbidden)), `@tensorflow/${forbidden} got installed`);
  });

  // 5. Each SDK, used the way its README shows, with plain node -------------------------------------
  copyFixtures(consumerDir, [...SDKS.map((pkg) => pkg.script), 'sdk-cjs.cjs', 'sdk-types.mts', 'sdk-types.cts']);
  for (const pkg of SDKS) {
    const name = pkg.dir;
    await step(`${name}: node ${pkg.script} (train → predict → save → load → dispose, typed error, no tensor left)`, async () => {
      const { stdout, stderr } = await run(process.execPath, [pkg.script], { cwd: consumerDir, timeoutMs: 240_000 });
      const result = jsonLine(stdout, `sdk-${name}`);
      // Library code is quiet by default: nothing on stderr, and the result line is all of stdout.
      check(stderr.trim() === '', `${pkg.name} wrote to stderr:\n${tail(stderr)}`);
      check(stdout.trim().split('\n').length === 1, `${pkg.name} wrote to stdout besides the result:\n${tail(stdout)}`);
      check(result.ok === true, `${pkg.script} did not report ok: ${JSON.stringify(result)}`);
      check(String(result.resolved).endsWith('/dist/index.mjs'), `${pkg.name} resolved to ${result.resolved}, not its dist/index.mjs`);
      check(result.leakedTensors === 0, `${pkg.script} left ${result.leakedTensors} tensors behind`);
      check(result.errorCode?.startsWith('E_'), `${pkg.script} reported no typed error code: ${result.errorCode}`);
      emit(result);
    });
  }

  // 6. CommonJS: every SDK through `require`, errors through the one engine's AppliedMLError ----------
  await step('cjs: node sdk-cjs.cjs (require each SDK: dist/index.js, a typed error from each)', async () => {
    const { stdout } = await run(process.execPath, ['sdk-cjs.cjs'], { cwd: consumerDir, timeoutMs: 120_000 });
    const result = jsonLine(stdout, 'sdk-cjs');
    check(result.ok === true, `sdk-cjs.cjs did not report ok: ${JSON.stringify(result)}`);
    for (const pkg of SDKS) {
      const got = result.packages?.[pkg.name];
      check(got?.resolved?.endsWith('/dist/index.js'), `require('${pkg.name}') resolved to ${got?.resolved}`);
      check(
        got?.errorCode?.startsWith('E_') && got.isInstance === true && got.sameClass === true,
        `${pkg.name} under require: ${JSON.stringify(got)}`,
      );
    }
    // The repo-internal condition must not open sources in an installed package.
    const probes = {};
    for (const pkg of SDKS) {
      const probe = await run(
        process.execPath,
        [
          `--conditions=${SOURCE_CONDITION}`,
          '--input-type=module',
          '-e',
          `import('${pkg.name}').then(() => console.log('loaded'), (e) => console.log(e.code))`,
        ],
        { cwd: consumerDir, timeoutMs: 60_000 },
      );
      probes[pkg.name] = probe.stdout.trim();
      // The manifest still names the condition; its target (src/) is not shipped.
      check(probes[pkg.name] === 'ERR_MODULE_NOT_FOUND', `with --conditions=${SOURCE_CONDITION}, ${pkg.name} gave ${probes[pkg.name]}`);
    }
    emit({ ...result, withSourceCondition: probes });
  });

  // 7. Bundled: a tiny service per SDK, bundled with the README's commands in both formats --------------
  const readmePath = process.env.APPLIEDML_PACK_TEST_README ?? join(ROOT, 'README.md');
  await step(`bundle: README.md's esbuild commands (cjs, esm) on a tiny service per SDK, run from the bundle`, async () => {
    const recipe = bundleRecipe(readFileSync(readmePath, 'utf8'));
    const esbuildBin = join(dirname(require.resolve('esbuild/package.json')), 'bin', 'esbuild');
    const template = readFileSync(join(ROOT, 'tools', 'pack-test', 'consumer', 'bundle-service.mjs'), 'utf8');
    const summary = { check: 'sdk-bundle', ok: true, readme: readmePath, recipe, results: {} };
    const failures = [];
    for (const pkg of SDKS) {
      const source = `bundle-service-${pkg.dir}.mjs`;
      writeFileSync(
        join(consumerDir, source),
        template.replaceAll('@appliedml/SDK', pkg.name).replace("const SDK = 'SDK'", `const SDK = '${pkg.dir}'`),
      );
      for (const format of ['cjs', 'esm']) {
        // The README's commands with this service's file and its own build folder (inside the consumer,
        // so that what stays external is installed beside the bundle, as the README says).
        const out = `build-${format}-${pkg.dir}`;
        const command = recipe[format]
          .replace(/^npx esbuild /, `'${esbuildBin}' `)
          .replace(/ service\.m?js /, ` ${source} `)
          .replace(/--outfile=build\//, `--outfile=${out}/`);
        const script = /--outfile=\S+?\/(\S+)/.exec(command)?.[1];
        const built = await run('sh', ['-c', `${command} --log-level=error && ${recipe.copyWasm.replace(/ build\/?$/, ` ${out}/`)}`], {
          cwd: consumerDir,
          timeoutMs: 60_000,
          allowFailure: true,
        });
        let result;
        if (built.code !== 0) result = { ok: false, stage: 'build', output: tail(built.stderr + built.stdout, 8) };
        else {
          const ran = await run(process.execPath, [script], { cwd: join(consumerDir, out), timeoutMs: 60_000, allowFailure: true });
          const line = ran.stdout.split('\n').find((l) => l.startsWith('{'));
          result = line ? JSON.parse(line) : { ok: false, stage: 'run', output: tail(ran.stderr + ran.stdout, 8) };
          if (ran.code !== 0 && result.ok) result = { ...result, ok: false, exitCode: ran.code };
          if (result.ok && result.device !== 'wasm')
            result = { ...result, ok: false, why: 'not on wasm (the wasm files beside the bundle?)' };
        }
        summary.results[`${pkg.dir}-${format}`] = result;
        if (!result.ok) failures.push(`${pkg.name} bundled as ${format}: ${JSON.stringify(result)}`);
      }
    }
    check(failures.length === 0, `a service bundled with README.md's commands failed:\n${failures.join('\n')}`);
    emit(summary);
  });

  // 8. Types: the five SDKs' declarations in a strict consumer, ES module and CommonJS ---------------
  await step(`types: tsc ${tsVersion} --noEmit (node16: sdk-types.mts import + sdk-types.cts require)`, async () => {
    const compilerOptions = {
      target: 'es2022',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      module: 'node16',
      moduleResolution: 'node16',
      types: ['node'],
    };
    writeFileSync(
      join(consumerDir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, files: ['sdk-types.mts', 'sdk-types.cts'] }, null, 2),
    );
    const out = await run(process.execPath, [tscBin, '-p', 'tsconfig.json', '--explainFiles', '--pretty', 'false'], {
      cwd: consumerDir,
      timeoutMs: 240_000,
      allowFailure: true,
    });
    const summary = { check: 'sdk-types', ok: true, typescript: tsVersion, resolved: {} };
    const { errors } = parseTsc(out.stdout, ENGINE);
    // tfjs's own declarations do not compile with skipLibCheck off (upstream); ours and the consumer's count.
    const ours = errors.filter((e) => !/node_modules[\\/]/.test(e) || /node_modules[\\/]@appliedml[\\/]/.test(e));
    check(ours.length === 0, `tsc reported errors in the consumer or the SDKs' declarations:\n${ours.join('\n')}`);
    check(out.code === 0 || errors.length > 0, `tsc exited with ${out.code} without an error line:\n${tail(out.stdout + out.stderr)}`);
    const ignored = errors.length - ours.length;
    for (const pkg of SDKS) {
      const { resolvedFor } = parseTsc(out.stdout, pkg.name);
      summary.resolved[pkg.name] = resolvedFor;
      check(
        resolvedFor['sdk-types.mts'] === 'dist/index.d.mts' && resolvedFor['sdk-types.cts'] === 'dist/index.d.ts',
        `tsc resolved ${pkg.name} to ${JSON.stringify(resolvedFor)}, expected dist/index.d.mts (import) and dist/index.d.ts (require)`,
      );
    }
    summary.ignoredThirdPartyErrors = ignored;
    emit(summary);
  });

  return { engineVersion };
}

await runChecks(main);
