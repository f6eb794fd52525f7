import { join } from 'node:path';
import type { SaveMarker } from './atomic-dir';
import { MAX_MANIFEST_BYTES, readSmallTextFile, type SmallTextRead } from './small-file';

/** The `format` of every bundle manifest the engine writes. */
export const BUNDLE_FORMAT = 'appliedml-bundle';

/** The manifest's file name, at the top of every bundle folder. */
export const BUNDLE_MANIFEST = 'manifest.json';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * How a save of a bundle (`saveBundle`, or an SDK's own `replaceDirAtomic` around one) tells an earlier
 * bundle, which it may replace, from someone else's folder: the folder's manifest.json must be a bundle
 * manifest (JSON with `format` 'appliedml-bundle'; a web app's manifest.json is not one), and with
 * `pkg` (the package saving, e.g. '@appliedml/fraud') one that package wrote: a bundle of another package
 * is refused with E_BUNDLE_INCOMPATIBLE. Pass it as `replaceDirAtomic`'s `marker`.
 */
export function bundleMarker(pkg?: string): SaveMarker {
  return {
    file: BUNDLE_MANIFEST,
    noun: 'an appliedml model bundle manifest',
    ...(pkg !== undefined ? { package: pkg } : {}),
    writtenBy(text: string): string | boolean {
      let manifest: unknown;
      try {
        manifest = JSON.parse(text);
      } catch {
        return false;
      }
      if (!isRecord(manifest) || manifest.format !== BUNDLE_FORMAT) return false;
      // A bundle whose manifest lost its package (an edit, damage) is still a bundle: replaceable.
      return typeof manifest.package === 'string' && manifest.package !== '' ? manifest.package : true;
    },
  };
}

/** What `peekBundle` reads of a folder's manifest: its `package` and `task`, when they are short plain text. */
export interface BundleIdentity {
  package?: string;
  task?: string;
}

/**
 * What the bundle in `dir` says it holds, without loading it: its manifest's `package` and `task` (each only
 * when short plain text, safe to print), `{}` for a manifest.json that is not JSON or names neither, and
 * undefined when there is no readable manifest.json. Read as `loadBundle` reads one (`readSmallTextFile`):
 * a regular file, no link followed, at most MAX_MANIFEST_BYTES, no more than that read (a FIFO there is not
 * waited on). For telling a user which kind of bundle a path holds (another SDK's, a segmenter's where a
 * classifier's was given) before a load refuses it.
 */
export async function peekBundle(dir: string): Promise<BundleIdentity | undefined> {
  let read: SmallTextRead;
  try {
    read = await readSmallTextFile(join(dir, BUNDLE_MANIFEST), MAX_MANIFEST_BYTES);
  } catch {
    return undefined;
  }
  if (read.kind !== 'text') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.text);
  } catch {
    return {};
  }
  if (!isRecord(parsed)) return {};
  const plain = (value: unknown): string | undefined => (typeof value === 'string' && /^[\w@./-]{1,100}$/.test(value) ? value : undefined);
  const out: BundleIdentity = {};
  const pkg = plain(parsed.package);
  const task = plain(parsed.task);
  if (pkg !== undefined) out.package = pkg;
  if (task !== undefined) out.task = task;
  return out;
}
