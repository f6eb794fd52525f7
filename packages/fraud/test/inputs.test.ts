import { spawnSync } from 'node:child_process';
import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it } from 'vitest';
import { loadAdbench, readLabelledNpz } from '../src/adbench';

describe('readers and imports', () => {
  it('a corrupt or foreign .npz is a typed error', async () => {
    const codes: string[] = [];
    for (const bytes of [new Uint8Array(0), new Uint8Array([0x50, 0x4b, 3, 4, 9, 9, 9]), new TextEncoder().encode('not a zip')]) {
      try {
        await readLabelledNpz(bytes);
      } catch (e) {
        codes.push(AppliedMLError.isInstance(e) ? e.code : 'untyped');
      }
    }
    expect(codes).toHaveLength(3);
    for (const c of codes) expect(['E_FORMAT_UNSUPPORTED', 'E_INPUT_INVALID', 'E_BUNDLE_CORRUPT']).toContain(c);
  });

  it('an unknown set or a missing data dir is a typed error', async () => {
    await expect(loadAdbench('nope')).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    await expect(loadAdbench('thyroid', { dataDir: '/nonexistent-fraud-dir', env: {} })).rejects.toMatchObject({
      code: 'E_DATASET_MISSING',
    });
  });

  it('importing the SDK has no side effects (no output)', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=@appliedml/source', '-e', "import('@appliedml/fraud').then(() => {})"],
      {
        encoding: 'utf8',
        cwd: process.cwd(),
      },
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('');
  });
});
