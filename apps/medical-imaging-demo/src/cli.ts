#!/usr/bin/env -S npx tsx --conditions=@appliedml/source
import { resolve } from 'node:path';
// Light modules only: --help and a refused flag answer without TensorFlow.js (the SDK), sharp or Fastify,
// which each command imports when it runs (`await import`).
import { intFlag, parseCliArgs, printable, stopOnSignals, useInvocationDir } from '@appliedml/demo-kit/cli';
import type { Device } from '@appliedml/engine/devices';
import { AppliedMLError } from '@appliedml/engine/errors';
import { PRESETS, PUBLISHED, type PresetName } from './presets';
import type { ClassificationData, SegmentationData } from './data';
import type { ClassifierRun, SegmenterRun } from './run';
import type { MedicalInference } from './server';

const USAGE = `appliedml medical imaging demo — a pneumonia classifier with Grad-CAM and a polyp segmenter

usage:
  medical-imaging-demo demo [--preset quick|full] [--report FILE]   train both, table beside the published numbers, HTML report
  medical-imaging-demo train --task classifier|segmenter [--preset P] [--out DIR]   train and save a bundle
  medical-imaging-demo evaluate --bundle DIR [--task classifier|segmenter]          metrics on the test split (default: the bundle's task)
  medical-imaging-demo predict <file> --bundle DIR [--heatmap OUT.png]              label, probabilities, Grad-CAM PNG (DICOM/PNG/JPEG/TIFF)
                       [--frame N] [--voi auto|minmax]          DICOM frame / TIFF page; minmax stretches a 12-bit image in 16 bits
  medical-imaging-demo serve --bundle DIR [--segmenter DIR] [--port 8080] [--host 127.0.0.1] [--workers 1]
                                      upload page: prediction, heatmap, DICOM tags; /docs, /readyz; --workers 0: in this process

data: PneumoniaMNIST and Kvasir-SEG from APPLIEDML_DATA_DIR; without them, SYNTHETIC phantoms generated offline.
options: --device auto|cuda|cpu|wasm|js`;

function out(text = ''): void {
  process.stdout.write(`${text}\n`);
}
const f3 = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(3));

async function demo(presetName: PresetName, reportFile: string, device: Device | undefined, signal: AbortSignal): Promise<void> {
  const { classificationData, hasDataDir, segmentationData } = await import('./data');
  const { checkOutputFile } = await import('./output-checks');
  const { runClassifier, runSegmenter } = await import('./run');
  await checkOutputFile(reportFile, '--report', '; nothing was trained');
  const preset = PRESETS[presetName];
  const options = { ...(device ? { device } : {}), say: out, signal };
  out(`preset ${presetName}${hasDataDir() ? '' : ' (APPLIEDML_DATA_DIR is not set)'}`);
  const cls = await classificationData(preset.classifierImages, out);
  out(`\n${cls.title}\n  ${cls.note}`);
  const c = await runClassifier(cls, preset, options);
  try {
    const seg = await segmentationData(preset.segmenterImages, preset.segmenter.imageSize ?? 64, out);
    out(`\n${seg.title}\n  ${seg.note}`);
    const s = await runSegmenter(seg, preset, options);
    try {
      await demoReport(presetName, reportFile, cls, c, seg, s, signal);
    } finally {
      s.model.dispose();
    }
  } finally {
    c.model.dispose();
  }
}

