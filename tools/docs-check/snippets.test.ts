import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSnippets, collectSnippets, docFiles, extractSnippets } from './snippets.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Inside the repository (workspace packages resolve from here), ignored by git; one folder per run,
// so two runs at once do not clobber each other.
const cache = join(root, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const runDir = mkdtempSync(join(cache, 'docs-check-'));
const workDir = (name: string) => join(runDir, name);

afterAll(() => rmSync(runDir, { recursive: true, force: true }));

describe('extractSnippets', () => {
  it('takes ts / js blocks with their fence line and leaves the others', () => {
    const md = [
      '# Title',
      '```sh',
      'npm ci',
      '```',
      '<!-- docs-check: declare const rows: number[][]; -->',
      '',
      '```ts',
      'console.log(rows.length);',
      '```',
      '````js',
      '```',
      'still inside',
      '````',
    ].join('\n');
    const { snippets, problems } = extractSnippets(md, 'x.md');
    expect(problems).toEqual([]);
    expect(snippets.map((s) => [s.line, s.lang, s.prelude])).toEqual([
      [7, 'ts', 'declare const rows: number[][];'],
      [10, 'js', ''],
    ]);
    expect(snippets[1]!.code).toBe('```\nstill inside');
  });

  it('reads a prelude over several lines, and only right before the fence', () => {
    const md = [
      '<!-- docs-check:',
      'declare const a: number;',
      'declare const b: string;',
      '-->',
      '```ts',
      'a;',
      '```',
      '<!-- docs-check: declare const c: 1; -->',
      'Some prose.',
      '```ts',
      'c;',
      '```',
    ].join('\n');
    const [first, second] = extractSnippets(md, 'x.md').snippets;
    expect(first!.prelude).toBe('declare const a: number;\ndeclare const b: string;');
    expect(second!.prelude).toBe('');
  });
});

describe('blocks the check must not miss', () => {
  it('indented fences (in a list item), other JS / TS fence names, and a fence never closed', () => {
    const md = [
      '- step one:',
      '',
      '  ```ts',
      '  const a: number = 1;',
      '  ```',
      '```mjs',
      'export const b = 2;',
      '```',
      '~~~tsx',
      'const c = 3;',
      '~~~',
      '```cjs',
      'module.exports = 4;',
    ].join('\n');
    const { snippets, problems } = extractSnippets(md, 'x.md');
    expect(snippets.map((s) => [s.line, s.lang, s.code])).toEqual([
      [3, 'ts', 'const a: number = 1;'],
      [6, 'mjs', 'export const b = 2;'],
      [9, 'tsx', 'const c = 3;'],
    ]);
    expect(problems).toEqual([{ file: 'x.md', line: 12, message: 'this code fence is never closed' }]);
  });

  it('a prelude that would switch checking off is a problem, not a pass', () => {
    for (const prelude of [
      'declare const x: any;',
      'declare const x: never;',
      'const x = {} as never;',
      'declare const x: Function;',
      "declare module '@appliedml/fraud' {}",
      '// @ts-nocheck',
      'const y = 1 as unknown as string;',
    ]) {
      const md = [`<!-- docs-check: ${prelude} -->`, '```ts', 'x;', '```'].join('\n');
      const { problems } = extractSnippets(md, 'x.md');
      expect(problems, prelude).toHaveLength(1);
      expect(problems[0]!.message).toMatch(/^the docs-check prelude holds /);
    }
  });
});

describe('the docs', () => {
  it('cover the README, the guides and every package README', () => {
    const files = docFiles(root);
    expect(files).toContain('README.md');
    for (const pkg of ['engine', 'fraud', 'medical-imaging', 'speech', 'text', 'traffic'])
      expect(files).toContain(`packages/${pkg}/README.md`);
    expect(files).toContain('docs/benchmarks/fraud.md');
    expect(collectSnippets(root).snippets.length).toBeGreaterThanOrEqual(15);
  });

  it('a broken snippet is reported at its markdown line', () => {
    const md = [
      'Intro',
      '```ts',
      "import { FraudDetector } from '@appliedml/fraud';",
      '',
      "FraudDetector.create({ detector: 'ensemble' }).notAMethod();",
      '```',
    ].join('\n');
    const errors = checkSnippets(root, extractSnippets(md, 'broken.md').snippets, workDir('broken'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'broken.md', line: 5 });
    expect(errors[0]!.message).toContain('notAMethod');
  });

  it('every TypeScript / JavaScript block type-checks against the public API', () => {
    const { snippets, problems } = collectSnippets(root);
    const errors = [...problems, ...checkSnippets(root, snippets, workDir('docs'))];
    expect(errors.map((e) => `${e.file}:${e.line} ${e.message}`)).toEqual([]);
  });
});
