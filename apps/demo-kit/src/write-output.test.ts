import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeOutputFile } from './write-output';

const root = mkdtempSync(join(tmpdir(), 'demo-kit-out-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeOutputFile', () => {
  it('writes a new file, creating its folder, and replaces an old one whole', async () => {
    const file = join(root, 'reports', 'r.html');
    await writeOutputFile(file, '<p>one</p>');
    await writeOutputFile(file, new TextEncoder().encode('<p>two</p>'));
    expect(readFileSync(file, 'utf8')).toBe('<p>two</p>');
    expect(readdirSync(join(root, 'reports'))).toEqual(['r.html']); // no temporary file left
  });

  it('a failed write is E_IO, leaves what was at the path as it was and no temporary file', async () => {
    // Renaming a file over a non-empty directory fails, after the new contents were written aside.
    const clash = join(root, 'clash');
    await writeOutputFile(join(clash, 'inner.txt'), 'previous');
    await expect(writeOutputFile(clash, 'new')).rejects.toMatchObject({ code: 'E_IO' });
    expect(readFileSync(join(clash, 'inner.txt'), 'utf8')).toBe('previous');
    expect(readdirSync(root).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
