import { describe, expect, it } from 'vitest';
import { checksOf, runPackScript } from './pack-run';

// Packing test: pack-test.mjs builds the engine, packs it, installs the tarball into a scratch project
// outside the workspace and uses it there with plain node (ESM, CJS, the bin, tsc).
// It needs the npm cache the repository's `npm ci` filled. APPLIEDML_SKIP_PACK_TEST=1 skips it.
const TIMEOUT_MS = 360_000; // includes waiting for the packing lock while the SDK packing test builds

describe.skipIf(process.env.APPLIEDML_SKIP_PACK_TEST === '1')('the packed @appliedml/engine', () => {
  it(
    'installs from its tarball and works with plain node: ESM, CJS, bin, types, no source leak',
    { timeout: TIMEOUT_MS + 20_000 },
    async () => {
      const run = await runPackScript('./pack-test.mjs', TIMEOUT_MS);
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
      });
    },
  );
});
