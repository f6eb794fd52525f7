import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One Vitest config over every package and app. Workspace packages resolve to their TypeScript
// sources through the "@appliedml/source" export condition, so tests never need a prior build.
const ci = process.env.CI === 'true' || process.env.CI === '1';

// Real datasets come only through APPLIEDML_DATA_DIR (CI sets it). On the team's machines the shared
// copy sits beside the repository; use it when the variable is unset and the folder exists.
const sharedData = fileURLToPath(new URL('../shared/datasets', import.meta.url));
if (!process.env.APPLIEDML_DATA_DIR && existsSync(sharedData)) process.env.APPLIEDML_DATA_DIR = sharedData;

export default defineConfig({
  resolve: { conditions: ['@appliedml/source'] },
  ssr: { resolve: { conditions: ['@appliedml/source'], externalConditions: ['@appliedml/source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'tools/*.test.ts',
      'tools/pack-test/*.test.ts',
      'tools/docs-check/*.test.ts',
    ],
    environment: 'node',
    pool: 'forks',
    // Vitest runs one file at a time less than the cores (CPUs − 1): on the 2-core CI machines that was
    // one file at a time, 26 min for the suite with a core often idle. Two at least.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // A guard against hangs, not a speed check: the longest tests take about a minute on a quiet
    // 2-core machine and several times that on a loaded one (speed belongs to `npm run bench`).
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // expect.poll waits for a page or a service to show something: as long as a browser action may take.
    expect: { poll: { timeout: 15_000 } },
    reporters: ci ? ['default', ['json', { outputFile: 'reports/vitest.json' }]] : ['default'],
  },
});
