import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppliedMLError } from '@appliedml/engine';
import { readTextJsonl } from './loaders';

// readTextJsonl read the text and label fields on the parsed line as a plain object: with labelField
// 'constructor' a line without it said "the label must be a string (got function Object() …)", not
// that the label is missing; with textField 'toString' the text was "got function".

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appliedml-text-inherited-'));
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

const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];

describe('readTextJsonl: fields named like Object.prototype members', () => {
  it('a line without such a label field: the label is missing, as for any other name', async () => {
    const path = join(dir, 'labels.jsonl');
    for (const labelField of ['category', ...NAMES]) {
      await writeFile(path, `${JSON.stringify({ text: 'hello', [labelField]: 'a' })}\n{"text":"no label here"}\n`);
      const error = await failure(() => readTextJsonl(path, { labelField }));
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.message).toBe(`${path}:2: the label is missing (no '${labelField}' field).`);
      expect(error.details).toEqual({ file: path, line: 2, field: labelField });
    }
  });

  it('a line without such a text field is refused as one without any other text field', async () => {
    const path = join(dir, 'texts.jsonl');
    const messages = new Set<string>();
    for (const textField of ['body', ...NAMES]) {
      await writeFile(path, `${JSON.stringify({ [textField]: 'hello', label: 'a' })}\n{"label":"b"}\n`);
      const error = await failure(() => readTextJsonl(path, { textField }));
      expect(error.code).toBe('E_INPUT_INVALID');
      expect(error.details).toMatchObject({ file: path, line: 2 });
      messages.add(error.message);
    }
    expect([...messages]).toEqual([`${path}:2: A text must be a string; got undefined.`]);
  });

  it('such fields, when there, are read', async () => {
    const path = join(dir, 'present.jsonl');
    for (const name of NAMES) {
      const line = `{"${name}":"hello ${name}","label":"${name}"}\n{"text":"x","${name}":"lab"}\n`;
      await writeFile(path, line.split('\n')[0] + '\n');
      expect(await readTextJsonl(path, { textField: name })).toEqual([{ text: `hello ${name}`, label: name }]);
      await writeFile(path, line.split('\n')[1] + '\n');
      expect(await readTextJsonl(path, { labelField: name })).toEqual([{ text: 'x', label: 'lab' }]);
    }
  });
});
