import * as tf from '#tfjs';
import { AppliedMLError, describeValue } from '../errors';

/** A saved network: its Keras-style topology, the specs of its weights and their bytes. */
export interface SavedNetwork {
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/**
 * Rebuilds a saved network. tfjs builds the network's variables before it reads the weights, and when
 * they do not fit (an edited topology, weights cut short) it throws with those variables and the
 * decoded weights still held. So the fit is proven first on a throwaway copy whose initialisers are set
 * to zeros (no slow orthogonal initialisers; layers that pick their initialiser in code still draw
 * theirs), and every tensor of that probe is disposed; only then is the network built for real. A load
 * therefore builds the network twice. Throws tfjs's own error when it does not fit, or a typed one for
 * an initialiser tfjs does not know; nothing is left behind.
 */
export async function rebuildNetwork(saved: SavedNetwork): Promise<tf.LayersModel> {
  await checkFit(saved);
  return tf.loadLayersModel(tf.io.fromMemory(saved));
}

/**
 * Builds a network from its Keras-style topology with zero initial values, for weights that are set
 * right after (`setWeights` / `loadWeights`): no initialiser runs, so no random draws, no slow
 * orthogonal initialisers and none of tfjs's console notices about them. Its config then names zeros
 * as the initialisers; use it for a working copy, not for a network that is saved or rebuilt later.
 * The layers are built synchronously within the call (before the returned promise settles).
 */
export function networkSkeleton(modelTopology: object): Promise<tf.LayersModel> {
  checkInitialisers(modelTopology);
  checkWindowSizes(modelTopology);
  return tf.models.modelFromJSON({ modelTopology: zeroInitialisers(modelTopology) as tf.io.ModelJSON['modelTopology'] });
}

/**
 * `networkSkeleton`, refusing any topology whose layers would create more weight values than `maxValues`
 * before they are made: an edited size (Dense units 4 → 1e8) fails at once instead of allocating
 * gigabytes. Every layer (tfjs's and custom ones) creates its weights through `Layer.addWeight`, so that
 * is where they are counted, only while the layers are built (synchronously, within this call).
 */
function skeletonWithin(modelTopology: object, maxValues: number): Promise<tf.LayersModel> {
  const prototype = tf.layers.Layer.prototype as unknown as { addWeight: (this: tf.layers.Layer, ...args: unknown[]) => unknown };
  const addWeight = prototype.addWeight;
  let used = 0;
  prototype.addWeight = function (this: tf.layers.Layer, ...args: unknown[]) {
    const [name, shape] = args as [string, unknown];
    const count = Array.isArray(shape) ? shape.reduce((n: number, d: unknown) => n * (typeof d === 'number' ? d : NaN), 1) : NaN;
    used += count;
    if (!(used <= maxValues))
      throw new AppliedMLError(
        'E_BUNDLE_CORRUPT',
        `its topology does not fit its weights: layer '${this.name}' would create '${String(name)}' of shape ${describeValue(shape)}` +
          ` (${count} values), which brings the network to ${used} values, more than the ${maxValues} its weights hold.`,
        { details: { layer: this.name, weight: String(name), shape, values: maxValues } },
      );
    return addWeight.apply(this, args);
  };
  try {
    return networkSkeleton(modelTopology);
  } finally {
    prototype.addWeight = addWeight;
  }
}

async function checkFit(saved: SavedNetwork): Promise<void> {
  const known = new Set(Object.keys(tf.engine().registeredVariables));
  // Optimizer state, when a bundle holds it, is no weight of the network (tfjs sets it aside too).
  const values = saved.weightSpecs
    .filter((spec) => spec.group !== 'optimizer')
    .reduce((n, spec) => n + spec.shape.reduce((m, d) => m * d, 1), 0);
  // The skeleton's layers are built synchronously within the call: the variables that appear during it
  // are the probe's own, whatever else runs while it settles.
  const pending = skeletonWithin(saved.modelTopology, values);
  const created = Object.entries(tf.engine().registeredVariables)
    .filter(([name]) => !known.has(name))
    .map(([, variable]) => variable);
  let weights: tf.NamedTensorMap | undefined;
  try {
    const probe = await pending;
    // Inside tidy: weights cut short make decodeWeights throw after it has made some of the tensors.
    weights = tf.tidy(() => tf.io.decodeWeights(saved.weightData, saved.weightSpecs));
    const optimizer = new Set(saved.weightSpecs.filter((spec) => spec.group === 'optimizer').map((spec) => spec.name));
    probe.loadWeights(Object.fromEntries(Object.entries(weights).filter(([name]) => !optimizer.has(name))), true);
  } finally {
    if (weights) tf.dispose(Object.values(weights));
    for (const variable of created) if (!variable.isDisposed) variable.dispose();
  }
}

/**
 * Every `*_initializer` must name a class tfjs knows: the probe replaces them, so an unknown one would
 * otherwise first fail in the real build, after some of its variables exist.
 */
function checkInitialisers(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) checkInitialisers(item);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const [key, inner] of Object.entries(value)) {
    if (key.endsWith('_initializer') && inner !== null && typeof inner === 'object') {
      const name = (inner as { class_name?: unknown }).class_name;
      if (typeof name !== 'string' || !Object.hasOwn(known, name))
        throw new AppliedMLError('E_BUNDLE_CORRUPT', `The network's ${key} names an initialiser tfjs does not know (${String(name)}).`);
    } else checkInitialisers(inner);
  }
}

/** Layer settings that size a window or step: whole numbers ≥ 1 (null, where tfjs allows it, takes its default). */
const WINDOW_KEYS = new Set(['strides', 'kernel_size', 'pool_size', 'dilation_rate']);
const MAX_WINDOW = 1 << 20;

/**
 * A stride, kernel, pool, dilation or upsampling size of 0, a fraction or a negative number builds
 * without complaint (they create no weights to count) and then fails inside tfjs at the first predict,
 * untyped (`Invalid typed array length: Infinity`, `Stride should be larger than 0`): refused here.
 * `size` counts only in tfjs's UpSampling layers (a custom layer may mean something else by it).
 */
function checkWindowSizes(value: unknown, path = 'modelTopology', layerClass = ''): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkWindowSizes(item, `${path}[${i}]`, layerClass));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const own = (value as { class_name?: unknown }).class_name;
  const cls = typeof own === 'string' ? own : layerClass;
  for (const [key, inner] of Object.entries(value)) {
    const sized = WINDOW_KEYS.has(key) || (key === 'size' && cls.startsWith('UpSampling'));
    if (sized && inner !== null) {
      const sizes = Array.isArray(inner) ? inner : [inner];
      const ok = sizes.length > 0 && sizes.every((d) => Number.isInteger(d) && (d as number) >= 1 && (d as number) <= MAX_WINDOW);
      if (!ok)
        throw new AppliedMLError(
          'E_BUNDLE_CORRUPT',
          `The network's ${path}.${key} is ${describeValue(inner)}: sizes and steps must be whole numbers from 1 to ${MAX_WINDOW}.`,
          { details: { field: `${path}.${key}` } },
        );
    } else checkWindowSizes(inner, `${path}.${key}`, cls);
  }
}

/** A copy of a topology with every `*_initializer` set to zeros. */
function zeroInitialisers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(zeroInitialisers);
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties, so a key such as "__proto__" in the JSON stays a plain key.
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key.endsWith('_initializer') && inner !== null && typeof inner === 'object'
        ? { class_name: 'Zeros', config: {} }
        : zeroInitialisers(inner),
    ]),
  );
}
