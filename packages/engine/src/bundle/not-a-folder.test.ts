import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppliedMLError, MODEL_BUNDLE_FOLDER, notAFolderError } from '../index';
import type { FolderKind } from '../index';

// An SDK's own saved folder (the medical SDK's segmenter ensemble) said "it is a file, not its folder" with a
// copy of loadBundle's private function; the engine's one is exported, named by index file and noun.

const root = mkdtempSync(join(tmpdir(), 'engine-not-a-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ALBUM: FolderKind = { index: 'album.json', noun: 'photo album', holds: 'its pictures' };

describe('notAFolderError', () => {
  it("names another kind's index file and noun, and the folder to pass", async () => {
    const dir = join(root, 'holiday');
    mkdirSync(dir);
    writeFileSync(join(dir, 'album.json'), '{}');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    const cause = new Error('ENOTDIR');
    const index = await notAFolderError(join(dir, 'album.json'), true, ALBUM, { cause });
    expect(AppliedMLError.hasCode(index, 'E_BUNDLE_MISSING')).toBe(true);
    expect(index.message).toBe(
      `No photo album at ${join(dir, 'album.json')}: it is a photo album's album.json file, not its folder. Pass the folder that holds it: ${dir}.`,
    );
    expect(index.details).toEqual({ dir: join(dir, 'album.json'), reason: 'manifest-file', folder: dir });
    expect(index.cause).toBe(cause);
    // A file beside the index, given with a separator at the end ('dir' is what the user typed).
    const beside = join(dir, 'notes.txt');
    const slashed = await notAFolderError(beside, true, ALBUM, { dir: `${beside}/` });
    expect(slashed.message).toBe(
      `No photo album at ${beside}/: it is a file, not a photo album folder (a folder holding album.json and its pictures). Its folder holds an album.json: pass the folder, ${dir}.`,
    );
    expect(slashed.details).toEqual({ dir: `${beside}/`, reason: 'file', folder: dir });
    // A pipe or device, its folder holding no index.
    const odd = await notAFolderError(join(root, 'fifo'), false, ALBUM);
    expect(odd.message).toBe(
      `No photo album at ${join(root, 'fifo')}: it is not a file or folder (a pipe, socket or device), not a photo album folder (a folder holding album.json and its pictures).`,
    );
    expect(odd.details).toEqual({ dir: join(root, 'fifo'), reason: 'not-a-folder' });
  });

  it("a model bundle by default, in loadBundle's words", async () => {
    expect(MODEL_BUNDLE_FOLDER.index).toBe('manifest.json');
    const relative = await notAFolderError('manifest.json', true);
    expect(relative.message).toBe(
      "No model bundle at manifest.json: it is a bundle's manifest.json file, not its folder. Pass the folder that holds it: '.' (the current folder).",
    );
    expect(relative.details).toEqual({ dir: 'manifest.json', reason: 'manifest-file', folder: '.' });
  });
});
