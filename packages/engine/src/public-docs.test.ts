import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The engine's documentation is its TSDoc (hover and .d.ts). A constant put between a function's doc
// comment and the function takes the comment (36f7674 did it to fitModel), and nothing else notices.

const SRC = dirname(fileURLToPath(import.meta.url));

const parsed = new Map<string, ts.SourceFile>();
function parse(file: string): ts.SourceFile {
  let sf = parsed.get(file);
  if (!sf) parsed.set(file, (sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true)));
  return sf;
}

function moduleFile(from: string, specifier: string): string {
  const base = join(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) if (existsSync(candidate)) return candidate;
  throw new Error(`cannot find ${specifier} from ${from}`);
}

const isExported = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/**
 * The exported function declarations reachable from `file` under `name` (following `export { … } from`),
 * with whether the declaration (its first overload) carries a doc comment.
 */
function findFunction(file: string, name: string): Array<{ where: string; documented: boolean }> {
  const sf = parse(file);
  const found: Array<{ where: string; documented: boolean }> = [];
  for (const statement of sf.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name?.text === name && isExported(statement)) {
      found.push({ where: `${relative(SRC, file)}: ${name}`, documented: ts.getJSDocCommentsAndTags(statement).length > 0 });
      break; // the first overload carries the documentation
    }
    if (ts.isExportDeclaration(statement) && !statement.isTypeOnly && statement.moduleSpecifier && statement.exportClause) {
      if (!ts.isNamedExports(statement.exportClause)) continue;
      for (const spec of statement.exportClause.elements)
        if (!spec.isTypeOnly && spec.name.text === name)
          found.push(
            ...findFunction(moduleFile(file, (statement.moduleSpecifier as ts.StringLiteral).text), (spec.propertyName ?? spec.name).text),
          );
    }
  }
  return found;
}

/** The functions the engine's index exports, each with whether it has a doc comment. */
function publicFunctions(): Array<{ where: string; documented: boolean }> {
  const index = join(SRC, 'index.ts');
  const out: Array<{ where: string; documented: boolean }> = [];
  for (const statement of parse(index).statements) {
    if (!ts.isExportDeclaration(statement) || statement.isTypeOnly || !statement.moduleSpecifier) continue;
    expect(statement.exportClause, 'the index names what it exports (no export *)').toBeDefined();
    if (!statement.exportClause || !ts.isNamedExports(statement.exportClause)) continue;
    const target = moduleFile(index, (statement.moduleSpecifier as ts.StringLiteral).text);
    for (const spec of statement.exportClause.elements)
      if (!spec.isTypeOnly) out.push(...findFunction(target, (spec.propertyName ?? spec.name).text));
  }
  return out;
}

describe('TSDoc of the public surface', () => {
  it('every function the index exports has a doc comment (fitModel lost its own to FIT_KEYS)', () => {
    const functions = publicFunctions();
    expect(functions.length).toBeGreaterThan(80);
    expect(functions.map((f) => f.where)).toContain('train/trainer.ts: fitModel');
    expect(functions.map((f) => f.where)).toContain('bundle/newer-version.ts: incompatibleIfNewer');
    expect(functions.map((f) => f.where)).toContain('bundle/newer-version.ts: isNewerVersion');
    expect(functions.map((f) => f.where)).toContain('bundle/unknown-parts.ts: unknownBundleParts');
    expect(functions.map((f) => f.where)).toContain('bundle/unknown-parts.ts: unknownPartsError');
    expect(functions.filter((f) => !f.documented).map((f) => f.where)).toEqual([]);
  });

  it('no doc comment is followed directly by another (the first one documents nothing)', () => {
    const files = readdirSync(SRC, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const detached: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(SRC, file), 'utf8');
      for (const m of text.matchAll(/\*\/[ \t]*\r?\n\s*\/\*\*/g)) detached.push(`${file}:${text.slice(0, m.index).split('\n').length}`);
    }
    expect(detached).toEqual([]);
  });
});
