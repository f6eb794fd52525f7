import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it, vi } from 'vitest';

// sharp is imported on first use. A service bundled into one file keeps it external; without it installed
// beside the bundle, reading a PNG was node's bare ERR_MODULE_NOT_FOUND (an HTTP 500 with no code). Here
// the import of sharp fails.
vi.doMock('sharp', () => {
  throw Object.assign(new Error("Cannot find package 'sharp'"), { code: 'ERR_MODULE_NOT_FOUND' });
});
const { readImage } = await import('./image-reader');

const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0,
]);

describe('images without sharp', () => {
  it('reading one is E_FORMAT_UNSUPPORTED naming sharp and the fix, each time', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await readImage(PNG).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(AppliedMLError.isInstance(error)).toBe(true);
      const typed = error as AppliedMLError;
      expect(typed.code).toBe('E_FORMAT_UNSUPPORTED');
      expect(typed.details).toEqual({ module: 'sharp' });
      expect(typed.message).toContain('esbuild --external:sharp');
      expect(typed.message).toContain('npm install sharp');
    }
  });
});
