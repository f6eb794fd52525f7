import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFileName, resolveInside } from './file-names';

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
      'x'.repeat(200),
      3,
      null,
    ];
    for (const name of bad) expect(() => checkFileName(name), String(name)).toThrow(expect.objectContaining({ code: 'E_INPUT_INVALID' }));
    expect(() => checkFileName('x.exe', { extensions: ['.png'] })).toThrow(expect.objectContaining({ code: 'E_FORMAT_UNSUPPORTED' }));
  });

  it('resolves inside the folder only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'demo-kit-names-'));
    try {
      await writeFile(join(dir, 'a.txt'), 'a');
      expect(await resolveInside(dir, 'a.txt')).toMatch(/a\.txt$/);
      await expect(resolveInside(dir, 'b.txt')).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
      await expect(resolveInside(dir, '../a.txt')).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
      expect(await resolveInside(dir, 'new.txt', { followLinks: false })).toBe(join(dir, 'new.txt'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
