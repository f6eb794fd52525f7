import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkInputFile } from './index';

const root = mkdtempSync(join(tmpdir(), 'demo-kit-in-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('checkInputFile', () => {
  it('accepts a regular file, also through a symbolic link', async () => {
    const file = join(root, 'tx.csv');
    writeFileSync(file, 'a\n1\n');
    await expect(checkInputFile(file, '--data file')).resolves.toBeUndefined();
    const link = join(root, 'link.csv');
    symlinkSync(file, link);
    await expect(checkInputFile(link, '--data file')).resolves.toBeUndefined();
  });

  it('refuses a missing path and a directory with E_IO naming the path and why', async () => {
    const missing = join(root, 'nope.csv');
    await expect(checkInputFile(missing, '--data file')).rejects.toMatchObject({
      code: 'E_IO',
      message: `Cannot read --data file ${missing}: no such file.`,
      details: { file: missing, reason: 'ENOENT' },
    });
    const dir = join(root, 'dir.csv');
    mkdirSync(dir);
    await expect(checkInputFile(dir, '--data file')).rejects.toMatchObject({
      code: 'E_IO',
      message: `Cannot read --data file ${dir}: it is a directory, not a regular file.`,
      details: { file: dir, reason: 'not-a-regular-file' },
    });
    await expect(checkInputFile('', '--data file')).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
  });

  it.skipIf(process.platform === 'win32')('refuses a FIFO and a device without opening them (no hang)', async () => {
    const fifo = join(root, 'pipe.csv');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await expect(checkInputFile(fifo, 'input')).rejects.toMatchObject({
      code: 'E_IO',
      message: `Cannot read input ${fifo}: it is a FIFO (named pipe), not a regular file.`,
    });
    await expect(checkInputFile('/dev/null', 'input')).rejects.toMatchObject({
      code: 'E_IO',
      message: 'Cannot read input /dev/null: it is a device, not a regular file.',
    });
  });
});
