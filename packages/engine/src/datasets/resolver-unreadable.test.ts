import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { resolveDataset, type DatasetSpec } from './resolver';
import { expectCode } from './test-helpers';

// A folder another user cannot look into (the default cache /root/.cache/appliedml for a container
// run with --user while HOME is still /root): stat() under it fails with EACCES, whether or not the
// path exists. Tests run as root here, who may look anywhere, so stat() is made to refuse as the
// system does for everything under a refused folder.
const refused: string[] = [];
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const stat = (async (path: Parameters<typeof actual.stat>[0], ...rest: unknown[]) => {
    if (refused.some((dir) => String(path).startsWith(dir + sep)))
      throw Object.assign(new Error(`EACCES: permission denied, stat '${String(path)}'`), { code: 'EACCES' });
    return (actual.stat as (...args: unknown[]) => unknown)(path, ...rest);
  }) as typeof actual.stat;
  return { ...actual, default: { ...actual, stat }, stat };
});

const root = mkdtempSync(join(tmpdir(), 'engine-resolver-unreadable-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const none = {} as NodeJS.ProcessEnv;
const spec: DatasetSpec = {
  name: 'fsdd',
  files: [{ path: 'recordings' }],
  howToGet: 'Clone the FSDD repository and put its recordings/ folder in <data dir>/fsdd/.',
};

describe('resolveDataset with a location that cannot be looked at (permission denied)', () => {
  it('a cache that cannot be looked at, the dataset not in the data dir: E_DATASET_MISSING naming the cache, so callers still fall back (c0d657c made it E_IO)', async () => {
    const home = join(root, 'home');
    mkdirSync(home);
    refused.push(home);
    const cacheDir = join(home, '.cache', 'appliedml'); // does not exist at all
    const dataDir = join(root, 'data');
    mkdirSync(join(dataDir, 'los-loop'), { recursive: true });
    const error = await expectCode(() => resolveDataset(spec, { dataDir, cacheDir, env: none }), 'E_DATASET_MISSING');
    expect(error.message).toBe(
      [
        "Dataset 'fsdd' was not found. Looked in:",
        `  - data directory (dataDir option) ${join(dataDir, 'fsdd')}: missing`,
        `    ${join(dataDir, 'fsdd', 'recordings')}`,
        // Not "a path that is there": with EACCES nothing is known of whether it exists.
        `  - cache ${join(cacheDir, 'fsdd')}: cannot be looked at`,
        `    ${join(cacheDir, 'fsdd', 'recordings')}: permission denied`,
        '  - download: disabled (pass allowDownload: true or set APPLIEDML_ALLOW_DOWNLOAD=1)',
        'How to get it: Clone the FSDD repository and put its recordings/ folder in <data dir>/fsdd/.',
        'Then place the files under <data dir>/fsdd/ and set APPLIEDML_DATA_DIR=<data dir>.',
      ].join('\n'),
    );
    expect(error.details).toMatchObject({
      name: 'fsdd',
      looked: [join(dataDir, 'fsdd', 'recordings')],
      unusable: [{ path: join(cacheDir, 'fsdd', 'recordings'), reason: 'EACCES' }],
    });
    // Allowed downloads are not tried into a cache that cannot be looked at, and it is still missing.
    const noDownload = await expectCode(
      () =>
        resolveDataset(
          { ...spec, files: [{ path: 'a.wav', url: 'http://127.0.0.1:9/a.wav' }] },
          { dataDir, cacheDir, allowDownload: true, env: none },
        ),
      'E_DATASET_MISSING',
    );
    expect(noDownload.message).toContain('  - download: not tried, the cache location cannot be looked at\n');
  });

  it('a data dir the user pointed at (APPLIEDML_DATA_DIR) that cannot be looked at is E_IO naming it, with the dataset nowhere else; the cache still serves it', async () => {
    const dataDir = join(root, 'private-data');
    mkdirSync(join(dataDir, 'fsdd', 'recordings'), { recursive: true });
    refused.push(dataDir);
    const cacheDir = join(root, 'cache');
    const error = await expectCode(() => resolveDataset(spec, { cacheDir, env: { APPLIEDML_DATA_DIR: dataDir } }), 'E_IO');
    expect(error.message).toContain(
      "Dataset 'fsdd' was not found, and a path in the data directory cannot be looked at (fix or remove it, or put the dataset elsewhere). Looked in:\n" +
        `  - data directory (APPLIEDML_DATA_DIR) ${join(dataDir, 'fsdd')}: cannot be looked at\n` +
        `    ${join(dataDir, 'fsdd', 'recordings')}: permission denied\n` +
        `  - cache ${join(cacheDir, 'fsdd')}: missing\n`,
    );
    expect(error.details).toMatchObject({
      path: join(dataDir, 'fsdd', 'recordings'),
      reason: 'EACCES',
      unusable: [{ path: join(dataDir, 'fsdd', 'recordings'), reason: 'EACCES' }],
    });
    mkdirSync(join(cacheDir, 'fsdd', 'recordings'), { recursive: true });
    writeFileSync(join(cacheDir, 'fsdd', 'recordings', '0_a_0.wav'), '');
    await expect(resolveDataset(spec, { cacheDir, env: { APPLIEDML_DATA_DIR: dataDir } })).resolves.toMatchObject({ source: 'cache' });
  });
});
