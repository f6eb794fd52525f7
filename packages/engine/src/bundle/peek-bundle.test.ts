import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peekBundle } from './bundle-marker';

let root: string;
let k = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'peek-bundle-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
async function folder(manifest?: string): Promise<string> {
  const dir = join(root, `f-${k++}`);
  await mkdir(dir);
  if (manifest !== undefined) await writeFile(join(dir, 'manifest.json'), manifest);
  return dir;
}

describe('peekBundle', () => {
  it("names a manifest's package and task, each only when plain text", async () => {
    const pkg = '@appliedml/medical-imaging';
    expect(
      await peekBundle(await folder(JSON.stringify({ format: 'appliedml-bundle', package: pkg, task: 'image-segmentation' }))),
    ).toEqual({
      package: pkg,
      task: 'image-segmentation',
    });
    // Control characters (a terminal escape) or a non-string are left out, not printed.
    expect(await peekBundle(await folder(JSON.stringify({ package: '\u001b]0;x\u0007', task: 7 })))).toEqual({});
    expect(await peekBundle(await folder('not json'))).toEqual({});
    expect(await peekBundle(await folder('[1]'))).toEqual({});
  });

  it('no readable manifest.json: undefined (absent, a folder, a link, a FIFO — not waited on)', async () => {
    expect(await peekBundle(await folder())).toBeUndefined();
    expect(await peekBundle(join(root, 'no-such-folder'))).toBeUndefined();
    const dir = await folder();
    await mkdir(join(dir, 'manifest.json'));
    expect(await peekBundle(dir)).toBeUndefined();
    const linked = await folder();
    await symlink('/dev/zero', join(linked, 'manifest.json'));
    expect(await peekBundle(linked)).toBeUndefined();
    if (process.platform !== 'win32') {
      const fifo = await folder();
      execFileSync('mkfifo', [join(fifo, 'manifest.json')]);
      expect(await peekBundle(fifo)).toBeUndefined();
    }
  });
});