async function demoReport(
  presetName: PresetName,
  reportFile: string,
  cls: ClassificationData,
  c: ClassifierRun,
  seg: SegmentationData,
  s: SegmenterRun,
  signal: AbortSignal,
): Promise<void> {
  const { default: Table } = await import('cli-table3');
  const { writeOutputFile } = await import('@appliedml/demo-kit');
  const { htmlReport } = await import('./report');

  const t = new Table({
    head: ['task', 'model / source', 'train', 'ACC', 'AUC', 'sens', 'spec', 'Dice', 'IoU'],
    style: { head: [], border: [] },
  });
  const mc = c.metrics;
  t.push([
    cls.synthetic ? 'phantoms (SYNTHETIC)' : 'PneumoniaMNIST test',
    'residual CNN (this run)',
    `${c.trainSeconds.toFixed(1)} s`,
    f3(mc.accuracy),
    f3(mc.auc),
    f3(mc.sensitivity),
    f3(mc.specificity),
    '',
    '',
  ]);
  if (!cls.synthetic) for (const p of PUBLISHED.pneumoniamnist) t.push(['', p.what, '', f3(p.accuracy), f3(p.auc), '', '', '', '']);
  t.push([
    seg.synthetic ? 'phantoms (SYNTHETIC)' : 'Kvasir-SEG test',
    'U-Net (this run)',
    `${s.trainSeconds.toFixed(1)} s`,
    '',
    '',
    '',
    '',
    f3(s.metrics.dice),
    f3(s.metrics.iou),
  ]);
  if (!seg.synthetic) for (const p of PUBLISHED.kvasir) t.push(['', p.what, '', '', '', '', '', f3(p.dice), '']);
  out('\nResults (quick preset: subsets and few epochs; the full runs are in docs/benchmarks/medical-imaging.md)');
  out(t.toString());

  const html = htmlReport({
    generated: `preset ${presetName}, ${new Date().toISOString()}`,
    classifier: {
      title: cls.title,
      note: cls.note,
      synthetic: cls.synthetic,
      metrics: mc,
      trainSeconds: c.trainSeconds,
      published: PUBLISHED.pneumoniamnist,
      figures: c.figures,
    },
    segmenter: {
      title: seg.title,
      note: seg.note,
      synthetic: seg.synthetic,
      metrics: s.metrics,
      trainSeconds: s.trainSeconds,
      published: PUBLISHED.kvasir,
      figures: s.figures,
    },
  });
  signal.throwIfAborted();
  await writeOutputFile(reportFile, html);
  out(`\nHTML report (metrics, Grad-CAM overlays, predicted masks): ${resolve(reportFile)}`);
}

function taskArg(value: string | undefined): 'classifier' | 'segmenter' {
  if (value === 'classifier' || value === 'segmenter') return value;
  throw new AppliedMLError('E_INPUT_INVALID', '--task must be classifier or segmenter.');
}

/**
 * The task of the model saved in `dir`, from its manifest's `task` (`image-classification`, `image-segmentation`);
 * undefined when the manifest cannot be read or names neither (the load then says what is wrong).
 */
async function bundleTask(dir: string): Promise<'classifier' | 'segmenter' | undefined> {
  const { peekBundle } = await import('@appliedml/engine');
  const task = (await peekBundle(dir))?.task;
  return task === 'image-classification' ? 'classifier' : task === 'image-segmentation' ? 'segmenter' : undefined;
}

/**
 * predict and serve take a classifier's bundle as --bundle: a segmenter's was refused by the load as "holds an
 * 'image-segmentation' model, not 'image-classification'", not saying what to do. Said before the model is loaded.
 */
async function checkClassifierBundle(bundle: string, command: 'predict' | 'serve'): Promise<void> {
  if ((await bundleTask(bundle)) !== 'segmenter') return;
  throw new AppliedMLError(
    'E_INPUT_INVALID',
    `${bundle} is a segmenter bundle, and ${command} --bundle takes a classifier's: ` +
      (command === 'serve'
        ? `serve --bundle CLASSIFIER --segmenter ${bundle} serves it beside a classifier (train one with train --task classifier).`
        : `to segment an image, serve --bundle CLASSIFIER --segmenter ${bundle} and upload it on the page; to score the segmenter, evaluate --bundle ${bundle}.`),
    { details: { field: 'bundle', task: 'segmenter' } },
  );
}

function requireArg(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new AppliedMLError('E_INPUT_INVALID', `${name} is required.`);
  return value;
}

