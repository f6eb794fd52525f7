import { describe, expect, it } from 'vitest';
import { checksOf, runPackScript } from './pack-run';

// Packing test for the five SDKs: sdk-pack-test.mjs builds and packs them with the engine, installs the
// six tarballs into one scratch project outside the workspace, and uses each SDK there with plain node
// (train, predict, save, load, dispose, a typed error, no tensor left), through `require`, and through tsc.
// It needs the npm cache the repository's `npm ci` filled. APPLIEDML_SKIP_PACK_TEST=1 skips it.
const TIMEOUT_MS = 600_000;
const SDKS = ['fraud', 'text', 'speech', 'traffic', 'medical-imaging'];

describe.skipIf(process.env.APPLIEDML_SKIP_PACK_TEST === '1')('the packed SDKs', () => {
  it(
    'install from their tarballs beside the packed engine and work with plain node: each lifecycle, CJS, types',
    { timeout: TIMEOUT_MS + 20_000 },
    async () => {
      const run = await runPackScript('./sdk-pack-test.mjs', TIMEOUT_MS);
      expect(run.code, `sdk-pack-test exited with ${run.code ?? run.signal}\n${run.stdout}\n${run.stderr}`).toBe(0);

      const results = checksOf(run.stdout);
      for (const name of ['tarballs', ...SDKS.map((sdk) => `sdk-${sdk}`), 'sdk-cjs', 'sdk-types', 'summary']) {
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
      const cjs = results.get('sdk-cjs')!.packages as Record<string, { resolved: string; isInstance: boolean; errorCode: string }>;
      for (const sdk of SDKS) {
        expect(cjs[`@appliedml/${sdk}`]).toMatchObject({ isInstance: true, errorCode: 'E_INPUT_INVALID' });
        expect(cjs[`@appliedml/${sdk}`]!.resolved).toMatch(/\/dist\/index\.js$/);
      }
      const probes = results.get('sdk-cjs')!.withSourceCondition as Record<string, string>;
      for (const sdk of SDKS) expect(probes[`@appliedml/${sdk}`]).not.toBe('loaded');
    },
  );
});
