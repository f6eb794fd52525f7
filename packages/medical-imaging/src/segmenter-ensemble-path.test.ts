import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SegmenterEnsemble } from './segmenter-ensemble';

// SegmenterEnsemble.load given a file said "No segmenter ensemble at cls/ensemble.json (no ensemble.json).
// Save one there first.", as if nothing were there: it now says the path is a file and which folder to
// pass, in the words the engine's loadBundle uses for a model bundle (W2 note, session 24).

const root = mkdtempSync(join(tmpdir(), 'mi-ensemble-path-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('SegmenterEnsemble.load on a path that is not a folder', () => {
  it('its ensemble.json: pass the folder that holds it', async () => {
    const dir = join(root, 'saved');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ensemble.json'), '{}');
    const index = join(dir, 'ensemble.json');
    await expect(SegmenterEnsemble.load(index)).rejects.toMatchObject({
      code: 'E_BUNDLE_MISSING',
      message: `No segmenter ensemble at ${index}: it is a segmenter ensemble's ensemble.json file, not its folder. Pass the folder that holds it: ${dir}.`,
      details: { dir: index, reason: 'manifest-file', folder: dir },
    });
    // A file beside an ensemble.json, and the same with a separator at the end.
    const beside = join(dir, 'notes.txt');
    writeFileSync(beside, 'x');
    for (const given of [beside, `${beside}/`])
      await expect(SegmenterEnsemble.load(given)).rejects.toMatchObject({
        code: 'E_BUNDLE_MISSING',
        message: `No segmenter ensemble at ${given}: it is a file, not a segmenter ensemble folder (a folder holding ensemble.json and its members' bundles). Its folder holds an ensemble.json: pass the folder, ${dir}.`,
        details: { dir: given, reason: 'file', folder: dir },
      });
  });

  it('a loose file says it is a file; a missing path still says to save one there', async () => {
    const loose = join(root, 'model.bin');
    writeFileSync(loose, 'x');
    const error = await SegmenterEnsemble.load(loose).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'E_BUNDLE_MISSING',
      message: `No segmenter ensemble at ${loose}: it is a file, not a segmenter ensemble folder (a folder holding ensemble.json and its members' bundles).`,
      details: { dir: loose, reason: 'file' },
    });
    const missing = join(root, 'nothing');
    await expect(SegmenterEnsemble.load(missing)).rejects.toMatchObject({
      code: 'E_BUNDLE_MISSING',
      message: `No segmenter ensemble at ${missing} (no ensemble.json). Save one there first.`,
    });
  });
});
