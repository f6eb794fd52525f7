import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { kvasirIds, readKvasirSeg } from './kvasir';
import { codeOf as code } from './test-discs';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medical-kvasir-'));
  const jpg = await sharp(Buffer.alloc(8 * 8 * 3, 200), { raw: { width: 8, height: 8, channels: 3 } })
    .jpeg()
    .toBuffer();
  for (const sub of ['images', 'masks']) {
    await mkdir(join(dir, 'root', sub), { recursive: true });
    await writeFile(join(dir, 'root', sub, 'a.jpg'), jpg);
  }
  await writeFile(join(dir, 'outside.jpg'), jpg);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Kvasir-SEG reader arguments', () => {
  it('refuses a root that is not a path (E_INPUT_INVALID)', async () => {
    for (const bad of [null, undefined, 5, '']) expect(await code(() => kvasirIds(bad as never)), String(bad)).toBe('E_INPUT_INVALID');
    expect(await code(() => readKvasirSeg(null as never, ['a'], 8))).toBe('E_INPUT_INVALID');
  });

  it('reads ids inside root and refuses ids with a path separator or .., which read files outside it', async () => {
    const root = join(dir, 'root');
    expect(await kvasirIds(root)).toEqual(['a']);
    const set = await readKvasirSeg(root, ['a'], 4);
    expect(set.images[0]!.data.length).toBe(4 * 4 * 3);
    expect(set.masks[0]!.data.every((v) => v === 1)).toBe(true);
    for (const id of ['../../outside', '..', 'x/../a', 'a\\b', '', 5, null])
      expect(await code(() => readKvasirSeg(root, [id as string], 4)), String(id)).toBe('E_INPUT_INVALID');
    expect(await code(() => readKvasirSeg(root, 'a' as never, 4))).toBe('E_INPUT_INVALID');
    expect(await code(() => readKvasirSeg(root, ['a'], 0))).toBe('E_INPUT_INVALID');
  });
});

/** The error `readKvasirSeg` ends with; after 5 s a writer opens and closes a FIFO it waits on (the old read hung). */
async function failure(read: () => Promise<unknown>, fifo?: string): Promise<{ error: AppliedMLError; hung: boolean }> {
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    try {
      if (fifo) closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader is waiting on it.
    }
  }, 5000);
  try {
    const error = await read().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
    return { error: error as AppliedMLError, hung };
  } finally {
    clearTimeout(timer);
  }
}

