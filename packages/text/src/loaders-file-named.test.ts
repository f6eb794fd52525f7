import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { readSmsSpam, readTextCsv, readTextJsonl, readTrec } from './loaders';

// readTextCsv hands the CSV reader the file's bytes, so a refusal of the reader's own did not name the
// file: an empty file said only "The CSV is empty: no header row was found." (review s28 R1 item 3).

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appliedml-text-named-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
async function file(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}
async function failure(run: () => Promise<unknown>): Promise<AppliedMLError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!AppliedMLError.isInstance(error)) throw new Error(`expected an AppliedMLError, got ${String(error)}`);
  return error;
}

describe('the text loaders name the file they refuse', () => {
  it('readTextCsv on an empty file, or one of only a BOM (fails on the old code)', async () => {
    for (const [name, content, options] of [
      ['empty.csv', '', {}],
      ['bom.csv', '\uFEFF', {}],
      ['empty-1252.csv', '', { encoding: 'windows-1252' as const }],
    ] as const) {
      const path = await file(name, content);
      const error = await failure(() => readTextCsv(path, options));
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message).toBe(`${path}: the CSV is empty: no header row was found.`);
      expect(error.details).toMatchObject({ file: path, source: path });
    }
  });

  it("readTextCsv: blank lines, and the reader's 'CSV input' refusals, still name the file", async () => {
    const blank = await file('blank.csv', '\n\n\r\n');
    expect((await failure(() => readTextCsv(blank))).message).toContain(`${blank}: the header needs 'text' and 'label' columns`);
    const path = await file('ragged.csv', 'text,label\nhi,a,extra\n');
    const error = await failure(() => readTextCsv(path));
    expect(error.message).toContain(path);
    expect(error.message).not.toContain('CSV input');
    expect(error.details).toMatchObject({ file: path, source: path });
  });

  it('the other loaders on an empty file', async () => {
    for (const read of [readTextJsonl, readSmsSpam, readTrec]) {
      const path = await file(`empty-${read.name}.txt`, '');
      const error = await failure(() => read(path));
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message).toContain(path);
    }
  });
});
