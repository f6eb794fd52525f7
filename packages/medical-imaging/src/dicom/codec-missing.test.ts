import { AppliedMLError } from '@appliedml/engine';
import { describe, expect, it, vi } from 'vitest';

// The codecs are required at run time (packageRequire). A service bundled into one file without them
// installed beside the bundle used to get a bare MODULE_NOT_FOUND (an HTTP 500 with no code); it gets
// E_FORMAT_UNSUPPORTED naming the module and the fix. Here the require finds nothing.
vi.mock('../package-require', () => ({
  moduleUrl: () => undefined,
  packageRequire: () => (id: string) => {
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  },
}));

const { decodeJpeg2000, decodeJpegLs, decodeJpegLossless } = await import('./codecs');

async function codeError(fn: () => unknown): Promise<AppliedMLError> {
  try {
    await fn();
  } catch (error) {
    if (AppliedMLError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('a codec that cannot be loaded', () => {
  it.each([
    ['JPEG 2000', decodeJpeg2000, '@cornerstonejs/codec-openjpeg/decodewasmjs', '@cornerstonejs/codec-openjpeg'],
    ['JPEG-LS', decodeJpegLs, '@cornerstonejs/codec-charls/decodewasmjs', '@cornerstonejs/codec-charls'],
  ])('%s: E_FORMAT_UNSUPPORTED naming the module, external and installed beside the bundle', async (format, decode, module, pkg) => {
    const error = await codeError(() => decode(new Uint8Array([0xff, 0x4f, 0xff, 0x51])));
    expect(error.code).toBe('E_FORMAT_UNSUPPORTED');
    expect(error.details).toEqual({ module, format });
    expect(error.message).toContain(`esbuild --external:${pkg}`);
    expect(error.message).toContain(`npm install ${pkg}`);
    expect(error.message).toContain(`Cannot find module '${module}'`);
    // A later call tries again (the failed load is not cached).
    expect((await codeError(() => decode(new Uint8Array([1])))).code).toBe('E_FORMAT_UNSUPPORTED');
  });

  it('JPEG lossless layouts our decoder leaves out: jpeg-lossless-decoder-js', async () => {
    // A stream with another process's frame marker (SOF0): our decoder leaves it to jpeg-lossless-decoder-js.
    const stream = new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x02]);
    const error = await codeError(() => decodeJpegLossless(stream, 1, 2, 2));
    expect(error.code).toBe('E_FORMAT_UNSUPPORTED');
    expect(error.details).toEqual({ module: 'jpeg-lossless-decoder-js', format: 'JPEG lossless' });
    expect(error.message).toContain('esbuild --external:jpeg-lossless-decoder-js');
  });
});
