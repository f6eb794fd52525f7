import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSnippets, collectSnippets, docFiles, extractSnippets } from './snippets.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Inside the repository (workspace packages resolve from here), ignored by git.
const workDir = (name: string) => join(root, 'node_modules', '.cache', 'docs-check', name);

afterAll(() => rmSync(join(root, 'node_modules', '.cache', 'docs-check'), { recursive: true, force: true }));

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
    const snippets = extractSnippets(md, 'x.md');
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
    const [first, second] = extractSnippets(md, 'x.md');
    expect(first!.prelude).toBe('declare const a: number;\ndeclare const b: string;');
    expect(second!.prelude).toBe('');
  });
});

describe('the docs', () => {
  it('cover the README, the guides and every package README', () => {
    const files = docFiles(root);
    expect(files).toContain('README.md');
    for (const pkg of ['engine', 'fraud', 'medical-imaging', 'speech', 'text', 'traffic'])
      expect(files).toContain(`packages/${pkg}/README.md`);
    expect(collectSnippets(root).length).toBeGreaterThanOrEqual(15);
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
    const errors = checkSnippets(root, extractSnippets(md, 'broken.md'), workDir('broken'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'broken.md', line: 5 });
    expect(errors[0]!.message).toContain('notAMethod');
  });

  it('every TypeScript / JavaScript block type-checks against the public API', () => {
    const errors = checkSnippets(root, collectSnippets(root), workDir('docs'));
    expect(errors.map((e) => `${e.file}:${e.line} ${e.message}`)).toEqual([]);
  });
});
