// `npm run kvasir-train -w @appliedml/medical-imaging -- --dir DIR [options]`: the long Kvasir-SEG run,
// resumable. Trains the default segmenter pipeline on the seeded 80/10/10 split (sorted ids, seed 2026):
// training images loaded at the network's size, validation and test images at --input (256) so that
// Dice is measured on the masks `predict` returns (network output upsampled to the input size).
// Every epoch writes DIR/last (weights + optimiser + state) and, when validation Dice improves,
// DIR/best; rerunning the same command resumes from DIR/last. The checkpoint is chosen by validation
// Dice only. `--test` loads DIR/best and reports the test split once (nothing is trained); `--test
// --split val` does the same on the validation split (a check that it matches the logged best epoch).
// `--test --members A,B` scores instead the average of the runs A/best and B/best (a SegmenterEnsemble),
// writing its results to DIR (use a folder of its own: DIR/<split>-result.json is overwritten).
// Kvasir-SEG is for research and education only: keep DIR outside the repository, never ship its models.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppliedMLError, initEngine, resolveDataset, shuffleIndices } from '@appliedml/engine';
import { ImageSegmenter, KVASIR_SEG_DATASET, SEGMENTER_DEFAULTS, SegmenterEnsemble, kvasirIds, readKvasirSeg } from '../src/index';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    epochs: { type: 'string', default: '40' },
    size: { type: 'string', default: String(SEGMENTER_DEFAULTS.imageSize) },
    input: { type: 'string', default: '256' },
    batch: { type: 'string', default: '16' },
    lr: { type: 'string', default: '2e-3' },
    patience: { type: 'string', default: '12' },
    test: { type: 'boolean', default: false },
    split: { type: 'string', default: 'test' },
    filters: { type: 'string', default: SEGMENTER_DEFAULTS.filters.join(',') },
    rotate90: { type: 'boolean', default: SEGMENTER_DEFAULTS.rotate90 },
    rotation: { type: 'string', default: String(SEGMENTER_DEFAULTS.rotation) },
    zoom: { type: 'string', default: String(SEGMENTER_DEFAULTS.zoom) },
    shift: { type: 'string', default: String(SEGMENTER_DEFAULTS.shift) },
    members: { type: 'string' },
  },
});
if (!values.dir) throw new AppliedMLError('E_INPUT_INVALID', '--dir is required (a folder outside the repository)');
if (values.members && !values.test) throw new AppliedMLError('E_INPUT_INVALID', '--members scores trained runs: it needs --test.');
const dir = resolve(values.dir);
const filters = values.filters.split(',').map(Number);
const recipe = {
  filters,
  rotate90: values.rotate90,
  rotation: Number(values.rotation),
  zoom: Number(values.zoom),
  shift: Number(values.shift),
};
// Checked before 900 images load: the same rule ImageSegmenter.create applies.
if (!values.test) ImageSegmenter.create({ imageSize: Number(values.size), ...recipe }).dispose();
mkdirSync(dir, { recursive: true });
const logFile = join(dir, 'log.txt');
const log = (s: string): void => {
  const line = `${new Date().toISOString()} ${s}\n`;
  appendFileSync(logFile, line);
  process.stderr.write(line);
};

async function main(): Promise<void> {
  await initEngine();
  const size = Number(values.size);
  const input = Number(values.input);
  const kvasir = await resolveDataset(KVASIR_SEG_DATASET);
  const ids = await kvasirIds(kvasir.root);
  const order = shuffleIndices(ids.length, 2026);
  const pick = (a: number, b: number): string[] => order.slice(a, b).map((i) => ids[i]!);
  if (values.test) {
    const split = values.split === 'val' ? 'validation' : 'test';
    const test = await readKvasirSeg(kvasir.root, split === 'test' ? pick(900, 1000) : pick(800, 900), input);
    const members = values.members?.split(',').map((d) => resolve(d));
    const loaded: ImageSegmenter[] = [];
    try {
      for (const d of members ?? []) loaded.push(await ImageSegmenter.load(join(d, 'best')));
    } catch (error) {
      loaded.forEach((m) => m.dispose());
      throw error;
    }
    const seg = members ? SegmenterEnsemble.from(loaded) : await ImageSegmenter.load(join(dir, 'best'));
    const m = await seg.evaluate(test);
    const times: number[] = [];
    for (let i = 0; i < 23; i++) {
      const t = performance.now();
      await seg.predict(test.images[i]!);
      if (i >= 3) times.push(performance.now() - t);
    }
    const latencyMs = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    const result = members
      ? { split, input, members, ...m, latencyMs }
      : { split, input, imageSize: (seg as ImageSegmenter).config.imageSize, ...m, latencyMs };
    log(`${split} ${JSON.stringify(result)}`);
    writeFileSync(join(dir, `${split}-result.json`), JSON.stringify(result, null, 2));
    seg.dispose();
    return;
  }
  const t0 = performance.now();
  const train = await readKvasirSeg(kvasir.root, pick(0, 800), size);
  const val = await readKvasirSeg(kvasir.root, pick(800, 900), input);
  log(`loaded 800 train at ${size}, 100 val at ${input} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const seg = ImageSegmenter.create({ imageSize: size, ...recipe });
  log(`config ${JSON.stringify(seg.config)} epochs ${values.epochs} batch ${values.batch} lr ${values.lr} patience ${values.patience}`);
  const report = await seg.train(train, {
    epochs: Number(values.epochs),
    batchSize: Number(values.batch),
    learningRate: Number(values.lr),
    patience: Number(values.patience),
    validation: val,
    checkpointDir: dir,
    resume: true,
    onEpoch: (e) => log(`epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)} val Dice ${e.valDice.toFixed(4)} ${e.seconds.toFixed(1)} s`),
  });
  const result = {
    split: 'validation',
    input,
    imageSize: size,
    dice: report.validation.dice,
    iou: report.validation.iou,
    selectedEpoch: report.selectedEpoch + 1,
    epochsRun: report.epochsRun,
    resumedAt: report.resumedAt,
    stoppedEarly: report.stoppedEarly,
    secondsThisProcess: report.seconds,
  };
  log(`done ${JSON.stringify(result)}`);
  writeFileSync(join(dir, 'result.json'), JSON.stringify(result, null, 2));
  seg.dispose();
}

main().catch((error: unknown) => {
  log(`failed: ${String(error instanceof Error ? (error.stack ?? error.message) : error)}`);
  process.exitCode = 1;
});
