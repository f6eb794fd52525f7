import { defineConfig } from 'vitest/config';

// One Vitest config over every package and app. Workspace packages resolve to their TypeScript
// sources through the "@appliedml/source" export condition, so tests never need a prior build.
const ci = process.env.CI === 'true' || process.env.CI === '1';

export default defineConfig({
  resolve: { conditions: ['@appliedml/source'] },
  ssr: { resolve: { conditions: ['@appliedml/source'], externalConditions: ['@appliedml/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ci ? ['default', ['json', { outputFile: 'reports/vitest.json' }]] : ['default'],
  },
});
