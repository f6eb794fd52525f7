import { describe, expect, it } from 'vitest';
import { checksOf, runPackScript } from './pack-run';

// The packing tests: build, `npm pack`, install the tarballs into scratch projects outside the workspace
// and use them there with plain node. pack-test.mjs: the engine alone (ESM, CJS, the bin, tsc, no source
// leak). sdk-pack-test.mjs: the five SDKs beside the packed engine (each SDK's train, predict, save, load,
// dispose on generated data, a typed error, no tensor left; `require`; a tiny service per SDK bundled with
// README.md's "Bundling a service" esbuild commands, CommonJS and ES module, run from its bundle; tsc). Both rebuild dist folders,
// so they share this file and run one after the other. They need the npm cache the repository's
// `npm ci` filled. APPLIEDML_SKIP_PACK_TEST=1 skips them.
const ENGINE_TIMEOUT_MS = 240_000;
const SDK_TIMEOUT_MS = 600_000;
const SDKS = ['fraud', 'text', 'speech', 'traffic', 'medical-imaging'];

describe.skipIf(process.env.APPLIEDML_SKIP_PACK_TEST === '1')('the packed @appliedml/engine', () => {
  it(
    'installs from its tarball and works with plain node: ESM, CJS, bin, types, no source leak',
    { timeout: ENGINE_TIMEOUT_MS + 20_000 },
    async () => {
      const run = await runPackScript('./pack-test.mjs', ENGINE_TIMEOUT_MS);
      expect(run.code, `pack-test exited with ${run.code ?? run.signal}\n${run.stdout}\n${run.stderr}`).toBe(0);

      const results = checksOf(run.stdout);
      for (const name of ['tarball', 'esm', 'cjs', 'bin', 'leak', 'types', 'summary']) {
        expect(results.get(name)?.ok, `no passing "${name}" check in:\n${run.stdout}`).toBe(true);
      }
      const summary = results.get('summary')!;
      const version = summary.version;
      expect(typeof version).toBe('string');

      const tarball = results.get('tarball')!;
      expect(tarball.name).toBe('@appliedml/engine');
      expect(tarball.sourceConditionShipped).toBe(false);
      for (const entry of tarball.topLevel as string[])
        expect(entry).toMatch(/^(dist|package\.json|README\.md|CHANGELOG\.md|LICENSE(\.md)?)$/);

      for (const [name, file] of [
        ['esm', 'dist/index.mjs'],
        ['cjs', 'dist/index.js'],
      ] as const) {
        const result = results.get(name)!;
        expect(result).toMatchObject({ device: 'wasm', version, resolved: file, errorCode: 'E_INPUT_INVALID' });
        // The build keeps class names as written: an uncaught error printed as `_AppliedMLError: …`.
        expect(result).toMatchObject({ errorClass: 'AppliedMLError', renamedClasses: [] });
        expect(result.lastLoss as number).toBeLessThan(result.firstLoss as number);
      }
      expect(results.get('esm')!.lastLoss).toBe(results.get('cjs')!.lastLoss);

      expect(results.get('bin')).toMatchObject({ device: 'wasm', engineVersion: version });
      expect(results.get('leak')).toMatchObject({
        version,
        sourceImport: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
        sourceRequire: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      });
      expect((results.get('leak')!.installed as string[]).includes('src')).toBe(false);
      expect(results.get('types')).toMatchObject({
        node16: { 'types-esm.mts': 'dist/index.d.mts', 'types-cjs.cts': 'dist/index.d.ts' },
        bundler: { 'types-bundler.ts': 'dist/index.d.mts' },
        node10: { 'types-node10.ts': 'dist/index.d.ts' },
      });
    },
  );
});

describe.skipIf(process.env.APPLIEDML_SKIP_PACK_TEST === '1')('the packed SDKs', () => {
  it(
    'install from their tarballs beside the packed engine and work with plain node: each lifecycle, CJS, bundled, types',
    { timeout: SDK_TIMEOUT_MS + 20_000 },
    async () => {
      const run = await runPackScript('./sdk-pack-test.mjs', SDK_TIMEOUT_MS);
      expect(run.code, `sdk-pack-test exited with ${run.code ?? run.signal}\n${run.stdout}\n${run.stderr}`).toBe(0);

      const results = checksOf(run.stdout);
      for (const name of ['tarballs', ...SDKS.map((sdk) => `sdk-${sdk}`), 'sdk-cjs', 'sdk-bundle', 'sdk-types', 'summary']) {
        expect(results.get(name)?.ok, `no passing "${name}" check in:\n${run.stdout}`).toBe(true);
      }
      const tarballs = results.get('tarballs')!.packages as Record<string, { topLevel: string[]; engineRange: string }>;
      expect(Object.keys(tarballs).sort()).toEqual(SDKS.map((sdk) => `@appliedml/${sdk}`).sort());
      for (const { topLevel } of Object.values(tarballs))
        for (const entry of topLevel) expect(entry).toMatch(/^(dist|package\.json|README\.md|CHANGELOG\.md|LICENSE(\.md)?)$/);

      for (const sdk of SDKS) {
        const result = results.get(`sdk-${sdk}`)!;
        expect(String(result.resolved)).toMatch(new RegExp(`/node_modules/@appliedml/${sdk}/dist/index\\.mjs$`));
        expect(result.leakedTensors).toBe(0);
        expect(String(result.errorCode)).toMatch(/^E_[A-Z_]+$/);
      }
      const cjs = results.get('sdk-cjs')!.packages as Record<
        string,
        { resolved: string; isInstance: boolean; sameClass: boolean; errorCode: string; renamedClasses: string[] }
      >;
      for (const sdk of SDKS) {
        expect(cjs[`@appliedml/${sdk}`]).toMatchObject({ isInstance: true, sameClass: true, errorCode: 'E_INPUT_INVALID' });
        // Both builds keep every exported class's name as written (`_TextClassifier` before).
        expect(cjs[`@appliedml/${sdk}`]!.renamedClasses).toEqual([]);
        expect(cjs[`@appliedml/${sdk}`]!.resolved).toMatch(/\/dist\/index\.js$/);
      }
      // README.md's bundling commands: each SDK's service, bundled in both formats, starts on wasm (the
      // wasm files the README copies beside the bundle) and its one call works.
      const bundled = results.get('sdk-bundle')!.results as Record<string, { ok: boolean; device: string; check: string }>;
      for (const sdk of SDKS)
        for (const format of ['cjs', 'esm'])
          expect(bundled[`${sdk}-${format}`], `${sdk} bundled as ${format}`).toMatchObject({
            ok: true,
            device: 'wasm',
            check: `bundle-${sdk}`,
          });
      const probes = results.get('sdk-cjs')!.withSourceCondition as Record<string, string>;
      for (const sdk of SDKS) expect(probes[`@appliedml/${sdk}`]).toBe('ERR_MODULE_NOT_FOUND');
    },
  );
});
