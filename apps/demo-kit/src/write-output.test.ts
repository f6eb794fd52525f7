import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeOutputFile } from './write-output';

const root = mkdtempSync(join(tmpdir(), 'demo-kit-out-'));
afterAll(() => {
  chmodSync(root, 0o755);
  for (const name of readdirSync(root)) rmSync(join(root, name), { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

/** Names starting with '.' under `dir`: a temporary file a failed write left behind. */
const hidden = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('.'));

async function failure(
  path: string,
  data: Uint8Array | string = 'new',
): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  const error: unknown = await writeOutputFile(path, data).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `writing ${path} should fail`).toBeDefined();
  return error as { code: string; message: string; details: Record<string, unknown> };
}

// Root writes into a folder whatever its mode says; /sys refuses new files even to root.
const isRoot = process.getuid?.() === 0;
const sysRefuses = await open('/sys/.appliedml-probe.tmp', 'wx').then(
  async (handle) => {
    await handle.close();
    return false;
  },
  (e: unknown) => ['EACCES', 'EPERM', 'EROFS'].includes((e as NodeJS.ErrnoException).code ?? ''),
);

describe('writeOutputFile', () => {
  it('writes a new file, creating its folder, and replaces an old one whole', async () => {
    const file = join(root, 'reports', 'r.html');
    await writeOutputFile(file, '<p>one</p>');
    await writeOutputFile(file, new TextEncoder().encode('<p>two</p>'));
    expect(readFileSync(file, 'utf8')).toBe('<p>two</p>');
    expect(readdirSync(join(root, 'reports'))).toEqual(['r.html']); // no temporary file left
  });

  it('a path that is a folder (empty or not) is E_INPUT_INVALID naming it as a folder; the folder is left as it was, no temporary file', async () => {
    const clash = join(root, 'clash');
    await writeOutputFile(join(clash, 'inner.txt'), 'previous');
    const empty = join(root, 'empty-folder');
    mkdirSync(empty);
    for (const folder of [clash, empty]) {
      const error = await failure(folder);
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message).toBe(
        `Cannot write ${folder}: it is a folder, not a file; give a file name inside it, e.g. ${join(folder, 'report.html')}.`,
      );
      expect(error.details).toMatchObject({ path: folder, reason: 'folder' });
    }
    expect(readdirSync(clash)).toEqual(['inner.txt']);
    expect(readFileSync(join(clash, 'inner.txt'), 'utf8')).toBe('previous');
    expect(readdirSync(empty)).toEqual([]);
    expect(hidden(root)).toEqual([]);
  });

  it('a path ending in a separator names a folder: E_INPUT_INVALID, nothing made', async () => {
    const error = await failure(join(root, 'not-yet') + '/');
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.message).toContain("it names a folder (it ends in '/')");
    expect(readdirSync(root)).not.toContain('not-yet');
  });

  it('a path through a file (notes.txt/out.html) is E_INPUT_INVALID naming the file; the file is left as it was, no temporary file', async () => {
    const notes = join(root, 'notes.txt');
    writeFileSync(notes, 'keep me');
    for (const path of [join(notes, 'out.html'), join(notes, 'deeper', 'out.html')]) {
      const error = await failure(path);
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message).toBe(`Cannot write ${path}: ${notes} is a file, not a folder.`);
      expect(error.details).toMatchObject({ path, reason: 'not-a-folder', file: notes });
    }
    expect(readFileSync(notes, 'utf8')).toBe('keep me');
    expect(hidden(root)).toEqual([]);
  });

  it.skipIf(isRoot)('a read-only folder is E_IO saying it cannot be written; the old file is intact, no temporary file', async () => {
    const locked = join(root, 'locked');
    const file = join(locked, 'r.html');
    await writeOutputFile(file, 'old');
    chmodSync(locked, 0o555);
    try {
      const error = await failure(file);
      expect(error.code).toBe('E_IO');
      expect(error.message).toBe(
        `Cannot write ${file}: the folder ${locked} cannot be written (no permission to create files there). Choose another output path.`,
      );
    } finally {
      chmodSync(locked, 0o755);
    }
    expect(readdirSync(locked)).toEqual(['r.html']);
    expect(readFileSync(file, 'utf8')).toBe('old');
  });

  it.skipIf(!sysRefuses)('a folder the system refuses files in (/sys) is E_IO naming the folder, never the temporary file', async () => {
    const error = await failure('/sys/appliedml-report.html');
    expect(error.code).toBe('E_IO');
    expect(error.message).toMatch(
      /^Cannot write \/sys\/appliedml-report\.html: the folder \/sys cannot be written \(.+\)\. Choose another output path\.$/,
    );
    expect(error.message).not.toContain('.tmp');
  });

  it('a write that fails after the temporary file was opened removes it and leaves the old file intact', async () => {
    const file = join(root, 'half', 'r.html');
    await writeOutputFile(file, 'old');
    const error = await failure(file, 42 as unknown as string); // not bytes: the write itself throws
    expect(error.code).toBe('E_IO');
    expect(error.message).toMatch(/^Cannot write .*r\.html: /);
    expect(error.message).not.toContain('.tmp');
    expect(readdirSync(join(root, 'half'))).toEqual(['r.html']);
    expect(readFileSync(file, 'utf8')).toBe('old');
  });
});
