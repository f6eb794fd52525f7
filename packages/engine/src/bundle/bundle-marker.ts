import type { SaveMarker } from './atomic-dir';

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
