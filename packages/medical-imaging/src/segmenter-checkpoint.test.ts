import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '@appliedml/engine';
import { ImageSegmenter } from './image-segmenter';
import { discs } from './test-discs';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Replace `file` in the bundle `dir` and re-hash it, as a hand edit that keeps the bundle readable would. */
function edit(dir: string, file: string, change: (bytes: Buffer) => Buffer): void {
  const bytes = change(readFileSync(join(dir, file)));
  writeFileSync(join(dir, file), bytes);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    files: Record<string, string>;
    manifestSha256?: string;
  };
  delete manifest.manifestSha256;
  if (file !== 'manifest.json') manifest.files[file] = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
}
type Json = Record<string, any>;
const editJson = (dir: string, file: string, change: (json: Json) => void): void =>
  edit(dir, file, (bytes) => {
    const json = JSON.parse(bytes.toString('utf8')) as Json;
    change(json);
    return Buffer.from(JSON.stringify(json));
  });
/** Set one float32 of a binary checkpoint file. */
const setFloat = (dir: string, file: string, index: number, value: number): void =>
  edit(dir, file, (bytes) => {
    bytes.writeFloatLE(value, index * 4);
    return bytes;
  });

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

  it('refuses an edited checkpoint with E_BUNDLE_CORRUPT naming the file and field, and leaves no tensor behind', async () => {
    await initEngine();
    const train = discs(12, 32, 1);
    const validation = discs(4, 32, 2);
    const config = { imageSize: 16, filters: [4, 8], flipAugment: false, seed: 7 };
    const options = { epochs: 3, batchSize: 8, validation };
    const root = mkdtempSync(join(tmpdir(), 'mi-ckpt-edit-'));
    dirs.push(root);
    const first = ImageSegmenter.create(config);
    await expect(
      first.train(train, {
        ...options,
        checkpointDir: join(root, 'ck'),
        onEpoch: (e) => {
          if (e.epoch === 1) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    first.dispose();
    const S = 'training-state.json';
    const cases: Array<[string, (last: string) => void, RegExp]> = [
      ['state not JSON', (l) => edit(l, S, (b) => b.subarray(0, b.length >> 1)), /training-state\.json is not valid JSON/],
      ['state not an object', (l) => edit(l, S, () => Buffer.from('[1]')), /training-state\.json is \[1\], not an object/],
      ['history null', (l) => editJson(l, S, (j) => void (j.history = null)), /training-state\.json history is null/],
      ['history[0] null', (l) => editJson(l, S, (j) => void (j.history[0] = null)), /training-state\.json history\[0\] is null/],
      ['history short', (l) => editJson(l, S, (j) => void j.history.pop()), /training-state\.json history holds 1 epochs/],
      ['history loss', (l) => editJson(l, S, (j) => void (j.history[1].loss = 'x')), /history\[1\]\.loss is "x"/],
      ['optimizer 0', (l) => editJson(l, S, (j) => void (j.optimizer = 0)), /training-state\.json optimizer is 0, not a list/],
      ['optimizer shape -1', (l) => editJson(l, S, (j) => void (j.optimizer[1].shape[0] = -1)), /optimizer\[1\]\.shape is \[-1,3,3,4\]/],
      ['optimizer shape 0', (l) => editJson(l, S, (j) => void (j.optimizer[1].shape[0] = 0)), /optimizer\[1\]\.shape is \[0,3,3,4\]/],
      ['optimizer dtype', (l) => editJson(l, S, (j) => void (j.optimizer[0].dtype = 'x')), /optimizer\[0\]\.dtype is "x"/],
      [
        'optimizer entry removed',
        (l) => editJson(l, S, (j) => void j.optimizer.splice(1, 1)),
        /optimizer\.bin holds \d+ bytes; the 44 entries/,
      ],
      // The same number of values, another shape: the bytes add up, the network's weight does not fit.
      [
        'optimizer shape reshaped',
        (l) => editJson(l, S, (j) => void (j.optimizer[1].shape = [9, 3, 4])),
        /training-state\.json optimizer\[1\] is .*\[9,3,4\].*needs/,
      ],
      [
        'optimizer entries swapped',
        (l) => editJson(l, S, (j) => void ([j.optimizer[2], j.optimizer[3]] = [j.optimizer[3], j.optimizer[2]])),
        /training-state\.json optimizer\[2\] is .*beta\/m.*needs .*gamma\/m/,
      ],
      [
        'epoch 1e8',
        (l) => editJson(l, S, (j) => void (j.epoch = 1e8)),
        /training-state\.json epoch is 100000000, not an integer from 0 to 2/,
      ],
      ['epoch "x"', (l) => editJson(l, S, (j) => void (j.epoch = 'x')), /training-state\.json epoch is "x"/],
      ['epoch deleted', (l) => editJson(l, S, (j) => void delete j.epoch), /training-state\.json epoch is missing/],
      ['epoch -1', (l) => editJson(l, S, (j) => void (j.epoch = -1)), /training-state\.json epoch is -1/],
      ['epochs 1.5', (l) => editJson(l, S, (j) => void (j.epochs = 1.5)), /training-state\.json epochs is 1\.5/],
      ['bestEpoch after epoch', (l) => editJson(l, S, (j) => void (j.bestEpoch = 2)), /training-state\.json bestEpoch is 2/],
      ['bestDice text', (l) => editJson(l, S, (j) => void (j.bestDice = '0.5')), /training-state\.json bestDice is "0\.5"/],
      ['run.batchSize text', (l) => editJson(l, S, (j) => void (j.run.batchSize = '8')), /training-state\.json run\.batchSize is "8"/],
      ['bestInside text', (l) => editJson(l, S, (j) => void (j.bestInside = 'yes')), /training-state\.json bestInside is "yes"/],
      ['optimizer.bin NaN', (l) => setFloat(l, 'optimizer.bin', 5, NaN), /optimizer\.bin optimizer\[1\] .* holds NaN/],
      [
        'optimizer.bin negative v',
        (l) => setFloat(l, 'optimizer.bin', 3400, -1),
        /optimizer\.bin optimizer\[\d+\] \(.*\/v\) holds a negative second moment/,
      ],
      [
        'optimizer.bin longer',
        (l) => edit(l, 'optimizer.bin', (b) => Buffer.concat([b, Buffer.alloc(4)])),
        /optimizer\.bin holds \d+ bytes/,
      ],
      ['best-weights.bin Infinity', (l) => setFloat(l, 'best-weights.bin', 7, Infinity), /best-weights\.bin holds Infinity at value 7/],
      [
        'best-weights.bin shorter',
        (l) => edit(l, 'best-weights.bin', (b) => b.subarray(4)),
        /best-weights\.bin holds \d+ values; the network has/,
      ],
      [
        'mean[0] null',
        (l) => editJson(l, 'manifest.json', (j) => void (j.preprocessing.mean[0] = null)),
        /manifest\.json normalisation .*mean\[0\] is null/,
      ],
      ['mean[0] "0.28"', (l) => editJson(l, 'manifest.json', (j) => void (j.preprocessing.mean[0] = '0.28')), /mean\[0\] is "0\.28"/],
      ['mean[0] []', (l) => editJson(l, 'manifest.json', (j) => void (j.preprocessing.mean[0] = [])), /mean\[0\] is \[\]/],
      [
        'mean[0] 1e300',
        (l) => editJson(l, 'manifest.json', (j) => void (j.preprocessing.mean[0] = 1e300)),
        /manifest\.json normalisation .*mean\[0\] is 1e\+300, outside/,
      ],
      ['std[1] 0', (l) => editJson(l, 'manifest.json', (j) => void (j.preprocessing.std[1] = 0)), /std\[1\] is 0, outside/],
      ['mean short', (l) => editJson(l, 'manifest.json', (j) => void j.preprocessing.mean.pop()), /mean holds 2 values for 3 channels/],
    ];
    // Every case is tried, and every one that does not hold is listed (not only the first).
    const failures: string[] = [];
    for (const [name, change, message] of cases) {
      const dir = join(root, name.replace(/\W+/g, '-'));
      cpSync(join(root, 'ck'), dir, { recursive: true });
      change(join(dir, 'last'));
      const before = tf.memory().numTensors;
      const seg = ImageSegmenter.create(config);
      const error = await seg.train(train, { ...options, checkpointDir: dir, resume: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      seg.dispose();
      const { code, message: text } = (error ?? {}) as { code?: string; message?: string };
      if (code !== 'E_BUNDLE_CORRUPT' || !message.test(text ?? '') || !text?.includes(join(dir, 'last')))
        failures.push(`${name}: ${error ? `${code ?? (error as Error).name} ${text}` : 'resumed'}`);
      const leaked = tf.memory().numTensors - before;
      if (leaked !== 0) failures.push(`${name}: ${leaked} tensors left`);
    }
    expect(failures).toEqual([]);

    // An edited `last` is skipped like an unreadable one when a copy an interrupted write left aside is valid.
    const fallback = join(root, 'fallback');
    cpSync(join(root, 'ck'), fallback, { recursive: true });
    cpSync(join(fallback, 'last'), join(fallback, '.last.old-0a1b2c'), { recursive: true });
    editJson(join(fallback, 'last'), S, (j) => void (j.epoch = 7));
    const before = tf.memory().numTensors;
    const seg = ImageSegmenter.create(config);
    const report = await seg.train(train, { ...options, checkpointDir: fallback, resume: true });
    expect(report.resumedAt).toBe(2);
    expect(report.epochsRun).toBe(3);
    // The run has finished: resuming again trains nothing and returns the selected epoch's network.
    const finished = ImageSegmenter.create(config);
    const again = await finished.train(train, { ...options, checkpointDir: fallback, resume: true });
    expect(again).toMatchObject({ resumedAt: 3, epochsRun: 3, selectedEpoch: report.selectedEpoch });
    expect(again.history).toHaveLength(3);
    expect(again.validation.dice).toBeCloseTo(report.validation.dice, 5);
    finished.dispose();
    seg.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('save writes no normalisation load would refuse', async () => {
    await initEngine();
    const seg = ImageSegmenter.create({ imageSize: 16, filters: [4, 8], flipAugment: false, seed: 1 });
    await seg.train(discs(8, 32, 3), { epochs: 1, batchSize: 8, validation: discs(2, 32, 4) });
    const root = mkdtempSync(join(tmpdir(), 'mi-save-'));
    dirs.push(root);
    const fitted = (seg as unknown as { fitted: { mean: number[]; std: number[] } }).fitted;
    for (const [name, mean, std] of [
      ['NaN mean', [NaN, 0.3, 0.3], fitted.std],
      ['zero std', fitted.mean, [0.2, 0, 0.2]],
      ['huge mean', [1e300, 0.3, 0.3], fitted.std],
      ['one channel short', fitted.mean.slice(1), fitted.std],
    ] as const) {
      (seg as unknown as { fitted: { mean: readonly number[]; std: readonly number[] } }).fitted = { mean, std };
      const dir = join(root, name.replace(/\W+/g, '-'));
      await expect(seg.save(dir), name).rejects.toMatchObject({
        code: 'E_INTERNAL',
        message: expect.stringMatching(/normalisation is not valid/),
      });
      expect(existsSync(dir), name).toBe(false);
    }
    (seg as unknown as { fitted: typeof fitted }).fitted = fitted;
    await seg.save(join(root, 'ok'));
    (await ImageSegmenter.load(join(root, 'ok'))).dispose();
    seg.dispose();
  });
});
