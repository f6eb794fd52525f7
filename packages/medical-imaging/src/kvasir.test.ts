import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