async function main(): Promise<void> {
  useInvocationDir(); // paths are relative to where the command was typed, also under npm run -w
  const { positionals, values } = parseCliArgs(
    {
      allowPositionals: true,
      options: {
        // No default: evaluate takes the bundle's own task when --task is left out; train a classifier.
        task: { type: 'string' },
        preset: { type: 'string', default: 'quick' },
        out: { type: 'string' },
        bundle: { type: 'string' },
        segmenter: { type: 'string' },
        heatmap: { type: 'string' },
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        workers: { type: 'string', default: '1' },
        report: { type: 'string', default: 'reports/medical-imaging-demo.html' },
        device: { type: 'string' },
        voi: { type: 'string' },
        frame: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    USAGE,
  );
  const command = positionals[0];
  const device = values.device as Device | undefined;
  const presetName = values.preset as PresetName;
  if (!Object.hasOwn(PRESETS, presetName)) throw new AppliedMLError('E_INPUT_INVALID', '--preset must be quick or full.');
  const preset = PRESETS[presetName];
  const loadOptions = device ? { device } : {};
  if (values.help || !command) return out(USAGE);
  switch (command) {
    case 'demo': {
      const report = values.report as string;
      // Ctrl-C stops the training after its current step; no report is written then (stopOnSignals says so).
      return stopOnSignals((signal) => demo(presetName, report, device, signal), { output: report });
    }
    case 'train': {
      const task = taskArg(values.task ?? 'classifier');
      const dir = values.out ?? `models/medical-${task}`;
      const { classificationData, segmentationData } = await import('./data');
      const { checkBundleTarget } = await import('./output-checks');
      const { runClassifier, runSegmenter } = await import('./run');
      await checkBundleTarget(dir);
      // Ctrl-C stops the training after its current step; nothing is saved then (stopOnSignals says so).
      return stopOnSignals(
        async (signal) => {
          if (task === 'classifier') {
            const data = await classificationData(preset.classifierImages, out);
            const r = await runClassifier(data, preset, { ...loadOptions, say: out, figures: 0, signal });
            try {
              await r.model.save(dir, { testAccuracy: r.metrics.accuracy, testAuc: r.metrics.auc });
              out(
                `test ACC ${f3(r.metrics.accuracy)}, AUC ${f3(r.metrics.auc)} in ${r.trainSeconds.toFixed(1)} s; saved to ${resolve(dir)}`,
              );
            } finally {
              r.model.dispose();
            }
          } else {
            const data = await segmentationData(preset.segmenterImages, preset.segmenter.imageSize ?? 64, out);
            if (data.source === 'kvasir') out('Note: Kvasir-SEG allows research and education only; do not ship this model in a product.');
            const r = await runSegmenter(data, preset, { ...loadOptions, say: out, figures: 0, signal });
            try {
              await r.model.save(dir, { testDice: r.metrics.dice, testIou: r.metrics.iou });
              out(`test Dice ${f3(r.metrics.dice)}, IoU ${f3(r.metrics.iou)} in ${r.trainSeconds.toFixed(1)} s; saved to ${resolve(dir)}`);
            } finally {
              r.model.dispose();
            }
          }
        },
        { output: dir },
      );
    }
    case 'evaluate': {
      const bundle = requireArg(values.bundle, '--bundle');
      const { ImageClassifier, ImageSegmenter, PNEUMONIA_LABELS } = await import('@appliedml/medical-imaging');
      const { classificationData, hasDataset, phantomClassification, phantomSegmentation, segmentationData } = await import('./data');
      const { evaluationPlan } = await import('./provenance');
      const { PHANTOM_LABELS } = await import('./phantoms');
      // Scored on the data the bundle says it was trained on (evaluationPlan): never a phantom-trained
      // model on real images as if the numbers meant something, nor a real-trained one on phantoms.
      // Without --task, the bundle's own (a segmenter's was loaded as a classifier and refused).
      const task = values.task === undefined ? ((await bundleTask(bundle)) ?? 'classifier') : taskArg(values.task);
      if (task === 'classifier') {
        const model = await ImageClassifier.load(bundle, loadOptions);
        try {
          const labels = model.labels.map((l) => `'${printable(l)}'`).join(', ');
          const plan = evaluationPlan('classifier', model.trainedOn, await hasDataset('pneumoniamnist'), {
            fitsReal: PNEUMONIA_LABELS.every((l) => model.labels.includes(l)),
            unfitReal: `its labels are ${labels}, not PneumoniaMNIST's normal and pneumonia`,
            ...(PHANTOM_LABELS.every((l) => model.labels.includes(l))
              ? {}
              : { unfitPhantoms: `its labels are ${labels}, not the phantoms' clear and lesion` }),
          });
          plan.say.forEach((line) => out(line));
          const data =
            plan.data === 'real'
              ? await classificationData(preset.classifierImages, out)
              : phantomClassification(undefined, undefined, plan.because);
          const m = await model.evaluate(data.test);
          out(
            `${data.title}: ACC ${f3(m.accuracy)}, AUC ${f3(m.auc)}, sensitivity ${f3(m.sensitivity)}, specificity ${f3(m.specificity)} (threshold ${f3(m.threshold)})`,
          );
          if (plan.caution) out(`  ${plan.caution}`);
          if (data.synthetic) out(`  ${data.note}`);
        } finally {
          model.dispose();
        }
      } else {
        const model = await ImageSegmenter.load(bundle, loadOptions);
        try {
          const plan = evaluationPlan('segmenter', model.trainedOn, await hasDataset('kvasir'), { fitsReal: model.config.channels === 3 });
          plan.say.forEach((line) => out(line));
          const data =
            plan.data === 'real'
              ? await segmentationData(preset.segmenterImages, model.config.imageSize, out)
              : phantomSegmentation(model.config.imageSize, undefined, plan.because);
          const m = await model.evaluate(data.test);
          out(`${data.title}: Dice ${f3(m.dice)}, IoU ${f3(m.iou)} over ${m.count} images`);
          if (plan.caution) out(`  ${plan.caution}`);
          if (data.synthetic) out(`  ${data.note}`);
        } finally {
          model.dispose();
        }
      }
      return;
    }
    case 'predict': {
      const file = requireArg(positionals[1], 'predict <file>');
      const { writeOutputFile } = await import('@appliedml/demo-kit');
      const { consoleLogger } = await import('@appliedml/engine');
      const { ImageClassifier, heatmapOverlayPng, readMedicalImage } = await import('@appliedml/medical-imaging');
      const { framePastLast } = await import('./analysis');
      const { COLOUR_REASON, colourPreview, isColourful, outOfDistribution, previewOfColour, stretchAdvice } =
        await import('./input-checks');
      const { checkOutputFile } = await import('./output-checks');
      const { trainedOnNote } = await import('./provenance');
      const bundle = requireArg(values.bundle, '--bundle');
      await checkClassifierBundle(bundle, 'predict');
      const model = await ImageClassifier.load(bundle, loadOptions);
      if (values.heatmap) await checkOutputFile(values.heatmap, '--heatmap', '; nothing was predicted');
      const voi = values.voi ?? 'auto';
      if (voi !== 'auto' && voi !== 'minmax') throw new AppliedMLError('E_INPUT_INVALID', `--voi must be auto or minmax (got ${voi}).`);
      const frame = intFlag(values.frame, 'frame', { min: 0 });
      // --frame picks a DICOM frame or a page of a multi-page TIFF; a file of one image has no other, and a
      // frame asked of it is a mistake (readMedicalImage refuses one other than 0 itself; said here in the flag's words).
      const frameRefused = (format: string, cause?: unknown): AppliedMLError =>
        new AppliedMLError(
          'E_INPUT_INVALID',
          `${file}: --frame applies to DICOM files and multi-page TIFFs; this is a ${format} image with one frame.`,
          {
            details: { path: file, format, frame },
            ...(cause === undefined ? {} : { cause }),
          },
        );
      let read: Awaited<ReturnType<typeof readMedicalImage>>;
      try {
        read = await readMedicalImage(file, { voi, frame: frame ?? 0 });
      } catch (error) {
        // A frame past the last of a DICOM file or TIFF stack: the count from the reader's details, in the
        // service's words and the flag's (the reader's own words name neither the flag nor how to pick a frame).
        const past = AppliedMLError.isInstance(error) && frame !== undefined ? framePastLast(error, frame) : undefined;
        if (past !== undefined)
          throw new AppliedMLError(
            'E_INPUT_INVALID',
            `${file}: --frame ${past.said}; ${past.frames === 1 ? 'leave --frame out' : `--frame N picks one of them (0 when left out)`}.`,
            { cause: error, details: { path: file, field: 'frame', frame, frames: past.frames, format: past.format } },
          );
        const format = AppliedMLError.isInstance(error) && error.details.field === 'frame' ? error.details.format : undefined;
        throw typeof format === 'string' ? frameRefused(format, error) : error;
      }
      if (frame !== undefined && read.format !== 'dicom' && read.frames === 1) throw frameRefused(read.format);
      const unlike = outOfDistribution(read.image);
      // A colour photo (an endoscopy frame) is measured as the service measures it: on a small preview of a
      // raster, or of a colour DICOM frame (read again in colour, only such a file).
      const preview =
        read.format === 'dicom'
          ? (read.dicom?.metadata.samplesPerPixel ?? 1) >= 3
            ? (await readMedicalImage(file, { voi, frame: frame ?? 0, color: true })).color
            : undefined
          : await colourPreview(file, frame ?? 0);
      if (isColourful(read.format === 'dicom' && preview ? await previewOfColour(preview) : preview)) unlike.unshift(COLOUR_REASON);
      // A 12-bit image in 16 or 32 bits reads near black, a signed one flat grey, unless stretched: say how.
      unlike.push(...stretchAdvice(read, read.image, voi, unlike, '--voi minmax'));
      if (unlike.length > 0)
        consoleLogger({ prefix: 'medical-imaging-demo' }).warn(
          `${file}: ${unlike.join('; ')}. This is outside what the model was trained on: the prediction below is not meaningful.`,
        );
      const p = await model.predict(read.image, { explain: true });
      // The model's training data beside its answer: a phantom-trained model's label says nothing medical.
      out(`model: ${trainedOnNote(model.trainedOn)}`);
      out(
        `${read.format} ${read.image.width}×${read.image.height}, ${read.bitDepth}-bit${
          read.dicom
            ? `, ${read.dicom.metadata.modality ?? '?'} (${read.dicom.frames > 1 ? `frame ${frame ?? 0} of ${read.dicom.frames}, numbered from 0: --frame N picks another` : '1 frame'})`
            : read.frames > 1
              ? ` (page ${frame ?? 0} of ${read.frames}, numbered from 0: --frame N picks another)`
              : ''
        }`,
      );
      // A binary label comes from the saved threshold, not from the larger probability: 'clear (46.1 %)' beside
      // 'lesion 53.9 %' read as a contradiction without it (review R5-12).
      const threshold = model.threshold;
      const positive = model.labels[1];
      out(
        `${p.label} (${(p.score * 100).toFixed(1)} %)  ${Object.entries(p.probabilities)
          .map(([l, v]) => `${l} ${(v * 100).toFixed(1)} %`)
          .join('  ')}${
          threshold !== undefined && positive !== undefined && model.labels.length === 2
            ? `  (${positive} from ${(threshold * 100).toFixed(1)} %, the threshold chosen on the validation images)`
            : ''
        }`,
      );
      if (values.heatmap) {
        await writeOutputFile(
          values.heatmap,
          await heatmapOverlayPng(read.image, p.heatmap!, { width: Math.min(8192, Math.max(256, read.image.width)) }),
        );
        out(`Grad-CAM overlay: ${resolve(values.heatmap)}`);
      }
      model.dispose();
      return;
    }
    case 'serve': {
      const bundle = requireArg(values.bundle, '--bundle');
      await checkClassifierBundle(bundle, 'serve');
      const port = intFlag(values.port, 'port', { min: 0, max: 65535 }) as number;
      const workers = intFlag(values.workers, 'workers', { min: 0, max: 64 }) as number;
      const { closeOnSignals } = await import('@appliedml/demo-kit');
      const { ImageClassifier, ImageSegmenter } = await import('@appliedml/medical-imaging');
      const { trainedOnNote } = await import('./provenance');
      const { createMedicalService, inProcess, medicalWorkerPool, modelsDescription, modelSummary } = await import('./server');
      // Listen at once (/healthz 200, /readyz 503 "loading"); ready once the models are loaded.
      const loading = (async (): Promise<MedicalInference> => {
        if (workers > 0)
          return medicalWorkerPool(bundle, { threads: workers, ...(values.segmenter ? { segmenter: values.segmenter } : {}) });
        const classifier = await ImageClassifier.load(bundle, loadOptions);
        const segmenter = values.segmenter ? await ImageSegmenter.load(values.segmenter, loadOptions) : undefined;
        // Named by their folders, never their paths: /info is read by any web client.
        const models = [
          modelSummary('classifier', bundle, trainedOnNote(classifier.trainedOn)),
          ...(segmenter && values.segmenter ? [modelSummary('segmenter', values.segmenter, trainedOnNote(segmenter.trainedOn))] : []),
        ];
        const description = modelsDescription(models, classifier.labels);
        return inProcess({ classifier, ...(segmenter ? { segmenter } : {}), description, models });
      })();
      const service = await createMedicalService(loading, { logger: true });
      const { url } = await service.listen({ port, host: values.host as string });
      closeOnSignals(service, { onSignal: (signal) => out(`${signal}: finishing in-flight requests, then stopping`) });
      out(`listening on ${url}/  (POST /predict with a DICOM/PNG/JPEG/TIFF file as the body; API at ${url}/docs)`);
      try {
        await loading;
      } catch (error) {
        await service.close();
        throw error;
      }
      out('model loaded: ready');
      return;
    }
    default: {
      // Said as an error with the usage below it, exit 1, as the other demo CLIs do (it printed the usage
      // alone on stdout, as if asked for, and exited 2).
      const line = `Unknown command '${command}'.`;
      throw new AppliedMLError('E_INPUT_INVALID', `${line}\n\n${USAGE}`, { details: { line, usage: USAGE } });
    }
  }
}

main().catch((error: unknown) => {
  // A fatal error is printed as an error (the other demo CLIs' form), not as a warning.
  if (AppliedMLError.isInstance(error)) process.stderr.write(`error ${error.code}: ${error.message}\n`);
  else process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
