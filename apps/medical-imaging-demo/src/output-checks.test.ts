// `train --out DIR` is checked before training. The check took any folder holding a file named
// manifest.json for an earlier bundle, while the save (547f61a) reads that manifest: a web app's folder
// (manifest.json, index.html) or another SDK's bundle passed here, trained the whole run and was refused
// only at save. The check now asks the engine's checkSaveTarget with the save's own marker.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_FORMAT } from '@appliedml/engine';
import { checkBundleTarget } from './output-checks';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medical-demo-out-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A folder holding `files` (name → text). */
async function folder(name: string, files: Record<string, string>): Promise<string> {
  const at = join(dir, name);
  await mkdir(at);
  for (const [file, text] of Object.entries(files)) await writeFile(join(at, file), text);
  return at;
}

const manifest = (pkg: string): string => JSON.stringify({ format: BUNDLE_FORMAT, package: pkg, files: [] });

describe('checkBundleTarget reads the manifest as the save does', () => {
  it("refuses a web app's folder whose manifest.json is not a bundle's, before anything is trained", async () => {
    const app = await folder('web-app', { 'manifest.json': '{"name":"My app","start_url":"/"}', 'index.html': '<p>app</p>' });
    await expect(checkBundleTarget(app)).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
      message: expect.stringMatching(/^--out .*web-app: Refusing to save over .*web-app: .* Nothing was trained\.$/) as unknown,
      details: { path: app, reason: 'not-an-earlier-save' },
    });
  });

  it("refuses another SDK's bundle (E_BUNDLE_INCOMPATIBLE naming its package)", async () => {
    const traffic = await folder('traffic-model', { 'manifest.json': manifest('@appliedml/traffic'), 'model.json': '{}' });
    await expect(checkBundleTarget(traffic)).rejects.toMatchObject({
      code: 'E_BUNDLE_INCOMPATIBLE',
      message: expect.stringContaining('it holds a model saved by @appliedml/traffic, not @appliedml/medical-imaging') as unknown,
      details: { path: traffic, package: '@appliedml/traffic' },
    });
  });

  it('takes an earlier medical-imaging bundle, an empty folder and a new path', async () => {
    const earlier = await folder('earlier', { 'manifest.json': manifest('@appliedml/medical-imaging'), 'weights.bin': '' });
    await expect(checkBundleTarget(earlier)).resolves.toBeUndefined();
    await expect(checkBundleTarget(await folder('empty', {}))).resolves.toBeUndefined();
    await expect(checkBundleTarget(join(dir, 'new', 'model'))).resolves.toBeUndefined();
  });
});
