import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cacheDirFromEnv, dataDirFromEnv, downloadAllowedFromEnv, resolveDataset, type DatasetSpec } from './resolver';
import { downloadFile } from './download';
import { sha256File } from './checksum';
import { expectCode, realDataset, tempDir } from './test-helpers';

const BODY = Buffer.from('sensor,speed\n1,64.375\n2,67.625\n');
const SHA = createHash('sha256').update(BODY).digest('hex');
const WRONG_SHA = 'f'.repeat(64);

function put(root: string, path: string, content: Buffer | string = BODY): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
}

function spec(files: DatasetSpec['files'], name = 'toy'): DatasetSpec {
  return { name, files, howToGet: 'Toy data: generate it with tools/make-toy.mjs (CC0) and put it in <data dir>/toy/.' };
}

/** Every file under `dir`, relative, recursively. */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)));
}

describe('resolveDataset: local lookups', () => {
  const none = {} as NodeJS.ProcessEnv;

  it('finds a dataset in the data dir first', async () => {
    const dataDir = tempDir();
    const cacheDir = tempDir();
    put(join(dataDir, 'toy'), 'a.csv');
    put(join(dataDir, 'toy'), 'sub/b.csv');
    put(join(cacheDir, 'toy'), 'a.csv');
    put(join(cacheDir, 'toy'), 'sub/b.csv');
    const ds = await resolveDataset(spec([{ path: 'a.csv' }, { path: 'sub/b.csv' }]), { dataDir, cacheDir, env: none });
    expect(ds).toEqual({
      name: 'toy',
      root: join(dataDir, 'toy'),
      files: { 'a.csv': join(dataDir, 'toy', 'a.csv'), 'sub/b.csv': join(dataDir, 'toy', 'sub', 'b.csv') },
      source: 'data-dir',
    });
  });

  it('reads APPLIEDML_DATA_DIR, resolving a relative value against the working directory', async () => {
    const dataDir = tempDir();
    put(join(dataDir, 'toy'), 'a.csv');
    const env = { APPLIEDML_DATA_DIR: relative(process.cwd(), dataDir) } as NodeJS.ProcessEnv;
    expect(dataDirFromEnv(env)).toBe(dataDir);
    const ds = await resolveDataset(spec([{ path: 'a.csv' }]), { env, cacheDir: tempDir() });
    expect(ds.source).toBe('data-dir');
    expect(ds.files['a.csv']).toBe(join(dataDir, 'toy', 'a.csv'));
  });

  it('resolves a relative APPLIEDML_DATA_DIR against INIT_CWD when npm set it (npm run -w runs in the workspace folder)', () => {
    const home = tempDir();
    const env = { APPLIEDML_DATA_DIR: '../shared/datasets', INIT_CWD: join(home, 'repo') } as NodeJS.ProcessEnv;
    expect(dataDirFromEnv(env)).toBe(join(home, 'shared', 'datasets'));
  });

  it('the dataDir option wins over the environment', async () => {
    const fromEnv = tempDir();
    const fromOption = tempDir();
    put(join(fromEnv, 'toy'), 'a.csv');
    put(join(fromOption, 'toy'), 'a.csv');
    const env = { APPLIEDML_DATA_DIR: fromEnv } as NodeJS.ProcessEnv;
    const ds = await resolveDataset(spec([{ path: 'a.csv' }]), { env, dataDir: fromOption, cacheDir: tempDir() });
    expect(ds.root).toBe(join(fromOption, 'toy'));
  });

  it('falls back to the cache when the data dir lacks a file', async () => {
    const dataDir = tempDir();
    const cacheDir = tempDir();
    put(join(dataDir, 'toy'), 'a.csv'); // b.csv missing here
    put(join(cacheDir, 'toy'), 'a.csv');
    put(join(cacheDir, 'toy'), 'b.csv');
    const ds = await resolveDataset(spec([{ path: 'a.csv' }, { path: 'b.csv' }]), { dataDir, cacheDir, env: none });
    expect(ds.source).toBe('cache');
    expect(ds.root).toBe(join(cacheDir, 'toy'));
  });

  it('reads APPLIEDML_CACHE_DIR, defaulting to ~/.cache/appliedml', () => {
    const cacheDir = tempDir();
    expect(cacheDirFromEnv({ APPLIEDML_CACHE_DIR: cacheDir } as NodeJS.ProcessEnv)).toBe(cacheDir);
    expect(cacheDirFromEnv(none)).toMatch(/[/\\]\.cache[/\\]appliedml$/);
    expect(dataDirFromEnv(none)).toBeUndefined();
    expect(dataDirFromEnv({ APPLIEDML_DATA_DIR: '  ' } as NodeJS.ProcessEnv)).toBeUndefined();
  });

  it('missing everywhere → E_DATASET_MISSING listing every place looked and howToGet', async () => {
    const dataDir = tempDir();
    const cacheDir = tempDir();
    put(join(dataDir, 'toy'), 'a.csv');
    const error = await expectCode(
      () => resolveDataset(spec([{ path: 'a.csv' }, { path: 'b.csv', url: 'http://127.0.0.1:9/b.csv' }]), { dataDir, cacheDir, env: none }),
      'E_DATASET_MISSING',
    );
    expect(error.message).toContain(join(dataDir, 'toy', 'b.csv'));
    expect(error.message).toContain(join(cacheDir, 'toy', 'a.csv'));
    expect(error.message).toContain(join(cacheDir, 'toy', 'b.csv'));
    expect(error.message).toContain('tools/make-toy.mjs');
    expect(error.message).toContain('APPLIEDML_ALLOW_DOWNLOAD=1');
    expect(error.details.looked).toEqual([join(dataDir, 'toy', 'b.csv'), join(cacheDir, 'toy', 'a.csv'), join(cacheDir, 'toy', 'b.csv')]);
  });

  it('says when no data dir is configured, and when a file has no url', async () => {
    const error = await expectCode(
      () => resolveDataset(spec([{ path: 'a.csv' }]), { cacheDir: tempDir(), allowDownload: true, env: none }),
      'E_DATASET_MISSING',
    );
    expect(error.message).toContain('APPLIEDML_DATA_DIR');
    expect(error.message).toContain('not set');
    expect(error.message).toContain('no url for a.csv');
  });

  it('verify: true checks sha256 of local files', async () => {
    const dataDir = tempDir();
    put(join(dataDir, 'toy'), 'a.csv');
    const good = spec([{ path: 'a.csv', sha256: SHA.toUpperCase() }]);
    expect((await resolveDataset(good, { dataDir, verify: true, env: none })).source).toBe('data-dir');
    const bad = spec([{ path: 'a.csv', sha256: WRONG_SHA }]);
    expect((await resolveDataset(bad, { dataDir, env: none })).source).toBe('data-dir'); // not checked by default
    const error = await expectCode(() => resolveDataset(bad, { dataDir, verify: true, env: none }), 'E_DATASET_CHECKSUM');
    expect(error.details).toMatchObject({ expected: WRONG_SHA, actual: SHA });
    expect(await sha256File(join(dataDir, 'toy', 'a.csv'))).toBe(SHA);
  });

  it('a path may name a directory (e.g. a folder of recordings)', async () => {
    const dataDir = tempDir();
    put(join(dataDir, 'toy'), 'recordings/0_a_0.wav', 'RIFF');
    const ds = await resolveDataset(spec([{ path: 'recordings' }]), { dataDir, env: none });
    expect(ds.files.recordings).toBe(join(dataDir, 'toy', 'recordings'));
  });

  it('rejects unsafe or malformed specs', async () => {
    const bad: DatasetSpec[] = [
      spec([{ path: 'a.csv' }], '../escape'),
      spec([{ path: 'a.csv' }], ''),
      spec([{ path: '../../etc/passwd' }]),
      spec([{ path: '/etc/passwd' }]),
      spec([{ path: 'a//b' }]),
      spec([{ path: 'a.csv' }, { path: 'a.csv' }]),
      spec([{ path: 'a.csv', sha256: 'abc' }]),
      spec([]),
    ];
    for (const s of bad) await expectCode(() => resolveDataset(s, { dataDir: tempDir(), env: none }), 'E_INPUT_INVALID');
  });
});

