import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine, saveBundle } from '@appliedml/engine';
import { SpeechRecognizer } from './speech-recognizer';
import { TINY_CONFIG, rejectionOf, synthSet } from './test-helpers';

// Review s28 R4 (speech-cross.mts): save passed replaceDirAtomic the plain marker 'manifest.json', which
// the engine reads as "a bundle manifest of any package", so a speech save replaced a text or traffic
// bundle without a word, against docs/sdk-conventions.md (another SDK's bundle is E_BUNDLE_INCOMPATIBLE).

let root: string;
let model: SpeechRecognizer;
beforeAll(async () => {
  await initEngine();
  root = await mkdtemp(join(tmpdir(), 'speech-save-target-'));
  model = SpeechRecognizer.create(TINY_CONFIG);
  await model.train(synthSet(3));
});
afterAll(async () => {
  model.dispose();
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir` with its bytes, to see that a refused save left it exactly as it was. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = (await readFile(join(dir, name))).toString('base64');
  return out;
}

describe('SpeechRecognizer.save over an existing folder', () => {
  for (const pkg of ['@appliedml/text', '@appliedml/traffic']) {
    it(`refuses a bundle ${pkg} saved with E_BUNDLE_INCOMPATIBLE, and leaves it as it was`, async () => {
      const dir = join(root, pkg.split('/')[1] as string);
      await saveBundle(dir, {
        package: pkg,
        packageVersion: '0.1.0',
        task: 'other-task',
        labels: ['a', 'b'],
        files: { 'vocab.json': '{"a":0}' },
      });
      const before = await snapshot(dir);
      const error = await rejectionOf(() => model.save(dir));
      expect(error.code).toBe('E_BUNDLE_INCOMPATIBLE');
      expect(error.details).toMatchObject({ dir, package: pkg, expected: '@appliedml/speech' });
      expect(error.message).toContain(pkg);
      expect(await snapshot(dir)).toEqual(before);
      expect((await readdir(root)).filter((n) => n.startsWith('.'))).toEqual([]);
    });
  }

  it("refuses a web app's manifest.json folder with E_INPUT_INVALID, untouched", async () => {
    const dir = join(root, 'app');
    await mkdir(dir);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ name: 'My PWA', start_url: '/' }));
    await writeFile(join(dir, 'index.html'), '<html></html>');
    const before = await snapshot(dir);
    const error = await rejectionOf(() => model.save(dir));
    expect(error.code).toBe('E_INPUT_INVALID');
    expect(error.details.reason).toBe('not-an-earlier-save');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('replaces its own earlier bundle, which then loads with the new labels', async () => {
    const dir = join(root, 'own');
    const earlier = SpeechRecognizer.create(TINY_CONFIG);
    await earlier.train(synthSet(3).map((e) => ({ ...e, label: `old-${e.label}` })));
    await earlier.save(dir);
    earlier.dispose();
    await model.save(dir);
    const loaded = await SpeechRecognizer.load(dir);
    expect(loaded.labels).toEqual(['down', 'up', 'warble']);
    loaded.dispose();
  });
});
