import { createRequire } from 'node:module';
import * as tf from '#tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { AppliedMLError } from '../errors';
import type { ConcreteDevice } from './device';

/**
 * A loader makes one device's backend available, or throws with a reason a user can act on.
 * Loaders are injected into selection so the chain is unit-tested without GPUs or native builds.
 */
export interface LoadedBackend {
  backend: string;
  details?: Record<string, string | number | boolean>;
}
export type DeviceLoader = () => Promise<LoadedBackend>;
export type DeviceLoaders = Record<ConcreteDevice, DeviceLoader>;

/** Resolve optional peers from where the engine is installed and from the user's project. */
function requireFrom(): NodeJS.Require {
  return createRequire(import.meta.url);
}

export function nodeMajor(version: string = process.versions.node): number {
  return Number.parseInt(version.split('.')[0] ?? '0', 10);
}

/**
 * tfjs-node 4.22 calls util.isNullOrUndefined and friends, removed in Node 23
 * (fixed upstream in tensorflow/tfjs#8425, never released). Define the missing ones, only if missing.
 */
export function applyNodeUtilShim(util: Record<string, unknown>): string[] {
  const shims: Record<string, (v: unknown) => boolean> = {
    isNullOrUndefined: (v) => v === null || v === undefined,
    isArray: (v) => Array.isArray(v),
    isString: (v) => typeof v === 'string',
    isNumber: (v) => typeof v === 'number',
    isFunction: (v) => typeof v === 'function',
    isUndefined: (v) => v === undefined,
    isNull: (v) => v === null,
  };
  const applied: string[] = [];
  for (const [name, fn] of Object.entries(shims)) {
    if (typeof util[name] !== 'function') {
      util[name] = fn;
      applied.push(name);
    }
  }
  return applied;
}

function describeLoadError(pkg: string, error: unknown): string {
  const err = error as { code?: string; message?: string };
  if (err?.code === 'MODULE_NOT_FOUND' || err?.code === 'ERR_MODULE_NOT_FOUND') {
    if (typeof err.message === 'string' && !err.message.includes(`'${pkg}'`)) {
      return `${pkg} is installed but a file it needs is missing (${firstLine(err.message)}); reinstall it`;
    }
    return `${pkg} is not installed (npm install ${pkg} beside @appliedml/engine)`;
  }
  return `${pkg} failed to load: ${firstLine(err?.message ?? String(error))}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.slice(0, 300) ?? '';
}

async function loadNative(pkg: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu'): Promise<LoadedBackend> {
  const details: Record<string, string | number | boolean> = {};
  if (nodeMajor() >= 23) {
    const applied = applyNodeUtilShim(requireFrom()('node:util') as Record<string, unknown>);
    if (applied.length > 0) details.nodeUtilShim = `tensorflow/tfjs#8425: ${applied.join(', ')}`;
  }
  // Library code is quiet: libtensorflow's start-up notes (oneDNN, CPU features) go to stderr from C++,
  // out of reach of any logger; level 2 keeps its errors. A value the user set is left as it is.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  let mod: { version?: Record<string, string> };
  try {
    mod = requireFrom()(pkg) as typeof mod;
  } catch (error) {
    throw new AppliedMLError('E_DEVICE_UNAVAILABLE', describeLoadError(pkg, error));
  }
  // The native package registers 'tensorflow' in ITS copy of tfjs-core. If that is not ours, tensors
  // would silently live in two engines: refuse and say how to fix it.
  if (tf.findBackendFactory('tensorflow') == null) {
    const theirs = mod.version?.['tfjs-core'] ?? 'unknown';
    throw new AppliedMLError(
      'E_DEVICE_UNAVAILABLE',
      `${pkg} uses another copy of @tensorflow/tfjs-core (${theirs}) than the engine (${tf.version_core}); ` +
        `install ${pkg}@${tf.version_core} (the engine's tfjs-core version) so npm dedupes them`,
    );
  }
  details.tfjsNode = mod.version?.['tfjs-node'] ?? 'unknown';
  return { backend: 'tensorflow', details };
}

/** Does the loaded TensorFlow binding place ops on a GPU? */
function nativeUsesGpu(): boolean {
  const backend = tf.findBackend('tensorflow') as unknown as { binding?: { isUsingGpuDevice?: () => boolean } } | null;
  return backend?.binding?.isUsingGpuDevice?.() === true;
}

export const defaultLoaders: DeviceLoaders = {
  cuda: async () => {
    const loaded = await loadNative('@tensorflow/tfjs-node-gpu');
    if (!nativeUsesGpu()) {
      throw new AppliedMLError(
        'E_DEVICE_UNAVAILABLE',
        '@tensorflow/tfjs-node-gpu loaded but TensorFlow sees no usable CUDA GPU (check the NVIDIA driver, CUDA and cuDNN versions it needs)',
      );
    }
    return loaded;
  },
  cpu: async () => {
    // When tfjs-node-gpu is already loaded (a machine without a usable GPU), it runs TensorFlow on the
    // CPU too; loading tfjs-node beside it would register a second native library.
    if (tf.findBackendFactory('tensorflow') != null) return { backend: 'tensorflow', details: { via: '@tensorflow/tfjs-node-gpu' } };
    return loadNative('@tensorflow/tfjs-node');
  },
  wasm: async () => {
    if (tf.findBackendFactory('wasm') == null)
      throw new AppliedMLError('E_DEVICE_UNAVAILABLE', '@tensorflow/tfjs-backend-wasm is not registered');
    return { backend: 'wasm' };
  },
  js: async () => ({ backend: 'cpu' }),
};
