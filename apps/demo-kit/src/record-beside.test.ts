import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES, readRecordBeside, writeRecordBeside } from './record-beside';

// The record a demo's train leaves beside its bundle (text-demo.json, speech-demo.json, traffic-demo.json)
// is read bounded, a regular file only: the text demo read it with a plain readFile, so a FIFO there hung
// `serve` / `evaluate` for ever and a link to /dev/zero was read until memory ran out.

let root: string;
let k = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'record-beside-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
async function bundle(): Promise<string> {
  const dir = join(root, `b-${k++}`);
  await mkdir(dir);
  return dir;
}

describe('readRecordBeside / writeRecordBeside', () => {
  it('round-trips a record, written as one JSON line with nothing left beside it', async () => {
    const dir = await bundle();
    await writeRecordBeside(dir, 'x-demo.json', { data: 'file', flags: ['--a'] });
    expect(await readFile(join(dir, 'x-demo.json'), 'utf8')).toBe('{"data":"file","flags":["--a"]}\n');
    expect(await readdir(dir)).toEqual(['x-demo.json']);
    expect(await readRecordBeside(dir, 'x-demo.json')).toEqual({ record: { data: 'file', flags: ['--a'] } });
  });

  it('no record: undefined; not JSON or too large: unreadable, with why', async () => {
    const dir = await bundle();
    expect(await readRecordBeside(dir, 'x-demo.json')).toBeUndefined();
    await writeFile(join(dir, 'x-demo.json'), '{"data": ');
    expect(await readRecordBeside(dir, 'x-demo.json')).toEqual({ unreadable: 'it is not JSON' });
    await writeFile(join(dir, 'x-demo.json'), `"${'a'.repeat(MAX_RECORD_BYTES)}"`);
    expect(await readRecordBeside(dir, 'x-demo.json')).toEqual({ unreadable: 'it holds more than 64 KiB' });
  });

  it.runIf(process.platform !== 'win32')(
    'a FIFO or a link to /dev/zero is not read (no hang, no unbounded read)',
    async () => {
      const dir = await bundle();
      execFileSync('mkfifo', [join(dir, 'x-demo.json')]);
      const fifo = await readRecordBeside(dir, 'x-demo.json');
      expect(fifo).toMatchObject({ unreadable: expect.stringMatching(/FIFO/) });
      const other = await bundle();
      await symlink('/dev/zero', join(other, 'x-demo.json'));
      expect(await readRecordBeside(other, 'x-demo.json')).toMatchObject({ unreadable: expect.stringMatching(/link/) });
    },
    10_000,
  );
});
