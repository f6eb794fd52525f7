import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppliedMLError, makeDirs, writeFileDurable } from '@appliedml/engine';

/**
 * Writes a demo's output file (report, image) whole or not at all: to a hidden sibling first, then
 * renamed over `path`, so a failed write never leaves a truncated report where the last good one was.
 */
export async function writeOutputFile(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await makeDirs(dirname(path));
    await writeFileDurable(tmp, data);
    await rename(tmp, path);
  } catch (cause) {
    await rm(tmp, { force: true });
    throw new AppliedMLError('E_IO', `Could not write ${path}: ${(cause as Error).message}`, { cause, details: { path } });
  }
}
