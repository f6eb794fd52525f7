import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

/**
 * The TypeScript / JavaScript blocks of the docs, type-checked against the packages' public API
 * (their sources, through the `@appliedml/source` condition) so a renamed option or export cannot
 * leave a quick start behind.
 *
 * A block is checked as written, as its own module. Where it leans on something its prose describes
 * but does not spell out (a user's own model object, the latest readings), a hidden HTML comment
 * right before the fence gives the declarations:
 *
 *     <!-- docs-check: declare const recentRows: number[][]; -->
 *     ```ts
 */

export interface Snippet {
  /** The markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** Declarations from a `<!-- docs-check: … -->` comment right before the fence ('' if none). */
  prelude: string;
}

export interface Extracted {
  snippets: Snippet[];
  /** Blocks the check cannot take as they are (an unclosed fence, a prelude that switches checking off). */
  problems: SnippetError[];
}

export interface SnippetError {
  file: string;
  /** 1-based line in the markdown file. */
  line: number;
  message: string;
}

/** Fence languages checked (JSX ones as .tsx); any other language is prose to this check. */
const CHECKED_LANGS = new Set(['ts', 'typescript', 'mts', 'cts', 'js', 'javascript', 'mjs', 'cjs', 'tsx', 'jsx']);
const JSX_LANGS = new Set(['tsx', 'jsx']);
// Any indentation: a fence inside a list item is indented too.
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;
/** What a prelude may not hold: it declares stand-ins, it must not switch checking off. */
const PRELUDE_FORBIDDEN: ReadonlyArray<[RegExp, string]> = [
  [/\bany\b/, "'any'"],
  [/\bnever\b/, "'never'"],
  [/\bFunction\b/, "'Function'"],
  [/declare\s+(module|global|namespace)\b/, 'a module, global or namespace declaration'],
  [/@ts-/, 'a @ts- directive'],
  [/\bas\s+unknown\b/, "'as unknown'"],
];
const PRELUDE_OPEN = '<!-- docs-check:';

/** The documents whose code blocks are checked: the README, everything under docs/, each package's and app's README. */
export function docFiles(root: string): string[] {
  const files = ['README.md'];
  const walk = (dir: string): void => {
    if (!existsSync(join(root, dir))) return;
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory()) walk(`${dir}/${entry.name}`);
      else if (entry.name.endsWith('.md')) files.push(`${dir}/${entry.name}`);
    }
  };
  walk('docs');
  for (const area of ['packages', 'apps']) {
    const dir = join(root, area);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) if (existsSync(join(dir, name, 'README.md'))) files.push(`${area}/${name}/README.md`);
  }
  return files;
}

/** Every TypeScript / JavaScript block of one markdown text, with its prelude, and what is wrong with any. */
export function extractSnippets(markdown: string, file: string): Extracted {
  const lines = markdown.split(/\r?\n/);
  const snippets: Snippet[] = [];
  const problems: SnippetError[] = [];
  let open: { indent: number; fence: string; lang: string; line: number; body: string[]; prelude: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    const fence = FENCE.exec(text);
    if (open) {
      // A fence closes with the same character, at least as long, and nothing after it.
      if (fence && fence[2]![0] === open.fence[0] && fence[2]!.length >= open.fence.length && fence[3] === '') {
        if (CHECKED_LANGS.has(open.lang)) {
          snippets.push({ file, line: open.line, lang: open.lang, code: open.body.join('\n'), prelude: open.prelude });
          for (const [pattern, what] of PRELUDE_FORBIDDEN)
            if (pattern.test(open.prelude))
              problems.push({
                file,
                line: open.line,
                message: `the docs-check prelude holds ${what}: declare the stand-ins with their real types`,
              });
        }
        open = undefined;
      } else open.body.push(dedent(text, open.indent));
      continue;
    }
    if (fence)
      open = {
        indent: fence[1]!.length,
        fence: fence[2]!,
        lang: fence[3]!.toLowerCase(),
        line: i + 1,
        body: [],
        prelude: preludeBefore(lines, i),
      };
  }
  if (open) problems.push({ file, line: open.line, message: 'this code fence is never closed' });
  return { snippets, problems };
}

