import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AppliedMLError } from '@appliedml/engine';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TransactionScorer } from './scorer';
import { generateTransactions } from './synthetic';

// A scorer save replaces its folder with two renames (the engine's replaceDirAtomic): the folder is
// renamed aside, then the new one renamed into place. The engine's loadBundle waits for a save between
// the two; TransactionScorer.load, which reads stream.json and the card files itself, landed there and
// said "stream.json is missing" (E_BUNDLE_MISSING) to a service reloading beside a trainer. It waits
// for that save now and reads the new state.

type Hook = (path: string) => Promise<void> | void;
const hooks = vi.hoisted(() => ({ realpath: undefined as Hook | undefined }));

// The engine's loadBundle starts reading a bundle with realpath: a test steps in there to start a save's
// window at that exact moment (the detector's bundle, after stream.json and the card files were read).
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    realpath: async (...args: Parameters<typeof actual.realpath>) => {
      if (hooks.realpath && typeof args[0] === 'string') await hooks.realpath(args[0]);
      return actual.realpath(...args);
    },
  };
});
afterEach(() => {
  hooks.realpath = undefined;
});

let root: string;
let a: TransactionScorer;
let b: TransactionScorer;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fraud-save-window-'));
  a = TransactionScorer.create({ detector: { detector: 'ecod' } });
  b = TransactionScorer.create({ detector: { detector: 'ecod' } });
  await a.train(generateTransactions({ cards: 30, days: 3, seed: 1 }));
  await b.train(generateTransactions({ cards: 50, days: 3, seed: 2 }));
  expect(a.entities).not.toBe(b.entities);
});
afterAll(async () => {
  a.dispose();
  b.dispose();
  await rm(root, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<AppliedMLError> {
  const caught = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppliedMLError.isInstance(caught), String(caught)).toBe(true);
  return caught as AppliedMLError;
}

describe('TransactionScorer.load between the two renames of a save', () => {
  it('waits for the save and loads the new state (it said "stream.json is missing")', async () => {
    const to = join(root, 'live');
    await a.save(to);
    // The new save complete in its staging copy, and the old folder just renamed aside: the moment
    // between replaceDirAtomic's renames (names as it makes them).
    const staging = join(dirname(to), `.${basename(to)}.tmp-0123456789ab`);
    const retired = join(dirname(to), `.${basename(to)}.old-0123456789ab`);
    await b.save(join(root, 'next'));
    await rename(join(root, 'next'), staging);
    await rename(to, retired);
    const second = new Promise((resolve) => setTimeout(resolve, 80)).then(async () => {
      await rename(staging, to);
      await rm(retired, { recursive: true });
    });
    try {
      const loaded = await TransactionScorer.load(to);
      expect(loaded.entities).toBe(b.entities);
      loaded.dispose();
    } finally {
      await second;
    }
  });

  it('a save whose window opens mid-load (stream.json read, the detector not yet) is waited for too', async () => {
    const to = join(root, 'mid-load');
    await a.save(to);
    const staging = join(dirname(to), `.${basename(to)}.tmp-0123456789ab`);
    const retired = join(dirname(to), `.${basename(to)}.old-0123456789ab`);
    await b.save(join(root, 'next-mid'));
    await rename(join(root, 'next-mid'), staging);
    let second: Promise<void> | undefined;
    hooks.realpath = async (path) => {
      if (path !== join(to, 'detector') || second) return;
      await rename(to, retired);
      // Longer than the 50 ms pause before a re-read, so the re-read lands in the window as well.
      second = new Promise((resolve) => setTimeout(resolve, 300)).then(async () => {
        await rename(staging, to);
        await rm(retired, { recursive: true });
      });
    };
    try {
      const loaded = await TransactionScorer.load(to);
      expect(loaded.entities).toBe(b.entities);
      loaded.dispose();
    } finally {
      await second;
    }
    expect(second).toBeDefined();
  });

  it('a scorer genuinely missing, or whose first save crashed, still fails at once', async () => {
    const to = join(root, 'never-saved');
    let t0 = Date.now();
    expect(await failure(TransactionScorer.load(to))).toMatchObject({ code: 'E_BUNDLE_MISSING' });
    expect(Date.now() - t0).toBeLessThan(500);
    // A first save killed while writing leaves only its staging copy: nothing to wait for.
    await b.save(join(root, 'crashed'));
    await rename(join(root, 'crashed'), join(root, `.never-saved.tmp-0123456789ab`));
    t0 = Date.now();
    const e = await failure(TransactionScorer.load(to));
    expect(e.code).toBe('E_BUNDLE_MISSING');
    expect(e.message).toContain('stream.json is missing');
    expect(Date.now() - t0).toBeLessThan(500);
  });
});
