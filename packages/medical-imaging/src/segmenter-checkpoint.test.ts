import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '@appliedml/engine';
import { ImageSegmenter } from './image-segmenter';
import { discs } from './test-discs';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('ImageSegmenter checkpoints', () => {
  it('resumes an interrupted run from its last checkpoint and ends where the uninterrupted run ends', async () => {
    await initEngine();
    const train = discs(24, 32, 1);
    const validation = discs(8, 32, 2);
    // The flips and the warp are drawn per epoch: a resumed run must draw what the uninterrupted one drew.
    const config = { imageSize: 16, filters: [4, 8], flipAugment: true, rotation: 10, zoom: 0.1, shift: 0.05, seed: 7 };
    const options = { epochs: 3, batchSize: 8, validation };
    const before = tf.memory().numTensors;

    const straight = ImageSegmenter.create(config);
    const full = await straight.train(train, options);

    const dir = mkdtempSync(join(tmpdir(), 'mi-ckpt-'));
    dirs.push(dir);
    const early = mkdtempSync(join(tmpdir(), 'mi-ckpt-early-'));
    dirs.push(early);
    const interrupted = ImageSegmenter.create(config);
    await expect(
      interrupted.train(train, {
        ...options,
        checkpointDir: dir,
        onEpoch: (e) => {
          if (e.epoch === 0) cpSync(join(dir, 'last'), join(early, 'last'), { recursive: true });
          if (e.epoch === 1) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    interrupted.dispose();
    expect(readdirSync(dir).sort()).toEqual(['best', 'last']);
    // `best` is an ordinary bundle.
    (await ImageSegmenter.load(join(dir, 'best'))).dispose();

    const resumed = ImageSegmenter.create(config);
    const report = await resumed.train(train, { ...options, checkpointDir: dir, resume: true });
    expect(report.resumedAt).toBe(2);
    expect(report.epochsRun).toBe(3);
    expect(report.history).toHaveLength(3);
    expect(report.selectedEpoch).toBe(full.selectedEpoch);
    expect(report.validation.dice).toBeCloseTo(full.validation.dice, 5);
    const a = await straight.predict(validation.images[0]!);
    const b = await resumed.predict(validation.images[0]!);
    b.probability.data.forEach((v, i) => expect(Math.abs(v - a.probability.data[i]!)).toBeLessThan(1e-5));

    // A crash between the two renames of an atomic write leaves `last` aside as `.last.old-*`: still resumable,
    // and the newest epoch wins over an older leftover (whatever the names) and over a half-deleted one.
    // `last` carries the best weights itself, so `best` is not needed.
    renameSync(join(dir, 'last'), join(dir, '.last.old-0a1b2c'));
    cpSync(join(early, 'last'), join(dir, '.last.old-ffffffffffff'), { recursive: true });
    cpSync(join(early, 'last'), join(dir, '.last.old-eeeeeeeeeeee'), { recursive: true });
    rmSync(join(dir, '.last.old-eeeeeeeeeeee', 'training-state.json'));
    rmSync(join(dir, 'best'), { recursive: true });
    const again = ImageSegmenter.create(config);
    const fromRetired = await again.train(train, { ...options, checkpointDir: dir, resume: true });
    expect(fromRetired.resumedAt).toBe(3);
    expect(fromRetired.validation.dice).toBeCloseTo(full.validation.dice, 5);
    again.dispose();

    // Resuming from the epoch-1 checkpoint alone also ends where the uninterrupted run ends.
    const only = mkdtempSync(join(tmpdir(), 'mi-ckpt-only-'));
    dirs.push(only);
    cpSync(join(early, 'last'), join(only, 'last'), { recursive: true });
    const fromEarly = ImageSegmenter.create(config);
    const earlyReport = await fromEarly.train(train, { ...options, checkpointDir: only, resume: true });
    expect(earlyReport.resumedAt).toBe(1);
    expect(earlyReport.selectedEpoch).toBe(full.selectedEpoch);
    expect(earlyReport.validation.dice).toBeCloseTo(full.validation.dice, 5);
    fromEarly.dispose();

    // Other training options or other data are refused too.
    for (const [what, run] of [
      ['learning rate', { ...options, learningRate: 1e-3 }],
      ['batch size', { ...options, batchSize: 4 }],
      ['data', { ...options, validation: discs(8, 32, 5) }],
    ] as const) {
      const seg = ImageSegmenter.create(config);
      await expect(seg.train(train, { ...run, checkpointDir: dir, resume: true }), what).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
      seg.dispose();
    }
    const fewer = ImageSegmenter.create(config);
    await expect(fewer.train(discs(20, 32, 1), { ...options, checkpointDir: dir, resume: true })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
    });
    fewer.dispose();

    // A checkpoint of another config or schedule is refused, not silently mixed in.
    const other = ImageSegmenter.create({ ...config, seed: 8 });
    await expect(other.train(train, { ...options, checkpointDir: dir, resume: true })).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
    const longer = ImageSegmenter.create(config);
    await expect(longer.train(train, { ...options, epochs: 5, checkpointDir: dir, resume: true })).rejects.toMatchObject({
      code: 'E_INPUT_INVALID',
    });
    other.dispose();
    longer.dispose();
    straight.dispose();
    resumed.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('measures Dice on the mask predict returns, at the truth mask size', async () => {
    await initEngine();
    const train = discs(16, 64, 3);
    const seg = ImageSegmenter.create({ imageSize: 16, filters: [4, 8], flipAugment: false, seed: 1 });
    await seg.train(train, { epochs: 1, batchSize: 8, validation: train });
    const m = await seg.evaluate(train);
    const preds = await seg.predictBatch(train.images);
    let sum = 0;
    preds.forEach((p, i) => {
      expect([p.mask.width, p.mask.height]).toEqual([64, 64]);
      let inter = 0;
      let total = 0;
      for (let q = 0; q < p.mask.data.length; q++) {
        inter += p.mask.data[q]! * train.masks[i]!.data[q]!;
        total += p.mask.data[q]! + train.masks[i]!.data[q]!;
      }
      sum += total === 0 ? 1 : (2 * inter) / total;
    });
    expect(m.dice).toBeCloseTo(sum / preds.length, 4);
    seg.dispose();
  });
});
