import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '#tfjs';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { initEngine } from '../device/engine';
import { AppliedMLError } from '../errors';
import { loadBundle, saveBundle } from './bundle';

/** Paths whose lstat and open the system refuses with EACCES (a permission a test run as root cannot take away). */
const denied = new Set<string>();

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const refuse = <F extends (...args: any[]) => Promise<any>>(f: F) =>
    (async (...args: Parameters<F>) => {
      if (denied.has(String(args[0])))
        throw Object.assign(new Error(`EACCES: permission denied, open '${String(args[0])}'`), { code: 'EACCES' });
      return f(...args);
    }) as F;
  return { ...actual, lstat: refuse(actual.lstat), open: refuse(actual.open) };
});

let root: string;
beforeAll(async () => {
  await initEngine({ device: 'wasm' });
  root = await mkdtemp(join(tmpdir(), 'appliedml-manifest-eacces-'));
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
  await saveBundle(join(root, 'good'), { package: '@appliedml/test', packageVersion: '1.0.0', task: 'unit-test', models: { main: model } });
  model.dispose();
});
afterAll(async () => {
  denied.clear();
  await rm(root, { recursive: true, force: true });
});

it('a manifest.json the process may not read is E_IO naming it (it was E_BUNDLE_MISSING "no manifest.json")', async () => {
  const dir = join(root, 'locked');
  await cp(join(root, 'good'), dir, { recursive: true });
  denied.add(join(dir, 'manifest.json'));
  const error = await loadBundle(dir).catch((e: unknown) => e);
  expect(AppliedMLError.hasCode(error, 'E_IO'), String(error)).toBe(true);
  expect((error as AppliedMLError).message).toBe(
    `Bundle ${dir}: could not read 'manifest.json': EACCES: permission denied, open '${join(dir, 'manifest.json')}'`,
  );
  expect((error as AppliedMLError).details).toEqual({ dir, file: 'manifest.json' });
});
