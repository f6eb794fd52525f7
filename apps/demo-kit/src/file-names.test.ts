import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFileName, fileNameSchema, MAX_FILE_NAME_LENGTH, resolveInside } from './file-names';

const accepts = (name: unknown): boolean => {
  try {
    checkFileName(name);
    return true;
  } catch {
    return false;
  }
};

describe('file-name parameters', () => {
  it('accepts plain names and rejects anything that could leave the folder', () => {
    expect(checkFileName('scan-01.png')).toBe('scan-01.png');
    expect(checkFileName('a_b.c.wav', { extensions: ['.wav'] })).toBe('a_b.c.wav');
    const bad = [
      '',
      '..',
      '../x',
      'a/../../b',
      '/etc/passwd',
      'C:\\x',
      'a\\b',
      '.env',
      'a..b',
      'a\0b',
      '%2e%2e',
      'é.png',
      '-rf',
      'x'.repeat(200),
      3,
      null,
    ];
    for (const name of bad) expect(() => checkFileName(name), String(name)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => checkFileName('x.exe', { extensions: ['.png'] })).toThrow(expect.objectContaining({ code: 'E_FORMAT_UNSUPPORTED' }));
  });

  it('has one rule: the JSON schema accepts exactly the names checkFileName accepts', () => {
    const pattern = new RegExp(fileNameSchema.pattern, 'u');
    const schemaAccepts = (name: string): boolean =>
      name.length >= fileNameSchema.minLength && name.length <= fileNameSchema.maxLength && pattern.test(name);
    const names = [
      'a',
      'a.b',
      'a..b',
      'a...',
      '..',
      '.a',
      '_a',
      '-a',
      'a-b_c.d',
      'A9',
      'a/b',
      'a\\b',
      'é',
      'x'.repeat(MAX_FILE_NAME_LENGTH),
    ];
    names.push('x'.repeat(MAX_FILE_NAME_LENGTH + 1), 'a.', 'a..', 'a b', 'a%2e');
    for (const name of names) expect([name, schemaAccepts(name)]).toEqual([name, accepts(name)]);
    expect(accepts('a..b')).toBe(false);
  });

  it('resolves existing regular files inside the folder only, and answers every refusal alike', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'demo-kit-names-'));
    const outside = await mkdtemp(join(tmpdir(), 'demo-kit-outside-'));
    try {
      await writeFile(join(dir, 'a.txt'), 'a');
      await writeFile(join(outside, 'secret.txt'), 's');
      await mkdir(join(dir, 'folder'));
      await symlink(join(outside, 'secret.txt'), join(dir, 'out.txt'));
      await symlink(join(dir, 'a.txt'), join(dir, 'in.txt'));
      execFileSync('mkfifo', [join(dir, 'pipe')]);
      expect(await resolveInside(dir, 'a.txt')).toMatch(/a\.txt$/);
      await expect(resolveInside(dir, '../a.txt')).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
      const refusals = await Promise.all(
        ['b.txt', 'folder', 'pipe', 'out.txt', 'in.txt'].map((name) =>
          resolveInside(dir, name).then(
            () => name,
            (e: Error) => e,
          ),
        ),
      );
      for (const refusal of refusals) expect(refusal).toMatchObject({ code: 'E_INPUT_INVALID' });
      // Missing, a folder, a FIFO (which readFile would hang on), a link out or in: one message.
      expect(new Set(refusals.map((r) => (r as Error).message)).size).toBe(1);
      expect((refusals[0] as Error).message).not.toContain('b.txt');
      expect(await resolveInside(dir, 'new.txt', { mustExist: false })).toBe(join(dir, 'new.txt'));
      await expect(resolveInside(dir, '..', { mustExist: false })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });
});
