import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSaveTarget, createRng, type AppliedMLError } from '@appliedml/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FraudDetector } from './detector';
import { TransactionScorer, scorerSaveMarker } from './scorer';
import { generateTransactions } from './synthetic';

// A scorer save replaces its folder whole. It took any folder holding a file named stream.json for an
// earlier save, so a folder with someone's own stream.json ({"hello":1}) beside an index.html was
// replaced and index.html deleted, where docs/fraud.md says the save "refuses a foreign non-empty
// directory". The save now reads stream.json and replaces the folder only when it is what a scorer save
// writes (the engine's SaveMarker); FraudDetector.save goes through saveBundle's manifest check.

let root: string;
let scorer: TransactionScorer;
let k = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fraud-save-target-'));
  scorer = TransactionScorer.create({ detector: { detector: 'ecod' } });
  await scorer.train(generateTransactions({ cards: 40, days: 6, seed: 5 }));
});
afterAll(async () => {
  scorer?.dispose();
  await rm(root, { recursive: true, force: true });
});

/** A new folder holding `files` (name → text). */
async function folder(files: Record<string, string>): Promise<string> {
  const dir = join(root, `f-${k++}`);
  await mkdir(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

/** Every file under `dir` with its text, to show a refused save touched nothing. */
async function contents(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    out[path.slice(dir.length + 1)] = entry.isFile() ? await readFile(path, 'utf8') : '<dir>';
  }
  return out;
}

/** A copy of a fresh scorer save whose stream.json is replaced by `edit` of it. */
async function editedSave(edit: (stream: Record<string, unknown>) => unknown): Promise<string> {
  const dir = join(root, `save-${k++}`);
  await scorer.save(dir);
  const stream = JSON.parse(await readFile(join(dir, 'stream.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(dir, 'stream.json'), JSON.stringify(edit(stream)));
  await writeFile(join(dir, 'left-over.txt'), 'from the earlier save');
  return dir;
}

describe('TransactionScorer.save over a folder holding a stream.json', () => {
  it("refuses one whose stream.json is someone else's JSON (E_INPUT_INVALID), deleting nothing", async () => {
    const dir = await folder({ 'stream.json': '{"hello":1}', 'index.html': '<p>mine</p>' });
    const before = await contents(dir);
    const err = await scorer.save(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_INPUT_INVALID', details: { dir, marker: 'stream.json', reason: 'not-an-earlier-save' } });
    expect((err as Error).message).toMatch(/its stream\.json is not the card state of an earlier TransactionScorer save/);
    expect(await contents(dir)).toEqual(before);
    expect((await readdir(root)).filter((name) => name.startsWith('.'))).toEqual([]); // no staging left
  });

  it('refuses other stream.json files no scorer save wrote: not JSON, a list, no state, a format that is no version, a folder, a link', async () => {
    const real = join(root, `real-${k++}`);
    await scorer.save(real);
    const texts = [
      'not json',
      '[]',
      'null',
      '{"format":2,"config":{}}',
      '{"format":2,"state":{"options":{}}}', // no cards, and no entities of the first saves
      '{"format":"appliedml-bundle","state":{"options":{}},"cards":{}}',
      '{"format":0,"state":{"options":{}},"cards":{}}',
      '{"state":{"options":[]},"cards":{}}',
    ];
    for (const text of texts) {
      const dir = await folder({ 'stream.json': text, 'index.html': 'x' });
      await expect(scorer.save(dir), text).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { reason: 'not-an-earlier-save' } });
      expect(await contents(dir)).toEqual({ 'stream.json': text, 'index.html': 'x' });
    }
    // A folder, or a link to a real save's stream.json: no regular stream.json of its own.
    const withFolder = await folder({ 'index.html': 'x' });
    await mkdir(join(withFolder, 'stream.json'));
    await expect(scorer.save(withFolder)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    expect(await contents(withFolder)).toEqual({ 'index.html': 'x', 'stream.json': '<dir>' });
    const withLink = await folder({ 'index.html': 'x' });
    await symlink(join(real, 'stream.json'), join(withLink, 'stream.json'));
    await expect(scorer.save(withLink)).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    expect((await readdir(withLink)).sort()).toEqual(['index.html', 'stream.json']);
  });

  it('replaces an earlier scorer save: this version, one without state, a first-version one (cards in stream.json), a newer one, a damaged one', async () => {
    const threshold = scorer.threshold;
    const plain = join(root, `plain-${k++}`);
    await scorer.save(plain);
    const withoutState = join(root, `bare-${k++}`);
    await scorer.save(withoutState, { includeState: false });
    for (const dir of [plain, withoutState]) await writeFile(join(dir, 'left-over.txt'), 'from the earlier save');
    const dirs = [
      plain,
      withoutState,
      // The first saves: no format, no card files, the cards in state.entities.
      await editedSave(({ format: _f, cards: _c, sha256: _s, state, ...rest }) => ({
        ...rest,
        state: { ...(state as object), entities: [] },
      })),
      await editedSave((stream) => ({ ...stream, format: 99 })), // a later version's: the package's own
      await editedSave((stream) => ({ ...stream, sha256: '0'.repeat(64) })), // damaged: still a scorer save
    ];
    await scorer.setThreshold(threshold + 0.5);
    try {
      for (const dir of dirs) {
        await scorer.save(dir);
        expect((await readdir(dir)).sort()).toEqual(['cards.jsonl', 'detector', 'history.f64', 'stream.json']);
        const loaded = await TransactionScorer.load(dir);
        expect(loaded.threshold).toBe(threshold + 0.5);
        loaded.dispose();
      }
    } finally {
      await scorer.setThreshold(threshold);
    }
  });
});

// A CLI checks `train --out` before it trains: it had only the marker's file name (any stream.json passed)
// and found the save's refusal after the run. `scorerSaveMarker()` is the save's own rule.
describe("scorerSaveMarker: the save's rule for checkSaveTarget", () => {
  it('refuses what the save refuses, with its code, details and words, and passes what it replaces', async () => {
    const texts = ['{"hello":1}', 'not json', '{"format":2,"config":{}}', '{"format":0,"state":{"options":{}},"cards":{}}'];
    for (const text of texts) {
      const dir = await folder({ 'stream.json': text, 'index.html': 'x' });
      const early = await checkSaveTarget(dir, { marker: scorerSaveMarker() }).catch((e: unknown) => e);
      const atSave = await scorer.save(dir).catch((e: unknown) => e);
      expect(early, text).toMatchObject({ code: 'E_INPUT_INVALID', details: { reason: 'not-an-earlier-save' } });
      expect((early as AppliedMLError).message).toBe((atSave as AppliedMLError).message);
      expect((early as AppliedMLError).details).toEqual((atSave as AppliedMLError).details);
      expect(await contents(dir)).toEqual({ 'stream.json': text, 'index.html': 'x' });
    }
    const earlier = join(root, `earlier-${k++}`);
    await scorer.save(earlier);
    await expect(checkSaveTarget(earlier, { marker: scorerSaveMarker() })).resolves.toBeUndefined();
    await expect(checkSaveTarget(join(root, `new-${k++}`), { marker: scorerSaveMarker() })).resolves.toBeUndefined();
  });

  it('is a copy: changing it changes no save', async () => {
    const marker = scorerSaveMarker();
    marker.writtenBy = () => true;
    const dir = await folder({ 'stream.json': '{"hello":1}', 'index.html': 'x' });
    await expect(checkSaveTarget(dir, { marker })).resolves.toBeUndefined();
    await expect(scorer.save(dir)).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { reason: 'not-an-earlier-save' } });
    expect(scorerSaveMarker().writtenBy('{"hello":1}')).toBe(false);
  });
});

describe('FraudDetector.save over a folder holding a manifest.json', () => {
  it("refuses a web app's folder (E_INPUT_INVALID) and another package's bundle (E_BUNDLE_INCOMPATIBLE), touching nothing; replaces its own", async () => {
    const rng = createRng(2);
    const model = FraudDetector.create({ detector: 'ecod', seed: 1 });
    await model.train(Array.from({ length: 120 }, () => ({ amount: 10 + 90 * rng.next() })));
    try {
      const app = await folder({ 'manifest.json': '{"name":"My app","start_url":"/","display":"standalone"}', 'index.html': '<p>app</p>' });
      const before = await contents(app);
      await expect(model.save(app)).rejects.toMatchObject({ code: 'E_INPUT_INVALID', details: { reason: 'not-an-earlier-save' } });
      expect(await contents(app)).toEqual(before);
      const own = join(root, `own-${k++}`);
      await model.save(own);
      const traffic = join(root, `traffic-${k++}`);
      await cp(own, traffic, { recursive: true });
      const manifest = JSON.parse(await readFile(join(traffic, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      await writeFile(join(traffic, 'manifest.json'), JSON.stringify({ ...manifest, package: '@appliedml/traffic' }));
      const trafficBefore = await contents(traffic);
      await expect(model.save(traffic)).rejects.toMatchObject({ code: 'E_BUNDLE_INCOMPATIBLE' });
      expect(await contents(traffic)).toEqual(trafficBefore);
      await writeFile(join(own, 'left-over.txt'), 'x');
      await model.save(own);
      expect(await readdir(own)).not.toContain('left-over.txt');
    } finally {
      model.dispose();
    }
  });
});