/** A fenced line without the fence's own indentation (a block inside a list item). */
function dedent(line: string, indent: number): string {
  let cut = 0;
  while (cut < indent && cut < line.length && (line[cut] === ' ' || line[cut] === '\t')) cut++;
  return line.slice(cut);
}

/** The `<!-- docs-check: … -->` comment ending on the last non-blank line before `index`, if any. */
function preludeBefore(lines: string[], index: number): string {
  let end = index - 1;
  while (end >= 0 && lines[end]!.trim() === '') end--;
  if (end < 0 || !lines[end]!.trimEnd().endsWith('-->')) return '';
  let start = end;
  while (start >= 0 && !lines[start]!.includes(PRELUDE_OPEN)) {
    if (start < end && lines[start]!.includes('-->')) return '';
    start--;
  }
  if (start < 0) return '';
  const text = lines.slice(start, end + 1).join('\n');
  return text.slice(text.indexOf(PRELUDE_OPEN) + PRELUDE_OPEN.length, text.lastIndexOf('-->')).trim();
}

/**
 * Type-checks the snippets with the repository's TypeScript and compiler options. `workDir` must sit
 * inside the repository (module resolution finds the workspace packages from there); it is emptied
 * first. Returns the compiler's errors mapped back to the markdown lines.
 */
export function checkSnippets(root: string, snippets: Snippet[], workDir: string): SnippetError[] {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const jsx = snippets.some((snippet) => JSX_LANGS.has(snippet.lang));
  // generated file → how to map its lines back
  const sources = new Map<string, { snippet: Snippet; codeStart: number }>();
  snippets.forEach((snippet, n) => {
    const name = `snippet-${String(n).padStart(3, '0')}.${JSX_LANGS.has(snippet.lang) ? 'tsx' : 'ts'}`;
    const head = [`// ${snippet.file}:${snippet.line}`, 'export {};', ...(snippet.prelude ? snippet.prelude.split('\n') : [])];
    writeFileSync(join(workDir, name), `${head.join('\n')}\n${snippet.code}\n`);
    sources.set(name, { snippet, codeStart: head.length + 1 });
  });
  const base = relative(workDir, join(root, 'tsconfig.base.json')).split('\\').join('/');
  writeFileSync(
    join(workDir, 'tsconfig.json'),
    JSON.stringify(
      {
        extends: base,
        compilerOptions: { noEmit: true, declaration: false, sourceMap: false, ...(jsx ? { jsx: 'preserve' } : {}) },
        include: ['*.ts', '*.tsx'],
      },
      null,
      2,
    ),
  );
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', join(workDir, 'tsconfig.json'), '--pretty', 'false'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (run.error) throw run.error;
  const output = `${run.stdout}${run.stderr}`;
  const errors: SnippetError[] = [];
  for (const raw of output.split('\n')) {
    const m = /^(.*?snippet-\d{3}\.tsx?)\((\d+),(\d+)\): (error .*)$/.exec(raw.trim());
    if (!m) continue;
    const source = sources.get(m[1]!.split(/[\\/]/).pop()!);
    if (!source) continue;
    const generatedLine = Number(m[2]);
    const { snippet, codeStart } = source;
    // Code lines map to the fence + offset; a prelude error points at the fence itself.
    const line = generatedLine >= codeStart ? snippet.line + 1 + (generatedLine - codeStart) : snippet.line;
    errors.push({ file: snippet.file, line, message: m[4]! });
  }
  if (run.status !== 0 && errors.length === 0)
    errors.push({ file: '(tsc)', line: 0, message: output.trim() || `tsc exited with ${run.status}` });
  return errors;
}

/** Every snippet of the documents, read from disk, with the problems found while reading them. */
export function collectSnippets(root: string, files = docFiles(root)): Extracted {
  const all: Extracted = { snippets: [], problems: [] };
  for (const file of files) {
    const { snippets, problems } = extractSnippets(readFileSync(join(root, file), 'utf8'), file);
    all.snippets.push(...snippets);
    all.problems.push(...problems);
  }
  return all;
}
