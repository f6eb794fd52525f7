import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppliedMLError, type ErrorCode } from '@appliedml/engine';
import { expect } from 'vitest';

/** Asserts that `fn` throws (or rejects with) an AppliedMLError with `code`; returns it. */
export async function expectCode(fn: () => unknown, code: ErrorCode): Promise<AppliedMLError> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  expect(AppliedMLError.isInstance(caught), `expected an AppliedMLError ${code}, got ${String(caught)}`).toBe(true);
  expect((caught as AppliedMLError).code).toBe(code);
  return caught as AppliedMLError;
}

/** Each number's 8 bytes, so forecasts compare to the last bit (NaN and -0 included). */
export function bits(values: ArrayLike<number>): string {
  return Buffer.from(Float64Array.from(values).buffer).toString('hex');
}

export type BundleJson = Record<string, any>;

/** A saved bundle's manifest.json, parsed. */
export async function manifestOf(path: string): Promise<BundleJson> {
  return JSON.parse(await readFile(join(path, 'manifest.json'), 'utf8')) as BundleJson;
}

/**
 * Edits a saved bundle as an earlier version or another tool would: rewrites each of `files` (name →
 * new bytes from the old) and records its checksum in the manifest, drops the manifest's own checksum
 * (`manifestSha256`), then applies `manifest` to it.
 */
export async function resealBundle(
  path: string,
  edits: { files?: Record<string, (bytes: Buffer) => Uint8Array>; manifest?: (m: BundleJson) => void },
): Promise<void> {
  const m = await manifestOf(path);
  for (const [file, edit] of Object.entries(edits.files ?? {})) {
    const bytes = edit(await readFile(join(path, file)));
    await writeFile(join(path, file), bytes);
    m.files[file] = createHash('sha256').update(bytes).digest('hex');
  }
  delete m.manifestSha256;
  edits.manifest?.(m);
  await writeFile(join(path, 'manifest.json'), JSON.stringify(m));
}
