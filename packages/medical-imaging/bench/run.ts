// `npm run bench -w @appliedml/medical-imaging`: the full runs behind docs/benchmarks/medical-imaging.md.
// PneumoniaMNIST (official splits) with the residual CNN, Kvasir-SEG (seeded 80/10/10) with the U-Net,
// inference latency, DICOM decode times, and the PyTorch CPU peer (tools/medical-bench-torch.py, Debian
// python3-torch) on the same architectures, data, epochs and selection rules, in the same run.
// Needs APPLIEDML_DATA_DIR. Options: --only classifier,segmenter,latency,dicom,torch  --cls-epochs N
// --seg-epochs N --seg-size S (network) --seg-input S (validation/test images; Dice and latency are
// measured on the masks `predict` returns at this size) --seg-flip 0|1 --torch-threads N --out NAME.
// Prints JSON and writes it to .bench-out/NAME.json (the parts can run as separate processes and be merged).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import dicomParser from 'dicom-parser';
import { engineInfo, initEngine, resolveDataset, shuffleIndices, writeNpy } from '@appliedml/engine';
import {
  DICOM_SAMPLES_DATASET,
  ImageClassifier,
  ImageSegmenter,
  KVASIR_SEG_DATASET,
  PNEUMONIAMNIST_DATASET,
  SEGMENTER_DEFAULTS,
  kvasirIds,
  readDicom,
  readKvasirSeg,
  readMedMnist,
  type ColorImage,
  type SegmentationSet,
} from '../src/index';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'classifier,segmenter,latency,dicom,torch' },
    'cls-epochs': { type: 'string', default: '12' },
    'seg-epochs': { type: 'string', default: '20' },
    'seg-size': { type: 'string', default: String(SEGMENTER_DEFAULTS.imageSize) },
    'seg-input': { type: 'string', default: '256' },
    'seg-flip': { type: 'string', default: SEGMENTER_DEFAULTS.flipAugment ? '1' : '0' },
    'torch-threads': { type: 'string', default: '1' },
    out: { type: 'string', default: 'medical-imaging' },
    'lat-filters': { type: 'string', default: SEGMENTER_DEFAULTS.filters.join(',') },
    'lat-size': { type: 'string', default: String(SEGMENTER_DEFAULTS.imageSize) },
  },
});
const only = new Set((values.only as string).split(','));
const clsEpochs = Number(values['cls-epochs']);
const segEpochs = Number(values['seg-epochs']);
const segSize = Number(values['seg-size']);
const segInput = Number(values['seg-input']);
const segFlip = values['seg-flip'] === '1';
const root = resolve(__dirname, '..', '..', '..');
const results: Record<string, unknown> = { date: new Date().toISOString() };
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const log = (s: string): void => void process.stderr.write(`${s}\n`);

const CLS = { filters: [16, 32, 64], dropout: 0.3, l2: 1e-4, batch: 64, lr: 2e-3, patience: 4, seed: 42 };
const SEG = {
  filters: [16, 32, 64, 128],
  dropout: 0.1,
  batch: 16,
  lr: 2e-3,
  patience: 6,
  seed: 42,
  diceWeight: 1,
  brightness: 0.1,
  contrast: 0.15,
};

