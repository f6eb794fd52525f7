import { initEngine, tf } from '@appliedml/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkOptimizerFitsModel, type OptimizerEntry } from './segmenter-checkpoint-state';

/** The optimiser entries a checkpoint holds for `model`, with each weight name passed through `rename`. */
function entriesFor(model: tf.LayersModel, rename: (name: string) => string): OptimizerEntry[] {
  const w = model.trainableWeights;
  return [
    { name: 'iter', shape: [], dtype: 'int32' },
    ...w.map((v) => ({ name: `${rename(v.name)}/m`, shape: v.shape as number[], dtype: 'float32' as const })),
    ...w.map((v) => ({ name: `${rename(v.name)}/v`, shape: v.shape as number[], dtype: 'float32' as const })),
  ];
}

describe('checkOptimizerFitsModel', () => {
  beforeAll(async () => {
    await initEngine();
  });

  it("matches entries saved under another process's names (layer counters, a taken variable's _N suffix), and still refuses a swapped entry", () => {
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 1 })],
    });
    const bytes = new Uint8Array(4);
    // Saved by a process where these layers were numbered 41 and where the variable names were taken
    // (a bundle with the same automatic names was loaded first): `conv2d_Conv2D41/kernel_2`.
    const renamed = (name: string): string =>
      name
        .split('/')
        .map((part, i, all) => (i === 0 ? part.replace(/\d+$/, '41') : i === all.length - 1 ? `${part.replace(/_\d+$/, '')}_2` : part))
        .join('/');
    expect(() => checkOptimizerFitsModel('ckpt', entriesFor(model, renamed), bytes, model)).not.toThrow();
    expect(() =>
      checkOptimizerFitsModel(
        'ckpt',
        entriesFor(model, (n) => n),
        bytes,
        model,
      ),
    ).not.toThrow();
    // The kernel's and the bias's moments swapped: refused.
    const swapped = entriesFor(model, (n) => n);
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    expect(() => checkOptimizerFitsModel('ckpt', swapped, bytes, model)).toThrow(expect.objectContaining({ code: 'E_BUNDLE_CORRUPT' }));
    model.dispose();
  });
});
