import * as tf from '#tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppliedMLError } from '../errors';
import { networkSkeleton, rebuildNetwork } from './rebuild-model';

describe('networkSkeleton', () => {
  afterEach(() => vi.restoreAllMocks());

  it('builds a network from its topology with zero weights, running no initialiser (no console notice)', async () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const original = tf.sequential({ layers: [tf.layers.gru({ inputShape: [4, 3], units: 26 }), tf.layers.dense({ units: 2 })] });
    spy.mockClear(); // building the original printed tfjs's orthogonal-initialiser notice
    const skeleton = await networkSkeleton(original.toJSON(undefined, false) as object);
    expect(spy).not.toHaveBeenCalled();
    expect(skeleton.getWeights().map((w) => w.shape)).toEqual(original.getWeights().map((w) => w.shape));
    for (const w of skeleton.getWeights()) expect(tf.abs(w).max().dataSync()[0]).toBe(0);
    skeleton.setWeights(original.getWeights());
    const x = tf.ones([1, 4, 3]);
    expect(Array.from((skeleton.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((original.predict(x) as tf.Tensor).dataSync()));
    skeleton.dispose();
    original.dispose();
  });

  it('refuses an initialiser tfjs does not know, before building anything', () => {
    const before = tf.memory().numTensors;
    const topology = {
      class_name: 'Sequential',
      config: {
        name: 's',
        layers: [
          {
            class_name: 'Dense',
            config: { units: 2, batch_input_shape: [null, 3], kernel_initializer: { class_name: 'Nope', config: {} } },
          },
        ],
      },
    };
    // An unknown class, and a name every object answers to through its prototype.
    for (const name of ['Nope', 'toString']) {
      topology.config.layers[0]!.config.kernel_initializer.class_name = name;
      let error: unknown;
      try {
        void networkSkeleton(topology);
      } catch (caught) {
        error = caught;
      }
      expect(AppliedMLError.isInstance(error) && error.code, name).toBe('E_BUNDLE_CORRUPT');
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** A layer that picks its initialiser in code (as the traffic SDK's graph layer does), sized by `size`. */
class SquareWeight extends tf.layers.Layer {
  static className = 'AppliedMLTestSquareWeight';
  readonly size: number;
  constructor(config: { size: number; name?: string }) {
    super(config);
    this.size = config.size;
  }
  override build(): void {
    this.addWeight('square', [this.size, this.size], 'float32', tf.initializers.identity({}));
    this.built = true;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size };
  }
}
tf.serialization.registerClass(SquareWeight);

async function saved(
  model: tf.LayersModel,
): Promise<{ modelTopology: object; weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer }> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return {
    modelTopology: artifacts!.modelTopology as object,
    weightSpecs: artifacts!.weightSpecs!,
    weightData: tf.io.CompositeArrayBuffer.join(artifacts!.weightData!),
  };
}

describe('rebuildNetwork', () => {
  it('refuses a topology whose layers would create more weight values than saved, before making them, also for initialisers chosen in code', async () => {
    const original = tf.sequential({ layers: [new SquareWeight({ size: 3, inputShape: [3] } as never), tf.layers.dense({ units: 2 })] });
    const network = await saved(original);
    original.dispose();
    const before = tf.memory().numTensors;
    const rebuilt = await rebuildNetwork(network);
    expect(rebuilt.countParams()).toBe(9 + 6 + 2);
    rebuilt.dispose();
    const edited = JSON.parse(JSON.stringify(network.modelTopology).replace('"size":3', '"size":3000')) as object;
    const error = await rebuildNetwork({ ...network, modelTopology: edited }).catch((e: unknown) => e);
    expect(AppliedMLError.hasCode(error, 'E_BUNDLE_CORRUPT'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /would create 'square' of shape \[3000,3000\] \(9000000 values\), which brings the network to 9000000 values, more than the 17 its weights hold/,
    );
    expect(tf.memory().numTensors).toBe(before);
    // Layer.addWeight is itself again afterwards: a network built now is not counted.
    const big = tf.sequential({ layers: [new SquareWeight({ size: 30, inputShape: [30] } as never)] });
    expect(big.countParams()).toBe(900);
    big.dispose();
  });

  it('a stride, kernel, pool, dilation or upsampling size that is not a whole number ≥ 1 is E_BUNDLE_CORRUPT, nothing left', async () => {
    const original = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, strides: 1, padding: 'same' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.upSampling2d({ size: [2, 2] }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1 }),
      ],
    });
    const network = await saved(original);
    original.dispose();
    const text = JSON.stringify(network.modelTopology);
    const rebuilt = await rebuildNetwork(network);
    rebuilt.dispose();
    const before = tf.memory().numTensors;
    for (const [from, to] of [
      ['"strides":[1,1]', '"strides":[0,1]'],
      ['"kernel_size":[3,3]', '"kernel_size":[3,-1]'],
      ['"pool_size":[2,2]', '"pool_size":[2,0.5]'],
      ['"size":[2,2]', '"size":[0,2]'],
      ['"dilation_rate":[1,1]', '"dilation_rate":[1,"x"]'],
      ['"strides":[1,1]', '"strides":[]'],
    ] as const) {
      expect(text).toContain(from);
      const edited = JSON.parse(text.replace(from, to)) as object;
      const error = await rebuildNetwork({ ...network, modelTopology: edited }).catch((e: unknown) => e);
      expect(AppliedMLError.hasCode(error, 'E_BUNDLE_CORRUPT'), `${to}: ${String(error)}`).toBe(true);
      expect((error as Error).message).toContain(to.split(':')[0]!.replaceAll('"', ''));
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('weights cut short fail without leaving the tensors decoded before the cut', async () => {
    const original = tf.sequential({ layers: [tf.layers.dense({ units: 5, inputShape: [4] }), tf.layers.dense({ units: 2 })] });
    const network = await saved(original);
    original.dispose();
    const before = tf.memory().numTensors;
    await expect(rebuildNetwork({ ...network, weightData: network.weightData.slice(0, 100) })).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });
});