describe('resolveDataset: option types and special files (API fuzz F13)', () => {
  const none = {} as NodeJS.ProcessEnv;
  const remote = spec([{ path: 'a.csv', url: 'http://127.0.0.1:1/a.csv' }]);

  it('refuses null, empty or non-string folders and non-boolean flags before looking anywhere', async () => {
    const cacheDir = tempDir();
    for (const dataDir of [null, 5, '', '  '])
      expect(
        (await expectCode(() => resolveDataset(remote, { dataDir: dataDir as never, cacheDir, env: none }), 'E_INPUT_INVALID')).message,
      ).toMatch(/resolveDataset dataDir must be a folder path/);
    expect((await expectCode(() => resolveDataset(remote, { cacheDir: null as never, env: none }), 'E_INPUT_INVALID')).message).toMatch(
      /resolveDataset cacheDir/,
    );
    // The string 'false' was truthy: it downloaded (E_IO from the refused connection here).
    for (const allowDownload of ['false', 'true', 1, null])
      expect(
        (await expectCode(() => resolveDataset(remote, { cacheDir, allowDownload: allowDownload as never, env: none }), 'E_INPUT_INVALID'))
          .message,
      ).toMatch(/allowDownload must be true or false/);
    await expectCode(() => resolveDataset(remote, { cacheDir, verify: 'no' as never, env: none }), 'E_INPUT_INVALID');
    await expectCode(() => resolveDataset(remote, { cacheDir, env: null as never }), 'E_INPUT_INVALID');
    // allowDownload: false (and undefined without the environment) never downloads.
    await expectCode(
      () => resolveDataset(remote, { cacheDir, allowDownload: false, env: { APPLIEDML_ALLOW_DOWNLOAD: '1' } }),
      'E_DATASET_MISSING',
    );
  });

  it('a path in the data dir that cannot be looked at, with the dataset nowhere else, is E_IO naming it and why, not E_DATASET_MISSING ("missing" sent the user looking for a file that may be there)', async () => {
    const dataDir = tempDir();
    const cacheDir = tempDir();
    mkdirSync(join(dataDir, 'toy'));
    const loop = join(dataDir, 'toy', 'a.csv');
    symlinkSync(join(dataDir, 'toy', 'b.csv'), loop);
    symlinkSync(loop, join(dataDir, 'toy', 'b.csv'));
    const error = await expectCode(() => resolveDataset(spec([{ path: 'a.csv' }]), { dataDir, cacheDir, env: none }), 'E_IO');
    expect(error.message).toBe(
      [
        `Dataset 'toy' was not found, and a path in the data directory cannot be looked at (fix or remove it, or put the dataset elsewhere). Looked in:`,
        `  - data directory (dataDir option) ${join(dataDir, 'toy')}: cannot be looked at`,
        `    ${loop}: too many symbolic links`,
        `  - cache ${join(cacheDir, 'toy')}: missing`,
        `    ${join(cacheDir, 'toy', 'a.csv')}`,
        '  - download: disabled (pass allowDownload: true or set APPLIEDML_ALLOW_DOWNLOAD=1)',
        'How to get it: Toy data: generate it with tools/make-toy.mjs (CC0) and put it in <data dir>/toy/.',
        'Then place the files under <data dir>/toy/ and set APPLIEDML_DATA_DIR=<data dir>.',
      ].join('\n'),
    );
    expect(error.details).toMatchObject({ name: 'toy', path: loop, reason: 'ELOOP', unusable: [{ path: loop, reason: 'ELOOP' }] });
    // A file where the dataset's folder should be.
    const flat = tempDir();
    writeFileSync(join(flat, 'toy'), 'not a folder');
    const under = await expectCode(
      () => resolveDataset(spec([{ path: 'a.csv' }]), { dataDir: flat, cacheDir: tempDir(), env: none }),
      'E_IO',
    );
    expect(under.message).toContain(`\n    ${join(flat, 'toy', 'a.csv')}: a part of the path is not a directory\n`);
    expect(under.details).toMatchObject({ reason: 'ENOTDIR' });
    // One that does not exist is still missing.
    await expectCode(
      () => resolveDataset(spec([{ path: 'a.csv' }]), { dataDir: tempDir(), cacheDir: tempDir(), env: none }),
      'E_DATASET_MISSING',
    );
  });

  it('a FIFO where a dataset file should be, with the dataset nowhere else, is E_IO naming it (it was E_DATASET_MISSING)', async () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'toy'));
    const fifo = join(dataDir, 'toy', 'a.csv');
    execFileSync('mkfifo', [fifo]);
    const error = await expectCode(
      () => resolveDataset(spec([{ path: 'a.csv' }]), { dataDir, cacheDir: tempDir(), verify: true, env: none }),
      'E_IO',
    );
    expect(error.message).toContain(
      `a path in the data directory cannot be used (fix or remove it, or put the dataset elsewhere). Looked in:\n` +
        `  - data directory (dataDir option) ${join(dataDir, 'toy')}: cannot be used\n` +
        `    ${fifo}: it is a FIFO (named pipe), not a file or folder\n`,
    );
  });

  it('a data-dir location that cannot be used is skipped, with a warning, when the cache holds the dataset (ec9d49d stopped at it with E_IO)', async () => {
    const cacheDir = tempDir();
    put(join(cacheDir, 'toy'), 'a.csv');
    put(join(cacheDir, 'toy'), 'sub/b.csv');
    const files = [{ path: 'a.csv' }, { path: 'sub/b.csv' }];
    const warnings: Array<Record<string, unknown> | undefined> = [];
    const logger = { debug() {}, info() {}, warn: (_m: string, meta?: Record<string, unknown>) => void warnings.push(meta) };
    // A not-yet-unpacked archive where the dataset's folder should be (ENOTDIR).
    const flat = tempDir();
    writeFileSync(join(flat, 'toy'), 'a zip, not unpacked');
    const fromCache = await resolveDataset(spec(files), { dataDir: flat, cacheDir, env: none, logger });
    expect(fromCache).toMatchObject({ source: 'cache', root: join(cacheDir, 'toy') });
    expect(warnings).toEqual([
      {
        name: 'toy',
        location: 'data directory',
        root: join(flat, 'toy'),
        unusable: [
          `${join(flat, 'toy', 'a.csv')}: a part of the path is not a directory`,
          `${join(flat, 'toy', 'sub', 'b.csv')}: a part of the path is not a directory`,
        ],
      },
    ]);
    // A FIFO in one file's place, the other file there: the data dir is not half-used.
    const withFifo = tempDir();
    put(join(withFifo, 'toy'), 'sub/b.csv');
    execFileSync('mkfifo', [join(withFifo, 'toy', 'a.csv')]);
    expect((await resolveDataset(spec(files), { dataDir: withFifo, cacheDir, env: none, verify: true })).source).toBe('cache');
    // A loop of links.
    const looped = tempDir();
    mkdirSync(join(looped, 'toy'));
    symlinkSync(join(looped, 'toy', 'x'), join(looped, 'toy', 'a.csv'));
    symlinkSync(join(looped, 'toy', 'a.csv'), join(looped, 'toy', 'x'));
    expect((await resolveDataset(spec(files), { dataDir: looped, cacheDir, env: none })).source).toBe('cache');
  });

  it('a cache location that cannot be looked at is skipped, not downloaded over, and named in the report; E_IO only when the data dir has such a path too', async () => {
    const cacheDir = tempDir();
    writeFileSync(join(cacheDir, 'toy'), 'not a folder');
    const dataDir = tempDir();
    put(join(dataDir, 'toy'), 'a.csv');
    // The data dir is complete: the cache is not looked at.
    expect((await resolveDataset(spec([{ path: 'a.csv' }]), { dataDir, cacheDir, env: none })).source).toBe('data-dir');
    // Neither location usable: both are named, with why, and the advice where to put the files stays.
    const flat = tempDir();
    writeFileSync(join(flat, 'toy'), 'not a folder');
    const remoteSpec = spec([{ path: 'a.csv', url: 'http://127.0.0.1:9/a.csv' }]);
    const error = await expectCode(() => resolveDataset(remoteSpec, { dataDir: flat, cacheDir, allowDownload: true, env: none }), 'E_IO');
    expect(error.message).toContain("Dataset 'toy' was not found, and a path in the data directory cannot be looked at (fix or remove it");
    expect(error.message).toContain(`  - data directory (dataDir option) ${join(flat, 'toy')}: cannot be looked at\n`);
    expect(error.message).toContain(
      `  - cache ${join(cacheDir, 'toy')}: cannot be looked at\n    ${join(cacheDir, 'toy', 'a.csv')}: a part of the path is not a directory\n`,
    );
    expect(error.message).toContain('  - download: not tried, the cache location cannot be looked at\n');
    expect(error.message).toContain('Then place the files under <data dir>/toy/ and set APPLIEDML_DATA_DIR=<data dir>.');
    expect(error.details).toMatchObject({
      path: join(flat, 'toy', 'a.csv'),
      reason: 'ENOTDIR',
      unusable: [
        { path: join(flat, 'toy', 'a.csv'), reason: 'ENOTDIR' },
        { path: join(cacheDir, 'toy', 'a.csv'), reason: 'ENOTDIR' },
      ],
    });
    // The cache unusable and the data dir simply missing: the dataset is not there, E_DATASET_MISSING
    // (c0d657c made it E_IO, and the demos, which fall back to offline data on E_DATASET_MISSING,
    // crashed), with the cache named in the report and details.unusable.
    const dataDir2 = tempDir();
    const missing = await expectCode(
      () => resolveDataset(spec([{ path: 'a.csv' }]), { dataDir: dataDir2, cacheDir, env: none }),
      'E_DATASET_MISSING',
    );
    expect(missing.message).toBe(
      [
        `Dataset 'toy' was not found. Looked in:`,
        `  - data directory (dataDir option) ${join(dataDir2, 'toy')}: missing`,
        `    ${join(dataDir2, 'toy', 'a.csv')}`,
        `  - cache ${join(cacheDir, 'toy')}: cannot be looked at`,
        `    ${join(cacheDir, 'toy', 'a.csv')}: a part of the path is not a directory`,
        '  - download: disabled (pass allowDownload: true or set APPLIEDML_ALLOW_DOWNLOAD=1)',
        'How to get it: Toy data: generate it with tools/make-toy.mjs (CC0) and put it in <data dir>/toy/.',
        'Then place the files under <data dir>/toy/ and set APPLIEDML_DATA_DIR=<data dir>.',
      ].join('\n'),
    );
    expect(missing.details).toMatchObject({ unusable: [{ path: join(cacheDir, 'toy', 'a.csv'), reason: 'ENOTDIR' }] });
    expect(missing.details).not.toHaveProperty('path');
    // No data dir set at all: the same.
    await expectCode(() => resolveDataset(spec([{ path: 'a.csv' }]), { cacheDir, env: none }), 'E_DATASET_MISSING');
  });
});

