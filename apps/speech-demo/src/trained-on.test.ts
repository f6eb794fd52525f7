import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrainedOn, TRAINED_ON_FILE, writeTrainedOn } from './trained-on';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'speech-trained-on-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the record beside a bundle of what it was trained on', () => {
  it('reads back what train wrote; absent is unrecorded; unknown or malformed is unreadable, saying why', async () => {
    await writeTrainedOn(dir, 'fsdd');
    expect(await readTrainedOn(dir)).toBe('fsdd');
    await writeTrainedOn(dir, 'synthetic');
    expect(await readTrainedOn(dir)).toBe('synthetic');
    // Written whole (a hidden sibling renamed over it): nothing but the record is left in the folder.
    expect(await readdir(dir)).toEqual([TRAINED_ON_FILE]);
    for (const [text, why] of [
      ['{"data":"timit"}', 'it is not a record train writes'],
      ['[]', 'it is not a record train writes'],
      ['null', 'it is not a record train writes'],
      ['not json', 'it is not JSON'],
    ]) {
      await writeFile(join(dir, TRAINED_ON_FILE), text!);
      expect(await readTrainedOn(dir), text).toEqual({ unreadable: why });
    }
    expect(await readTrainedOn(join(dir, 'no-such-bundle'))).toBeUndefined();
  });

  // RF2 (session 30): the record was read with plain readFile, so a FIFO there hung evaluate for ever and
  // a link to /dev/zero read ~736 MB. Now read as the engine reads a manifest: a regular file, bounded.
  it('a FIFO, a link or a huge file in its place is unreadable at once, without reading it', async () => {
    const fifo = join(dir, 'fifo');
    await mkdir(fifo);
    execFileSync('mkfifo', [join(fifo, TRAINED_ON_FILE)]);
    expect(await readTrainedOn(fifo)).toEqual({ unreadable: 'it is a FIFO (named pipe), not a file' });
    const zero = join(dir, 'zero');
    await mkdir(zero);
    await symlink('/dev/zero', join(zero, TRAINED_ON_FILE));
    expect(await readTrainedOn(zero)).toEqual({ unreadable: 'it is a symbolic link, not a file' });
    const big = join(dir, 'big');
    await mkdir(big);
    await writeFile(join(big, TRAINED_ON_FILE), `{"data":"fsdd","pad":"${'x'.repeat(70_000)}"}`);
    expect(await readTrainedOn(big)).toEqual({ unreadable: 'it holds more than 64 KiB' });
  }, 5_000);
});
