import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppliedMLError } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAdjacencyCsv } from './adjacency';
import { readSeriesCsv } from './read-csv';

// readSeriesCsv and readAdjacencyCsv opened a path as it came: a FIFO blocked the read for ever, and a
// folder or a missing file gave the system's words ("Cannot read /tmp/d: EISDIR: illegal operation on a
// directory, read", "…: ENOENT: no such file or directory, open …"). Every other SDK's readers refuse
// these before opening, in the engine's statRegularFile words (review s24 R1-2).

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'traffic-paths-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The error `read` rejects with, or `hung` when it has not settled within two seconds. */
async function failure(read: () => Promise<unknown>, fifo?: string): Promise<{ error?: AppliedMLError; hung: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    read().then(
      () => ({ hung: false }),
      (error: unknown) => ({ error: error as AppliedMLError, hung: false }),
    ),
    new Promise<{ hung: boolean }>((resolve) => {
      timer = setTimeout(() => resolve({ hung: true }), 2000);
    }),
  ]);
  clearTimeout(timer);
  // A read left blocked on the FIFO: open its other end and close it, so the reader sees an end.
  if (outcome.hung && fifo !== undefined) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader waiting
    }
  }
  return outcome;
}

const readers = [
  ['readSeriesCsv', 'series CSV file', (path: string) => readSeriesCsv(path, { intervalMinutes: 5 })],
  ['readSeriesCsv (timestamps)', 'series CSV file', (path: string) => readSeriesCsv(path, { intervalMinutes: 5, timestampColumn: 't' })],
  [
    'readSeriesCsv (long file)',
    'series CSV file',
    (path: string) => readSeriesCsv(path, { intervalMinutes: 5, timestampColumn: 't', sensorColumn: 'id', valueColumn: 'v' }),
  ],
  ['readAdjacencyCsv', 'adjacency CSV file', (path: string) => readAdjacencyCsv(path)],
] as const;

describe('the CSV readers refuse a path that is no regular file before opening it', () => {
  it.skipIf(process.platform === 'win32')('a FIFO is E_IO at once, never a read that blocks', async () => {
    for (const [name, what, read] of readers) {
      const fifo = join(dir, `${name.replace(/\W+/g, '-')}.csv`);
      execFileSync('mkfifo', [fifo]);
      const { error, hung } = await failure(() => read(fifo), fifo);
      expect(hung, `${name} blocked on a FIFO`).toBe(false);
      expect(error?.message).toBe(`Cannot read ${what} ${fifo}: it is a FIFO (named pipe), not a regular file.`);
      expect([error?.code, error?.details]).toEqual(['E_IO', { path: fifo, reason: 'not-a-regular-file' }]);
    }
  });

  it('a folder and a missing file: E_IO in the same words, not EISDIR / ENOENT', async () => {
    const folder = join(dir, 'a-folder');
    await mkdir(folder);
    const missing = join(dir, 'speeds.csv');
    for (const [name, what, read] of readers) {
      const inFolder = await failure(() => read(folder));
      expect(inFolder.hung, name).toBe(false);
      expect(inFolder.error?.message).toBe(`Cannot read ${what} ${folder}: it is a directory, not a regular file.`);
      expect([inFolder.error?.code, inFolder.error?.details]).toEqual(['E_IO', { path: folder, reason: 'not-a-regular-file' }]);
      const absent = await failure(() => read(missing));
      expect(absent.error?.message).toBe(`Cannot read ${what} ${missing}: no such file.`);
      expect([absent.error?.code, absent.error?.details]).toEqual(['E_IO', { path: missing, reason: 'ENOENT' }]);
    }
  });
});