describe('resolveDataset: downloads (local HTTP server on 127.0.0.1 only)', () => {
  let server: Server;
  let base = '';
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/data.csv') {
        res.writeHead(200, { 'content-type': 'text/csv', 'content-length': String(BODY.length) });
        res.end(BODY);
      } else if (req.url === '/short') {
        res.writeHead(200, { 'content-length': String(BODY.length + 100) });
        res.write(BODY);
        setTimeout(() => res.socket?.destroy(), 20);
      } else if (req.url === '/slow') {
        res.writeHead(200);
        res.write('x');
        // never ends; the client times out and the server closes the socket in afterAll
      } else {
        res.writeHead(404);
        res.end('not here');
      }
    });
    server.keepAliveTimeout = 100;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('downloads into the cache atomically, checks sha256, then serves from the cache', async () => {
    const cacheDir = tempDir();
    const s = spec([{ path: 'sub/data.csv', url: `${base}/data.csv`, sha256: SHA }]);
    const before = hits.length;
    const ds = await resolveDataset(s, { cacheDir, allowDownload: true, env: {} });
    expect(ds.source).toBe('download');
    expect(ds.root).toBe(join(cacheDir, 'toy'));
    expect(readFileSync(ds.files['sub/data.csv'] as string)).toEqual(BODY);
    expect(listFiles(cacheDir)).toEqual([join('toy', 'sub', 'data.csv')]); // no temp files left
    const again = await resolveDataset(s, { cacheDir, allowDownload: true, env: {} });
    expect(again.source).toBe('cache');
    expect(hits.length - before).toBe(1);
  });

  it('a checksum mismatch deletes the download → E_DATASET_CHECKSUM', async () => {
    const cacheDir = tempDir();
    const s = spec([{ path: 'data.csv', url: `${base}/data.csv`, sha256: WRONG_SHA }]);
    const error = await expectCode(() => resolveDataset(s, { cacheDir, allowDownload: true, env: {} }), 'E_DATASET_CHECKSUM');
    expect(error.details).toMatchObject({ expected: WRONG_SHA, actual: SHA });
    expect(listFiles(cacheDir)).toEqual([]);
  });

  it('APPLIEDML_ALLOW_DOWNLOAD=1 enables downloads; allowDownload: false still wins', async () => {
    const s = spec([{ path: 'data.csv', url: `${base}/data.csv`, sha256: SHA }]);
    vi.stubEnv('APPLIEDML_ALLOW_DOWNLOAD', '1');
    vi.stubEnv('APPLIEDML_DATA_DIR', '');
    expect(downloadAllowedFromEnv()).toBe(true);
    const cacheDir = tempDir();
    await expectCode(() => resolveDataset(s, { cacheDir, allowDownload: false }), 'E_DATASET_MISSING');
    expect((await resolveDataset(s, { cacheDir })).source).toBe('download');
    expect(downloadAllowedFromEnv({} as NodeJS.ProcessEnv)).toBe(false);
  });

  it('HTTP errors, cut-off bodies and timeouts → E_IO, leaving nothing behind', async () => {
    for (const [url, timeout, message] of [
      [`${base}/missing`, 5_000, /HTTP 404/],
      [`${base}/short`, 5_000, /interrupted|incomplete/],
      [`${base}/slow`, 300, /interrupted|abort|timeout/i],
    ] as const) {
      const cacheDir = tempDir();
      const s = spec([{ path: 'data.csv', url }]);
      const error = await expectCode(
        () => resolveDataset(s, { cacheDir, allowDownload: true, downloadTimeoutMs: timeout, env: {} }),
        'E_IO',
      );
      expect(error.message, url).toMatch(message);
      expect(listFiles(cacheDir), url).toEqual([]);
    }
  });

  it('size limits and non-http URLs', async () => {
    const cacheDir = tempDir();
    await expectCode(
      () =>
        resolveDataset(spec([{ path: 'data.csv', url: `${base}/data.csv` }]), {
          cacheDir,
          allowDownload: true,
          maxDownloadBytes: 10,
          env: {},
        }),
      'E_INPUT_TOO_LARGE',
    );
    expect(listFiles(cacheDir)).toEqual([]);
    await expectCode(() => downloadFile('file:///etc/passwd', join(cacheDir, 'x')), 'E_INPUT_INVALID');
    await expectCode(() => downloadFile('not a url', join(cacheDir, 'x')), 'E_INPUT_INVALID');
  });

  it('checks timeoutMs, maxBytes and sha256 before making folders or fetching (API fuzz F16)', async () => {
    const dir = tempDir();
    const dest = join(dir, 'sub', 'x.csv');
    for (const options of [
      { timeoutMs: -1 },
      { timeoutMs: NaN },
      { timeoutMs: 1e12 },
      { timeoutMs: '5' },
      { maxBytes: NaN },
      { maxBytes: -1 },
      { sha256: 'abc' },
      { sha256: 5 },
    ]) {
      const error = await expectCode(() => downloadFile(`${base}/data.csv`, dest, options as never), 'E_INPUT_INVALID');
      expect(error.message).toMatch(/timeoutMs|maxBytes|sha256/);
    }
    await expectCode(() => downloadFile(`${base}/data.csv`, '' as never), 'E_INPUT_INVALID');
    expect(existsSync(join(dir, 'sub'))).toBe(false);
    for (const options of [{ downloadTimeoutMs: 0 }, { maxDownloadBytes: NaN }])
      await expectCode(
        () =>
          resolveDataset(spec([{ path: 'a.csv', url: `${base}/data.csv` }]), { cacheDir: dir, allowDownload: true, env: {}, ...options }),
        'E_INPUT_INVALID',
      );
  });

  it('a folder at the destination is E_IO before the download, and leaves nothing behind', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'x.csv'));
    const error = await expectCode(() => downloadFile(`${base}/data.csv`, join(dir, 'x.csv')), 'E_IO');
    // In describeFileKind's words, as statRegularFile says it (it said 'a folder').
    expect(error.message).toBe(`Cannot download to ${join(dir, 'x.csv')}: it is a directory, not a regular file.`);
    expect(error.details).toEqual({ destination: join(dir, 'x.csv'), reason: 'not-a-regular-file' });
    expect(listFiles(dir)).toEqual([]);
  });

  it.skipIf(process.platform === 'win32')('a FIFO at the destination is E_IO naming its kind (it said "not a regular file")', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'x.csv');
    execFileSync('mkfifo', [fifo]);
    const error = await expectCode(() => downloadFile(`${base}/data.csv`, fifo), 'E_IO');
    expect(error.message).toBe(`Cannot download to ${fifo}: it is a FIFO (named pipe), not a regular file.`);
  });
});

describe('resolveDataset on the real data dir (APPLIEDML_DATA_DIR)', () => {
  it('finds los-loop and verifies its checksums', async () => {
    const ds = await realDataset(
      {
        name: 'los-loop',
        howToGet: 'T-GCN Los-loop data, https://github.com/lehaifeng/T-GCN (data/los_speed.csv, data/los_adj.csv)',
        files: [
          { path: 'los_speed.csv', sha256: '7b732d86ae32b2930595becba28aff39dacbfb2197e250fc0332e1744ce2cbf4' },
          { path: 'los_adj.csv', sha256: '7a6eb41e10677992b5af50f5ab187c6c05c5c3a92cb973950cfddbf857361e76' },
        ],
      },
      { verify: true },
    );
    expect(ds.source).toBe('data-dir');
    expect(ds.root).toBe(join(dataDirFromEnv() as string, 'los-loop'));
  });
});
