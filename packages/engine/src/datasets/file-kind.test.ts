import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '../errors';
import * as engine from '../index';
import { statDirectory, statRegularFile } from './file-kind';

const root = mkdtempSync(join(tmpdir(), 'engine-file-kind-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function failure(run: Promise<unknown>, code: 'E_IO' | 'E_INPUT_INVALID'): Promise<AppliedMLError> {
  const error = await run.then(
    () => 'no error',
    (e: unknown) => e,
  );
  expect(AppliedMLError.hasCode(error, code), String(error)).toBe(true);
  return error as AppliedMLError;
}

describe('statRegularFile', () => {
  it('is exported by the engine', () => {
    expect(engine.statRegularFile).toBe(statRegularFile);
  });

  it('returns the stats of a regular file, also through a symbolic link', async () => {
    const file = join(root, 'clip.wav');
    writeFileSync(file, 'RIFF');
    const info = await statRegularFile(file, 'audio file');
    expect(info.isFile()).toBe(true);
    expect(info.size).toBe(4);
    const link = join(root, 'link.wav');
    symlinkSync(file, link);
    expect((await statRegularFile(link, 'audio file')).size).toBe(4);
  });

  it('a missing file (or a dangling link) is E_IO "no such file" with the path and the system code', async () => {
    const missing = join(root, 'nope.wav');
    const error = await failure(statRegularFile(missing, 'audio file'), 'E_IO');
    expect(error.message).toBe(`Cannot read audio file ${missing}: no such file.`);
    expect(error.details).toEqual({ path: missing, reason: 'ENOENT' });
    expect((error.cause as { code?: string }).code).toBe('ENOENT');
    const dangling = join(root, 'dangling.wav');
    symlinkSync(missing, dangling);
    expect((await failure(statRegularFile(dangling, 'audio file'), 'E_IO')).details).toEqual({ path: dangling, reason: 'ENOENT' });
    const under = join(root, 'clip.wav', 'inner.wav');
    writeFileSync(join(root, 'clip.wav'), 'RIFF');
    expect((await failure(statRegularFile(under, 'image'), 'E_IO')).message).toBe(
      `Cannot read image ${under}: a part of the path is not a directory.`,
    );
  });

  it('a directory is E_IO in describeFileKind words', async () => {
    const dir = join(root, 'scans');
    mkdirSync(dir);
    const error = await failure(statRegularFile(dir, 'image'), 'E_IO');
    expect(error.message).toBe(`Cannot read image ${dir}: it is a directory, not a regular file.`);
    expect(error.details).toEqual({ path: dir, reason: 'not-a-regular-file' });
  });

  it.skipIf(process.platform === 'win32')('a FIFO and a device are E_IO without being opened (no hang)', async () => {
    const fifo = join(root, 'pipe.wav');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect((await failure(statRegularFile(fifo, 'audio file'), 'E_IO')).message).toBe(
      `Cannot read audio file ${fifo}: it is a FIFO (named pipe), not a regular file.`,
    );
    const device = await failure(statRegularFile('/dev/null', 'audio file'), 'E_IO');
    expect(device.message).toBe('Cannot read audio file /dev/null: it is a device, not a regular file.');
    expect(device.details).toEqual({ path: '/dev/null', reason: 'not-a-regular-file' });
  });

  it.skipIf(process.platform === 'win32')('a loop of symbolic links is E_IO "too many symbolic links"', async () => {
    const a = join(root, 'loop-a');
    const b = join(root, 'loop-b');
    symlinkSync(b, a);
    symlinkSync(a, b);
    const error = await failure(statRegularFile(a, 'image'), 'E_IO');
    expect(error.message).toBe(`Cannot read image ${a}: too many symbolic links.`);
    expect(error.details).toEqual({ path: a, reason: 'ELOOP' });
  });

  it('puts the path under the details key a caller already uses', async () => {
    const missing = join(root, 'absent.csv');
    const error = await failure(statRegularFile(missing, '--data file', { detailsKey: 'file' }), 'E_IO');
    expect(error.details).toEqual({ file: missing, reason: 'ENOENT' });
    expect((await failure(statRegularFile(root, 'records file', { detailsKey: 'file' }), 'E_IO')).details).toEqual({
      file: root,
      reason: 'not-a-regular-file',
    });
  });

  it('refuses what is no path, and bad arguments of its own, with E_INPUT_INVALID', async () => {
    for (const bad of ['', undefined, null, 5, { toString: () => 'x' }]) {
      const error = await failure(statRegularFile(bad as never, 'audio file'), 'E_INPUT_INVALID');
      expect(error.message).toMatch(/^The audio file must be a non-empty path \(got /);
    }
    const nul = await failure(statRegularFile('a\0b.wav', 'audio file'), 'E_INPUT_INVALID');
    expect(nul.message).toBe('The audio file must be a non-empty path without NUL characters (got "a\\u0000b.wav").');
    await failure(statRegularFile(root, '' as never), 'E_INPUT_INVALID');
    await failure(statRegularFile(root, 'image', { detailsKey: '' }), 'E_INPUT_INVALID');
    await failure(statRegularFile(root, 'image', { detailskey: 'file' } as never), 'E_INPUT_INVALID');
    await failure(statRegularFile(root, 'image', null as never), 'E_INPUT_INVALID');
  });
});

describe('statDirectory', () => {
  it('is exported by the engine', () => {
    expect(engine.statDirectory).toBe(statDirectory);
  });

  it('returns the stats of a directory, also through a symbolic link', async () => {
    const dir = join(root, 'images');
    mkdirSync(dir);
    expect((await statDirectory(dir, 'images folder')).isDirectory()).toBe(true);
    const link = join(root, 'images-link');
    symlinkSync(dir, link);
    expect((await statDirectory(link, 'images folder')).isDirectory()).toBe(true);
  });

  it('a missing directory is E_IO "no such directory" with the path and the system code', async () => {
    const missing = join(root, 'no-such-dir');
    const error = await failure(statDirectory(missing, 'images folder'), 'E_IO');
    expect(error.message).toBe(`Cannot read images folder ${missing}: no such directory.`);
    expect(error.details).toEqual({ path: missing, reason: 'ENOENT' });
    expect((error.cause as { code?: string }).code).toBe('ENOENT');
    writeFileSync(join(root, 'notes.txt'), 'x');
    const under = join(root, 'notes.txt', 'images');
    const inner = await failure(statDirectory(under, 'images folder'), 'E_IO');
    expect(inner.message).toBe(`Cannot read images folder ${under}: a part of the path is not a directory.`);
    expect(inner.details).toEqual({ path: under, reason: 'ENOTDIR' });
  });

  it('a regular file, FIFO or device is E_IO "not a directory" in describeFileKind words', async () => {
    const file = join(root, 'images.zip');
    writeFileSync(file, 'PK');
    const error = await failure(statDirectory(file, 'images folder'), 'E_IO');
    expect(error.message).toBe(`Cannot read images folder ${file}: it is a regular file, not a directory.`);
    expect(error.details).toEqual({ path: file, reason: 'not-a-directory' });
    if (process.platform === 'win32') return;
    const fifo = join(root, 'pipe-dir');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect((await failure(statDirectory(fifo, 'images folder'), 'E_IO')).message).toBe(
      `Cannot read images folder ${fifo}: it is a FIFO (named pipe), not a directory.`,
    );
    expect((await failure(statDirectory('/dev/null', 'data directory'), 'E_IO')).message).toBe(
      'Cannot read data directory /dev/null: it is a device, not a directory.',
    );
  });

  it.skipIf(process.platform === 'win32')('a loop of symbolic links is E_IO "too many symbolic links"', async () => {
    const a = join(root, 'dir-loop-a');
    const b = join(root, 'dir-loop-b');
    symlinkSync(b, a);
    symlinkSync(a, b);
    const error = await failure(statDirectory(a, 'images folder'), 'E_IO');
    expect(error.message).toBe(`Cannot read images folder ${a}: too many symbolic links.`);
    expect(error.details).toEqual({ path: a, reason: 'ELOOP' });
  });

  it('puts the path under the details key a caller already uses', async () => {
    const missing = join(root, 'absent-dir');
    expect((await failure(statDirectory(missing, 'dataset root', { detailsKey: 'root' }), 'E_IO')).details).toEqual({
      root: missing,
      reason: 'ENOENT',
    });
  });

  it('refuses what is no path, and bad arguments of its own, with E_INPUT_INVALID', async () => {
    for (const bad of ['', undefined, null, 5, { toString: () => 'x' }]) {
      const error = await failure(statDirectory(bad as never, 'images folder'), 'E_INPUT_INVALID');
      expect(error.message).toMatch(/^The images folder must be a non-empty path \(got /);
    }
    const nul = await failure(statDirectory('a\0b', 'images folder'), 'E_INPUT_INVALID');
    expect(nul.message).toBe('The images folder must be a non-empty path without NUL characters (got "a\\u0000b").');
    expect((await failure(statDirectory(root, ' ' as never), 'E_INPUT_INVALID')).message).toBe(
      `statDirectory needs words for what the directory is, e.g. 'images folder' (got " ").`,
    );
    expect((await failure(statDirectory(root, 'images folder', { detailsKey: '' }), 'E_INPUT_INVALID')).message).toBe(
      `statDirectory's detailsKey must be a non-empty string (got "").`,
    );
    expect((await failure(statDirectory(root, 'images folder', { detailskey: 'root' } as never), 'E_INPUT_INVALID')).message).toMatch(
      /^statDirectory options has no option 'detailskey'/,
    );
    await failure(statDirectory(root, 'images folder', null as never), 'E_INPUT_INVALID');
  });
});