async function main(): Promise<void> {
  await initEngine();
  results.engine = engineInfo()?.backend;
  const medmnist = await resolveDataset(PNEUMONIAMNIST_DATASET);
  const npz = medmnist.files['pneumoniamnist_full_reconstructed.npz'] as string;
  const splits = await readMedMnist(npz);
  const torchConfig: Record<string, unknown> = { threads: Number(values['torch-threads']) };

  if (only.has('classifier')) {
    const model = ImageClassifier.create({ filters: CLS.filters, dropout: CLS.dropout, l2: CLS.l2, seed: CLS.seed });
    const t0 = performance.now();
    const report = await model.train(splits.train, {
      epochs: clsEpochs,
      batchSize: CLS.batch,
      learningRate: CLS.lr,
      patience: CLS.patience,
      validation: splits.val,
      onEpoch: (e) =>
        log(`classifier epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)} val AUC ${e.valAuc.toFixed(4)} ${e.seconds.toFixed(1)} s`),
    });
    const trainSeconds = (performance.now() - t0) / 1000;
    const test = await model.evaluate(splits.test);
    const images = splits.test.images;
    for (let i = 0; i < 20; i++) await model.predict(images[i]!);
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await model.predict(images[i % images.length]!);
      times.push(performance.now() - t);
    }
    const tb = performance.now();
    await model.predictBatch(images);
    const batchMsPerImage = (performance.now() - tb) / images.length;
    const tg = performance.now();
    await model.predictBatch(images.slice(0, 64), { explain: true });
    const gradCamMsPerImage = (performance.now() - tg) / 64;
    results.classifier = {
      accuracy: test.accuracy,
      auc: test.auc,
      sensitivity: test.sensitivity,
      specificity: test.specificity,
      threshold: test.threshold,
      valAuc: report.validation.auc,
      trainSeconds,
      epochsRun: report.epochsRun,
      selectedEpoch: report.selectedEpoch,
      latencyMs: median(times),
      batchMsPerImage,
      gradCamMsPerImage,
    };
    log(JSON.stringify(results.classifier));
    model.dispose();
  }
  torchConfig.classifier = {
    npz,
    epochs: clsEpochs,
    augmentation: { rotation: 10, shift: 0.08, zoom: 0.1, brightness: 0.1, contrast: 0.15 },
    ...CLS,
  };

  const scratch = mkdtempSync(join(tmpdir(), 'mi-bench-'));
  if (only.has('segmenter') || only.has('torch')) {
    const kvasir = await resolveDataset(KVASIR_SEG_DATASET);
    const ids = await kvasirIds(kvasir.root);
    const order = shuffleIndices(ids.length, 2026);
    const pick = (a: number, b: number): string[] => order.slice(a, b).map((i) => ids[i]!);
    const t0 = performance.now();
    // Training images at the network's size; validation and test at the input size, so that Dice is
    // that of the masks `predict` returns (the network's output upsampled to the input).
    const train = await readKvasirSeg(kvasir.root, pick(0, 800), segSize);
    const val = await readKvasirSeg(kvasir.root, pick(800, 900), segInput);
    const test = await readKvasirSeg(kvasir.root, pick(900, 1000), segInput);
    log(`kvasir loaded (train ${segSize}, val/test ${segInput}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const dump = (name: string, set: SegmentationSet): void => {
      const x = new Float32Array(set.images.length * segSize * segSize * 3);
      set.images.forEach((im, i) => x.set((im as ColorImage).data, i * segSize * segSize * 3));
      const y = new Float32Array(set.masks.length * segSize * segSize);
      set.masks.forEach((m, i) => y.set(m.data, i * segSize * segSize));
      writeFileSync(join(scratch, `x_${name}.npy`), writeNpy({ data: x, shape: [set.images.length, segSize, segSize, 3] }));
      writeFileSync(join(scratch, `y_${name}.npy`), writeNpy({ data: y, shape: [set.masks.length, segSize, segSize, 1] }));
    };
    // The PyTorch peer trains and measures at the network's size.
    dump('train', train);
    dump('val', segInput === segSize ? val : await readKvasirSeg(kvasir.root, pick(800, 900), segSize));
    dump('test', segInput === segSize ? test : await readKvasirSeg(kvasir.root, pick(900, 1000), segSize));
    torchConfig.segmenter = {
      dir: scratch,
      epochs: segEpochs,
      flip: segFlip,
      latSize: Number(values['lat-size']),
      latFilters: (values['lat-filters'] as string).split(',').map(Number),
      ...SEG,
    };
    if (only.has('segmenter')) {
      const seg = ImageSegmenter.create({
        imageSize: segSize,
        filters: SEG.filters,
        dropout: SEG.dropout,
        flipAugment: segFlip,
        seed: SEG.seed,
      });
      const t1 = performance.now();
      const report = await seg.train(train, {
        epochs: segEpochs,
        batchSize: SEG.batch,
        learningRate: SEG.lr,
        patience: SEG.patience,
        validation: val,
        onEpoch: (e) =>
          log(`segmenter epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)} val Dice ${e.valDice.toFixed(4)} ${e.seconds.toFixed(1)} s`),
      });
      const trainSeconds = (performance.now() - t1) / 1000;
      const m = await seg.evaluate(test);
      const times: number[] = [];
      for (let i = 0; i < 23; i++) {
        const t = performance.now();
        await seg.predict(test.images[i]!);
        if (i >= 3) times.push(performance.now() - t);
      }
      results.segmenter = {
        size: segSize,
        input: segInput,
        flip: segFlip,
        dice: m.dice,
        iou: m.iou,
        valDice: report.validation.dice,
        trainSeconds,
        epochsRun: report.epochsRun,
        selectedEpoch: report.selectedEpoch,
        latencyMs: median(times),
      };
      log(JSON.stringify(results.segmenter));
      seg.dispose();
    }
  }

  if (only.has('latency')) {
    // Latency of one 256 × 256 RGB segmentation through the default pipeline (resize to the network's
    // size, U-Net, mask upsampled to 256 × 256); weights do not change the cost.
    const latFilters = (values['lat-filters'] as string).split(',').map(Number);
    const latSize = Number(values['lat-size']);
    const seg = ImageSegmenter.create({ imageSize: latSize, filters: latFilters, flipAugment: false });
    const tiny: ColorImage[] = Array.from({ length: 2 }, () => ({
      width: 256,
      height: 256,
      channels: 3,
      data: new Float32Array(256 * 256 * 3).map(() => Math.random()),
    }));
    await seg.train(
      { images: tiny, masks: tiny.map(() => ({ width: 256, height: 256, data: new Float32Array(256 * 256).fill(0) })) },
      { epochs: 1, validation: { images: tiny, masks: tiny.map(() => ({ width: 256, height: 256, data: new Float32Array(256 * 256) })) } },
    );
    const times: number[] = [];
    for (let i = 0; i < 13; i++) {
      const t = performance.now();
      await seg.predict(tiny[0]!);
      if (i >= 3) times.push(performance.now() - t);
    }
    results.segmentation256 = { latencyMs: median(times), filters: latFilters, imageSize: latSize };
    log(JSON.stringify(results.segmentation256));
    seg.dispose();
  }

  if (only.has('dicom')) {
    const samples = await resolveDataset(DICOM_SAMPLES_DATASET);
    const dicom: Record<string, number> = {};
    for (const file of [
      'CT_small.dcm',
      'bad_sequence.dcm',
      'eCT_Supplemental.dcm',
      'RG3_J2KI.dcm',
      'MR_small_jpeg_ls_lossless.dcm',
      'MR_small_RLE.dcm',
    ]) {
      const bytes = readFileSync(join(samples.root, file));
      await readDicom(bytes);
      const times: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t = performance.now();
        await readDicom(bytes);
        times.push(performance.now() - t);
      }
      dicom[file] = median(times);
    }
    results.dicom = dicom;
    log(JSON.stringify(dicom));
    // The decoder used before ours for JPEG lossless, on the same 512 × 512 CT frame (decode only).
    const ct = dicomParser.parseDicom(readFileSync(join(samples.root, 'bad_sequence.dcm')));
    const el = ct.elements.x7fe00010!;
    const frame = dicomParser.readEncapsulatedPixelDataFromFragments(ct, el, 0, el.fragments!.length);
    const { Decoder } = createRequire(__filename)('jpeg-lossless-decoder-js') as {
      Decoder: new () => { decode(b: ArrayBuffer, o: number, l: number, n: number): unknown };
    };
    const times: number[] = [];
    for (let i = 0; i < 31; i++) {
      const t = performance.now();
      const copy = Uint8Array.from(frame);
      new Decoder().decode(copy.buffer, 0, copy.length, 2);
      if (i > 0) times.push(performance.now() - t);
    }
    results.dicomReference = { 'bad_sequence.dcm (jpeg-lossless-decoder-js, decode only)': median(times) };
    log(JSON.stringify(results.dicomReference));
  }

  if (only.has('torch')) {
    const cfgPath = join(scratch, 'config.json');
    writeFileSync(cfgPath, JSON.stringify(torchConfig));
    const run = spawnSync('/usr/bin/python3', [join(root, 'tools/medical-bench-torch.py'), cfgPath], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.status !== 0) log(`torch peer failed: ${run.stderr.slice(-2000)}`);
    else results.torch = JSON.parse(run.stdout.trim().split('\n').pop()!);
    log(JSON.stringify(results.torch));
  }
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(join(root, '.bench-out'), { recursive: true });
  writeFileSync(join(root, '.bench-out', `${values.out as string}.json`), JSON.stringify(results, null, 2));
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? (error.stack ?? error.message) : error)}\n`);
  process.exitCode = 1;
});