describe('Kvasir-SEG files that cannot be read', () => {
  it('a missing image or mask, a directory or a FIFO: E_IO in the words of every reader, before the file is opened', async () => {
    const root = join(dir, 'broken');
    const jpg = await sharp(Buffer.alloc(8 * 8 * 3, 90), { raw: { width: 8, height: 8, channels: 3 } })
      .jpeg()
      .toBuffer();
    for (const sub of ['images', 'masks']) await mkdir(join(root, sub), { recursive: true });
    await writeFile(join(root, 'images', 'nomask.jpg'), jpg);
    await mkdir(join(root, 'images', 'folder.jpg'));
    const missing = join(root, 'images', 'gone.jpg');
    const noMask = join(root, 'masks', 'nomask.jpg');
    const folder = join(root, 'images', 'folder.jpg');
    // The system's message came through as it was ("ENOENT: no such file or directory, open '…'", "EISDIR: illegal operation on a directory, read").
    for (const [id, path, what, end, reason] of [
      ['gone', missing, 'image', 'no such file.', 'ENOENT'],
      ['nomask', noMask, 'mask', 'no such file.', 'ENOENT'],
      ['folder', folder, 'image', 'it is a directory, not a regular file.', 'not-a-regular-file'],
    ] as const) {
      const { error } = await failure(() => readKvasirSeg(root, [id], 4));
      expect(error.message).toBe(`Cannot read Kvasir-SEG ${what} ${path}: ${end}`);
      expect([error.code, error.details]).toEqual(['E_IO', { path, reason }]);
    }
    if (process.platform !== 'win32') {
      const fifo = join(root, 'images', 'pipe.jpg');
      execFileSync('mkfifo', [fifo]);
      const { error, hung } = await failure(() => readKvasirSeg(root, ['pipe'], 4), fifo);
      expect(hung).toBe(false);
      expect(error.message).toBe(`Cannot read Kvasir-SEG image ${fifo}: it is a FIFO (named pipe), not a regular file.`);
      expect([error.code, error.details]).toEqual(['E_IO', { path: fifo, reason: 'not-a-regular-file' }]);
    }
  });

  it("bytes that are no image, or a cut JPEG: the image readers' typed error, naming the file (sharp's Error came out untyped)", async () => {
    const root = join(dir, 'garbage');
    const jpg = await sharp(Buffer.alloc(64 * 64 * 3, 150), { raw: { width: 64, height: 64, channels: 3 } })
      .jpeg()
      .toBuffer();
    for (const sub of ['images', 'masks']) await mkdir(join(root, sub), { recursive: true });
    await writeFile(join(root, 'images', 'text.jpg'), 'not a jpeg');
    await writeFile(join(root, 'masks', 'text.jpg'), jpg);
    await writeFile(join(root, 'images', 'cut.jpg'), jpg);
    await writeFile(join(root, 'masks', 'cut.jpg'), jpg.subarray(0, 20));
    const text = await failure(() => readKvasirSeg(root, ['text'], 4));
    expect([text.error.code, text.error.details.path]).toEqual(['E_FORMAT_UNSUPPORTED', join(root, 'images', 'text.jpg')]);
    expect(text.error.message).toMatch(/^\S+text\.jpg: The bytes are not an image format this reader knows/);
    const cut = await failure(() => readKvasirSeg(root, ['cut'], 4));
    expect([cut.error.code, cut.error.details.path]).toEqual(['E_INPUT_INVALID', join(root, 'masks', 'cut.jpg')]);
    expect(cut.error.message).toMatch(/cut\.jpg: The image is corrupt or truncated \(.*premature end of JPEG image/);
  });
});

describe('kvasirIds of a folder that cannot be listed (it said "Cannot list <dir>: <system message>", no details)', () => {
  it("a missing folder, a file in the images folder's place or in root's: E_IO in the engine's words for a folder, details.path and reason", async () => {
    const flat = join(dir, 'flat');
    await mkdir(flat, { recursive: true });
    await writeFile(join(flat, 'images'), 'not a folder');
    await writeFile(join(dir, 'root-file'), 'not a folder');
    for (const [root, end, reason] of [
      [join(dir, 'nowhere'), 'no such directory.', 'ENOENT'],
      [flat, 'it is a regular file, not a directory.', 'not-a-directory'],
      [join(dir, 'root-file'), 'a part of the path is not a directory.', 'ENOTDIR'],
    ] as const) {
      const images = join(root, 'images');
      const error = await kvasirIds(root).catch((e: unknown) => e);
      expect(AppliedMLError.isInstance(error), String(error)).toBe(true);
      expect((error as AppliedMLError).message).toBe(`Cannot read Kvasir-SEG images folder ${images}: ${end}`);
      expect([(error as AppliedMLError).code, (error as AppliedMLError).details]).toEqual(['E_IO', { path: images, reason }]);
    }
  });
});

describe('readKvasirSeg with a signal', () => {
  it('an already-aborted signal rejects with E_ABORTED before any file is read', async () => {
    const controller = new AbortController();
    controller.abort();
    // No such folder: a read would be E_IO.
    await expect(readKvasirSeg(join(dir, 'nowhere'), ['a'], 8, { signal: controller.signal })).rejects.toMatchObject({
      code: 'E_ABORTED',
      message: 'readKvasirSeg stopped: its signal was aborted.',
    });
  });

  it('an abort during the read stops before the next image; a bad signal or option is E_INPUT_INVALID', async () => {
    const root = join(dir, 'abort-root');
    const jpg = await sharp(Buffer.alloc(8 * 8 * 3, 120), { raw: { width: 8, height: 8, channels: 3 } })
      .jpeg()
      .toBuffer();
    // Images a and b; c is missing (a read of it would be E_IO).
    for (const sub of ['images', 'masks']) {
      await mkdir(join(root, sub), { recursive: true });
      for (const id of ['a', 'b']) await writeFile(join(root, sub, `${id}.jpg`), jpg);
    }
    const controller = new AbortController();
    // The signal is aborted when the read loop takes its third id (the ids' check reads each id once first).
    let reads = 0;
    const ids = new Proxy(['a', 'b', 'c'], {
      get(target, key, receiver) {
        if (key === '2' && ++reads === 2) controller.abort(new Error('deadline'));
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const error = await readKvasirSeg(root, ids, 8, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_ABORTED', message: 'readKvasirSeg stopped: its signal was aborted: deadline.' });
    // Never aborted: read whole.
    expect((await readKvasirSeg(root, ['a', 'b'], 8, { signal: new AbortController().signal })).images).toHaveLength(2);
    for (const options of [{ signal: 'x' }, { signal: {} }, { sinal: AbortSignal.timeout(10) }]) {
      const refused = await readKvasirSeg(root, ['a'], 8, options as never).catch((e: unknown) => e);
      expect(refused, JSON.stringify(Object.keys(options))).toMatchObject({ code: 'E_INPUT_INVALID' });
    }
    expect(await readKvasirSeg(root, ['a'], 8, { signal: 1 as never }).catch((e: unknown) => e)).toMatchObject({
      details: { field: 'signal' },
    });
  });
});
