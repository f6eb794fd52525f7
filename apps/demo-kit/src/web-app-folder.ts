import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a web app's folder holds: a manifest.json that is not a bundle manifest, beside the page. */
const WEB_APP: Readonly<Record<string, string>> = {
  'manifest.json': '{"name":"My app","start_url":"/"}',
  'index.html': '<p>app</p>',
};

/**
 * A web app's folder made inside `parent`, for tests that a `train --out` refuses it before training (the
 * save replaces its folder whole and refuses this one). `untouched()` says whether it still holds exactly
 * the two files as written.
 */
export async function webAppFolder(parent: string): Promise<{ dir: string; untouched(): Promise<boolean> }> {
  const dir = join(await mkdtemp(join(parent, 'web-app-')), 'app');
  await mkdir(dir);
  for (const [name, text] of Object.entries(WEB_APP)) await writeFile(join(dir, name), text);
  return {
    dir,
    async untouched() {
      const names = (await readdir(dir)).sort();
      if (names.join('\n') !== Object.keys(WEB_APP).sort().join('\n')) return false;
      for (const name of names) if ((await readFile(join(dir, name), 'utf8')) !== WEB_APP[name]) return false;
      return true;
    },
  };
}
