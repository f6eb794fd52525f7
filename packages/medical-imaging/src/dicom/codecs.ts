// The wasm / JS codecs behind compressed DICOM transfer syntaxes, loaded lazily on first use so that
// importing the SDK loads none of them. Every failure becomes an AppliedMLError.
import { AppliedMLError } from '@appliedml/engine';
import { packageRequire } from '../package-require';
import { decodeJpegLosslessFast } from './jpeg-lossless';

/** What a codec returns for one frame: samples interleaved per pixel, the codec's own frame info. */
export interface DecodedFrame {
  width: number;
  height: number;
  components: number;
  bitsPerSample: number;
  signed: boolean;
  /** Raw little-endian bytes (8-bit samples: one byte each; 9..16-bit samples: two bytes each). */
  bytes: Uint8Array;
}

interface EmscriptenDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean };
  decode(): void;
  delete(): void;
}
type DecoderClass = new () => EmscriptenDecoder;
type ModuleFactory = (options?: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * Loads a codec module. The codecs are resolved at run time (the cornerstone ones read their wasm from
 * their own folder): a service bundled into one file (esbuild, ncc, webpack) has them only when they
 * are installed beside the bundle. A codec that cannot be loaded is E_FORMAT_UNSUPPORTED naming the
 * module and that fix, not a bare MODULE_NOT_FOUND.
 */
function requireCodec(module: string, what: string): unknown {
  try {
    return packageRequire()(module);
  } catch (cause) {
    const name = module
      .split('/')
      .slice(0, module.startsWith('@') ? 2 : 1)
      .join('/');
    const reason = String((cause as Error)?.message ?? cause).split('\n')[0];
    throw new AppliedMLError(
      'E_FORMAT_UNSUPPORTED',
      `${what} DICOM data needs the codec '${module}', which cannot be loaded here (${reason}). It is a dependency ` +
        `of @appliedml/medical-imaging loaded at run time: a service bundled into one file (esbuild, ncc, webpack) ` +
        `keeps it external (esbuild --external:${name}) and installed beside the bundle (npm install ${name}).`,
      { cause, details: { module, format: what } },
    );
  }
}
const loaded = new Map<string, Promise<DecoderClass>>();

function loadDecoder(pkg: string, className: string, what: string): Promise<DecoderClass> {
  let pending = loaded.get(pkg);
  if (!pending) {
    pending = (async () => {
      const factory = requireCodec(`${pkg}/decodewasmjs`, what) as ModuleFactory;
      // openjpeg prints [INFO] lines through print/printErr: send them nowhere.
      const module = await factory({ print: () => {}, printErr: () => {} });
      const cls = module[className] as DecoderClass | undefined;
      if (typeof cls !== 'function') throw new AppliedMLError('E_INTERNAL', `${pkg} has no ${className}.`);
      return cls;
    })();
    pending.catch(() => loaded.delete(pkg));
    loaded.set(pkg, pending);
  }
  return pending;
}

async function runDecoder(pkg: string, className: string, encoded: Uint8Array, what: string): Promise<DecodedFrame> {
  const Decoder = await loadDecoder(pkg, className, what);
  const decoder = new Decoder();
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const out = decoder.getDecodedBuffer();
    if (info.width <= 0 || info.height <= 0 || out.length === 0)
      throw new AppliedMLError('E_INPUT_INVALID', `The ${what} data decodes to an empty image: the stream is corrupt.`);
    return {
      width: info.width,
      height: info.height,
      components: info.componentCount,
      bitsPerSample: info.bitsPerSample,
      signed: info.isSigned,
      bytes: Uint8Array.from(out),
    };
  } catch (cause) {
    if (AppliedMLError.isInstance(cause)) throw cause;
    throw new AppliedMLError('E_INPUT_INVALID', `The ${what} data cannot be decoded: the stream is corrupt or truncated.`, { cause });
  } finally {
    decoder.delete();
  }
}

/** JPEG 2000 (lossless and lossy) through OpenJPEG. */
export function decodeJpeg2000(encoded: Uint8Array): Promise<DecodedFrame> {
  return runDecoder('@cornerstonejs/codec-openjpeg', 'J2KDecoder', encoded, 'JPEG 2000');
}

/** JPEG-LS (lossless and near-lossless) through CharLS. */
export function decodeJpegLs(encoded: Uint8Array): Promise<DecodedFrame> {
  return runDecoder('@cornerstonejs/codec-charls', 'JpegLSDecoder', encoded, 'JPEG-LS');
}

/** 8-bit JPEG baseline through libjpeg-turbo (colour comes back as RGB). */
export function decodeJpeg8(encoded: Uint8Array): Promise<DecodedFrame> {
  return runDecoder('@cornerstonejs/codec-libjpeg-turbo-8bit', 'JPEGDecoder', encoded, 'JPEG');
}

interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number, numBytes: number): ArrayBuffer | Uint8Array | Uint16Array;
}

/**
 * JPEG lossless (process 14): our decoder (./jpeg-lossless), else, for the layouts it leaves out
 * (several scans, subsampled components, a point transform, restarts inside a row with predictor 1),
 * jpeg-lossless-decoder-js. The frame header's size must match the DICOM header's (checked before decoding).
 */
export function decodeJpegLossless(encoded: Uint8Array, bytesPerSample: 1 | 2, width: number, height: number): DecodedFrame {
  let fast: DecodedFrame | undefined;
  try {
    fast = decodeJpegLosslessFast(encoded, bytesPerSample, { width, height });
  } catch (cause) {
    if (AppliedMLError.isInstance(cause)) throw cause;
    throw new AppliedMLError('E_INPUT_INVALID', 'The JPEG lossless data cannot be decoded: the stream is corrupt or truncated.', { cause });
  }
  if (fast) return fast;
  const mod = requireCodec('jpeg-lossless-decoder-js', 'JPEG lossless') as { Decoder: new () => LosslessDecoder };
  let out: ArrayBuffer | Uint8Array | Uint16Array;
  try {
    const copy = Uint8Array.from(encoded);
    out = new mod.Decoder().decode(copy.buffer, 0, copy.length, bytesPerSample);
  } catch (cause) {
    throw new AppliedMLError('E_INPUT_INVALID', 'The JPEG lossless data cannot be decoded: the stream is corrupt or truncated.', { cause });
  }
  const bytes = out instanceof ArrayBuffer ? new Uint8Array(out) : new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  const components = Math.round(bytes.length / (width * height * bytesPerSample));
  if (components < 1 || bytes.length !== width * height * bytesPerSample * components)
    throw new AppliedMLError('E_INPUT_INVALID', 'The JPEG lossless data decodes to the wrong number of pixels.', {
      details: { expected: width * height * bytesPerSample, got: bytes.length },
    });
  return { width, height, components, bitsPerSample: bytesPerSample * 8, signed: false, bytes: Uint8Array.from(bytes) };
}
