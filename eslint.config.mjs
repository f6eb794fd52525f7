import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

// One lint config for the whole repository. Module boundaries come from the `nx.tags` in each
// package.json: the engine imports nothing of ours, an SDK only the engine, an app its own SDK
// (same scope) and shared demo code.
export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', 'reports/**', '.scratch/**', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          // '#tfjs': the engine's TensorFlow.js module through its package.json "imports" (one built module
          // its entries share; see packages/engine/tsup.config.ts), not another project.
          allow: ['#tfjs'],
          banTransitiveDependencies: true,
          // A demo CLI imports the SDKs and the service kit when a command runs (`await import`), so that
          // --help and a refused flag load no TensorFlow.js or Fastify; its other modules import them
          // statically. The rule's ban on that mix is about a bundler's lazy chunks, which Node programs have none of.
          checkDynamicDependenciesExceptions: ['@appliedml/**'],
          depConstraints: [
            { sourceTag: 'type:engine', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: ['type:engine'] },
            { sourceTag: 'type:demo-shared', onlyDependOnLibsWithTags: ['type:engine'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:sdk', 'type:engine', 'type:demo-shared'] },
            { sourceTag: 'scope:engine', onlyDependOnLibsWithTags: ['scope:engine', 'scope:shared'] },
            { sourceTag: 'scope:text', onlyDependOnLibsWithTags: ['scope:text', 'scope:engine', 'scope:shared'] },
            { sourceTag: 'scope:speech', onlyDependOnLibsWithTags: ['scope:speech', 'scope:engine', 'scope:shared'] },
            { sourceTag: 'scope:traffic', onlyDependOnLibsWithTags: ['scope:traffic', 'scope:engine', 'scope:shared'] },
            { sourceTag: 'scope:fraud', onlyDependOnLibsWithTags: ['scope:fraud', 'scope:engine', 'scope:shared'] },
            { sourceTag: 'scope:medical-imaging', onlyDependOnLibsWithTags: ['scope:medical-imaging', 'scope:engine', 'scope:shared'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:engine', 'scope:shared'] },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "ThrowStatement > NewExpression[callee.name='Error']",
          message: 'Throw an AppliedMLError with a stable code, not a bare Error.',
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Tests and benches may be terse.
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/bench/**/*.ts', '**/test-helpers.ts', '**/__fixtures__/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  prettier,
);
