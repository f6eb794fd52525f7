// readAudio(path) reads a WAV file's header, then its data chunk block by block, trusting the size stat
// gave. A file that shrinks in between (a recorder rewriting it, a sync client truncating it) ends before
// a read is filled: that is E_IO naming the file and where it ended, not a loop on reads of 0 bytes, nor
// samples from a stale buffer. The file is truncated for real, deterministically, between the header read
// and the first data read: open is wrapped to cut the file when its first data read comes.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

/** When set, the file is cut to `length` bytes before the first read at or past byte `from`. */
const cut: { path?: string; from: number; length: number } = { from: 0, length: 0 };

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof actual.open>) => {
    const handle = await actual.open(...args);
    if (args[0] !== cut.path) return handle;
    const read = handle.read.bind(handle) as (...a: unknown[]) => Promise<{ bytesRead: number }>;
    // The wav reader calls read(buffer, offset, length, position).
    (handle as unknown as { read: unknown }).read = async (...a: unknown[]) => {
      if (cut.path !== undefined && typeof a[3] === 'number' && a[3] >= cut.from) {
        truncateSync(cut.path, cut.length);
        cut.path = undefined;
      }
      return read(...a);
    };
    return handle;
  };
  return { ...actual, open, default: { ...actual, open } };
});

import { rejectionOf, wavBytes } from './test-helpers';
import { readAudio } from './wav';

const dir = mkdtempSync(join(tmpdir(), 'speech-wav-shrink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  cut.path = undefined;
});

describe('a WAV file that shrinks while readAudio reads it', () => {
  it('is E_IO naming the file and the byte it ended at (reason file-changed)', async () => {
    const path = join(dir, 'shrinks.wav');
    // 2 s of 8 kHz 16-bit mono: 32,000 bytes of data from byte 44, read in one block after the header.
    writeFileSync(path, wavBytes(1, 1, 8000, 16, new Uint8Array(32_000)));
    Object.assign(cut, { path, from: 44, length: 1000 });
    const error = await rejectionOf(() => readAudio(path));
    expect(cut.path).toBeUndefined(); // the file was cut, at its first data read
    expect(error.code).toBe('E_IO');
    expect(error.message).toBe(`Cannot read audio file ${path}: it ended at byte 1000 while it was read (did it change?).`);
    expect(error.details).toEqual({ file: path, reason: 'file-changed' });
  }, 30_000); // without the check on reads of 0 bytes, readAudio loops for ever

  it('the same file left whole is read (the wrapper changes nothing else)', async () => {
    const path = join(dir, 'whole.wav');
    writeFileSync(path, wavBytes(1, 1, 8000, 16, new Uint8Array(32_000)));
    const audio = await readAudio(path);
    expect(audio.samples.length).toBe(16_000);
  });
});
