import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppliedMLError, initEngine, tf } from '@appliedml/engine';
import { SpeechRecognizer } from './speech-recognizer';
import { SYNTH_RATE, TINY_CONFIG, codeOf, rejectionOf, synthSet, synthWord } from './test-helpers';

// Review s28 R2 (finding 5): a dispose() while save() ran resolved the save and left a complete bundle
// (saveBundle had captured the weights before the dispose), against "a dispose() while a call is in
// flight makes it reject with E_MODEL_DISPOSED". The bundle now goes to a hidden staging folder and is
// moved into place only if the recognizer is still alive once it is written.

/** `hook` is called once saveBundle has written its whole bundle (before the save's swap); `fail` fails it first. */
const written = vi.hoisted(() => ({
  hook: undefined as (() => void) | undefined,
  fail: undefined as ((dir: string) => Error) | undefined,
}));
vi.mock('@appliedml/engine', async (importOriginal) => {
  const engine = await importOriginal<typeof import('@appliedml/engine')>();
  return {
    ...engine,
    saveBundle: async (...args: Parameters<typeof engine.saveBundle>) => {
      if (written.fail) throw written.fail(args[0]);
      const manifest = await engine.saveBundle(...args);
      written.hook?.();
      return manifest;
    },
  };
});

let dir: string;
beforeAll(async () => {
  await initEngine();
  dir = await mkdtemp(join(tmpdir(), 'speech-save-dispose-'));
});
afterAll(async () => {
  written.hook = undefined;
  await rm(dir, { recursive: true, force: true });
});

const trained = async (labels = synthSet(3)): Promise<SpeechRecognizer> => {
  const model = SpeechRecognizer.create(TINY_CONFIG);
  await model.train(labels);
  return model;
};

/** The parent's entries (hidden staging or retired copies included). */
const entries = async (): Promise<string[]> => (await readdir(dir)).sort();

describe('a dispose while save runs', () => {
  it('right after the call: E_MODEL_DISPOSED, no folder written, no tensor left', async () => {
    const before = tf.memory().numTensors;
    const model = await trained();
    const saving = model.save(join(dir, 'at-once'));
    model.dispose();
    expect(await codeOf(() => saving)).toBe('E_MODEL_DISPOSED');
    expect(await entries()).not.toContain('at-once');
    expect((await entries()).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('once the whole bundle is written: E_MODEL_DISPOSED, and a new folder is not made', async () => {
    const model = await trained();
    written.hook = () => model.dispose();
    try {
      expect(await codeOf(() => model.save(join(dir, 'fresh')))).toBe('E_MODEL_DISPOSED');
    } finally {
      written.hook = undefined;
    }
    expect(await entries()).not.toContain('fresh');
    expect((await entries()).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('once the whole bundle is written: E_MODEL_DISPOSED, and an earlier bundle there is kept as it was', async () => {
    const earlier = await trained(synthSet(3).map((e) => ({ ...e, label: `old-${e.label}` })));
    const target = join(dir, 'existing');
    await earlier.save(target);
    const manifest = await readFile(join(target, 'manifest.json'), 'utf8');
    const model = await trained();
    written.hook = () => model.dispose();
    try {
      expect(await codeOf(() => model.save(target))).toBe('E_MODEL_DISPOSED');
    } finally {
      written.hook = undefined;
    }
    expect(await readFile(join(target, 'manifest.json'), 'utf8')).toBe(manifest);
    const loaded = await SpeechRecognizer.load(target);
    expect(loaded.labels).toEqual(['old-down', 'old-up', 'old-warble']);
    loaded.dispose();
    earlier.dispose();
    expect((await entries()).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('a save nothing disturbs writes the bundle files at the folder itself, and it loads to the same answers', async () => {
    const model = await trained();
    const target = join(dir, 'plain');
    await model.save(target);
    expect((await readdir(target)).sort()).toEqual(['main.model.json', 'main.weights.bin', 'manifest.json']);
    const loaded = await SpeechRecognizer.load(target);
    const word = synthWord('warble', 700);
    expect((await loaded.predict(word, { sampleRate: SYNTH_RATE })).scores).toEqual(
      (await model.predict(word, { sampleRate: SYNTH_RATE })).scores,
    );
    loaded.dispose();
    model.dispose();
  });

  it("a write that fails (a full disk, injected as the engine's error) names the folder given, not the hidden one it wrote", async () => {
    const model = await trained();
    const target = join(dir, 'full');
    written.fail = (at) =>
      new AppliedMLError('E_IO', `Could not write the bundle to ${at}: ENOSPC: no space left on device, write`, { details: { dir: at } });
    try {
      const error = await rejectionOf(() => model.save(target));
      expect(error.code).toBe('E_IO');
      expect(error.message).toBe(`Could not write the bundle to ${target}: ENOSPC: no space left on device, write`);
      expect(error.details.dir).toBe(target);
    } finally {
      written.fail = undefined;
      model.dispose();
    }
    expect(await entries()).not.toContain('full');
    expect((await entries()).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
