import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initEngine, resolveDataset, shuffleIndices, tf } from '@appliedml/engine';
import { ImageSegmenter, KVASIR_SEG_DATASET, kvasirIds, readKvasirSeg } from '../src/index';

// Kvasir-SEG (research/education only; published Dice: U-Net ≈ 0.82, ResUNet++ 0.813 at full
// resolution on GPUs). Here: 96 images of the seeded split at 48 × 48, a small U-Net, 3 epochs,
// Dice selected on 32 validation images. This run reaches a validation Dice of about 0.44; the floor
// sits under it. The full 80/10/10 run is in docs/benchmarks/medical-imaging.md.
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('ImageSegmenter (U-Net, Dice + BCE) on a Kvasir-SEG subset at 48 × 48', () => {
  it('trains without leaking, reaches val Dice ≥ 0.38, predicts masks at the image size, save → load identical', async () => {
    await initEngine();
    const data = await resolveDataset(KVASIR_SEG_DATASET);
    const ids = await kvasirIds(data.root);
    expect(ids).toHaveLength(1000);
    const order = shuffleIndices(ids.length, 2026);
    const train = await readKvasirSeg(
      data.root,
      order.slice(0, 96).map((i) => ids[i]!),
      48,
    );
    const val = await readKvasirSeg(
      data.root,
      order.slice(800, 832).map((i) => ids[i]!),
      48,
    );
    const before = tf.memory().numTensors;
    const seg = ImageSegmenter.create({ imageSize: 48, filters: [8, 16, 32, 64], flipAugment: false });
    const report = await seg.train(train, { epochs: 3, validation: val });
    console.info(
      `Kvasir-SEG subset 48×48: val Dice ${report.validation.dice.toFixed(3)} IoU ${report.validation.iou.toFixed(3)} (${report.seconds.toFixed(1)} s)`,
    );
    expect(report.validation.dice).toBeGreaterThanOrEqual(0.38);
    expect(report.validation.iou).toBeGreaterThan(0.22);

    const held = tf.memory().numTensors;
    const big = { width: 100, height: 80, channels: 3 as const, data: new Float32Array(100 * 80 * 3).fill(0.5) };
    const [p] = await seg.predictBatch([big, val.images[0]!]);
    expect([p!.mask.width, p!.mask.height]).toEqual([100, 80]);
    expect(new Set(p!.mask.data).size).toBeLessThanOrEqual(2);
    expect(tf.memory().numTensors).toBe(held);

    const dir = mkdtempSync(join(tmpdir(), 'mi-seg-'));
    dirs.push(dir);
    await seg.save(join(dir, 'b'));
    const loaded = await ImageSegmenter.load(join(dir, 'b'));
    const a = await seg.predict(val.images[1]!);
    const b = await loaded.predict(val.images[1]!);
    b.probability.data.forEach((v, i) => expect(Math.abs(v - a.probability.data[i]!)).toBeLessThan(1e-5));
    loaded.dispose();
    writeFileSync(join(dir, 'b', 'manifest.json'), '{"format": "appliedml-bundle", ');
    await expect(ImageSegmenter.load(join(dir, 'b'))).rejects.toMatchObject({ code: 'E_BUNDLE_CORRUPT' });

    // A mask whose size differs from its image is a typed error, for training and evaluation alike.
    const wrong = { images: [val.images[0]!], masks: [{ width: 32, height: 64, data: new Float32Array(32 * 64) }] };
    await expect(seg.evaluate(wrong)).rejects.toMatchObject({ code: 'E_SHAPE_MISMATCH' });
    await expect(ImageSegmenter.create({ imageSize: 48 }).train(wrong)).rejects.toMatchObject({ code: 'E_SHAPE_MISMATCH' });
    // An RGB image of 0..255 values is refused, not segmented into a mask of nearly everything.
    const unscaled = { ...val.images[1]!, data: Float32Array.from(val.images[1]!.data, (v) => v * 255) };
    await expect(seg.predict(unscaled)).rejects.toMatchObject({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/\[0, 1\]/) });
    seg.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(seg.predict(big)).rejects.toMatchObject({ code: 'E_MODEL_DISPOSED' });
  });
});
