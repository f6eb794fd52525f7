import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { readTextCsv, readTextJsonl } from './loaders';

// Review s28 R1 item 2: the loaders trimmed labels only; they now read them as train does (labels.ts).

const NFC = 'café';
const NFD = 'café'.normalize('NFD');
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appliedml-text-loader-labels-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
async function failure(run: () => Promise<unknown>): Promise<AppliedMLError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!AppliedMLError.isInstance(error)) throw new Error(`expected an AppliedMLError, got ${String(error)}`);
  return error;
}

describe('loader labels (fails on the old code)', () => {
  it('the loaders give NFC labels and refuse hidden characters naming the line', async () => {
    const jsonl = join(dir, 'l.jsonl');
    await writeFile(jsonl, `${JSON.stringify({ text: 'hi', label: NFD })}\n${JSON.stringify({ text: 'yo', label: 'tea' })}\n`);
    expect((await readTextJsonl(jsonl)).map((e) => e.label)).toEqual([NFC, 'tea']);
    const csv = join(dir, 'l.csv');
    await writeFile(csv, 'text,label\nhi,tea\nyo,tea\u200B\n');
    const error = await failure(() => readTextCsv(csv));
    expect(error.message).toBe(
      `${csv}:3: the label 'tea\\u200B' holds a zero-width space (U+200B), which does not print: two labels that look the same would differ. Remove it.`,
    );
    expect(error.details).toMatchObject({ file: csv, line: 3, field: 'label' });
  });
});
