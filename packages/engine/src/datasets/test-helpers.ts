/**
 * Shared helpers for the dataset tests (not part of the public API). Real data is found only
 * through $APPLIEDML_DATA_DIR (CI: ../shared/datasets, relative to the repo root = process.cwd()).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { AppliedMLError, type ErrorCode } from '../errors';
import { dataDirFromEnv, resolveDataset, type DatasetSpec, type ResolvedDataset } from './resolver';

export const NO_DATA_DIR_MESSAGE =
  'APPLIEDML_DATA_DIR is not set, so the real-data tests cannot run. Set it to the shared datasets directory ' +
  '(CI uses ../shared/datasets relative to the repo root). The synthetic tests in this file ran regardless.';

/** Resolves a real dataset from $APPLIEDML_DATA_DIR only (empty cache, no download); fails clearly otherwise. */
export async function realDataset(spec: DatasetSpec, options: { verify?: boolean } = {}): Promise<ResolvedDataset> {
  const dataDir = dataDirFromEnv();
  if (!dataDir) throw new AppliedMLError('E_DATASET_MISSING', NO_DATA_DIR_MESSAGE);
  // An empty cache, so that only the data dir can satisfy the lookup.
  return resolveDataset(spec, { dataDir, cacheDir: tempDir(), allowDownload: false, verify: options.verify ?? false });
}

/** A fresh temporary directory, removed when the current test finishes (call it inside a test). */
export function tempDir(prefix = 'appliedml-datasets-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `fn` and returns the AppliedMLError it throws; fails if it throws anything else or nothing. */
export async function catchError(fn: () => unknown): Promise<AppliedMLError> {
  try {
    await fn();
  } catch (error) {
    if (AppliedMLError.isInstance(error)) return error;
    throw new Error(`expected an AppliedMLError, got: ${String(error)}`, { cause: error });
  }
  throw new Error('expected an AppliedMLError, but nothing was thrown');
}

/** Asserts the thrown error's code and returns it. */
export async function expectCode(fn: () => unknown, code: ErrorCode): Promise<AppliedMLError> {
  const error = await catchError(fn);
  if (error.code !== code) throw new Error(`expected ${code}, got ${error.code}: ${error.message}`, { cause: error });
  return error;
}
