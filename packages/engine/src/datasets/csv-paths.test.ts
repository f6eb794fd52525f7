// A CSV path that is not a regular file (review s24 R1-2): readNumericMatrix (and readCsv / readCsvAll)
// opened it as it was, so a FIFO blocked the read for ever, and a folder or a missing file gave the
// system's words ("Cannot read x: EISDIR: illegal operation on a directory, read", "…: ENOENT: …"). They
// now look at the path first, in statRegularFile's words, as the engine's other readers do.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AppliedMLError } from '../errors';
import { readCsv, readCsvAll, readNumericMatrix } from './csv';
import { expectCode, tempDir } from './test-helpers';

/** The read's error, or a failure (not a hang) when it has not settled after `ms`. */
async function settleWithin(read: () => Promise<unknown>, ms = 3000): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`still reading after ${ms} ms`), ms);
  });
  try {
    return await Promise.race([
      read().then(
        () => 'read without an error',
        (error: unknown) => error,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Let a reader blocked on opening the FIFO go (a write end opened and closed); nothing if none waits. */
function releaseFifo(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // ENXIO: no reader has it open, nothing to release.
  }
}

const readers: Record<string, (path: string) => Promise<unknown>> = {
  readNumericMatrix: (path) => readNumericMatrix(path),
  readCsvAll: (path) => readCsvAll(path),
  readCsv: async (path) => {
    for await (const row of readCsv(path)) void row;
  },
};

describe('a CSV path that is not a regular file', () => {
  it.skipIf(process.platform === 'win32')('a FIFO is E_IO at once, in the shared words, for every reader', async () => {
    const fifo = join(tempDir(), 'speeds.csv');
    execFileSync('mkfifo', [fifo]);
    for (const [name, read] of Object.entries(readers)) {
      let error: unknown;
      try {
        error = await settleWithin(() => read(fifo));
      } finally {
        releaseFifo(fifo);
      }
      expect(error, name).toMatchObject({
        code: 'E_IO',
        message: `Cannot read CSV file ${fifo}: it is a FIFO (named pipe), not a regular file.`,
        details: { path: fifo, reason: 'not-a-regular-file' },
      });
    }
  });

  it('a folder and a missing file are E_IO in the shared words', async () => {
    const dir = join(tempDir(), 'speeds');
    mkdirSync(dir);
    const missing = join(dir, 'nope.csv');
    for (const [name, read] of Object.entries(readers)) {
      expect(await settleWithin(() => read(dir)), name).toMatchObject({
        code: 'E_IO',
        message: `Cannot read CSV file ${dir}: it is a directory, not a regular file.`,
        details: { path: dir, reason: 'not-a-regular-file' },
      });
      const error = (await settleWithin(() => read(missing))) as AppliedMLError;
      expect(error, name).toMatchObject({
        code: 'E_IO',
        message: `Cannot read CSV file ${missing}: no such file.`,
        details: { path: missing, reason: 'ENOENT' },
      });
    }
  });

  it('a regular file still reads, and an empty path is E_INPUT_INVALID', async () => {
    const file = join(tempDir(), 'm.csv');
    writeFileSync(file, 'a,b\n1,2\n3,4\n');
    const m = await readNumericMatrix(file);
    expect([m.rows, m.cols, [...m.data]]).toEqual([2, 2, [1, 2, 3, 4]]);
    expect(await readCsvAll(file)).toEqual([
      { a: '1', b: '2' },
      { a: '3', b: '4' },
    ]);
    await expectCode(() => readNumericMatrix(''), 'E_INPUT_INVALID');
  });
});
