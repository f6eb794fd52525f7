import * as tf from '@tensorflow/tfjs';

/** A saved network: its Keras-style topology, the specs of its weights and their bytes. */
export interface SavedNetwork {
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/**
 * Rebuilds a saved network. tfjs builds the network's variables before it reads the weights, and when
 * they do not fit (an edited topology, truncated weights) it throws with those variables and the decoded
 * weights still held. So the fit is proven first on a throwaway copy built with zero initial values (no
 * random draws, no slow orthogonal initialisers), whose every tensor is disposed here, and only then is
 * the network built for real. Throws tfjs's own error when it does not fit; nothing is left behind.
 */
export async function rebuildNetwork(saved: SavedNetwork): Promise<tf.LayersModel> {
  await checkFit(saved);
  return tf.loadLayersModel(tf.io.fromMemory(saved));
}

async function checkFit(saved: SavedNetwork): Promise<void> {
  const known = new Set(Object.keys(tf.engine().registeredVariables));
  // modelFromJSON builds every layer synchronously, before its first await: the variables that appear
  // during this call are the probe's own, whatever else runs while it settles.
  const pending = tf.models.modelFromJSON({ modelTopology: zeroInitialisers(saved.modelTopology) as tf.io.ModelJSON['modelTopology'] });
  const created = Object.entries(tf.engine().registeredVariables)
    .filter(([name]) => !known.has(name))
    .map(([, variable]) => variable);
  let weights: tf.NamedTensorMap | undefined;
  try {
    const probe = await pending;
    weights = tf.io.decodeWeights(saved.weightData, saved.weightSpecs);
    probe.loadWeights(weights, true);
  } finally {
    if (weights) tf.dispose(Object.values(weights));
    for (const variable of created) if (!variable.isDisposed) variable.dispose();
  }
}

/** A copy of a topology with every `*_initializer` set to zeros. */
function zeroInitialisers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(zeroInitialisers);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] =
      key.endsWith('_initializer') && inner !== null && typeof inner === 'object'
        ? { class_name: 'Zeros', config: {} }
        : zeroInitialisers(inner);
  }
  return out;
}
