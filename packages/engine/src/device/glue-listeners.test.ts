import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('the wasm glue leaves the process handlers alone', () => {
  for (const mode of ['single', 'threads']) {
    it(`an uncaught application error after the ${mode}-threaded wasm backend started exits 1 with its own trace, not 7 with the glue source; the application's handlers stay`, () => {
      const script = fileURLToPath(new URL('../../test/fixtures/uncaught-after-wasm.mts', import.meta.url));
      const r = spawnSync(process.execPath, ['--conditions=@appliedml/source', '--import', 'tsx', script, mode], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.stdout).toMatch(/mine kept: true\nlisteners: 0 0/);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/AppliedMLError: an application error nobody caught/);
      expect(r.stderr.length).toBeLessThan(5000);
    }, 60_000);
  }
});
